"""Live Excel as a ``RecalcBook``: the same recalculation as ``branch-assess recalc``, through xlwings.

Every call that crosses into Excel is a round trip (slow over COM: the ribbon's Python runs in
its own process), so each branch sheet costs a fixed, small number of them whatever its
contents and whatever the number of defined names in the workbook:

- the defined names come from the saved file when the workbook is saved and unchanged, else
  from a copy Excel writes of it (``SaveCopyAs``, one round trip), both parsed with the
  project's own reader; only when neither works, from one pass over ``book.api.Names`` reading
  only ``Name`` and ``RefersTo`` (three round trips per name; xlwings' ``book.names`` would cost
  four: ``Item`` and ``Name`` for its snapshot, then ``Name`` and ``RefersTo``);
- per branch sheet: one read of the values (errors as text) and one of the formulas of the
  block that holds the sheet's named cells; protection off (``Unprotect("")``: a password fails
  fast instead of prompting) and on; the tool's own notes found in one pass over the sheet's
  notes; fills as multi-area ranges; the computed formulas re-entered once (so Excel binds the
  ``KP_`` functions to the add-in); after Excel's recalculation, one read to check that no
  computed cell shows an error value. A note per invalid cell is the only per-cell call.

Computed cells that hold formulas keep them: Excel recalculates them itself. A computed cell
whose formula was replaced by a constant gets the engine's value written into it. Text is
written with Excel's text prefix ``'`` so that "1-2" stays text and is not read as a date.

Protection, page setup and panes go through the platform's object model (``WindowsCalls`` for
COM, ``MacCalls`` for AppleScript); values, formulas, fills, fonts, widths and notes use xlwings'
own cross-platform API.
"""

from __future__ import annotations

import contextlib
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from workbook.core import names
from workbook.core.cells import ERROR_CODES, CellRef, column_letters, parse_reference
from workbook.core.layout import HEADER_FILL, INPUT_FILL, MARK_FILL, rgb
from workbook.errors import AddinError, WorkbookReadError
from workbook.inputs.sheet_contract import is_contract_name
from workbook.outputs.recalc import (
    OVERVIEW_SHEET,
    BranchSheetNames,
    Overview,
    RecalcReport,
    SheetUpdate,
    block_bounds,
    free_sheet_title,
    recalculate,
    values_in_block,
)
from workbook.xlsx.cells import MergedRange
from workbook.xlsx.workbook_info import PackageInfo, read_package_info

# Fill of a marked input cell (the file adapter's MARK_RGB) and of a normal input cell (the
# template's input format).
MARK_COLOR = rgb(MARK_FILL)
INPUT_COLOR = rgb(INPUT_FILL)
HEADER_COLOR = rgb(HEADER_FILL)  # the header fill of 总览 in the file path too
MAX_ADDRESS = 250  # Excel's Range() takes addresses up to 255 characters
MAX_LISTED_PROBLEMS = 15
TITLE = "考评定级"
NOTE_AUTHOR = "考评定级"  # the author of the notes the file path (``recalc``) writes
# Error values as xlwings reads them with err_to_str=True (its ``cell_errors``, and more).
ERROR_VALUES = ERROR_CODES
# Read options: errors as text; chunksize given so xlwings does not ask Excel for the shape.
READ_OPTIONS: dict[str, Any] = {"ndim": 2, "err_to_str": True, "chunksize": None}
SAVED_SUFFIXES = (".xlsx", ".xlsm")

_NAME = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!(.+)$")


class SheetProtectedError(AddinError):
    """A branch sheet is protected with a password, so the add-in cannot write to it."""


class ComputedCellError(AddinError):
    """After Excel's recalculation a computed cell shows an error value."""


def _split_scoped(text: str) -> tuple[str | None, str]:
    """``'第一支部'!branch_name`` -> ("第一支部", "branch_name"); a global name has no sheet."""
    match = _NAME.match(text)
    if not match:
        return None, text
    sheet = match.group(1).replace("''", "'") if match.group(1) is not None else match.group(2)
    return sheet, match.group(3)


def _quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


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


def excel_value(value: object) -> object:
    """A value as it must be written to Excel: Decimal as float, text with the text prefix.

    Excel parses what is written to ``Range.Value`` as if typed, so "1-2" would become a date
    and "=x" a formula. A leading apostrophe makes Excel keep the rest as text, exactly.
    """
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str) and value:
        return "'" + value
    return value


def _block_address(first: CellRef, last: CellRef) -> str:
    return f"{first.a1}:{last.a1}"


class WindowsCalls:
    """Protection, page setup and panes through Excel's COM object model (pywin32)."""

    @staticmethod
    def is_protected(sheet: Any) -> bool:
        return bool(sheet.api.ProtectContents)

    @staticmethod
    def protection_options(sheet: Any) -> tuple[bool, bool]:
        protection = sheet.api.Protection
        return bool(protection.AllowFormattingColumns), bool(protection.AllowFormattingRows)

    @staticmethod
    def unprotect(sheet: Any) -> None:
        # An explicit empty password: a password-protected sheet fails at once, no prompt.
        sheet.api.Unprotect("")

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
    def reenter(rng: Any, text: str) -> None:
        """Make Excel parse again every formula of ``rng`` that contains ``text``."""
        # xlPart and no case matching: the Find and Replace dialog's own defaults, which Excel
        # keeps for the user's next search.
        rng.api.Replace(What=text, Replacement=text, LookAt=2, MatchCase=False)

    @staticmethod
    def page_setup(sheet: Any, title_rows: str) -> None:
        app = sheet.book.app.api
        app.PrintCommunication = False
        try:
            setup = sheet.api.PageSetup
            setup.Orientation = 2  # xlLandscape
            setup.PaperSize = 9  # xlPaperA4
            setup.Zoom = False
            setup.FitToPagesWide = 1
            setup.FitToPagesTall = False
            setup.PrintTitleRows = title_rows
        finally:
            app.PrintCommunication = True

    @staticmethod
    def freeze_first_row(sheet: Any) -> None:
        """Freeze row 1 of ``sheet`` (Excel freezes panes per window: the sheet is activated)."""
        sheet.activate()
        window = sheet.book.app.api.ActiveWindow
        window.FreezePanes = False
        window.SplitColumn = 0
        window.SplitRow = 1
        window.FreezePanes = True

    @staticmethod
    def ask_year(app: Any, prompt: str, default: int) -> int | None:
        """Excel's InputBox for a number; None when cancelled."""
        answer = app.api.InputBox(prompt, TITLE, default, Type=1)
        if answer is False or answer is None:
            return None
        return int(answer)

    @staticmethod
    def pick_folder(app: Any, title: str, start: str | None) -> str | None:
        """Excel's folder picker (msoFileDialogFolderPicker); None when cancelled."""
        dialog = app.api.FileDialog(4)
        dialog.Title = title
        if start:
            dialog.InitialFileName = start.rstrip("\\/") + "\\"
        if dialog.Show() != -1:
            return None
        return str(dialog.SelectedItems(1))


class MacCalls:
    """The same through Excel for Mac's AppleScript object model (appscript).

    Untested here (no Mac in CI); the names follow Excel's AppleScript dictionary as xlwings'
    own ``_xlmac`` uses it. Notes, values and formats use xlwings' own API on both platforms.
    """

    @staticmethod
    def is_protected(sheet: Any) -> bool:
        return bool(sheet.api.protect_contents.get())

    @staticmethod
    def protection_options(sheet: Any) -> tuple[bool, bool]:
        return True, True  # the template's settings; AppleScript does not expose them

    @staticmethod
    def unprotect(sheet: Any) -> None:
        sheet.api.unprotect(password="")

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
    def reenter(rng: Any, text: str) -> None:
        # No Replace in Excel for Mac's AppleScript dictionary; UDFs do not run on a Mac anyway.
        return None

    @staticmethod
    def page_setup(sheet: Any, title_rows: str) -> None:
        return None  # needs appscript keywords; the Mac prints with Excel's defaults

    @staticmethod
    def freeze_first_row(sheet: Any) -> None:
        return None  # panes are per window; not reachable through xlwings on a Mac

    @staticmethod
    def ask_year(app: Any, prompt: str, default: int) -> int | None:
        return default  # no InputBox through xlwings on a Mac; the confirmation names the year

    @staticmethod
    def pick_folder(app: Any, title: str, start: str | None) -> str | None:
        raise AddinError(
            "在 Mac 上不能从 Excel 选择文件夹；请在“终端”中运行 branch-assess consolidate 文件夹 -o 汇总.xlsx"
        )


PlatformCalls = type[WindowsCalls] | type[MacCalls]


def platform_calls(platform: str = sys.platform) -> PlatformCalls:
    """The object-model calls of this platform."""
    return MacCalls if platform == "darwin" else WindowsCalls


@dataclass
class _SheetState:
    """What one branch sheet's reads left for its writes and the final check."""

    sheet: Any
    first: CellRef
    last: CellRef
    formulas: list[list[str]]
    computed: list[CellRef] = field(default_factory=list)
    values: list[list[object]] = field(default_factory=list)  # the block's values as read


class ExcelBook:
    """An open xlwings ``Book`` as a ``RecalcBook``."""

    def __init__(self, book: Any, platform: str = sys.platform) -> None:
        self.book = book
        self.calls: PlatformCalls = platform_calls(platform)
        self._sheets: dict[str, _SheetState] = {}
        self._names: dict[str, dict[str, CellRef]] | None = None
        self._order: list[str] = []
        self._properties: dict[str, str] | None = None
        self.warnings: list[str] = []  # e.g. an input cell holding a formula
        self.input_errors: list[str] = []  # error values in input cells the engine accepts

    # --- names ----------------------------------------------------------------------------

    def _package_info(self) -> PackageInfo | None:
        """What the workbook as it is in Excel says about its sheets, names and properties.

        From the saved file when Excel holds no unsaved change; else from a copy Excel writes of
        the open workbook (``SaveCopyAs``: one round trip; the workbook, its file name and its
        saved state are unchanged); None when neither can be read (an ``.xls`` or ``.xlsb``, a
        policy, a full disk): then the names are read over COM.
        """
        try:
            path = Path(self.book.fullname)
            saved = bool(self.book.api.Saved)
        except Exception:  # not available on this platform
            return None
        suffix = path.suffix.lower()
        if suffix and suffix not in SAVED_SUFFIXES:
            return None  # a binary workbook: the project's reader cannot parse it
        if saved and path.is_file():
            with contextlib.suppress(WorkbookReadError):
                return read_package_info(path)
        if self.calls is not WindowsCalls:
            return None
        with tempfile.TemporaryDirectory(prefix="kp-names-") as folder:
            copy = Path(folder) / ("copy" + (suffix or ".xlsx"))
            try:
                self.book.api.SaveCopyAs(str(copy))
                return read_package_info(copy)
            except Exception:  # a policy, a full disk, another format: read the names over COM
                return None

    def _load_names(self) -> dict[str, dict[str, CellRef]]:
        if self._names is not None:
            return self._names
        local: dict[str, dict[str, CellRef]] = {}
        info = self._package_info()
        if info is not None:
            self._order = list(info.sheet_names)
            self._properties = dict(info.properties)
            for sheet, defined in info.local_names.items():
                local[sheet] = {
                    n: ref for n, ref in defined.items() if ref is not None and ref.sheet == sheet
                }
        else:
            self._order = [str(sheet.name) for sheet in self.book.sheets]
            for text, refers_to in self._name_pass():
                scope, short = _split_scoped(text)
                ref = parse_reference(refers_to)
                if scope is not None and ref is not None and ref.sheet == scope:
                    local.setdefault(scope, {})[short] = ref
        self._names = local
        return local

    def _name_pass(self) -> Iterator[tuple[str, str]]:
        """(Name, RefersTo) of every defined name, in one pass over the native collection."""
        if self.calls is MacCalls:  # appscript: xlwings reads all name strings in one call
            for name in self.book.names:
                yield name.name, name.refers_to or ""
            return
        collection = self.book.api.Names
        for index in range(1, collection.Count + 1):
            item = collection.Item(index)
            yield str(item.Name), str(item.RefersTo)

    def standard_id(self) -> str | None:
        self._load_names()
        if self._properties is not None:
            return self._properties.get(names.PROP_STANDARD) or None
        return self.property(names.PROP_STANDARD)

    def property(self, name: str) -> str | None:
        """A custom document property of the open workbook, or None."""
        try:
            value = self.book.api.CustomDocumentProperties(name).Value
        except Exception:  # no such property, or not available on this platform
            return None
        return str(value) if value else None

    def branch_sheets(self) -> list[BranchSheetNames]:
        local = self._load_names()
        return [
            BranchSheetNames(sheet, local[sheet])
            for sheet in self._order
            if any(is_contract_name(n) for n in local.get(sheet, {}))
        ]

    def properties(self) -> dict[str, object] | None:
        """The template's identity properties; None where they cannot be read (Excel for Mac
        without a readable file), so the identity goes unchecked there."""
        self._load_names()
        if self._properties is not None:
            return dict(self._properties)
        if self.calls is MacCalls:
            return None
        found = {n: self.property(n) for n in (names.PROP_STANDARD, names.PROP_TEMPLATE_VERSION)}
        found[names.PROP_YEAR] = self.property(names.PROP_YEAR)
        found[names.PROP_STANDARD_HASH] = self.property(names.PROP_STANDARD_HASH)
        return {n: v for n, v in found.items() if v is not None}

    def sheet_names(self) -> list[str]:
        self._load_names()
        return list(self._order)

    def merged_ranges(self, sheet: str) -> list[MergedRange]:
        # Excel clears the hidden cells of a range when it merges them; a workbook merged in
        # LibreOffice keeping them is caught by ``recalc`` and ``consolidate``, which read the
        # file's mergeCells. Asking Excel cell by cell would cost a COM call per input cell.
        return []

    def read_block(self, sheet: str, first: CellRef, last: CellRef) -> list[list[object]]:
        """A block of cells: from the last read of a branch sheet when it lies inside it (no
        round trip), else in one read."""
        state = self._sheets.get(sheet)
        if state is not None and state.values:
            r, c = first.row - state.first.row, first.col - state.first.col
            height, width = last.row - first.row + 1, last.col - first.col + 1
            if r >= 0 and c >= 0 and r + height <= len(state.values):
                rows = state.values[r : r + height]
                if all(c + width <= len(row) for row in rows):
                    return [row[c : c + width] for row in rows]
        rng = self.book.sheets[sheet].range(_block_address(first, last))
        return [list(row) for row in rng.options(**READ_OPTIONS).value]

    def overview_sheet(self) -> str | None:
        """The tool's own 总览 sheet: it defines OVERVIEW_MARKER (and is no branch sheet)."""
        local = self._load_names()
        for sheet in self._order:
            defined = local.get(sheet, {})
            if names.OVERVIEW_MARKER in defined and names.BRANCH_NAME not in defined:
                return sheet
        return None

    # --- reading --------------------------------------------------------------------------

    def read_cells(self, entry: BranchSheetNames, wanted: Sequence[str]) -> dict[str, object]:
        first, last = block_bounds(entry.cells)
        sheet = self.book.sheets[entry.sheet]
        rng = sheet.range(_block_address(first, last))
        block = [list(row) for row in rng.options(**READ_OPTIONS).value]
        formulas = rng.formula
        if formulas and not isinstance(formulas[0], list | tuple):
            formulas = (formulas,)
        state = _SheetState(sheet, first, last, [[str(f) for f in row] for row in formulas])
        state.values = block
        self._sheets[entry.sheet] = state
        values = values_in_block(block, first, entry.cells, wanted)
        for name in wanted:
            ref = entry.cells[name]
            value = values[name]
            if self._has_formula(state, ref):
                self.warnings.append(
                    f"{ref.label}：输入单元格中是公式，按其结果“{'' if value is None else value}”计算"
                )
            # An error value is an input error; in 扣分 and 否决 cells the engine reports it.
            engine_checks = name.startswith(("ded_", "veto_", "note_", "survey_"))
            if isinstance(value, str) and value in ERROR_VALUES and not engine_checks:
                self.input_errors.append(f"{ref.label}：单元格显示错误值 {value}，请改正")
        return values

    @staticmethod
    def _has_formula(state: _SheetState, ref: CellRef) -> bool:
        r, c = ref.row - state.first.row, ref.col - state.first.col
        if 0 <= r < len(state.formulas) and 0 <= c < len(state.formulas[r]):
            return state.formulas[r][c].startswith("=")
        return False

    # --- writing --------------------------------------------------------------------------

    def write_sheet(self, update: SheetUpdate) -> None:
        state = self._sheets.get(update.sheet)
        sheet = state.sheet if state is not None else self.book.sheets[update.sheet]
        calls = self.calls
        protected = calls.is_protected(sheet)
        if protected:
            columns, rows = calls.protection_options(sheet)
            try:
                calls.unprotect(sheet)
            except Exception:  # a password: Excel refuses at once (the empty one is wrong)
                raise SheetProtectedError(
                    f"工作表“{update.sheet}”受密码保护，无法写入计算结果；"
                    "请先在“审阅”选项卡中撤销工作表保护，再点击“考评定级”"
                ) from None
        try:
            computed: list[CellRef] = []
            reenter = False
            for ref, value in update.outputs.values():
                if state is not None and self._has_formula(state, ref):
                    computed.append(ref)
                    r, c = ref.row - state.first.row, ref.col - state.first.col
                    reenter = reenter or "KP_" in state.formulas[r][c].upper()
                else:
                    sheet.range(ref.a1).value = excel_value(value)
                    computed.append(ref)
            if state is not None:
                state.computed = computed
            if reenter and state is not None:
                calls.reenter(sheet.range(_block_address(state.first, state.last)), "KP_")
            self._clear_own_notes(sheet)
            for address in _addresses(update.unmarks):
                sheet.range(address).color = INPUT_COLOR
            for address in _addresses(update.marks):
                sheet.range(address).color = MARK_COLOR
            for ref, note in update.marks.items():
                with contextlib.suppress(ValueError):  # the user's own note stays; fill marks it
                    sheet.range(ref.a1).add_note(names.NOTE_MARKER + note)
        finally:
            if protected:
                calls.protect(sheet, columns, rows)

    @staticmethod
    def _clear_own_notes(sheet: Any) -> None:
        """Delete the tool's notes only; the author is read only when the text is not ours."""
        for note in list(sheet.notes):
            if (note.text or "").startswith(names.NOTE_MARKER) or note.author == NOTE_AUTHOR:
                note.delete()

    def computed_errors(self) -> list[str]:
        """Computed cells that show an error value after Excel recalculated: ``sheet!cell：#NAME?``."""
        found: list[str] = []
        for sheet_name, state in self._sheets.items():
            if not state.computed:
                continue
            rng = state.sheet.range(_block_address(state.first, state.last))
            block = rng.options(**READ_OPTIONS).value
            for ref in state.computed:
                value = block[ref.row - state.first.row][ref.col - state.first.col]
                if isinstance(value, str) and value in ERROR_VALUES:
                    found.append(f"{sheet_name}!{ref.a1}：{value}")
        return found

    def write_overview(self, overview: Overview) -> None:
        existing = self.overview_sheet()
        if existing is not None:
            sheet = self.book.sheets[existing]
            sheet.clear_contents()
        else:
            title = free_sheet_title(OVERVIEW_SHEET, self._order)
            # Named after adding: xlwings' add(name) compares the name with every sheet's first.
            sheet = self.book.sheets.add(after=self.book.sheets[-1])
            sheet.name = title
            sheet.names.add(names.OVERVIEW_MARKER, f"={_quote(title)}!$A$1")
            self._order.append(title)
            self.calls.freeze_first_row(sheet)
        rows = [[excel_value(v) for v in overview.header]]
        rows += [[excel_value(v) for v in row] for row in overview.rows]
        last_col = column_letters(len(overview.header) - 1)
        sheet.range(f"A1:{last_col}{len(rows)}").raw_value = rows
        format_overview(sheet, overview, self.calls)


def format_overview(sheet: Any, overview: Overview, calls: PlatformCalls) -> None:
    """Widths, a bold filled wrapped header, wrapped long columns, A4 landscape one page wide."""
    for index, width in enumerate(overview.widths):
        letter = column_letters(index)
        sheet.range(f"{letter}:{letter}").column_width = width
    last_col = column_letters(len(overview.header) - 1)
    header = sheet.range(f"A1:{last_col}1")
    header.font.bold = True
    header.color = HEADER_COLOR
    header.wrap_text = True
    for index in overview.wrapped:
        letter = column_letters(index)
        sheet.range(f"{letter}:{letter}").wrap_text = True
    with contextlib.suppress(Exception):  # printing set-up is cosmetic; never fail the run
        calls.page_setup(sheet, "$1:$1")


def report_text(report: RecalcReport, book: ExcelBook | None = None) -> str:
    """The message box text: the summary and where the problems are."""
    lines = [report.summary()]
    problems = [str(p) for p in report.problems] + list(report.sheet_problems)
    problems += book.input_errors if book else []
    if problems:
        lines.append("")
        lines += problems[:MAX_LISTED_PROBLEMS]
        if len(problems) > MAX_LISTED_PROBLEMS:
            lines.append(f"……另有 {len(problems) - MAX_LISTED_PROBLEMS} 处，详见“总览”工作表。")
        lines.append("")
        lines.append("输入有误的单元格已标成红色底纹并附批注；改正后请再次点击“考评定级”。")
    else:
        lines.append("各支部得分、定级和扣分情况见“总览”工作表。")
    if book is not None and book.warnings:
        lines.append("")
        lines.append("提示：")
        lines += book.warnings[:MAX_LISTED_PROBLEMS]
        if len(book.warnings) > MAX_LISTED_PROBLEMS:
            lines.append(f"……另有 {len(book.warnings) - MAX_LISTED_PROBLEMS} 处提示。")
    return "\n".join(lines)


@contextlib.contextmanager
def excel_busy(app: Any) -> Iterator[Callable[[int, int], None]]:
    """Screen updating off and progress in the status bar; both restored on every path."""
    app.screen_updating = False
    try:
        shown = [-1]

        def progress(done: int, total: int) -> None:
            # At most about 20 updates: each one is a round trip.
            step = max(1, total // 20)
            if done % step == 0 and done != shown[0]:
                shown[0] = done
                app.status_bar = f"考评定级：正在计算 {done + 1}/{total} 个支部"

        yield progress
    finally:
        try:
            app.status_bar = False  # give the status bar back to Excel
        finally:
            app.screen_updating = True


@dataclass(frozen=True)
class RecalcOutcome:
    """The result of the ribbon's recalculation: the report and the message box text."""

    report: RecalcReport
    book: ExcelBook
    text: str

    @property
    def valid(self) -> bool:
        """Every input of every branch is valid (the summary may be written)."""
        return not self.report.problems and not self.book.input_errors


def recalc_excel_book_quietly(
    book: Any, platform: str = sys.platform, excel: ExcelBook | None = None
) -> RecalcOutcome:
    """Recalculate an open workbook; the caller shows the message.

    Args:
        excel: the adapter when the caller has one already (its names are read once).

    Raises:
        BranchAssessError: not an assessment workbook, a password-protected sheet, or a computed
            cell that shows an error value after Excel's recalculation.
    """
    app = book.app
    excel = excel or ExcelBook(book, platform)
    with excel_busy(app) as progress:
        report = recalculate(excel, progress)
        app.calculate()  # the formula cells (UDFs or native) show the new values
        errors = excel.computed_errors()
    if errors:
        listed = "；".join(errors[:MAX_LISTED_PROBLEMS])
        more = f"……共 {len(errors)} 处" if len(errors) > MAX_LISTED_PROBLEMS else ""
        raise ComputedCellError(
            f"重新计算后有计算单元格显示错误值：{listed}{more}。"
            "请确认加载项 xlplugin.xlam 已安装（branch-assess addin install）并重新打开本工作簿"
        )
    return RecalcOutcome(report, excel, report_text(report, excel))


def recalc_excel_book(book: Any, platform: str = sys.platform) -> RecalcReport:
    """Recalculate an open workbook and end with one message box.

    Raises:
        BranchAssessError: as ``recalc_excel_book_quietly``; ``main()`` shows it in one line.
    """
    outcome = recalc_excel_book_quietly(book, platform)
    book.app.alert(
        outcome.text,
        title=TITLE,
        buttons="ok",
        mode="info" if outcome.valid else "critical",
    )
    return outcome.report
