"""``branch-assess standard check`` / ``install``: validate a custom standard file, and install it
where the Excel add-in (and every command) finds it by its id."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import click

from workbook.cli.options import CONTEXT_SETTINGS, ProblemsFound
from workbook.errors import StandardFileError, describe_os_error

if TYPE_CHECKING:
    from workbook.core.standard import Standard


@click.group(
    "standard",
    context_settings=CONTEXT_SETTINGS,
    options_metavar="[选项]",
    subcommand_metavar="命令 [参数]...",
)
def standard_group() -> None:
    """考评标准文件（TOML）：检查、安装自定义的标准文件。"""


@standard_group.command("check", context_settings=CONTEXT_SETTINGS, options_metavar="[选项]")
@click.argument("file", metavar="文件", type=click.Path(dir_okay=False, path_type=Path))
def check_command(file: Path) -> None:
    """检查标准文件：逐条列出所有问题（行号和键），没有问题时显示其概要。

    通过检查的文件可用 --standard-file 文件 代替 --standard 编号（template、consolidate、recalc）。
    有问题时以状态码 1 退出。键和写法见 docs/standard.md。
    """
    standard = _checked(file)
    rules = len(standard.rules)
    bonus = (
        f"，加分项 {len(standard.bonus.rules)} 条（上限 {standard.bonus.cap} 分）"
        if standard.bonus
        else ""
    )
    grades = "、".join(g.name for g in standard.grades)
    click.echo(
        f"标准文件 {file} 有效：编号 {standard.id}，《{standard.title}》，"
        f"{len(standard.items)} 个项目、{rules} 条评分办法，满分 {standard.total_points} 分，"
        f"等级 {grades}，否决情形 {len(standard.vetoes)} 项{bonus}；"
        f"内容摘要 {standard.content_hash[:12]}。"
    )


def _checked(file: Path) -> Standard:
    """The standard of ``file``, every problem listed (exit 1) if it has any."""
    from workbook.core.standard import STANDARD_FILE_LIMIT, load_standard_file
    from workbook.core.standard_check import check_standard_text, problem_text

    try:
        with file.open("rb") as handle:
            data = handle.read(STANDARD_FILE_LIMIT + 1)  # not /dev/zero until memory runs out
        if len(data) > STANDARD_FILE_LIMIT:
            raise StandardFileError(
                f"标准文件 {file} 超过 {STANDARD_FILE_LIMIT >> 20} MiB，不像标准文件（TOML 文本）"
            )
        text = data.decode("utf-8-sig")
    except OSError as error:
        raise StandardFileError(f"无法读取标准文件 {file}：{describe_os_error(error)}") from None
    except UnicodeDecodeError:
        raise StandardFileError(f"标准文件 {file} 不是 UTF-8 编码的文本") from None
    problems = check_standard_text(text)
    if problems:
        for number, problem in enumerate(problems, start=1):
            click.echo(f"  {number}. {problem_text(problem, str(file))}", err=True)
        raise ProblemsFound(f"标准文件 {file} 有 {len(problems)} 处问题，请改正后重新检查。")
    return load_standard_file(file)


@standard_group.command("install", context_settings=CONTEXT_SETTINGS, options_metavar="[选项]")
@click.argument("file", metavar="文件", type=click.Path(dir_okay=False, path_type=Path))
def install_command(file: Path) -> None:
    """安装自定义的标准文件：检查后复制到本机的标准文件夹，此后按编号即可找到它。

    Excel 加载项的函数（KP_…）和“考评定级”选项卡只能看到工作簿记录的标准编号；用自定义标准
    生成的考评定级表要在 Excel 中计算，须先在该电脑上安装此标准文件。安装后各命令也无需再给
    --standard-file。标准文件夹：环境变量 BRANCH_ASSESS_STANDARDS，默认
    %APPDATA%\\branch-assess\\standards（Windows）或 ~/.config/branch-assess/standards。
    """
    from workbook.atomic import atomic_output
    from workbook.core.standard import available_standards, installed_standards_folder

    standard = _checked(file)
    if standard.id in available_standards():
        raise StandardFileError(
            f"标准文件 {file} 的编号“{standard.id}”与本工具自带的标准相同，安装后也不会被使用；"
            "请在文件中换一个编号（id）"
        )
    from workbook.core.standard import load_standard_file

    target = installed_standards_folder() / f"{standard.id}.toml"
    replaced = target.exists()
    old_hash = None
    if replaced:
        with contextlib.suppress(StandardFileError):  # a broken installed file: just replaced
            old_hash = load_standard_file(target).content_hash
    with atomic_output(target) as temp:
        temp.write_bytes(file.read_bytes())
    click.echo(
        f"已{'更新' if replaced else '安装'}标准 {standard.id}（《{standard.title}》，内容摘要 "
        f"{standard.content_hash[:12]}）：{target}。在 Excel 中重新计算（Ctrl+Alt+F9）即生效。"
    )
    if old_hash is not None and old_hash != standard.content_hash:
        click.echo(
            f"提示：原先安装的标准 {standard.id} 内容不同（内容摘要 {old_hash[:12]}），已被替换；"
            "按原先那个版本生成的考评定级表，在本机 Excel 中的函数将显示标准不同、不再计算，"
            "请用原先的标准文件（--standard-file）计算或汇总它们",
            err=True,
        )
