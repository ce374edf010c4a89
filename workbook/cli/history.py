"""``branch-assess history``: several years of results side by side in one workbook."""

from __future__ import annotations

from pathlib import Path

import click

from workbook.cli.options import (
    CONTEXT_SETTINGS,
    overwrite_option,
    rename_map_option,
    standard_option,
)


@click.command("history", context_settings=CONTEXT_SETTINGS, options_metavar="[选项]")
@click.argument(
    "reports",
    nargs=-1,
    required=True,
    type=click.Path(readable=False, path_type=Path),
    metavar="年度JSON...",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(readable=False, path_type=Path),
    metavar="文件",
    help="输出的历年对比工作簿（.xlsx）。",
)
@overwrite_option
@rename_map_option("改名的支部按此对应到最新年度的名称，不给出时按两个支部计")
@standard_option("考评标准编号（各年度的 JSON 须按此标准汇总）。")
def history_command(
    reports: tuple[Path, ...],
    output: Path,
    overwrite: bool,
    rename_map: Path | None,
    standard_id: str,
) -> None:
    """把多个年度的汇总结果（consolidate --json 生成的 JSON）并排放进一个工作簿。

    工作表：历年结果（每个支部各年度的得分、等级、排名）、历年等级分布、历年失分（各项目每年的平均失分，每个项目一张图）。支部按名称对应；改名的支部用 --rename-map
    给出改名表（与 consolidate --previous 的改名表相同），早年的结果显示在最新年度的名称下。
    """
    from workbook.atomic import check_suffix, refuse_inputs, refuse_replacing, resolve_target
    from workbook.cli.recalc import warn_if_open_elsewhere
    from workbook.core.standard import load_standard
    from workbook.inputs.previous_year import read_rename_map, refuse_renaming_current
    from workbook.outputs.history import apply_renames, read_years, write_history

    check_suffix(output, (".xlsx",), "历年对比工作簿")
    resolve_target(output)
    named = [*reports, *([rename_map] if rename_map is not None else [])]
    refuse_inputs(output, named, "历年对比工作簿")
    if not overwrite:
        refuse_replacing(output, "历年对比工作簿", writes="history")
    standard = load_standard(standard_id)
    renames = read_rename_map(rename_map) if rename_map is not None else {}
    years = read_years(reports, standard)
    notices: list[str] = []
    if rename_map is not None:
        refuse_renaming_current(rename_map, renames, (b.name for b in years[-1].branches))
        years, notices = apply_renames(years, renames)
    write_history(output, standard, years, renamed=rename_map is not None)
    warn_if_open_elsewhere(output, "新的历年对比", "新的历年对比")
    for notice in notices:
        click.echo(f"提示：{notice}", err=True)
    span = "、".join(str(year.year) for year in years)
    click.echo(f"已生成历年对比：{output}（{span} 共 {len(years)} 个年度）")
