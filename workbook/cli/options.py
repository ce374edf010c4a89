"""What every command shares: click settings, exit codes, and the options that more than one
command takes (``--standard``/``--standard-file``, ``--branch``/``--branches-file``, ``--year``,
``--rename-map``, ``--overwrite``): each is defined once here, with one help text and one
validation."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from workbook.core.standard import DEFAULT_STANDARD_ID

EXIT_PROBLEMS = 1  # invalid input or a failed operation the user can fix
EXIT_INTERNAL = 2  # a bug: reported without a traceback

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

F = TypeVar("F", bound=Callable[..., Any])


class ProblemsFound(click.ClickException):
    """The inputs have problems (already printed); exit 1 with a closing remark."""

    exit_code = EXIT_PROBLEMS

    def show(self, file: object = None) -> None:
        click.echo(self.message, err=True)


class NonEmptyPath(click.Path):
    """``click.Path`` that refuses an empty argument: ``""`` would otherwise become ``.``, the
    current folder (a script's unset variable, ``consolidate "$DIR"``, summarised whatever
    workbooks lay there)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str | bytes) and not value.strip():
            self.fail("路径为空，应为文件或文件夹的路径", param, ctx)
        return super().convert(value, param, ctx)


def refuse_empty_paths(command: click.Command) -> None:
    """Make every path argument and option of ``command`` and its subcommands a
    ``NonEmptyPath`` with the same settings."""
    commands = [command]
    while commands:
        each = commands.pop()
        if isinstance(each, click.Group):
            commands.extend(each.commands.values())
        for param in each.params:
            kind = param.type
            if isinstance(kind, click.Path) and not isinstance(kind, NonEmptyPath):
                param.type = NonEmptyPath(
                    exists=kind.exists,
                    file_okay=kind.file_okay,
                    dir_okay=kind.dir_okay,
                    writable=kind.writable,
                    readable=kind.readable,
                    resolve_path=kind.resolve_path,
                    allow_dash=kind.allow_dash,
                    path_type=kind.type,
                    executable=kind.executable,
                )


def standard_option(help_text: str = "考评标准编号。") -> Callable[[F], F]:
    """``--standard ID`` and ``--standard-file FILE`` (one or the other), the same in every command
    that reads or writes workbooks. The command gets ``standard_id``: the file's standard is used
    wherever its id is asked for (``use_standard_file``)."""

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def wrapper(
            *args: Any, standard_id: str | None, standard_file: Path | None, **kwargs: Any
        ) -> Any:
            if standard_file is not None:
                if standard_id is not None:
                    raise click.UsageError("--standard 和 --standard-file 只能指定一个")
                from workbook.core.standard import use_standard_file

                standard_id = use_standard_file(standard_file).id
            return command(*args, standard_id=standard_id or DEFAULT_STANDARD_ID, **kwargs)

        with_file = click.option(
            "--standard-file",
            "standard_file",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            metavar="文件",
            help="自定义的标准文件（TOML），代替 --standard；可先用“branch-assess standard check 文件”检查。",
        )(wrapper)
        return click.option(  # type: ignore[return-value]
            "--standard",
            "standard_id",
            default=None,
            metavar="编号",
            help=f"{help_text}默认 {DEFAULT_STANDARD_ID}。",
        )(with_file)

    return decorate


def _use_standard_file(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        from workbook.core.standard import use_standard_file

        use_standard_file(value)


def standard_file_option() -> Callable[[F], F]:
    """``--standard-file FILE`` alone, for commands that take the standard's id from the workbook
    (``recalc``): the file's standard is used wherever its id is asked for."""
    return click.option(
        "--standard-file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        expose_value=False,
        callback=_use_standard_file,
        metavar="文件",
        help="工作簿按自定义的标准文件（TOML）生成时，给出该文件。",
    )


def branches_options(function: F) -> F:
    """``--branch NAME`` (repeatable) and ``--branches-file FILE``; the command gets ``branches``
    and ``branches_file`` and turns them into names with :func:`branch_names`."""
    function = click.option(
        "--branches-file",
        type=click.Path(dir_okay=False, readable=False, path_type=Path),
        metavar="文件",
        help="支部名单文件（UTF-8 文本，每行一个支部名称，空行忽略）。",
    )(function)
    return click.option(
        "--branch", "branches", multiple=True, metavar="名称", help="支部名称，可重复多次。"
    )(function)


def branch_names(branches: tuple[str, ...], branches_file: Path | None) -> list[str]:
    """The names of ``--branch`` then those of ``--branches-file``; at least one.

    Raises:
        click.UsageError: neither option gives a name.
        BranchListError: the branches file is unreadable, not text, empty or repeats a name;
            a name holds a tab or a line break.
    """
    from workbook.inputs.branches import read_branches_file, refuse_control_characters

    refuse_control_characters(branches)
    names = list(branches)
    if branches_file is not None:
        names += read_branches_file(branches_file)
    if not names:
        raise click.UsageError("请用 --branch 或 --branches-file 至少给出一个支部名称。")
    return names


def year_option(function: F) -> F:
    """``--year YEAR`` (2000-2100, default None: the command takes this year)."""
    return click.option(
        "--year",
        type=click.IntRange(2000, 2100),
        default=None,
        metavar="年份",
        help="考评年度，2000～2100（默认今年）。",
    )(function)


RENAME_MAP_FORMAT = "UTF-8 文本，每行“原名称,新名称”（逗号或制表符分隔）"


def rename_map_option(use: str = "与 --previous 一起用") -> Callable[[F], F]:
    """``--rename-map FILE``: branches renamed since an earlier year (read by
    ``workbook.inputs.previous_year.read_rename_map``); ``use`` says when it applies."""
    return click.option(
        "--rename-map",
        type=click.Path(readable=False, path_type=Path),
        metavar="文件",
        help=f"改名表（{use}）：{RENAME_MAP_FORMAT}。",
    )


def overwrite_option(function: F) -> F:
    """``--overwrite``: replace an output file that this command did not write."""
    return click.option(
        "--overwrite",
        is_flag=True,
        help="替换已有的输出文件，即使它不是本命令生成的同类文件"
        "（默认拒绝，以免覆盖已填写的考评定级表）。",
    )(function)
