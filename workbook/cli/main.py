"""The ``branch-assess`` command line: thin shells over the core.

Each command parses its options, calls the core, and turns a ``BranchAssessError`` into a
Chinese message and a non-zero exit code. No traceback ever reaches a user (set
``BRANCH_ASSESS_DEBUG=1`` to see one).
"""

from __future__ import annotations

import gc
import os
import sys
import traceback

import click

from workbook.cli import help_format
from workbook.cli import i18n as cli_i18n
from workbook.cli.options import (
    CONTEXT_SETTINGS,
    EXIT_INTERNAL,
    EXIT_PROBLEMS,
    refuse_empty_paths,
)
from workbook.errors import BranchAssessError
from workbook.xlsx.text import visible_text

__all__ = [
    "cli",
    "main",
    "run",
]


@click.group(
    context_settings=CONTEXT_SETTINGS, options_metavar="[选项]", subcommand_metavar="命令 [参数]..."
)
# The version comes from the installed package's metadata, looked up only when asked for.
@click.version_option(
    None,
    "-V",
    "--version",
    package_name="branch-assessment",
    prog_name="branch-assess",
    message="%(prog)s 版本 %(version)s",
    help="显示版本并退出。",
)
def cli() -> None:
    """支部规范化建设考评定级工具。

    按考评标准（默认为自带的 anji-2012-6，或用 --standard-file 指定自定义的标准文件）生成考评定级表模板、
    计算各项目得分和等级、汇总各支部结果并发送给上级组织部门。
    """


def _register_commands() -> None:
    from workbook.cli.addin import addin_group
    from workbook.cli.consolidate import consolidate_command
    from workbook.cli.demo import demo_command
    from workbook.cli.email import email_command
    from workbook.cli.history import history_command
    from workbook.cli.recalc import recalc_command
    from workbook.cli.standard import standard_group
    from workbook.cli.survey import survey_group
    from workbook.cli.template import template_command

    for command in (
        template_command,
        recalc_command,
        addin_group,
        consolidate_command,
        email_command,
        demo_command,
        history_command,
        survey_group,
        standard_group,
    ):
        cli.add_command(command)
    help_format.use_for(cli)
    refuse_empty_paths(cli)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``branch-assess``: runs the CLI and maps errors to exit codes."""
    cli_i18n.install()  # click's own messages in Chinese, installed here, not at import
    try:
        # Without standalone mode click returns (not raises) the code of ctx.exit(n).
        result = cli.main(args=argv, prog_name="branch-assess", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("已取消。", err=True)
        return EXIT_PROBLEMS
    except click.exceptions.Exit as exit_:
        return exit_.exit_code
    except click.MissingParameter as error:
        # click composes this message itself ("缺少参数 'X'."): said here in Chinese wording.
        _missing(error).show()
        return error.exit_code
    except click.BadParameter as error:
        _bad_parameter(error).show()
        return error.exit_code
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


def _missing(error: click.MissingParameter) -> click.UsageError:
    """A missing argument or option as ``缺少参数“输入文件或文件夹”。`` (click writes English quotes
    and a full stop around the Chinese name)."""
    param = error.param
    if isinstance(param, click.Option):
        kind, name = "选项", " / ".join(param.opts)
    elif param is not None and error.ctx is not None:
        kind, name = "参数", param.make_metavar(error.ctx).removesuffix("...")
    else:
        return click.UsageError(error.format_message(), error.ctx)
    return click.UsageError(f"缺少{kind}“{name}”。", error.ctx)


def _bad_parameter(error: click.BadParameter) -> click.UsageError:
    """A wrong value as ``“--year”的值无效：…`` (click quotes the option's name in English
    quotes, ``'--year' 的值无效``)."""
    param, hint = error.param, error.param_hint
    if isinstance(hint, str):
        name = hint.strip("'")
    elif hint is not None:
        name = " / ".join(str(h) for h in hint)
    elif isinstance(param, click.Option):
        name = " / ".join(param.opts)
    elif param is not None and error.ctx is not None:
        name = param.make_metavar(error.ctx).removesuffix("...")
    else:
        return click.UsageError(error.format_message(), error.ctx)
    return click.UsageError(f"“{name}”的值无效：{error.message}", error.ctx)


def run() -> None:
    """Console-script wrapper: exit with ``main``'s code."""
    code = main()
    # The process ends here, its outputs written and closed: the objects it leaves are the
    # operating system's to free. Frozen, the cyclic collector does not walk them all once more
    # on the way out (0.1-0.25 s after consolidating 1,000 files).
    gc.freeze()
    sys.exit(code)
