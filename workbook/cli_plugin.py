"""Commands of the Excel plug-in part: ``recalc`` and ``addin build``/``addin install``."""

from __future__ import annotations

from pathlib import Path

import click

from .errors import BranchAssessError, InvalidInputError, WorkbookReadError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class RecalcInputError(InvalidInputError):
    """Recalculation finished, but some input cells are invalid (each was printed already)."""

    def __init__(self, problems: list, target: Path) -> None:  # list[recalc.LabelledProblem]
        super().__init__([p.problem for p in problems])
        self.args = (
            f"共 {len(problems)} 处输入有误（见上方“工作表!单元格”列表），改正后请重新计算；"
            f"其余支部已照常计算并写入 {target}",
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
@click.option(
    "--overwrite",
    is_flag=True,
    help="替换已有的输出文件，即使它不是本命令生成的同类文件（默认拒绝，以免覆盖已填写的考评定级表）。",
)
def recalc_command(file: Path, output: Path | None, overwrite: bool) -> None:
    """重新计算考评定级表（无需 Excel）。

    \b
    按《考评定级标准》逐个支部工作表检查扣分和否决情形，写入各项目得分、合计得分和定级；
    输入有误的单元格标成红色底纹并附批注（写明允许的值）；刷新“总览”工作表（每个支部一行，
    含扣分情况）。格式、数据验证、工作表保护、名称和文档属性保持不变。

    \b
    有输入错误时，其余支部照常计算，有误的支部显示“待修正”，
    逐条列出“文件，工作表!单元格：说明”，并以状态码 1 退出。
    """
    from .atomic import check_suffix, refuse_replacing, resolve_target, same_file
    from .recalc import recalc_file

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
    if report.problems:
        raise RecalcInputError(report.problems, target)
    if report.sheet_problems:
        raise RecalcSheetError(
            f"共 {len(report.sheet_problems)} 处问题未计分（见上方列表），改正后请重新计算；"
            f"其余内容已照常计算并写入 {target}"
        )


@click.group(
    "addin",
    context_settings=CONTEXT_SETTINGS,
    options_metavar="[选项]",
    subcommand_metavar="命令 [参数]...",
)
def addin_group() -> None:
    """Excel 加载项（xlplugin.xlam）：生成和安装“考评定级”选项卡。"""


@addin_group.command("build", context_settings=CONTEXT_SETTINGS, options_metavar="[选项]")
@click.option(
    "-o",
    "--output-dir",
    "output_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="文件夹",
    default=Path("."),
    show_default=True,
    help="加载项 xlplugin.xlam 的输出文件夹。",
)
@click.option(
    "--interpreter",
    default=None,
    metavar="路径",
    help="加载项使用的 Python 解释器（默认：当前安装本工具的解释器）。",
)
def addin_build_command(output_dir: Path, interpreter: str | None) -> None:
    """由 xlwings 自带的功能区加载项生成 xlplugin.xlam（含“考评定级”选项卡）。"""
    from xlplugin.addin import build_addin

    path = build_addin(output_dir, interpreter=interpreter)
    click.echo(f"已生成加载项：{path}")


@addin_group.command("install", context_settings=CONTEXT_SETTINGS, options_metavar="[选项]")
@click.option(
    "--file",
    "addin_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="文件",
    default=None,
    help="要安装的加载项文件（默认：先生成再安装）；此文件本身不会被修改。",
)
def addin_install_command(addin_file: Path | None) -> None:
    """安装加载项 xlplugin.xlam（Windows 上一条命令完成全部设置）。

    \b
    Windows：先检查 Python、xlwings 的 DLL 文件和 Excel，然后把加载项放进 Excel 的
    启动文件夹（XLSTART），在后台打开的 Excel 中导入 Python 函数（KP_ITEM_SCORE 等）并保存，
    再在已打开的 Excel 中重新加载。导入期间临时打开“信任对 VBA 工程对象模型的访问”，
    完成后（包括出错时）恢复原来的设置。升级 Python 或本工具后请重新运行。
    macOS：复制到启动文件夹（自定义函数只能在 Windows 上用）。
    """
    from xlplugin.install import install_addin

    result = install_addin(addin_file)
    click.echo(f"已安装加载项：{result.target}")
    if result.udfs_imported:
        click.echo("已把 Python 函数（KP_ITEM_SCORE 等）导入加载项并保存。")
    if result.trust_restored:
        click.echo("“信任对 VBA 工程对象模型的访问”已恢复原来的设置。")
    if result.reopened:
        click.echo("已在打开的 Excel 中重新加载，功能区有“考评定级”选项卡。")
    else:
        click.echo("请启动（或重新启动）Excel，功能区会出现“考评定级”选项卡。")


def register(group: click.Group) -> None:
    """Add this module's commands to the ``branch-assess`` group."""
    group.add_command(recalc_command)
    group.add_command(addin_group)
