"""Live Excel as a ``RecalcBook``: the same recalculation as ``branch-assess recalc``, through xlwings.

Every call that crosses into Excel is a round trip (slow over COM), so each branch sheet costs a
fixed number of them whatever its contents: one read of the values and one of the formulas of
the block that holds the sheet's named cells, then a handful of writes (marks as multi-area
ranges, protection off and on). Only a note per invalid cell is written cell by cell, because
Excel has no bulk call for notes. The workbook is recalculated once at the end.

Computed cells that hold formulas keep them: Excel recalculates them itself (the UDFs or the
native formulas give the engine's values). A computed cell whose formula was replaced by a
constant gets the engine's value written into it.

Protection and notes go through the platform's object model (``WindowsCalls`` for COM,
``MacCalls`` for AppleScript); everything else uses xlwings' own cross-platform API.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from workbook import names
from workbook.errors import AddinError, BranchAssessError
from workbook.reader import CellRef, column_index
from workbook.recalc import (
    OVERVIEW_SHEET,
    BranchSheetNames,
    Overview,
    RecalcReport,
    SheetUpdate,
    block_bounds,
    recalculate,
    values_in_block,
)
from workbook.template import INPUT_FILL

# Fill of a marked input cell (the file adapter's MARK_RGB) and of a normal input cell (the
# template's input format).
MARK_COLOR = (0xF4, 0xB6, 0xB6)
INPUT_COLOR = (int(INPUT_FILL[1:3], 16), int(INPUT_FILL[3:5], 16), int(INPUT_FILL[5:7], 16))
MAX_ADDRESS = 250  # Excel's Range() takes addresses up to 255 characters
MAX_LISTED_PROBLEMS = 15
TITLE = "考评定级"

_NAME = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!(.+)$")
_REF = re.compile(r"^=?(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Za-z]{1,3})\$?(\d+)$")


class SheetProtectedError(AddinError):
    """A branch sheet is protected with a password, so the add-in cannot write to it."""


def _split_scoped(text: str) -> tuple[str | None, str]:
    """``'第一支部'!branch_name`` -> ("第一支部", "branch_name"); a global name has no sheet."""
    match = _NAME.match(text)
    if not match:
        return None, text
    sheet = match.group(1).replace("''", "'") if match.group(1) is not None else match.group(2)
    return sheet, match.group(3)


def _parse_ref(text: str) -> CellRef | None:
    match = _REF.match(text.strip())
    if not match:
        return None
    sheet = match.group(1).replace("''", "'") if match.group(1) is not None else match.group(2)
    return CellRef(sheet, int(match.group(4)) - 1, column_index(match.group(3)))


def _addresses(refs: Iterable[CellRef]) -> list[str]:
    """Multi-area addresses (``E5,E9,E28``) of at most MAX_ADDRESS characters each."""
    chunks: list[str] = []
    current = ""
    for ref in refs:
        piece = ref.a1 if not current else "," + ref.a1
        if len(current) + len(piece) > MAX_ADDRESS:
            chunks.append(current)
            current = ref.a1
        else:
            current += piece
    if current:
        chunks.append(current)
    return chunks


def _excel_value(value: object) -> object:
    return float(value) if isinstance(value, Decimal) else value


class WindowsCalls:
    """Sheet protection and notes through Excel's COM object model (pywin32)."""

    @staticmethod
    def is_protected(sheet: Any) -> bool:
        return bool(sheet.api.ProtectContents)

    @staticmethod
    def protection_options(sheet: Any) -> tuple[bool, bool]:
        protection = sheet.api.Protection
        return bool(protection.AllowFormattingColumns), bool(protection.AllowFormattingRows)

    @staticmethod
    def unprotect(sheet: Any) -> None:
        sheet.api.Unprotect()

    @staticmethod
    def protect(sheet: Any, columns: bool, rows: bool) -> None:
        sheet.api.Protect(
            DrawingObjects=True,
            Contents=True,
            Scenarios=True,
            AllowFormattingColumns=columns,
            AllowFormattingRows=rows,
        )

    @staticmethod
    def clear_notes(rng: Any) -> None:
        rng.api.ClearComments()

    @staticmethod
    def add_note(rng: Any, text: str) -> None:
        rng.api.AddComment(text)


class MacCalls:
    """The same through Excel for Mac's AppleScript object model (appscript).

    Untested here (no Mac in CI); the names follow Excel's AppleScript dictionary as xlwings'
    own ``_xlmac`` uses it. A failure ends in the add-in's message box, never a traceback.
    """

    @staticmethod
    def is_protected(sheet: Any) -> bool:
        return bool(sheet.api.protect_contents.get())

    @staticmethod
    def protection_options(sheet: Any) -> tuple[bool, bool]:
        return True, True  # the template's settings; AppleScript does not expose them

    @staticmethod
    def unprotect(sheet: Any) -> None:
        sheet.api.unprotect()

    @staticmethod
    def protect(sheet: Any, columns: bool, rows: bool) -> None:
        sheet.api.protect_worksheet(
            drawing_objects=True,
            contents=True,
            scenarios=True,
            allow_formatting_columns=columns,
            allow_formatting_rows=rows,
        )

    @staticmethod
    def clear_notes(rng: Any) -> None:
        rng.api.clear_Excel_comments()

    @staticmethod
    def add_note(rng: Any, text: str) -> None:
        rng.api.add_comment(comment_text=text)


class ExcelBook:
    """An open xlwings ``Book`` as a ``RecalcBook``."""

    def __init__(self, book: Any, platform: str = sys.platform) -> None:
        self.book = book
        self.calls: type[WindowsCalls] | type[MacCalls] = (
            MacCalls if platform == "darwin" else WindowsCalls
        )
        self._formulas: dict[str, tuple[CellRef, list[list[str]]]] = {}

    def standard_id(self) -> str | None:
        try:
            value = self.book.api.CustomDocumentProperties(names.PROP_STANDARD).Value
        except Exception:  # no such property, or not available on this platform
            return None
        return str(value) if value else None

    def branch_sheets(self) -> list[BranchSheetNames]:
        order = [sheet.name for sheet in self.book.sheets]
        local: dict[str, dict[str, CellRef]] = {sheet: {} for sheet in order}
        for name in self.book.names:
            sheet, short = _split_scoped(name.name)
            if sheet not in local:
                continue
            ref = _parse_ref(name.refers_to)
            if ref is not None and ref.sheet == sheet:
                local[sheet][short] = ref
        return [
            BranchSheetNames(sheet, cells)
            for sheet, cells in local.items()
            if names.BRANCH_NAME in cells
        ]

    def read_cells(self, entry: BranchSheetNames, wanted: Sequence[str]) -> dict[str, object]:
        first, last = block_bounds(entry.cells)
        block = self.read_block(entry.sheet, first, last)
        return values_in_block(block, first, entry.cells, wanted)

    def read_block(self, sheet: str, first: CellRef, last: CellRef) -> list[list[object]]:
        """The values of a block of cells in one read; its formulas are kept for writing."""
        rng = self.book.sheets[sheet].range(
            (first.row + 1, first.col + 1), (last.row + 1, last.col + 1)
        )
        values = rng.options(ndim=2).value
        formulas = rng.formula
        if formulas and not isinstance(formulas[0], list | tuple):
            formulas = (formulas,)
        self._formulas[sheet] = (first, [list(row) for row in formulas])
        return [list(row) for row in values]

    def _has_formula(self, sheet: str, ref: CellRef) -> bool:
        first, formulas = self._formulas.get(sheet, (ref, []))
        r, c = ref.row - first.row, ref.col - first.col
        if 0 <= r < len(formulas) and 0 <= c < len(formulas[r]):
            return str(formulas[r][c]).startswith("=")
        return False

    def write_sheet(self, update: SheetUpdate) -> None:
        sheet = self.book.sheets[update.sheet]
        calls = self.calls
        protected = calls.is_protected(sheet)
        if protected:
            columns, rows = calls.protection_options(sheet)
            try:
                calls.unprotect(sheet)
            except Exception:  # a password: Excel refuses
                raise SheetProtectedError(
                    f"工作表“{update.sheet}”受密码保护，无法写入计算结果；"
                    "请先在“审阅”选项卡中撤销工作表保护，再点击“重新计算等级”"
                ) from None
        try:
            for ref, value in update.outputs.values():
                if not self._has_formula(update.sheet, ref):
                    sheet.range(ref.a1).value = _excel_value(value)
            inputs = list(update.marks) + list(update.unmarks)
            for address in _addresses(inputs):
                calls.clear_notes(sheet.range(address))
            for address in _addresses(update.unmarks):
                sheet.range(address).color = INPUT_COLOR
            for address in _addresses(update.marks):
                sheet.range(address).color = MARK_COLOR
            for ref, note in update.marks.items():
                calls.add_note(sheet.range(ref.a1), note)
        finally:
            if protected:
                calls.protect(sheet, columns, rows)

    def write_overview(self, overview: Overview) -> None:
        existing = [sheet.name for sheet in self.book.sheets]
        if OVERVIEW_SHEET in existing:
            sheet = self.book.sheets[OVERVIEW_SHEET]
            sheet.clear_contents()
        else:
            sheet = self.book.sheets.add(OVERVIEW_SHEET, after=self.book.sheets[-1])
        rows = [list(overview.header)] + [[_excel_value(v) for v in row] for row in overview.rows]
        sheet.range("A1").value = rows


def report_text(report: RecalcReport) -> str:
    """The message box text: the summary and where the problems are."""
    lines = [report.summary()]
    problems = report.problems
    if problems:
        lines.append("")
        lines += [str(p) for p in problems[:MAX_LISTED_PROBLEMS]]
        if len(problems) > MAX_LISTED_PROBLEMS:
            lines.append(f"……另有 {len(problems) - MAX_LISTED_PROBLEMS} 处，详见“总览”工作表。")
        lines.append("")
        lines.append("输入有误的单元格已标成红色底纹并附批注；改正后请再次点击“重新计算等级”。")
    else:
        lines.append("各支部得分、定级和扣分情况见“总览”工作表。")
    return "\n".join(lines)


def recalc_excel_book(book: Any) -> RecalcReport | None:
    """Recalculate an open workbook and end with one message box; never raises into Excel."""
    app = book.app
    app.screen_updating = False
    try:
        report = recalculate(ExcelBook(book))
        app.calculate()  # the formula cells (UDFs or native) show the new values
    except BranchAssessError as error:
        app.screen_updating = True
        app.alert(f"错误：{error}", title=TITLE, buttons="ok", mode="critical")
        return None
    except Exception as error:  # a bug: say so plainly in Excel, no traceback
        app.screen_updating = True
        app.alert(
            f"内部错误：{type(error).__name__}: {error}。请把这条信息和所用文件发给维护人员。",
            title=TITLE,
            buttons="ok",
            mode="critical",
        )
        return None
    app.screen_updating = True
    app.alert(
        report_text(report),
        title=TITLE,
        buttons="ok",
        mode="critical" if report.problems else "info",
    )
    return report
