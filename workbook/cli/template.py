"""``branch-assess template``: write the assessment workbook template."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from workbook.cli.options import (
    CONTEXT_SETTINGS,
    branch_names,
    branches_options,
    overwrite_option,
    rename_map_option,
    standard_option,
    year_option,
)
from workbook.core.formulas import FORMULA_MODES

if TYPE_CHECKING:
    from workbook.outputs.previous_items import PreviousItems


@click.command("template", context_settings=CONTEXT_SETTINGS, options_metavar="[选项]")
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(readable=False, path_type=Path),
    metavar="文件",
    help="输出的模板文件（.xlsx），所有支部在一个工作簿中。与 --split 二选一。",
)
@click.option(
    "--split",
    "split_folder",
    type=click.Path(file_okay=False, readable=False, path_type=Path),
    metavar="文件夹",
    help="每个支部生成一个工作簿（含本支部考评定级表、自查表和填表说明），存入此文件夹，"
    "文件名为支部名称；分发给各支部填写，交回后可直接汇总。与 -o 二选一。",
)
@overwrite_option
@branches_options
@year_option
@click.option(
    "--formulas",
    type=click.Choice(FORMULA_MODES),
    default="xlwings",
    show_default=True,
    help="xlwings：调用加载项函数（需安装加载项）；native：仅用内置函数（WPS、LibreOffice、未装加载项的 Excel 均可计算）。",
)
@click.option(
    "--previous",
    type=click.Path(readable=False, path_type=Path),
    metavar="上年.json",
    help="上一年度 consolidate --json 生成的 JSON：每个支部工作表另起一页列出上年扣分项（整改事项），"
    "附“是否已整改”（是/否）和说明栏。",
)
@rename_map_option()
@standard_option()
def template_command(
    output: Path | None,
    split_folder: Path | None,
    overwrite: bool,
    branches: tuple[str, ...],
    branches_file: Path | None,
    year: int | None,
    formulas: str,
    standard_id: str,
    previous: Path | None,
    rename_map: Path | None,
) -> None:
    """生成考评定级表模板：一个“填表说明”工作表，每个支部一个工作表（含自评、考评和自查表）。

    用 --split 时每个支部单独一个工作簿，便于分发给各支部自评。
    """
    import datetime

    from workbook.atomic import check_suffix, refuse_replacing, resolve_target
    from workbook.outputs.template import TemplateOptions, write_template

    if (output is None) == (split_folder is None):
        raise click.UsageError("请用 -o 给出一个模板文件，或用 --split 给出一个文件夹（二选一）。")
    if output is not None:
        check_suffix(output, (".xlsx",), "模板文件")
        resolve_target(output)
        if not overwrite:
            refuse_replacing(output, "模板文件")
    names = branch_names(branches, branches_file)
    the_year = year or datetime.date.today().year
    previous_items = read_previous_items(standard_id, names, the_year, previous, rename_map)
    options = TemplateOptions(
        branches=names,
        year=the_year,
        formulas=formulas,  # type: ignore[arg-type]
        standard_id=standard_id,
        previous_items=previous_items,
    )
    previous_year = next((items.year for items in previous_items.values()), None)
    if previous is not None and previous_year is not None and the_year - previous_year > 1:
        click.echo(
            f"提示：上年结果 {previous.name} 是 {previous_year} 年度的，与模板的 {the_year} 年度相隔 "
            f"{the_year - previous_year} 年；各工作表列出的是 {previous_year} 年度的扣分项",
            err=True,
        )
    missing = [n for n, items in previous_items.items() if items.previous_name is None]
    if previous is not None and missing:
        shown = "、".join(missing[:20]) + (f"等 {len(missing)} 个" if len(missing) > 20 else "")
        scope = "所有支部都" if len(missing) == len(names) else f"支部 {shown} "
        click.echo(
            f"提示：{scope}不在上年结果 {previous.name} 中，其工作表写明“上年无此支部的考评结果”；"
            "如是改了名的支部，请用 --rename-map 给出“原名称,新名称”",
            err=True,
        )
    if split_folder is not None:
        from workbook.outputs.split import write_split

        paths = write_split(split_folder, options, overwrite=overwrite)
        click.echo(
            f"已在 {split_folder} 生成 {len(paths)} 个支部工作簿（{options.year} 年度，"
            f"公式方式 {formulas}）：" + "、".join(p.name for p in paths)
        )
        return
    assert output is not None
    path = write_template(output, options)
    click.echo(
        f"已生成模板：{path}（{len(names)} 个支部，{options.year} 年度，公式方式 {formulas}）"
    )


def read_previous_items(
    standard_id: str,
    branches: list[str],
    year: int,
    previous: Path | None,
    rename_map: Path | None,
) -> dict[str, PreviousItems]:
    """Last year's items per branch for ``--previous`` (empty without it)."""
    from workbook.core.standard import load_standard
    from workbook.errors import ComparisonError
    from workbook.inputs.previous_year import (
        read_previous_year,
        read_rename_map,
        refuse_renaming_current,
    )
    from workbook.outputs.previous_items import previous_items_for

    if previous is None:
        if rename_map is not None:
            raise ComparisonError("--rename-map 要与 --previous 一起使用")
        return {}
    last_year = read_previous_year(previous, load_standard(standard_id), year, command="template")
    renames = read_rename_map(rename_map) if rename_map is not None else {}
    if rename_map is not None:
        refuse_renaming_current(rename_map, renames, branches)
    return previous_items_for(branches, last_year, renames)
