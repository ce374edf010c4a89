"""The ``branch-assess`` command line: thin shells over the core.

Each command parses its options, calls the core, and turns a ``BranchAssessError`` into a
Chinese message and a non-zero exit code. No traceback ever reaches a user (set
``BRANCH_ASSESS_DEBUG=1`` to see one).
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import click

from . import cli_i18n
from .cell_text import visible_text
from .errors import BranchAssessError
from .formulas import FORMULA_MODES
from .standard import DEFAULT_STANDARD_ID

cli_i18n.install()

EXIT_PROBLEMS = 1  # invalid input or a failed operation the user can fix
EXIT_INTERNAL = 2  # a bug: reported without a traceback

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(
    context_settings=CONTEXT_SETTINGS, options_metavar="[选项]", subcommand_metavar="命令 [参数]..."
)
# The version comes from the installed package's metadata, looked up only when asked for.
@click.version_option(
    None, "-V", "--version", package_name="branch-assessment", prog_name="branch-assess"
)
def cli() -> None:
    """支部（党员服务中心）规范化建设考评定级工具。

    依据安个民协党委〔2012〕6号附件《考评定级标准》：生成考评定级表模板、计算各项目得分和等级、
    汇总各支部结果并发送给县委组织部。
    """


@cli.command("template", context_settings=CONTEXT_SETTINGS, options_metavar="[选项]")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(readable=False, path_type=Path),
    metavar="文件",
    help="输出的模板文件（.xlsx）。",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="替换已有的输出文件，即使它不是本命令生成的同类文件（默认拒绝，以免覆盖已填写的考评定级表）。",
)
@click.option("--branch", "branches", multiple=True, metavar="名称", help="支部名称，可重复多次。")
@click.option(
    "--branches-file",
    type=click.Path(dir_okay=False, readable=False, path_type=Path),
    metavar="文件",
    help="支部名单文件（UTF-8 文本，每行一个支部名称，空行忽略）。",
)
@click.option(
    "--year",
    type=click.IntRange(2000, 2100),
    default=None,
    metavar="年份",
    help="考评年度，2000～2100（默认今年）。",
)
@click.option(
    "--formulas",
    type=click.Choice(FORMULA_MODES),
    default="xlwings",
    show_default=True,
    help="xlwings：调用加载项函数（需安装加载项）；native：仅用内置函数（WPS、LibreOffice、未装加载项的 Excel 均可计算）。",
)
@click.option(
    "--standard",
    "standard_id",
    default=DEFAULT_STANDARD_ID,
    show_default=True,
    metavar="编号",
    help="考评标准编号。",
)
def template_command(
    output: Path,
    overwrite: bool,
    branches: tuple[str, ...],
    branches_file: Path | None,
    year: int | None,
    formulas: str,
    standard_id: str,
) -> None:
    """生成考评定级表模板：一个“填表说明”工作表，每个支部一个工作表。"""
    import datetime

    from .atomic import check_suffix, refuse_replacing, resolve_target
    from .branches import read_branches_file
    from .template import TemplateOptions, write_template

    check_suffix(output, (".xlsx",), "模板文件")
    resolve_target(output)
    if not overwrite:
        refuse_replacing(output, "模板文件")
    names = list(branches)
    if branches_file is not None:
        names += read_branches_file(branches_file)
    if not names:
        raise click.UsageError("请用 --branch 或 --branches-file 至少给出一个支部名称。")
    options = TemplateOptions(
        branches=names,
        year=year or datetime.date.today().year,
        formulas=formulas,  # type: ignore[arg-type]
        standard_id=standard_id,
    )
    path = write_template(output, options)
    click.echo(
        f"已生成模板：{path}（{len(names)} 个支部，{options.year} 年度，公式方式 {formulas}）"
    )


def _register_other_commands() -> None:
    # Commands of the plug-in and consolidation parts live in their own modules.
    from . import cli_plugin, cli_summary

    cli_plugin.register(cli)
    cli_summary.register(cli)


_register_other_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``branch-assess``: runs the CLI and maps errors to exit codes."""
    try:
        # Without standalone mode click returns (not raises) the code of ctx.exit(n).
        result = cli.main(args=argv, prog_name="branch-assess", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("已取消。", err=True)
        return EXIT_PROBLEMS
    except click.exceptions.Exit as exit_:
        return exit_.exit_code
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except BranchAssessError as error:
        # A path with bytes that are not UTF-8 is shown with U+FFFD, not as \udcxx escapes.
        click.echo(visible_text(f"错误：{error}"), err=True)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        click.echo("已中断。", err=True)
        return 130
    except Exception as error:  # a bug: say so plainly, no traceback unless asked
        if os.environ.get("BRANCH_ASSESS_DEBUG"):
            traceback.print_exc()
        click.echo(
            f"内部错误：{type(error).__name__}: {error}。请把这条信息和所用文件发给维护人员"
            "（设置环境变量 BRANCH_ASSESS_DEBUG=1 可显示详细信息）。",
            err=True,
        )
        return EXIT_INTERNAL
    return result if isinstance(result, int) else 0


def run() -> None:
    """Console-script wrapper: exit with ``main``'s code."""
    sys.exit(main())
