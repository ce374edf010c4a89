"""What every command shares: click settings, exit codes, the standard option."""

from __future__ import annotations

from collections.abc import Callable
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


def standard_option(help_text: str = "考评标准编号。") -> Callable[[F], F]:
    """The ``--standard ID`` option, the same in every command that reads or writes workbooks."""
    return click.option(
        "--standard",
        "standard_id",
        default=DEFAULT_STANDARD_ID,
        show_default=True,
        metavar="编号",
        help=help_text,
    )
