"""RecordingExcel: the project's one stand-in, for xlwings and Excel's COM object model.

It models exactly the xlwings objects and calls that ``xlplugin`` uses (``xw.Book.caller()``,
book / app / sheets / names / ranges / notes and the ``.api`` COM calls of ``WindowsCalls``),
holds cell values, formulas, fills, notes, protection and formats per sheet, and behaves like
Excel where it matters:

- text written to a cell is parsed as if typed ("1-2" becomes a date, "=x" a formula) unless it
  starts with the text prefix ``'``;
- writing to a protected sheet fails; ``Unprotect()`` without a password on a sheet protected
  with one shows Excel's password prompt (recorded in ``password_prompts``), a wrong one fails;
- a second note on a cell fails; error values read as None unless ``err_to_str``;
- after ``app.calculate()`` a ``KP_`` formula shows ``#NAME?`` when the add-in is not loaded or
  the formula was parsed before it was (``unbound``) and has not been re-entered since; an
  ``IFERROR(KP_…, native)`` formula shows its fallback (the cached value) instead.

Every xlwings call is recorded in ``calls`` and costs the COM round trips xlwings 0.37.8 makes
for it on Windows (``round_trips``), read from its ``main.py``, ``_xlwindows.py`` and
``conversion/standard.py``; see ``COST``. Build one from a real workbook file with
``RecordingExcel.from_file``; message box answers, typed years and picked folders are queued.
"""

from __future__ import annotations

import datetime as _dt
import re
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl

from workbook.core.cells import column_index, column_letters
from workbook.xlsx.workbook_info import read_package_info

Cell = tuple[int, int]  # 1-based (row, col), as Excel counts

# COM round trips per xlwings call on Windows (xlwings 0.37.8).
COST: dict[str, int] = {
    # Book.sheets -> Worksheets; Sheets(name) -> Worksheets.Item(name)
    "book.sheets[]": 2,
    # Worksheets, _NewEnum (and the last Next); then Next per sheet ("book.sheets.next")
    "book.sheets": 3,
    "book.sheets.next": 1,
    "sheet.name": 1,  # Worksheet.Name
    "book.sheets[int]": 3,  # Worksheets, Count (for a negative index), Item
    # Worksheets; after the last sheet: Count, Index, Add(Before=), then Count, Item, Count,
    # Item, Move, Count, Item, Activate (xlwings works around a broken After=)
    "book.sheets.add": 12,
    "sheet.name=": 1,
    # Names, Count (base_classes.Names.snapshot: len); per name Item(i) and Name (snapshot)
    "book.names": 2,
    "book.names.next": 2,
    "Name.name": 1,  # Name.Name
    "Name.refers_to": 1,  # Name.RefersTo
    "book.fullname": 2,  # _xlwindows.Book.fullname reads FullName twice
    "book.save": 1,
    "api.Saved": 1,
    "SaveCopyAs": 1,
    "api.Names": 1,
    "api.Names.Count": 1,
    "api.Names.Item": 1,
    "api.Name.Name": 1,
    "api.Name.RefersTo": 1,
    "CustomDocumentProperties": 2,  # CustomDocumentProperties(name), .Value
    "sheet.range": 1,  # Worksheet.Range(address)
    "sheet.range(tuple)": 3,  # Cells, Cells, Range
    # Range.value read: the read stage asks for the shape (coords: Worksheet, Row, Column,
    # Rows.Count, Columns.Count) unless a chunksize option is given; then Value.
    "range.value": 6,
    "range.value(chunksize)": 1,
    "range.value=": 1,  # a scalar: Value =
    "range.value=[]": 11,  # a list: resize twice (Cells, Cells, Range, Worksheet, ...), Value =
    "range.raw_value=": 1,
    "range.formula": 1,
    "range.color=": 2,  # Interior, Color =
    "range.column_width=": 1,
    "range.wrap_text=": 1,
    "font.bold=": 2,  # Font, Bold =
    "range.note": 1,  # Comment
    "range.add_note": 7,  # shape (5), Comment, AddComment
    "Replace": 1,
    "sheet.notes": 3,  # Comments, _NewEnum, the last Next
    "sheet.notes.next": 1,
    "note.text": 1,
    "note.author": 1,
    "note.delete": 1,
    "sheet.clear_contents": 2,  # Cells, ClearContents
    "sheet.names.add": 2,  # Names, Add
    "sheet.activate": 1,
    "ProtectContents": 1,
    "Protection": 1,
    "Protection.AllowFormattingColumns": 1,
    "Protection.AllowFormattingRows": 1,
    "Unprotect": 1,
    "Protect": 1,
    "PageSetup": 1,
    "PageSetup=": 1,
    "app.api": 0,
    "PrintCommunication=": 1,
    "ActiveWindow": 1,
    "window=": 1,
    "app.screen_updating=": 1,
    "app.status_bar=": 1,
    "app.calculate": 1,
    "app.alert": 0,  # win32api.MessageBox, not COM
    "app.selection": 4,  # main.App.selection asks _xlwindows twice: (Selection.Address, Selection)
    "app.books.open": 2,
    "app.books": 1,
    "app.books.next": 1,
    "InputBox": 1,
    "FileDialog": 1,
    "dialog": 1,
}

ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")
_DATE_LIKE = re.compile(r"^(\d{1,4})[-/](\d{1,2})(?:[-/](\d{1,4}))?$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class ExcelError(RuntimeError):
    """What a failing COM call raises."""


def _cells(address: str) -> list[Cell]:
    """Every cell of an address such as ``E5``, ``E5:E8``, ``E5,E9,E28`` or ``A:A`` (row 1-60)."""
    cells: list[Cell] = []
    for area in address.replace("$", "").split(","):
        corners: list[Cell] = []
        for part in area.split(":"):
            match = re.fullmatch(r"([A-Z]+)(\d*)", part)
            assert match, address
            row = int(match.group(2)) if match.group(2) else 0
            corners.append((row, column_index(match.group(1)) + 1))
        (r1, c1), (r2, c2) = corners[0], corners[-1]
        if r1 == 0:  # a whole column: the first rows are enough for a stand-in
            r1, r2 = 1, 60
        cells += [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
    return cells


def typed(value: Any) -> tuple[Any, str | None]:
    """What Excel stores when ``value`` is written to Range.Value: (value, formula or None)."""
    if not isinstance(value, str):
        return value, None
    if value.startswith("'"):
        return value[1:], None
    if value.startswith("="):
        return None, value
    if _NUMBER.match(value.strip()):
        return float(value), None
    date = _DATE_LIKE.match(value.strip())
    if date:
        a, b, c = date.groups()
        if c is None and int(a) <= 12 and 1 <= int(b) <= 31:  # "1-2": 2 January this year
            return _dt.datetime(_dt.date.today().year, int(a), int(b)), None
        if c is not None and len(a) == 4:
            return _dt.datetime(int(a), int(b), int(c)), None
    return value, None


class RecordingExcel:
    """A workbook open in a pretend Excel; ``calls`` lists every xlwings call made."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.trips: list[tuple[str, str | None]] = []  # (call, sheet) per COM round trip
        self.sheet_order: list[str] = []
        self.values: dict[str, dict[Cell, Any]] = {}
        self.formulas: dict[str, dict[Cell, str]] = {}
        self.colors: dict[str, dict[Cell, tuple[int, int, int] | None]] = {}
        self.notes: dict[str, dict[Cell, tuple[str, str]]] = {}  # (text, author)
        self.protected: dict[str, bool] = {}
        self.passwords: dict[str, str] = {}  # sheets protected with a password
        self.password_prompts: list[str] = []  # sheets whose password Excel asked the user for
        self.protect_options: dict[str, dict[str, bool]] = {}
        self.formats: dict[str, dict[str, Any]] = {}  # widths, bold, wrap, freeze, page setup
        self.defined_names: list[tuple[str, str]] = []  # (Name.Name, Name.RefersTo)
        self.properties: dict[str, str] = {}
        self.alerts: list[dict[str, Any]] = []
        self.answers: list[str] = []  # answers to yes/no message boxes, in order
        self.years: list[Any] = []  # what the user types into the year box (False: cancel)
        self.folders: list[str | None] = []  # folders picked in the folder dialog (None: cancel)
        self.opened: list[str] = []  # books opened
        self.other_books: list[str] = []  # full names of other workbooks open in this Excel
        self.selection: tuple[str, str] | None = None  # (sheet, address)
        self.status_bar: str | bool = False
        self.status_history: list[str | bool] = []
        self.screen_updating = True
        self.calculated = 0
        self.addin_loaded = True
        self.unbound: set[str] = set()  # sheets whose KP_ formulas were parsed without the add-in
        self.fullname = "Book1"  # a path once saved
        self.saved = False
        self.saves = 0
        self.active_sheet: str | None = None
        self.fail_on: set[str] = set()  # calls that raise ExcelError (a failing COM call)
        self.book = _Book(self)

    # --- building -----------------------------------------------------------------------

    @classmethod
    def from_file(
        cls, path: str | Path, protected: bool = True, saved: bool = False
    ) -> RecordingExcel:
        """Load a real workbook: its sheets, names, values, formulas and properties.

        ``saved``: Excel holds no unsaved change (``Saved`` is True) and the file is the book's.
        """
        excel = cls()
        info = read_package_info(path)
        formulas_book = openpyxl.load_workbook(path)
        values_book = openpyxl.load_workbook(path, data_only=True)
        for title in info.sheet_names:
            excel.add_sheet(title, protected=protected and bool(info.local_names.get(title)))
            for row in formulas_book[title].iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        excel.formulas[title][(cell.row, cell.column)] = cell.value
            for row in values_book[title].iter_rows():
                for cell in row:
                    if cell.value is not None:
                        excel.values[title][(cell.row, cell.column)] = cell.value
        for sheet, local in info.local_names.items():
            for name, ref in local.items():
                if ref is not None:
                    target = f"={_quote(sheet)}!${column_letters(ref.col)}${ref.row + 1}"
                    excel.defined_names.append((f"{_quote(sheet)}!{name}", target))
        excel.properties = dict(info.properties)
        excel.fullname = str(Path(path).resolve())
        excel.saved = saved
        excel.active_sheet = info.sheet_names[0] if info.sheet_names else None
        return excel

    def add_sheet(self, name: str, protected: bool = False) -> None:
        self.sheet_order.append(name)
        self.values[name] = {}
        self.formulas[name] = {}
        self.colors[name] = {}
        self.notes[name] = {}
        self.formats[name] = {"widths": {}, "bold": set(), "wrap": set(), "fill": {}}
        self.protected[name] = protected
        self.protect_options[name] = {"AllowFormattingColumns": True, "AllowFormattingRows": True}

    def set_value(self, sheet: str, address: str, value: Any) -> None:
        """What a user typing into a cell does (no call recorded)."""
        for cell in _cells(address):
            self.values[sheet][cell] = value
            self.formulas[sheet].pop(cell, None)
        self.saved = False

    def set_formula(self, sheet: str, address: str, formula: str, value: Any) -> None:
        """A formula typed by a user, with the value Excel computes for it."""
        for cell in _cells(address):
            self.formulas[sheet][cell] = formula
            self.values[sheet][cell] = value
        self.saved = False

    def add_user_note(self, sheet: str, address: str, text: str, author: str = "张三") -> None:
        self.notes[sheet][_cells(address)[0]] = (text, author)

    def xlwings_module(self, caller_fails: bool = False) -> types.ModuleType:
        """A module standing in for ``xlwings``: ``Book.caller()`` returns this book."""
        excel = self

        class Book:
            @staticmethod
            def caller() -> _Book:
                if caller_fails:
                    raise ExcelError("Book.caller() must not be called directly.")
                return excel.book

        module = types.ModuleType("xlwings")
        module.Book = Book  # type: ignore[attr-defined]
        return module

    # --- recording ----------------------------------------------------------------------

    def open_books(self) -> list[str]:
        """Full names of every workbook open in this Excel, this one first."""
        return [self.fullname, *self.other_books, *self.opened]

    def record(self, *call: Any) -> None:
        """Record an xlwings call and its COM round trips; fail it when asked."""
        self.calls.append(call)
        sheet = call[1] if len(call) > 1 and isinstance(call[1], str) else None
        self.trips += [(call[0], sheet)] * COST[call[0]]
        if call[0] in self.fail_on:
            raise ExcelError(f"{call[0]} failed")

    @property
    def round_trips(self) -> int:
        return len(self.trips)

    def trips_on(self, sheet: str) -> int:
        return sum(1 for _, on in self.trips if on == sheet)

    def calls_on(self, sheet: str) -> list[tuple[Any, ...]]:
        """The calls made on one sheet (or its ranges)."""
        return [c for c in self.calls if len(c) > 1 and c[1] == sheet]

    # --- inspecting ---------------------------------------------------------------------

    def color(self, sheet: str, address: str) -> tuple[int, int, int] | None:
        return self.colors[sheet].get(_cells(address)[0])

    def note(self, sheet: str, address: str) -> str | None:
        found = self.notes[sheet].get(_cells(address)[0])
        return found[0] if found else None

    def value(self, sheet: str, address: str) -> Any:
        return self.values[sheet].get(_cells(address)[0])

    def names_of(self, sheet: str) -> dict[str, str]:
        prefix = _quote(sheet) + "!"
        return {n[len(prefix) :]: r for n, r in self.defined_names if n.startswith(prefix)}

    # --- Excel's behaviour ----------------------------------------------------------------

    def check_writable(self, sheet: str) -> None:
        if self.protected[sheet]:
            raise ExcelError(f"sheet {sheet} is protected")

    def recalculate(self) -> None:
        for sheet in self.sheet_order:
            for cell, formula in self.formulas[sheet].items():
                upper = formula.upper()
                if "KP_" not in upper or upper.startswith("=IFERROR("):
                    continue  # native formulas and the fallback keep the cached value
                if not self.addin_loaded or sheet in self.unbound:
                    self.values[sheet][cell] = "#NAME?"

    def write_copy(self, path: Path) -> None:
        """What SaveCopyAs writes, as far as the plug-in reads it (openpyxl)."""
        from openpyxl.packaging.custom import StringProperty
        from openpyxl.workbook.defined_name import DefinedName

        book = openpyxl.Workbook()
        book.remove(book.active)
        for title in self.sheet_order:
            book.create_sheet(title)
        for text, refers_to in self.defined_names:
            scope, _, name = text.rpartition("!")
            if scope:
                sheet = scope[1:-1].replace("''", "'") if scope.startswith("'") else scope
                book[sheet].defined_names[name] = DefinedName(name, attr_text=refers_to[1:])
            else:
                book.defined_names[name] = DefinedName(name, attr_text=refers_to[1:])
        for key, value in self.properties.items():
            book.custom_doc_props.append(StringProperty(name=key, value=value))
        book.save(path)

    def answer(self, buttons: str) -> str:
        if buttons in (None, "ok"):
            return "ok"
        assert self.answers, "a question was asked that the test did not expect"
        return self.answers.pop(0)


def _quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


class _Property:
    def __init__(self, value: str) -> None:
        self.Value = value


class _NameApi:
    def __init__(self, excel: RecordingExcel, name: str, refers_to: str) -> None:
        self._excel, self._name, self._refers_to = excel, name, refers_to

    @property
    def Name(self) -> str:  # noqa: N802 (COM name)
        self._excel.record("api.Name.Name")
        return self._name

    @property
    def RefersTo(self) -> str:  # noqa: N802 (COM name)
        self._excel.record("api.Name.RefersTo")
        return self._refers_to


class _NamesApi:
    def __init__(self, excel: RecordingExcel) -> None:
        self._excel = excel

    @property
    def Count(self) -> int:  # noqa: N802 (COM name)
        self._excel.record("api.Names.Count")
        return len(self._excel.defined_names)

    def Item(self, index: int) -> _NameApi:  # noqa: N802 (COM name)
        self._excel.record("api.Names.Item")
        return _NameApi(self._excel, *self._excel.defined_names[index - 1])


class _Api:
    """``book.api``: the Workbook COM object (the parts the plug-in uses)."""

    def __init__(self, excel: RecordingExcel) -> None:
        self._excel = excel

    def CustomDocumentProperties(self, name: str) -> _Property:  # noqa: N802 (COM name)
        self._excel.record("CustomDocumentProperties", name)
        if name not in self._excel.properties:
            raise ExcelError(f"no property {name}")
        return _Property(self._excel.properties[name])

    @property
    def Saved(self) -> bool:  # noqa: N802 (COM name)
        self._excel.record("api.Saved")
        return self._excel.saved

    @property
    def Names(self) -> _NamesApi:  # noqa: N802 (COM name)
        self._excel.record("api.Names")
        return _NamesApi(self._excel)

    def SaveCopyAs(self, filename: str) -> None:  # noqa: N802 (COM name)
        """A copy of the workbook as it is open: its sheets, defined names and properties."""
        self._excel.record("SaveCopyAs")
        self._excel.write_copy(Path(filename))


class _Window:
    def __init__(self, excel: RecordingExcel) -> None:
        object.__setattr__(self, "_excel", excel)

    def __setattr__(self, name: str, value: Any) -> None:
        excel: RecordingExcel = object.__getattribute__(self, "_excel")
        excel.record("window=", excel.active_sheet, name)
        if excel.active_sheet is not None:
            excel.formats[excel.active_sheet]["window." + name] = value


class _Dialog:
    def __init__(self, excel: RecordingExcel) -> None:
        self._excel = excel
        self.Title = ""
        self.InitialFileName = ""
        self._picked: str | None = None

    def Show(self) -> int:  # noqa: N802 (COM name)
        self._excel.record("dialog")
        assert self._excel.folders, "a folder dialog was shown that the test did not expect"
        self._picked = self._excel.folders.pop(0)
        return -1 if self._picked is not None else 0

    def SelectedItems(self, index: int) -> str:  # noqa: N802 (COM name)
        self._excel.record("dialog")
        assert self._picked is not None
        assert index == 1
        return self._picked


class _AppApi:
    """``app.api``: the Application COM object (InputBox, FileDialog, printing, window)."""

    def __init__(self, excel: RecordingExcel) -> None:
        object.__setattr__(self, "_excel", excel)

    def __setattr__(self, name: str, value: Any) -> None:
        excel: RecordingExcel = object.__getattribute__(self, "_excel")
        excel.record(name + "=")

    def InputBox(self, prompt: str, title: str, default: Any, Type: int) -> Any:  # noqa: N802, N803
        excel: RecordingExcel = object.__getattribute__(self, "_excel")
        excel.record("InputBox")
        excel.alerts.append({"prompt": prompt, "title": title, "buttons": "input", "mode": None})
        return excel.years.pop(0) if excel.years else default

    def FileDialog(self, kind: int) -> _Dialog:  # noqa: N802 (COM name)
        excel: RecordingExcel = object.__getattribute__(self, "_excel")
        excel.record("FileDialog")
        assert kind == 4  # msoFileDialogFolderPicker
        return _Dialog(excel)

    @property
    def ActiveWindow(self) -> _Window:  # noqa: N802 (COM name)
        excel: RecordingExcel = object.__getattribute__(self, "_excel")
        excel.record("ActiveWindow")
        return _Window(excel)


class _Books:
    def __init__(self, excel: RecordingExcel) -> None:
        self._excel = excel

    def open(self, path: str) -> None:
        self._excel.record("app.books.open", None, path)
        assert Path(path).is_file(), path
        # Excel refuses a second workbook of the same file name (a COM error).
        open_names = [Path(p).name.casefold() for p in self._excel.open_books()]
        if Path(path).name.casefold() in open_names:
            raise ExcelError(f"a workbook named {Path(path).name} is already open")
        self._excel.opened.append(path)

    def __iter__(self) -> Iterator[_OpenBook]:
        # xlwings' Books iterates the COM collection: one trip for it, one per book.
        self._excel.record("app.books")
        for path in self._excel.open_books():
            self._excel.record("app.books.next")
            yield _OpenBook(path)


class _OpenBook:
    """A workbook open in Excel as ``app.books`` yields it (only its full name is used)."""

    def __init__(self, fullname: str) -> None:
        self.fullname = fullname


class _App:
    def __init__(self, excel: RecordingExcel) -> None:
        self._excel = excel
        self.api = _AppApi(excel)
        self.books = _Books(excel)

    @property
    def screen_updating(self) -> bool:
        return self._excel.screen_updating

    @screen_updating.setter
    def screen_updating(self, value: bool) -> None:
        self._excel.record("app.screen_updating=", value)
        self._excel.screen_updating = value

    @property
    def status_bar(self) -> str | bool:
        return self._excel.status_bar

    @status_bar.setter
    def status_bar(self, value: str | bool) -> None:
        self._excel.record("app.status_bar=", value)
        self._excel.status_bar = value
        self._excel.status_history.append(value)

    @property
    def selection(self) -> _Range | None:
        self._excel.record("app.selection")
        if self._excel.selection is None:
            return None
        sheet, address = self._excel.selection
        return _Range(self._excel, sheet, address)

    def calculate(self) -> None:
        self._excel.record("app.calculate")
        self._excel.calculated += 1
        self._excel.recalculate()

    def alert(
        self, prompt: str, title: str = "", buttons: str = "ok", mode: str | None = None
    ) -> str:
        self._excel.record("app.alert")
        self._excel.alerts.append(
            {"prompt": prompt, "title": title, "buttons": buttons, "mode": mode}
        )
        return self._excel.answer(buttons)


class _Name:
    """An xlwings ``Name`` got by iterating ``book.names``."""

    def __init__(self, excel: RecordingExcel, name: str, refers_to: str) -> None:
        self._excel, self._name, self._refers_to = excel, name, refers_to

    @property
    def name(self) -> str:
        self._excel.record("Name.name")
        return self._name

    @property
    def refers_to(self) -> str:
        self._excel.record("Name.refers_to")
        return self._refers_to


class _Book:
    def __init__(self, excel: RecordingExcel) -> None:
        self._excel = excel
        self.api = _Api(excel)
        self.app = _App(excel)
        self.sheets = _Sheets(excel)

    @property
    def names(self) -> Iterator[_Name]:
        self._excel.record("book.names")
        for name, refers_to in list(self._excel.defined_names):
            self._excel.record("book.names.next")
            yield _Name(self._excel, name, refers_to)

    @property
    def fullname(self) -> str:
        self._excel.record("book.fullname")
        return self._excel.fullname

    def save(self) -> None:
        self._excel.record("book.save")
        self._excel.saved = True
        self._excel.saves += 1


class _Sheets:
    def __init__(self, excel: RecordingExcel) -> None:
        self._excel = excel

    def __iter__(self) -> Iterator[_Sheet]:
        self._excel.record("book.sheets")
        for name in list(self._excel.sheet_order):
            self._excel.record("book.sheets.next", name)
            yield _Sheet(self._excel, name)

    def __getitem__(self, key: str | int) -> _Sheet:
        name = self._excel.sheet_order[key] if isinstance(key, int) else key
        self._excel.record("book.sheets[int]" if isinstance(key, int) else "book.sheets[]", name)
        if name not in self._excel.values:
            raise KeyError(name)
        return _Sheet(self._excel, name)

    def add(self, name: str | None = None, after: _Sheet | None = None) -> _Sheet:
        assert name is None, "xlwings compares a new name with every sheet's: name it after"
        name = f"Sheet{len(self._excel.sheet_order) + 1}"
        self._excel.record("book.sheets.add", name)
        self._excel.add_sheet(name)
        self._excel.active_sheet = name  # Excel activates a new sheet
        return _Sheet(self._excel, name)


class _PageSetup:
    def __init__(self, excel: RecordingExcel, sheet: str) -> None:
        object.__setattr__(self, "_where", (excel, sheet))

    def __setattr__(self, name: str, value: Any) -> None:
        excel, sheet = object.__getattribute__(self, "_where")
        excel.record("PageSetup=", sheet, name)
        excel.formats[sheet]["page." + name] = value


class _SheetApi:
    def __init__(self, excel: RecordingExcel, sheet: str) -> None:
        self._excel, self._sheet = excel, sheet

    @property
    def ProtectContents(self) -> bool:  # noqa: N802 (COM name)
        self._excel.record("ProtectContents", self._sheet)
        return self._excel.protected[self._sheet]

    @property
    def Protection(self) -> Any:  # noqa: N802 (COM name)
        excel, sheet = self._excel, self._sheet
        excel.record("Protection", sheet)

        class Protection:
            def __getattr__(self, option: str) -> bool:
                excel.record("Protection." + option, sheet)
                return excel.protect_options[sheet][option]

        return Protection()

    @property
    def PageSetup(self) -> _PageSetup:  # noqa: N802 (COM name)
        self._excel.record("PageSetup", self._sheet)
        return _PageSetup(self._excel, self._sheet)

    def Unprotect(self, Password: str | None = None) -> None:  # noqa: N802, N803 (COM names)
        self._excel.record("Unprotect", self._sheet)
        secret = self._excel.passwords.get(self._sheet)
        if secret is not None and Password is None:  # Excel asks; the user cancels
            self._excel.password_prompts.append(self._sheet)
            raise ExcelError("The password you supplied is not correct.")
        if secret is not None and Password != secret:
            raise ExcelError("The password you supplied is not correct.")
        self._excel.protected[self._sheet] = False

    def Protect(self, Password: str | None = None, **options: bool) -> None:  # noqa: N802, N803
        self._excel.record("Protect", self._sheet)
        self._excel.protected[self._sheet] = True
        if Password is None:
            self._excel.passwords.pop(self._sheet, None)  # protected now without a password
        self._excel.protect_options[self._sheet] = {
            k: v for k, v in options.items() if k.startswith("Allow")
        }


class _Note:
    def __init__(self, excel: RecordingExcel, sheet: str, cell: Cell) -> None:
        self._excel, self._sheet, self._cell = excel, sheet, cell

    @property
    def text(self) -> str:
        self._excel.record("note.text", self._sheet)
        return self._excel.notes[self._sheet][self._cell][0]

    @property
    def author(self) -> str:
        self._excel.record("note.author", self._sheet)
        return self._excel.notes[self._sheet][self._cell][1]

    def delete(self) -> None:
        self._excel.record("note.delete", self._sheet)
        self._excel.check_writable(self._sheet)
        del self._excel.notes[self._sheet][self._cell]


class _SheetNames:
    def __init__(self, excel: RecordingExcel, sheet: str) -> None:
        self._excel, self._sheet = excel, sheet

    def add(self, name: str, refers_to: str) -> None:
        self._excel.record("sheet.names.add", self._sheet)
        self._excel.defined_names.append((f"{_quote(self._sheet)}!{name}", refers_to))


class _Sheet:
    def __init__(self, excel: RecordingExcel, name: str) -> None:
        self._excel = excel
        self._name = name
        self.api = _SheetApi(excel, name)
        self.names = _SheetNames(excel, name)
        self.book = excel.book

    @property
    def name(self) -> str:
        self._excel.record("sheet.name", self._name)
        return self._name

    @name.setter
    def name(self, new: str) -> None:
        excel, old = self._excel, self._name
        excel.record("sheet.name=", old, new)
        if new.casefold() in {s.casefold() for s in excel.sheet_order if s != old}:
            raise ExcelError(f"sheet {new} exists")
        excel.sheet_order[excel.sheet_order.index(old)] = new
        for table in (excel.values, excel.formulas, excel.colors, excel.notes, excel.formats):
            table[new] = table.pop(old)
        excel.protected[new] = excel.protected.pop(old)
        excel.protect_options[new] = excel.protect_options.pop(old)
        if excel.active_sheet == old:
            excel.active_sheet = new
        self._name = new
        self.api = _SheetApi(excel, new)
        self.names = _SheetNames(excel, new)

    @property
    def notes(self) -> Iterator[_Note]:
        self._excel.record("sheet.notes", self._name)
        for cell in sorted(self._excel.notes[self._name]):
            self._excel.record("sheet.notes.next", self._name)
            yield _Note(self._excel, self._name, cell)

    def range(self, first: str | tuple[int, int], last: tuple[int, int] | None = None) -> _Range:
        if isinstance(first, tuple):
            last = last or first
            address = (
                f"{column_letters(first[1] - 1)}{first[0]}:{column_letters(last[1] - 1)}{last[0]}"
            )
            self._excel.record("sheet.range(tuple)", self._name, address)
        else:
            address = first
            self._excel.record("sheet.range", self._name, address)
        return _Range(self._excel, self._name, address)

    def clear_contents(self) -> None:
        self._excel.record("sheet.clear_contents", self._name)
        self._excel.check_writable(self._name)
        self._excel.values[self._name].clear()
        self._excel.formulas[self._name].clear()

    def activate(self) -> None:
        self._excel.record("sheet.activate", self._name)
        self._excel.active_sheet = self._name


class _RangeApi:
    def __init__(self, rng: _Range) -> None:
        self._rng = rng

    def Replace(self, What: str, Replacement: str, **options: Any) -> bool:  # noqa: N802, N803
        """Find and replace in formulas: a replaced formula is parsed again (re-entered)."""
        excel, sheet = self._rng._excel, self._rng._sheet
        excel.record("Replace", sheet, self._rng.address)
        excel.check_writable(sheet)
        found = False
        for cell in _cells(self._rng.address):
            formula = excel.formulas[sheet].get(cell)
            if formula and What.upper() in formula.upper():
                excel.formulas[sheet][cell] = formula.replace(What, Replacement)
                found = True
        if found and excel.addin_loaded:
            excel.unbound.discard(sheet)
        return found


class _Font:
    def __init__(self, rng: _Range) -> None:
        object.__setattr__(self, "_rng", rng)

    def __setattr__(self, name: str, value: Any) -> None:
        rng: _Range = object.__getattribute__(self, "_rng")
        assert name == "bold"
        rng._excel.record("font.bold=", rng._sheet, rng.address)
        rng._excel.formats[rng._sheet]["bold"].update(_cells(rng.address))


class _Range:
    def __init__(
        self, excel: RecordingExcel, sheet: str, address: str, options: dict[str, Any] | None = None
    ) -> None:
        self._excel, self._sheet, self.address = excel, sheet, address
        self._options = options or {}
        self.api = _RangeApi(self)

    def _grid(self) -> list[list[Cell]]:
        cells = _cells(self.address)
        rows = sorted({r for r, _ in cells})
        return [[c for c in cells if c[0] == r] for r in rows]

    def options(self, **options: Any) -> _Range:
        return _Range(self._excel, self._sheet, self.address, options)

    @property
    def value(self) -> Any:
        cost = "range.value(chunksize)" if "chunksize" in self._options else "range.value"
        self._excel.record(cost, self._sheet, self.address)
        values = self._excel.values[self._sheet]
        err_to_str = self._options.get("err_to_str", False)

        def read(cell: Cell) -> Any:
            value = values.get(cell)
            if isinstance(value, str) and value in ERRORS and not err_to_str:
                return None
            return value

        grid = [[read(cell) for cell in row] for row in self._grid()]
        if self._options.get("ndim") == 2:
            return grid
        if len(grid) == 1:
            return grid[0][0] if len(grid[0]) == 1 else grid[0]
        return [row[0] for row in grid] if all(len(r) == 1 for r in grid) else grid

    @value.setter
    def value(self, data: Any) -> None:
        is_list = isinstance(data, list)
        self._excel.record(
            "range.value=[]" if is_list else "range.value=", self._sheet, self.address
        )
        self._write(data)

    @property
    def raw_value(self) -> Any:
        raise NotImplementedError("not used by the plug-in")

    @raw_value.setter
    def raw_value(self, data: Any) -> None:
        self._excel.record("range.raw_value=", self._sheet, self.address)
        self._write(data)

    def _write(self, data: Any) -> None:
        self._excel.check_writable(self._sheet)
        (row, col) = _cells(self.address)[0]
        rows = data if isinstance(data, list) and data and isinstance(data[0], list) else [[data]]
        for r, line in enumerate(rows):
            for c, item in enumerate(line):
                cell = (row + r, col + c)
                value, formula = typed(item)
                self._excel.values[self._sheet][cell] = value
                if formula is None:
                    self._excel.formulas[self._sheet].pop(cell, None)
                else:
                    self._excel.formulas[self._sheet][cell] = formula
        self._excel.saved = False

    @property
    def formula(self) -> tuple[tuple[str, ...], ...]:
        self._excel.record("range.formula", self._sheet, self.address)
        formulas, values = self._excel.formulas[self._sheet], self._excel.values[self._sheet]
        return tuple(
            tuple(
                formulas.get(cell, "" if values.get(cell) is None else str(values[cell]))
                for cell in row
            )
            for row in self._grid()
        )

    @property
    def color(self) -> tuple[int, int, int] | None:
        raise NotImplementedError("not used by the plug-in")

    @color.setter
    def color(self, rgb: tuple[int, int, int] | None) -> None:
        self._excel.record("range.color=", self._sheet, self.address)
        self._excel.check_writable(self._sheet)
        for cell in _cells(self.address):
            self._excel.colors[self._sheet][cell] = rgb

    @property
    def column_width(self) -> float:
        raise NotImplementedError("not used by the plug-in")

    @column_width.setter
    def column_width(self, width: float) -> None:
        self._excel.record("range.column_width=", self._sheet, self.address)
        letter = self.address.split(":")[0]
        self._excel.formats[self._sheet]["widths"][letter] = width

    @property
    def wrap_text(self) -> bool:
        raise NotImplementedError("not used by the plug-in")

    @wrap_text.setter
    def wrap_text(self, value: bool) -> None:
        self._excel.record("range.wrap_text=", self._sheet, self.address)
        if value:
            self._excel.formats[self._sheet]["wrap"].update(_cells(self.address))

    @property
    def font(self) -> _Font:
        return _Font(self)

    @property
    def note(self) -> _Note | None:
        self._excel.record("range.note", self._sheet, self.address)
        cell = _cells(self.address)[0]
        return (
            _Note(self._excel, self._sheet, cell)
            if cell in self._excel.notes[self._sheet]
            else None
        )

    def add_note(self, text: str) -> _Note:
        """xlwings' Range.add_note: ValueError when the cell already has a note."""
        self._excel.record("range.add_note", self._sheet, self.address)
        cells = _cells(self.address)
        if len(cells) != 1:
            raise ValueError("A note can only be added to a single cell")
        if cells[0] in self._excel.notes[self._sheet]:
            raise ValueError("This cell already has a note")
        self._excel.check_writable(self._sheet)
        self._excel.notes[self._sheet][cells[0]] = (text, "Excel 用户")
        return _Note(self._excel, self._sheet, cells[0])


def failing(excel: RecordingExcel, *calls: str) -> Callable[[], None]:
    """Make ``calls`` fail from now on (a COM call that raises)."""
    excel.fail_on.update(calls)
    return lambda: excel.fail_on.difference_update(calls)
