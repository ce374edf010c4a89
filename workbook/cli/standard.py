"""``branch-assess standard check``: validate a custom standard file."""

from __future__ import annotations

from pathlib import Path

import click

from workbook.cli.options import CONTEXT_SETTINGS, ProblemsFound
from workbook.errors import StandardFileError, describe_os_error


@click.group("standard", context_settings=CONTEXT_SETTINGS, options_metavar="[选项]")
def standard_group() -> None:
    """考评标准文件（TOML）：检查自定义的标准文件。"""


@standard_group.command("check", context_settings=CONTEXT_SETTINGS, options_metavar="[选项]")
@click.argument("file", metavar="文件", type=click.Path(dir_okay=False, path_type=Path))
def check_command(file: Path) -> None:
    """检查标准文件：逐条列出所有问题（行号和键），没有问题时显示其概要。

    \b
    通过检查的文件可用 --standard-file 文件 代替 --standard 编号（template、consolidate、recalc）。
    有问题时以状态码 1 退出。键和写法见 docs/standard.md。
    """
    from workbook.core.standard import load_standard_file
    from workbook.core.standard_check import check_standard_text, problem_text

    try:
        text = file.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise StandardFileError(f"无法读取标准文件 {file}：{describe_os_error(error)}") from None
    except UnicodeDecodeError:
        raise StandardFileError(f"标准文件 {file} 不是 UTF-8 编码的文本") from None
    problems = check_standard_text(text)
    if problems:
        for number, problem in enumerate(problems, start=1):
            click.echo(f"  {number}. {problem_text(problem, str(file))}", err=True)
        raise ProblemsFound(f"标准文件 {file} 有 {len(problems)} 处问题，请改正后重新检查。")
    standard = load_standard_file(file)
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
