"""RecordingExcel: the project's one stand-in, for the xlwings calls of ``xlplugin.excel_book``.

It models exactly the xlwings objects and calls ``ExcelBook`` (with its Windows COM calls) and
``recalc_excel_book`` use (book.sheets / book.names / book.api / book.app, sheet.range /
sheet.api, range.value / formula / color / api), holds cell values, formulas, fills, notes and protection per sheet,
behaves like Excel where it matters (writing to a protected sheet fails, a second note on a
cell fails), and records every call that would be a round trip to Excel in ``calls``.

Build one from a real template file with ``RecordingExcel.from_file``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl

from workbook.reader import column_index, column_letters, read_package_info

Cell = tuple[int, int]  # 1-based (row, col), as Excel counts


class ExcelError(RuntimeError):
    """What a failing COM call raises."""


def _cells(address: str) -> list[Cell]:
    """Every cell of an address such as ``E5``, ``E5:E8`` or ``E5,E9,E28``."""
    cells: list[Cell] = []
    for area in address.replace("$", "").split(","):
        corners: list[Cell] = []
        for part in area.split(":"):
            match = re.fullmatch(r"([A-Z]+)(\d+)", part)
            assert match, address
            corners.append((int(match.group(2)), column_index(match.group(1)) + 1))
        (r1, c1), (r2, c2) = corners[0], corners[-1]
        cells += [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
    return cells


class RecordingExcel:
    """A workbook open in a pretend Excel; ``calls`` lists every round trip made."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.sheet_order: list[str] = []
        self.values: dict[str, dict[Cell, Any]] = {}
        self.formulas: dict[str, dict[Cell, str]] = {}
        self.colors: dict[str, dict[Cell, tuple[int, int, int] | None]] = {}
        self.notes: dict[str, dict[Cell, str]] = {}
        self.protected: dict[str, bool] = {}
        self.passwords: dict[str, str] = {}  # sheets protected with a password
        self.protect_options: dict[str, dict[str, bool]] = {}
        self.defined_names: list[tuple[str, str]] = []  # (Name.Name, Name.RefersTo)
        self.properties: dict[str, str] = {}
        self.alerts: list[dict[str, Any]] = []
        self.screen_updating = True
        self.calculated = 0
        self.book = _Book(self)

    # --- building -----------------------------------------------------------------------

    @classmethod
    def from_file(cls, path: str | Path, protected: bool = True) -> RecordingExcel:
        """Load a real workbook: its sheets, names, values, formulas and properties."""
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
            quoted = "'" + sheet.replace("'", "''") + "'"
            for name, ref in local.items():
                if ref is not None:
                    target = f"={quoted}!${column_letters(ref.col)}${ref.row + 1}"
                    excel.defined_names.append((f"{quoted}!{name}", target))
        excel.properties = dict(info.properties)
        return excel

    def add_sheet(self, name: str, protected: bool = False) -> None:
        self.sheet_order.append(name)
        self.values[name] = {}
        self.formulas[name] = {}
        self.colors[name] = {}
        self.notes[name] = {}
        self.protected[name] = protected
        self.protect_options[name] = {"AllowFormattingColumns": True, "AllowFormattingRows": True}

    def set_value(self, sheet: str, address: str, value: Any) -> None:
        """What a user typing into a cell does (no call recorded)."""
        for cell in _cells(address):
            self.values[sheet][cell] = value
            self.formulas[sheet].pop(cell, None)

    # --- inspecting ---------------------------------------------------------------------

    def record(self, *call: Any) -> None:
        self.calls.append(call)

    def calls_on(self, sheet: str) -> list[tuple[Any, ...]]:
        """The calls made on one sheet (or its ranges)."""
        return [c for c in self.calls if len(c) > 1 and c[1] == sheet]

    def color(self, sheet: str, address: str) -> tuple[int, int, int] | None:
        return self.colors[sheet].get(_cells(address)[0])

    def note(self, sheet: str, address: str) -> str | None:
        return self.notes[sheet].get(_cells(address)[0])

    def value(self, sheet: str, address: str) -> Any:
        return self.values[sheet].get(_cells(address)[0])


class _Api:
    """``book.api``: CustomDocumentProperties(name).Value."""

    def __init__(self, excel: RecordingExcel) -> None:
        self._excel = excel

    def CustomDocumentProperties(self, name: str) -> Any:  # noqa: N802 (COM name)
        self._excel.record("CustomDocumentProperties", name)
        if name not in self._excel.properties:
            raise ExcelError(f"no property {name}")
        return type("Property", (), {"Value": self._excel.properties[name]})()


class _App:
    def __init__(self, excel: RecordingExcel) -> None:
        self._excel = excel

    @property
    def screen_updating(self) -> bool:
        self._excel.record("app.screen_updating")
        return self._excel.screen_updating

    @screen_updating.setter
    def screen_updating(self, value: bool) -> None:
        self._excel.record("app.screen_updating=", value)
        self._excel.screen_updating = value

    def calculate(self) -> None:
        self._excel.record("app.calculate")
        self._excel.calculated += 1

    def alert(
        self, prompt: str, title: str = "", buttons: str = "ok", mode: str | None = None
    ) -> str:
        self._excel.record("app.alert")
        self._excel.alerts.append(
            {"prompt": prompt, "title": title, "buttons": buttons, "mode": mode}
        )
        return buttons


class _Name:
    def __init__(self, excel: RecordingExcel, name: str, refers_to: str) -> None:
        self._excel, self._name, self._refers_to = excel, name, refers_to

    @property
    def name(self) -> str:
        self._excel.record("Name.name", self._name)
        return self._name

    @property
    def refers_to(self) -> str:
        self._excel.record("Name.refers_to", self._name)
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
        return iter([_Name(self._excel, n, r) for n, r in self._excel.defined_names])


class _Sheets:
    def __init__(self, excel: RecordingExcel) -> None:
        self._excel = excel

    def __iter__(self) -> Iterator[_Sheet]:
        self._excel.record("book.sheets")
        return iter([_Sheet(self._excel, name) for name in self._excel.sheet_order])

    def __getitem__(self, key: str | int) -> _Sheet:
        name = self._excel.sheet_order[key] if isinstance(key, int) else key
        self._excel.record("book.sheets[]", name)
        if name not in self._excel.values:
            raise KeyError(name)
        return _Sheet(self._excel, name)

    def add(self, name: str, after: _Sheet | None = None) -> _Sheet:
        self._excel.record("book.sheets.add", name)
        if name in self._excel.values:
            raise ExcelError(f"sheet {name} exists")
        self._excel.add_sheet(name)
        return _Sheet(self._excel, name)


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

        class Protection:
            def __getattr__(self, option: str) -> bool:
                excel.record("Protection." + option, sheet)
                return excel.protect_options[sheet][option]

        return Protection()

    def Unprotect(self, Password: str | None = None) -> None:  # noqa: N802, N803 (COM names)
        self._excel.record("Unprotect", self._sheet)
        if self._excel.passwords.get(self._sheet, Password) != Password:
            raise ExcelError("The password you supplied is not correct.")
        self._excel.protected[self._sheet] = False

    def Protect(self, **options: bool) -> None:  # noqa: N802 (COM name)
        self._excel.record("Protect", self._sheet)
        self._excel.protected[self._sheet] = True
        self._excel.protect_options[self._sheet] = {
            k: v for k, v in options.items() if k.startswith("Allow")
        }


class _Sheet:
    def __init__(self, excel: RecordingExcel, name: str) -> None:
        self._excel = excel
        self._name = name
        self.api = _SheetApi(excel, name)

    @property
    def name(self) -> str:
        self._excel.record("sheet.name", self._name)
        return self._name

    def range(self, first: str | tuple[int, int], last: tuple[int, int] | None = None) -> _Range:
        if isinstance(first, tuple):
            last = last or first
            address = (
                f"{column_letters(first[1] - 1)}{first[0]}:{column_letters(last[1] - 1)}{last[0]}"
            )
        else:
            address = first
        self._excel.record("sheet.range", self._name, address)
        return _Range(self._excel, self._name, address)

    def clear_contents(self) -> None:
        self._excel.record("sheet.clear_contents", self._name)
        self._excel.values[self._name].clear()
        self._excel.formulas[self._name].clear()


class _RangeApi:
    def __init__(self, rng: _Range) -> None:
        self._rng = rng

    def ClearComments(self) -> None:  # noqa: N802 (COM name)
        excel, sheet = self._rng._excel, self._rng._sheet
        excel.record("ClearComments", sheet, self._rng.address)
        self._rng._check_writable()
        for cell in _cells(self._rng.address):
            excel.notes[sheet].pop(cell, None)

    def AddComment(self, text: str) -> None:  # noqa: N802 (COM name)
        excel, sheet = self._rng._excel, self._rng._sheet
        excel.record("AddComment", sheet, self._rng.address)
        self._rng._check_writable()
        cell = _cells(self._rng.address)[0]
        if cell in excel.notes[sheet]:
            raise ExcelError("the cell already has a note")
        excel.notes[sheet][cell] = text


class _Range:
    def __init__(
        self, excel: RecordingExcel, sheet: str, address: str, ndim: int | None = None
    ) -> None:
        self._excel, self._sheet, self.address, self._ndim = excel, sheet, address, ndim
        self.api = _RangeApi(self)

    def _check_writable(self) -> None:
        if self._excel.protected[self._sheet]:
            raise ExcelError(f"sheet {self._sheet} is protected")

    def _grid(self) -> list[list[Cell]]:
        cells = _cells(self.address)
        rows = sorted({r for r, _ in cells})
        return [[c for c in cells if c[0] == r] for r in rows]

    def options(self, ndim: int | None = None) -> _Range:
        return _Range(self._excel, self._sheet, self.address, ndim)

    @property
    def value(self) -> Any:
        self._excel.record("range.value", self._sheet, self.address)
        values = self._excel.values[self._sheet]
        grid = [[values.get(cell) for cell in row] for row in self._grid()]
        if self._ndim == 2:
            return grid
        return grid[0][0] if len(grid) == 1 and len(grid[0]) == 1 else grid

    @value.setter
    def value(self, data: Any) -> None:
        self._excel.record("range.value=", self._sheet, self.address)
        self._check_writable()
        (row, col) = _cells(self.address)[0]
        rows = data if isinstance(data, list) and data and isinstance(data[0], list) else [[data]]
        for r, line in enumerate(rows):
            for c, item in enumerate(line):
                self._excel.values[self._sheet][(row + r, col + c)] = item
                self._excel.formulas[self._sheet].pop((row + r, col + c), None)

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
        self._excel.record("range.color", self._sheet, self.address)
        return self._excel.colors[self._sheet].get(_cells(self.address)[0])

    @color.setter
    def color(self, rgb: tuple[int, int, int] | None) -> None:
        self._excel.record("range.color=", self._sheet, self.address)
        self._check_writable()
        for cell in _cells(self.address):
            self._excel.colors[self._sheet][cell] = rgb
