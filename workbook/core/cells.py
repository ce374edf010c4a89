"""One edge for cell values and cell addresses, used by every reader, writer and the Excel
adapter. Pure: no I/O (``xlsx/cells.py`` reads formulas and error values from worksheet XML).

- ``CellRef`` with one A1 parser and formatter (``parse_a1``, ``parse_reference``, ``a1``);
- ``normalise``: a cell value as the engine takes it, whichever library read it;
- the two values a spreadsheet cell can hold that are no input: an error value
  (``CellError``, e.g. ``#N/A``) and a formula whose result the file does not hold
  (``UncachedFormula``); a formula whose result the file holds is read as ``FormulaValue``
  and counted by its result, with a warning;
- ``describe``: a value as a message shows it.

pandas' ``_convert_cell`` is the model: nothing past this edge knows which library read a cell.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from collections.abc import Mapping
from typing import NamedTuple

__all__ = [
    "ERROR_CODES",
    "FILL_NUMBER",
    "FILL_TEXT",
    "FILL_YES_NO",
    "CellError",
    "CellRef",
    "FormulaValue",
    "UncachedFormula",
    "a1",
    "column_index",
    "column_letters",
    "describe",
    "error_value_message",
    "formula_text",
    "formula_warning",
    "normalise",
    "parse_a1",
    "parse_reference",
    "uncached_formula_message",
    "unquote_sheet",
    "unwrap_formulas",
]

# Excel's error values (what a cell shows when its formula fails), as OOXML writes them.
ERROR_CODES = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#UNKNOWN!",
        "#BUSY!",
        "#PYTHON!",
    }
)

_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
_MAX_ROWS, _MAX_COLS = 1_048_576, 16_384


def column_letters(col: int) -> str:
    """0-based column index to letters: 0 -> A, 27 -> AB."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """Column letters to a 0-based index: A -> 0, AB -> 27."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


@functools.lru_cache(maxsize=4096)
def a1(row: int, col: int) -> str:
    """0-based row and column to an A1 address: (4, 4) -> E5."""
    return f"{column_letters(col)}{row + 1}"


@functools.lru_cache(maxsize=4096)
def parse_a1(cell: str) -> tuple[int, int] | None:
    """``$E$5`` or ``E5`` -> (4, 4), 0-based; None for anything that is not a single cell."""
    match = _A1.match(cell)
    if not match:
        return None
    row, col = int(match.group(2)) - 1, column_index(match.group(1))
    if not (0 <= row < _MAX_ROWS and 0 <= col < _MAX_COLS):
        return None
    return row, col


def unquote_sheet(text: str) -> str | None:
    """The sheet part of a reference as a name: ``'第一支部'`` -> 第一支部; None if malformed.

    A leading ``=`` (and whitespace before it) is allowed, as in ``='第一支部'!$E$5``.
    """
    sheet = text.lstrip().lstrip("=")
    if sheet.startswith("'") and sheet.endswith("'") and len(sheet) >= 2:
        inner = sheet[1:-1]
        return inner.replace("''", "'") if "'" not in inner.replace("''", "") else None
    if not sheet or "'" in sheet:
        return None
    return sheet


class CellRef(NamedTuple):
    """A cell of a sheet (0-based row and column)."""

    sheet: str
    row: int
    col: int

    @property
    def a1(self) -> str:
        """The cell's A1 address, e.g. ``F7``."""
        return a1(self.row, self.col)

    @property
    def label(self) -> str:
        """``sheet!cell`` as users read it, e.g. ``第一支部!F7``."""
        return f"{self.sheet}!{self.a1}"


def parse_reference(text: str) -> CellRef | None:
    """``='第一支部'!$E$5`` -> CellRef(第一支部, 4, 4); None unless a single cell of one sheet."""
    sheet_text, bang, cell = text.strip().rpartition("!")
    if not bang:
        return None
    sheet = unquote_sheet(sheet_text)
    position = parse_a1(cell.rstrip())
    if sheet is None or position is None:
        return None
    return CellRef(sheet, *position)


class CellError(NamedTuple):
    """An error value in a cell (``#N/A``, ``#DIV/0!`` …): never an input."""

    code: str

    def __str__(self) -> str:
        return self.code


class UncachedFormula(NamedTuple):
    """A formula whose result the file does not hold (saved by a program that does not
    calculate): its value is unknown, so it is never an input."""

    formula: str

    def __str__(self) -> str:
        return formula_text(self.formula)


class FormulaValue(NamedTuple):
    """A formula cell as a reader gives it: the formula and the result the file holds."""

    formula: str
    value: object


def formula_text(formula: str) -> str:
    """A formula as the user typed it: ``1+1`` -> ``=1+1`` (a shared formula's copy, whose text
    is in another cell: 共享公式)."""
    formula = formula.strip()
    if not formula:
        return "（共享公式）"
    return formula if formula.startswith("=") else "=" + formula


# Cell value types passed through as they are (a plain date is not: it becomes a datetime).
_PLAIN_VALUE_TYPES = frozenset(
    {float, int, str, bool, _dt.datetime, _dt.time, _dt.timedelta, CellError, UncachedFormula}
)


def normalise(value: object, *, error_strings: bool = False) -> object:
    """One cell value as the engine takes it, whichever library read it.

    None for blank; int/float, str, bool, datetime (a date becomes midnight: calamine gives
    dates, openpyxl and Excel datetimes), time, timedelta; ``CellError`` and
    ``UncachedFormula`` as they are. Anything else becomes its text.

    Args:
        value: the value as a library gives it.
        error_strings: the library gives error values as their text (Excel through xlwings
            with ``err_to_str``, openpyxl for a cell of type ``e``): ``"#N/A"`` becomes
            ``CellError("#N/A")``.
    """
    if value is None or value == "":
        return None
    kind = type(value)
    if kind is str:
        if error_strings and value in ERROR_CODES:
            return CellError(value)
        return value
    if kind in _PLAIN_VALUE_TYPES:  # nearly every cell: decided without isinstance
        return value
    if isinstance(value, FormulaValue):
        return FormulaValue(value.formula, normalise(value.value, error_strings=error_strings))
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return _dt.datetime.combine(value, _dt.time())
    if isinstance(value, _dt.datetime | _dt.time | _dt.timedelta | bool | int | float | str):
        return value
    return str(value)


def unwrap_formulas(values: Mapping[str, object]) -> tuple[dict[str, object], dict[str, str]]:
    """Values with every ``FormulaValue`` replaced by its result, and name -> formula of those."""
    plain: dict[str, object] = {}
    formulas: dict[str, str] = {}
    for name, value in values.items():
        if isinstance(value, FormulaValue):
            formulas[name] = value.formula
            plain[name] = value.value
        else:
            plain[name] = value
    return plain, formulas


def describe(raw: object) -> str:
    """A cell value as the user sees it, for messages: 16.0 -> 16, a midnight date -> 2026-01-05."""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, _dt.datetime):
        if raw.time() == _dt.time():
            return raw.date().isoformat()
        return raw.isoformat(sep=" ", timespec="seconds" if raw.second else "minutes")
    if isinstance(raw, _dt.time):
        return raw.isoformat(timespec="seconds" if raw.second else "minutes")
    return str(raw)


# What to type instead, by the kind of cell: a number, 是/否 (否决项) or text (支部名称, 说明).
FILL_NUMBER, FILL_YES_NO, FILL_TEXT = "数值", "“是”或“否”", "文字"


def uncached_formula_message(value: UncachedFormula, fill: str = FILL_NUMBER) -> str:
    """Why a formula without a result is not read, and what to do (``fill``: what to type)."""
    return (
        f"单元格是公式“{value}”，但文件中没有保存它的计算结果（文件可能由不计算公式的程序保存）；"
        f"请在 Excel 或 WPS 中打开并保存该文件，或直接填写{fill}"
    )


def error_value_message(value: CellError, fill: str = FILL_NUMBER) -> str:
    """Why an error value is not read, and what to do (``fill``: what to type instead)."""
    return f"单元格显示错误值 {value.code}（公式出错或引用无效），不能作为输入；请直接填写{fill}"


def formula_warning(formula: str, value: object, fill: str = FILL_NUMBER) -> str:
    """The warning for an input cell holding a formula whose result is used (``fill``: what
    to type instead)."""
    shown = "空白" if value is None else f"“{describe(value)}”"
    return (
        f"输入单元格是公式“{formula_text(formula)}”，已按文件中保存的计算结果{shown}读取；"
        f"建议直接填写{fill}"
    )
