"""``branch-assess survey``: the 群众测评 ballots and the import of respondents' answers."""

from __future__ import annotations

from pathlib import Path

import click

from workbook.cli.options import (
    CONTEXT_SETTINGS,
    branch_names,
    branches_options,
    overwrite_option,
    standard_file_option,
    standard_option,
    year_option,
)
from workbook.inputs.responses import ResponsesError


@click.group(
    "survey",
    context_settings=CONTEXT_SETTINGS,
    options_metavar="[选项]",
    subcommand_metavar="命令 [参数]...",
)
def survey_group() -> None:
    """群众测评：打印测评票，导入测评结果。"""


@survey_group.command("ballot", context_settings=CONTEXT_SETTINGS, options_metavar="[选项]")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(readable=False, path_type=Path),
    metavar="文件",
    help="输出的测评票文件（.xlsx），每个支部一个工作表，每张 A4 纸一张票。",
)
@branches_options
@year_option
@overwrite_option
@standard_option()
def ballot_command(
    output: Path,
    branches: tuple[str, ...],
    branches_file: Path | None,
    year: int | None,
    overwrite: bool,
    standard_id: str,
) -> None:
    """生成可打印的群众测评票（不记名，A4 纸，每个支部一张）。"""
    from workbook.atomic import check_suffix, refuse_replacing, resolve_target
    from workbook.outputs.ballot import write_ballots

    check_suffix(output, (".xlsx",), "测评票文件")
    resolve_target(output)
    if not overwrite:
        # A mistyped -o must not replace a filled assessment workbook (as template -o).
        refuse_replacing(output, "测评票文件")
    names = branch_names(branches, branches_file)
    path = write_ballots(output, names, standard_id, year)
    click.echo(f"已生成测评票：{path}（{len(names)} 个支部，每个支部一张 A4 测评票）")


@survey_group.command("import", context_settings=CONTEXT_SETTINGS, options_metavar="[选项]")
@click.argument("responses", metavar="答卷文件", type=click.Path(readable=False, path_type=Path))
@click.option(
    "--into",
    "workbook",
    required=True,
    type=click.Path(readable=False, path_type=Path),
    metavar="考评定级表",
    help="要填入计票的考评定级表（.xlsx）。",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(readable=False, path_type=Path),
    metavar="文件",
    default=None,
    help="另存为此文件；不给出时直接更新考评定级表（先写临时文件再替换）。",
)
@click.option(
    "--branch-column",
    metavar="表头",
    default=None,
    help="支部名称所在列的表头（默认找表头为“支部”“支部名称”“测评对象”等的列）。",
)
@click.option(
    "--question-column",
    "question_columns",
    multiple=True,
    metavar="题号=表头",
    help="第几题所在列的表头，如 2=党员形象；可重复（默认找表头含题目原文或为“第2题”的列）。",
)
@overwrite_option
@standard_file_option()
def import_command(
    responses: Path,
    workbook: Path,
    output: Path | None,
    branch_column: str | None,
    question_columns: tuple[str, ...],
    overwrite: bool,
) -> None:
    """导入群众测评答卷（每行一份答卷的 .xlsx 或 .csv），按支部计票并填入考评定级表。

    答卷文件：一行一份答卷，一列为支部名称，每题一列填答案原文（满意、基本满意、不满意、不了解）；
    CSV 可为 UTF-8（带或不带 BOM）或 GBK 编码。各支部原有的计票被整体替换（不会累加），
    命令列出替换了什么；考评定级表中的其他内容保持不变。有问题时逐行列出，不写入任何数据。
    """
    from workbook.atomic import check_suffix, refuse_replacing, resolve_target, same_file
    from workbook.cli.recalc import warn_if_open_elsewhere
    from workbook.errors import WorkbookReadError
    from workbook.outputs.survey_import import import_responses

    mapping: dict[int, str] = {}
    for text in question_columns:
        number, sep, header = text.partition("=")
        if not sep or not number.strip().isdigit() or not header.strip():
            raise click.BadParameter(
                f"“{text}”应为“题号=表头”，如 2=党员形象", param_hint="--question-column"
            )
        mapping[int(number)] = header.strip()
    for path in (responses, workbook):
        if path.is_dir():
            raise WorkbookReadError(f"无法读取 {path}：这是一个文件夹，请给出文件")
    if output is not None:
        check_suffix(output, (workbook.suffix,))
        if same_file(output, responses):
            raise WorkbookReadError(f"输出文件 {output} 就是答卷文件；答卷文件不会被改动")
    resolve_target(output or workbook)
    if output is not None and not overwrite and not same_file(output, workbook):
        refuse_replacing(output, "输出文件")
    try:
        report = import_responses(responses, workbook, output, branch_column, mapping)
    except ResponsesError as error:
        for problem in error.problems:
            click.echo(f"{responses}，{problem}", err=True)
        raise
    for line in report.lines:
        click.echo(line)
    if report.untouched:
        click.echo(f"答卷中没有的支部，计票未改动：{'、'.join(report.untouched)}")
    click.echo(
        f"已导入 {report.respondents} 份答卷（{len(report.lines)} 个支部），写入 {output or workbook}。"
        "这些支部的群众测评结果、项目得分、合计得分和定级已按新的计票重新计算。"
    )
    target = output or workbook
    warn_if_open_elsewhere(target, "导入的计票", "这次导入的计票")
