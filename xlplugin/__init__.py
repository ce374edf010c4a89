"""The Excel plug-in: xlwings UDFs, the ribbon's ``main()`` and the add-in. Only place that imports xlwings.

Importing this package needs no xlwings; ``main`` imports it when the ribbon button runs.
"""

from __future__ import annotations

import locale
import os
import sys
import traceback

DEBUG_ENV = "BRANCH_ASSESS_DEBUG"
EXIT_FAILED = 1


def main() -> None:
    """The ribbon button: do what fits the active workbook (see ``xlplugin.ribbon``).

    The ribbon add-in (``xlplugin.xlam``) runs ``import xlplugin; xlplugin.main()`` through
    xlwings' ``RunPython``, which starts Python with stderr redirected to a log file and, when
    the exit code is not 0, shows that file in a message box. So any failure here, from
    importing xlwings to the last message box, ends as one Chinese line on stderr and exit
    code 1, never as a traceback.
    """
    try:
        _press()
    except BaseException as error:  # everything must end in one line
        if isinstance(error, SystemExit) and error.code in (None, 0):
            raise
        _fail(failure_line(error))
        if os.environ.get(DEBUG_ENV):
            traceback.print_exc()
        sys.exit(EXIT_FAILED)


def _press() -> None:
    try:
        import xlwings as xw
    except Exception as error:  # ImportError, or a broken xlwings/pywin32 installation
        raise _StepError(
            "无法载入 xlwings（请运行 pip install branch-assessment[excel]）", error
        ) from None
    from .ribbon import press_button

    try:
        book = xw.Book.caller()
    except Exception as error:
        raise _StepError(
            "无法连接到 Excel 中的当前工作簿（请在 Excel 中点击按钮）", error
        ) from None
    press_button(book)


class _StepError(Exception):
    """A failure at a named step outside the project's own code (xlwings, Excel)."""

    def __init__(self, what: str, cause: BaseException) -> None:
        super().__init__(what)
        self.what = what
        self.cause = cause


def failure_line(error: BaseException) -> str:
    """One Chinese line that says what failed."""
    from workbook.errors import BranchAssessError

    if isinstance(error, _StepError):
        detail = f"{type(error.cause).__name__}: {error.cause}"
        return _one_line(f"错误：{error.what}。{detail}")
    if isinstance(error, BranchAssessError):
        return _one_line(f"错误：{error}")
    if isinstance(error, KeyboardInterrupt):
        return "已中断。"
    return _one_line(
        f"内部错误：{type(error).__name__}: {error}。请把这条信息和所用文件发给维护人员。"
    )


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def _fail(line: str) -> None:
    """Write ``line`` to stderr in the encoding the add-in reads the log file with.

    On Windows the VBA reads the log with ``Line Input``, i.e. in the ANSI code page (GBK on a
    Chinese Windows), whatever Python's own stderr encoding is (UTF-8 mode changes it).
    """
    encoding = locale.getencoding() if sys.platform == "win32" else "utf-8"
    data = (line + "\n").encode(encoding, errors="replace")
    try:
        sys.stderr.flush()
        sys.stderr.buffer.write(data)
        sys.stderr.buffer.flush()
    except (AttributeError, OSError, ValueError):  # no binary stderr (pythonw, a test capture)
        print(line, file=sys.stderr)
