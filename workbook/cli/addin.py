"""``branch-assess addin build`` and ``addin install``: the Excel add-in."""

from __future__ import annotations

from pathlib import Path

import click

from workbook.cli.options import CONTEXT_SETTINGS


@click.group(
    "addin",
    context_settings=CONTEXT_SETTINGS,
    options_metavar="[选项]",
    subcommand_metavar="命令 [参数]...",
)
def addin_group() -> None:
    """Excel 加载项（xlplugin.xlam）：生成和安装“考评定级”选项卡。"""


_WORKBOOK_SUFFIXES = {".xlam", ".xla", ".xlsm", ".xlsx", ".xls"}


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
    from workbook.errors import AddinError
    from xlplugin.addin import ADDIN_FILE, build_addin

    if output_dir.suffix.lower() in _WORKBOOK_SUFFIXES and not output_dir.is_dir():
        # A file name given where the folder goes: it would become a folder of that name.
        raise AddinError(
            f"-o 应为输出文件夹，不是文件名：加载项的文件名必须是 {ADDIN_FILE}"
            f"（功能区按钮按文件名调用 xlplugin），请改为 -o {output_dir.parent}，"
            f"将生成 {output_dir.parent / ADDIN_FILE}"
        )
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
