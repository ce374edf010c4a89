"""``branch-assess recalc``: recalculate a filled workbook without Excel."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from workbook.cli.options import CONTEXT_SETTINGS, overwrite_option, standard_file_option
from workbook.errors import BranchAssessError, InvalidInputError, WorkbookReadError

if TYPE_CHECKING:
    from workbook.core.problems import Problem


class RecalcInputError(InvalidInputError):
    """Recalculation finished, but some input cells are invalid (each was printed already)."""

    def __init__(self, problems: list[Problem], target: Path) -> None:
        super().__init__(problems)
        self.args = (
            f"共 {len(problems)} 处输入有误（见上方“工作表!单元格”列表），改正后请重新计算；"
            f"其余支部已照常计算并写入 {target}",
        )


def open_elsewhere(path: Path) -> Path | None:
    """The lock file a spreadsheet program keeps next to ``path`` while it has it open: Excel's
    and WPS's ``~$name`` and LibreOffice's ``.~lock.name#``; None if there is none. (Excel
    shortens the lock file's name of a long file name; that form is not looked for, as it
    could be another file's.)"""
    name = path.name
    for candidate in (f"~${name}", f".~lock.{name}#"):
        lock = path.parent / candidate
        if lock.is_file():
            return lock
    return None


def warn_if_open_elsewhere(path: Path, shown: str, lost: str) -> None:
    """A 提示 when ``path`` is open in a spreadsheet program (``open_elsewhere``): reopen it to
    see ``shown``; saving in that window would overwrite ``lost``."""
    lock = open_elsewhere(path)
    if lock is not None:
        click.echo(
            f"提示：{path} 似乎正在 Excel、WPS 或 LibreOffice 中打开（有它的临时文件 {lock.name}）："
            f"请关闭那个窗口，再重新打开文件查看{shown}；在那个窗口中保存会覆盖{lost}",
            err=True,
        )


class RecalcSheetError(BranchAssessError):
    """Recalculation finished, but something in the sheets was not counted (printed already)."""


@click.command("recalc", context_settings=CONTEXT_SETTINGS, options_metavar="[选项]")
@click.argument("file", metavar="文件", type=click.Path(readable=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(readable=False, path_type=Path),
    metavar="文件",
    default=None,
    help="另存为此文件；不给出时直接更新原文件（先写临时文件再替换）。",
)
@overwrite_option
@standard_file_option()
def recalc_command(file: Path, output: Path | None, overwrite: bool) -> None:
    """重新计算考评定级表（无需 Excel）。

    按《考评定级标准》逐个支部工作表检查扣分和否决情形，写入各项目得分、合计得分和定级；
    输入有误的单元格标成红色底纹并附批注（写明允许的值）；刷新“总览”工作表（每个支部一行，
    含扣分情况）。格式、数据验证、工作表保护、名称和文档属性保持不变。

    有输入错误时，其余支部照常计算，有误的支部显示“待修正”，
    逐条列出“文件，工作表!单元格：说明”，并以状态码 1 退出。
    """
    from workbook.atomic import check_suffix, refuse_replacing, resolve_target, same_file
    from workbook.outputs.file_book import recalc_file

    if file.is_dir():
        raise WorkbookReadError(f"无法读取 {file}：这是一个文件夹，请给出考评定级表文件（.xlsx）")
    if output is not None:
        # The output holds the input's kind of package (.xlsm keeps its macros).
        check_suffix(output, (file.suffix,))
    resolve_target(output or file)  # refuse a read-only file or a device before any work
    if output is not None and not overwrite and not same_file(output, file):
        refuse_replacing(output, "输出文件")
    report = recalc_file(file, output)
    target = output or file
    for warning in report.warnings:
        click.echo(f"提示：{file}，{warning}", err=True)
    for problem in report.problems:
        click.echo(f"{file}，{problem}", err=True)
    for notice in report.notices:
        click.echo(f"提示：{notice}", err=True)
    for text in report.sheet_problems:
        click.echo(f"{file}，{text}", err=True)
    click.echo(f"{report.summary()}结果已写入 {target}。")
    warn_if_open_elsewhere(target, "计算结果", "这次的计算结果")
    if report.problems:
        raise RecalcInputError(report.problems, target)
    if report.sheet_problems:
        raise RecalcSheetError(
            f"共 {len(report.sheet_problems)} 处问题未计分（见上方列表），改正后请重新计算；"
            f"其余内容已照常计算并写入 {target}"
        )
