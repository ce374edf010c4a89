"""``branch-assess consolidate``: many filled workbooks into one summary."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click

from workbook.cli.cycle import CyclePlan, cycle_options
from workbook.cli.options import (
    CONTEXT_SETTINGS,
    ProblemsFound,
    overwrite_option,
    standard_option,
)


def _points(ctx: click.Context, param: click.Parameter, value: object) -> Decimal:
    """A number of points from 0 to 100, exact (``Decimal``): ``nan`` and ``inf`` are not one
    (click's FloatRange let ``nan`` through, to an internal error or a check never made)."""
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or not 0 <= number <= 100:
        raise click.BadParameter(f"应为 0～100 之间的分数，实际为“{value}”", ctx, param)
    return number.normalize()


@click.command("consolidate", context_settings=CONTEXT_SETTINGS, options_metavar="[选项]")
@click.argument(
    "inputs",
    nargs=-1,
    required=True,
    type=click.Path(readable=False, path_type=Path),
    metavar="输入文件或文件夹...",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(readable=False, path_type=Path),
    metavar="文件",
    help="输出的汇总表（.xlsx）。有待修正项时不生成（原有文件保持不变），除非加 --draft。",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(readable=False, path_type=Path),
    metavar="文件",
    help="另存一份 JSON 结果（含全部问题，有待修正项时也生成）；格式见 docs/consolidation.md。",
)
@overwrite_option
@click.option(
    "--draft",
    is_flag=True,
    help="有待修正项时仍生成汇总表，标题和每个工作表标明“草稿（含待修正项）”。",
)
@click.option(
    "--self-threshold",
    type=click.STRING,
    callback=_points,
    default="5",
    show_default=True,
    metavar="分数",
    help="自评总分高于考评总分超过此分数（0～100）的，在“自评与考评”表中标“自评偏高”。",
)
@click.option(
    "--assessors",
    type=click.Choice(["mean", "trimmed"]),
    default=None,
    help="多人考评：同一支部由不同考评人（考评人单元格）填写的多份考评表合并计分。"
    "mean：各项得分和合计取平均；trimmed：5 人及以上时先去掉合计最高和最低各一人再平均。"
    "不加此项时同一支部出现两次是错误。",
)
@click.option(
    "--spread-threshold",
    type=click.STRING,
    callback=_points,
    default="10",
    show_default=True,
    metavar="分",
    help="多人考评时，各考评人合计最高与最低相差超过此分数（0～100）即在汇总表中标出，请复核。",
)
@standard_option("考评标准编号（各工作簿须按此标准的模板填写）。")
@cycle_options
def consolidate_command(
    inputs: tuple[Path, ...],
    output: Path,
    json_path: Path | None,
    overwrite: bool,
    draft: bool,
    self_threshold: Decimal,
    assessors: str | None,
    spread_threshold: Decimal,
    standard_id: str,
    **cycle: Any,
) -> None:
    """汇总各支部考评定级表，生成报县委组织部的汇总表。

    输入可以是文件（.xlsx、.xlsm）或文件夹（含子文件夹，跳过 Excel 临时文件 ~$*）。各项得分、总分和等级全部按输入单元格重新计算；所有问题一次列出（文件、工作表!单元格、规则和允许的值），有问题时退出码为 1。
    """
    from workbook.atomic import atomic_output, refuse_replacing
    from workbook.cli.progress import file_progress
    from workbook.cli.recalc import warn_if_open_elsewhere
    from workbook.core.scoring import PENDING
    from workbook.inputs.consolidate import consolidate
    from workbook.outputs.summary import write_summary
    from workbook.xlsx.text import visible_text

    source = click.get_current_context().get_parameter_source("spread_threshold")
    if assessors is None and source is click.core.ParameterSource.COMMANDLINE:
        click.echo(
            "提示：--spread-threshold 只用于多人考评（--assessors mean 或 trimmed），这次不起作用",
            err=True,
        )
    side_inputs = [
        path
        for key in ("previous", "holidays", "rename_map")
        if (path := cycle.get(key)) is not None
    ]
    check_outputs(inputs, output, json_path, side_inputs, cycle.get("rectification"))
    if not overwrite:
        refuse_replacing(output, "汇总表", writes="summary")
    plan = CyclePlan.from_options(standard_id, inputs, output, **cycle)
    exclude = [output] + ([json_path] if json_path else [])
    with file_progress("读取考评定级表") as progress:
        result = consolidate(
            inputs,
            standard_id=standard_id,
            exclude=exclude,
            progress=progress,
            self_threshold=self_threshold,
            assessors=assessors,  # type: ignore[arg-type]
            spread_threshold=spread_threshold,
        )
    extras = plan.prepare(result, overwrite=overwrite)
    self_source = click.get_current_context().get_parameter_source("self_threshold")
    if self_source is click.core.ParameterSource.COMMANDLINE and not any(
        entry.own is not None for entry in result.branches
    ):
        extras.notices.append(
            "--self-threshold 只用于有自评栏的考评定级表（模板版本 2），"
            "这次汇总的表都没有自评栏，不起作用"
        )
    for warning in result.warnings:
        click.echo(visible_text(f"提示：{warning.text()}"), err=True)
    for notice in extras.notices:
        click.echo(f"提示：{notice}", err=True)
    if result.errors:
        click.echo(f"发现 {len(result.errors)} 个待修正项：", err=True)
        for number, problem in enumerate(result.errors, start=1):
            click.echo(visible_text(f"  {number}. {problem.text()}"), err=True)
    if json_path is not None:
        with atomic_output(json_path) as temp:
            # File names that are not valid UTF-8 (lone surrogates) cannot go into JSON text.
            temp.write_text(visible_text(extras.json_text(result)), encoding="utf-8")
        click.echo(f"已生成 JSON：{json_path}")
    if result.errors and not draft:
        raise ProblemsFound(
            f"未生成汇总表 {output}（原有文件保持不变）。请改正上述问题后重新运行，"
            "或加 --draft 生成草稿。"
        )
    notices: list[str] = []
    write_summary(
        output, result, draft=bool(result.errors), notices=notices, **extras.summary_options()
    )
    for notice in notices:
        click.echo(f"提示：{notice}", err=True)
    warn_if_open_elsewhere(output, "新的汇总表", "新的汇总表")
    grades = Counter(entry.grade_text for entry in result.scored)
    counts = "，".join(f"{g.name} {grades.get(g.name, 0)} 个" for g in result.standard.grades)
    pending = len(result.branches) - len(result.scored)
    if pending > 0:  # a draft: the branches with invalid input have no grade yet
        counts += f"，{PENDING} {pending} 个"
    kind = "汇总表草稿（含待修正项）" if result.errors else "汇总表"
    click.echo(
        f"已生成{kind}：{output}（{f'{result.year}年度' if result.year else '年度未知'}，"
        f"{len(result.branches)} 个支部："
        f"{counts}）"
    )
    extras.finish(result, echo=click.echo)
    if result.errors:
        raise ProblemsFound(f"汇总表是草稿：有 {len(result.errors)} 个待修正项，改正后请重新汇总。")


def check_outputs(
    inputs: tuple[Path, ...],
    output: Path,
    json_path: Path | None,
    side_inputs: list[Path] | None = None,
    rectification: Path | None = None,
) -> None:
    """Refuse outputs that would overwrite an input, before any input is read.

    ``side_inputs`` are the other files the command reads (last year's JSON, the holiday file,
    the rename map): no output may be one of them either. Every folder an output goes to (the
    summary's, the JSON's, ``rectification``) must be writable, so a run that would fail on
    its second output does not leave its first one behind.

    An input named on the command line, or a workbook found in an input folder, is never an
    output; an earlier summary of this tool found in a folder is fine (it is skipped as input
    and replaced).
    """
    from workbook.atomic import (
        check_folder_writable,
        check_suffix,
        refuse_inputs,
        resolve_target,
        same_file,
    )
    from workbook.core.names import PROP_SUMMARY
    from workbook.errors import OutputError, WorkbookReadError
    from workbook.inputs.files import find_workbooks
    from workbook.xlsx.workbook_info import read_package_info

    check_suffix(output, (".xlsx",), "汇总表")
    resolve_target(output)
    named = [path for path in inputs if not path.is_dir()] + list(side_inputs or [])
    refuse_inputs(output, named, "汇总表")
    if json_path is not None:
        resolve_target(json_path)
        check_suffix(json_path, (".json",), "JSON 文件")
        if same_file(json_path, output) or json_path.absolute() == output.absolute():
            raise OutputError(f"--json 和 -o 是同一个文件 {output}；请给 JSON 另取一个文件名")
        resolve_target(json_path)
        refuse_inputs(json_path, named, "JSON 文件")
    if rectification is not None:
        folder = rectification.absolute()
        for out, what in ((output, "汇总表（-o）"), (json_path, "JSON 文件（--json）")):
            if out is None:
                continue
            if out.absolute() in (folder, *folder.parents) or same_file(out, rectification):
                raise OutputError(
                    f"--rectification {rectification} 是{what}的文件名或在其下；"
                    "整改清单放在一个文件夹中，请换一个文件夹名"
                )
        check_folder_writable(rectification)
    for out in (output, json_path):
        if out is not None:
            check_folder_writable(resolve_target(out).parent)
    found: list[Path] | None = None  # the workbooks in the input folders, found when needed
    for out, what in ((output, "汇总表"), (json_path, "JSON 文件")):
        if out is None or not out.exists():
            continue
        if found is None:
            found = [path for path, _ in find_workbooks([p for p in inputs if p.is_dir()])[0]]
        for path in _same_files(out, found):
            try:
                summary = bool(read_package_info(path).properties.get(PROP_SUMMARY))
            except WorkbookReadError:
                summary = False
            if not summary or out is json_path:
                raise OutputError(
                    f"{what} {out} 是输入文件夹中的考评定级表，写入会覆盖它；请换一个文件名"
                    "（输入文件保持不变）"
                )


def _same_files(out: Path, paths: list[Path]) -> Iterator[Path]:
    """The ``paths`` that are the file ``out`` (``atomic.same_file`` of each, but ``out`` looked
    up once: two paths of one file have the same device and inode)."""
    from workbook.atomic import same_file

    try:
        info = os.stat(out)
    except (OSError, ValueError):
        yield from (path for path in paths if same_file(out, path))
        return
    for path in paths:
        try:
            other = os.stat(path)
        except (OSError, ValueError):
            if same_file(out, path):
                yield path
            continue
        if (other.st_dev, other.st_ino) == (info.st_dev, info.st_ino):
            yield path
