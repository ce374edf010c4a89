"""Reading branch sheets back from filled workbooks, by the contract's defined names.

The package structure (sheets, defined names, custom properties) is parsed from the xlsx XML
with defusedxml; cell values come from python-calamine (fast) or openpyxl. Values are normalised
at this edge so nothing past it knows which library read the file.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
import xml.etree.ElementTree as StdElementTree
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple


from . import names
from .errors import WorkbookReadError
from .scoring import RawBranchInputs
from .standard import Standard

Engine = Literal["calamine", "openpyxl"]
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


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


class CellRef(NamedTuple):
    """A cell of a sheet (0-based row and column)."""

    sheet: str
    row: int
    col: int

    @property
    def a1(self) -> str:
        """The cell's A1 address, e.g. ``F7``."""
        return f"{column_letters(self.col)}{self.row + 1}"

    @property
    def label(self) -> str:
        """``sheet!cell`` as users read it, e.g. ``第一支部!F7``."""
        return f"{self.sheet}!{self.a1}"


@dataclass(frozen=True)
class PackageInfo:
    """What the xlsx package says about itself, before any cell is read."""

    sheet_names: tuple[str, ...]
    local_names: dict[str, dict[str, CellRef | None]]  # sheet -> name -> cell (None if broken)
    properties: dict[str, str]  # custom document properties


@dataclass
class BranchSheet:
    """One branch sheet of a workbook: where its named cells are and what they hold."""

    file: Path
    sheet: str
    cells: dict[str, CellRef]
    values: dict[str, object] = field(default_factory=dict)

    @property
    def branch_name(self) -> str:
        """The full branch name from the ``branch_name`` cell (the sheet name if blank)."""
        value = self.values.get(names.BRANCH_NAME)
        text = "" if value is None else str(value).strip()
        return text or self.sheet

    def missing_names(self, standard: Standard) -> list[str]:
        """Contract names this sheet lacks (or whose reference is broken)."""
        return [name for name in names.required_names(standard) if name not in self.cells]

    def raw_inputs(self, standard: Standard) -> RawBranchInputs:
        """The branch's input values, keyed as the engine expects."""
        return RawBranchInputs(
            deductions={r.id: self.values.get(names.deduction_name(r)) for r in standard.rules},
            notes={r.id: self.values.get(names.note_name(r)) for r in standard.rules},
            vetoes=[
                self.values.get(names.veto_name(n)) for n in range(1, len(standard.vetoes) + 1)
            ],
        )

    def label(self, name: str) -> str:
        """``sheet!cell`` of a named cell, e.g. ``第一支部!F7``."""
        ref = self.cells.get(name)
        return ref.label if ref else f"{self.sheet}!{name}"


@dataclass
class BranchWorkbook:
    """A workbook with its identity and its branch sheets (found by ``branch_name``)."""

    path: Path
    info: PackageInfo
    sheets: list[BranchSheet]

    @property
    def standard_id(self) -> str | None:
        """The standard the template was made for, if recorded."""
        return self.info.properties.get(names.PROP_STANDARD)

    @property
    def template_version(self) -> str | None:
        """The template version, if recorded."""
        return self.info.properties.get(names.PROP_TEMPLATE_VERSION)

    @property
    def year(self) -> str | None:
        """The assessment year, if recorded."""
        return self.info.properties.get(names.PROP_YEAR)


@functools.lru_cache(maxsize=4096)
def _parse_cell(cell: str) -> tuple[int, int] | None:
    """``$E$5`` -> (4, 4), 0-based; None for anything that is not a single cell."""
    match = _CELL.match(cell)
    if not match:
        return None
    return int(match.group(2)) - 1, column_index(match.group(1))


def _parse_ref(text: str) -> tuple[str, int, int] | None:
    """``'第一支部'!$E$5`` -> ("第一支部", 4, 4); None for ranges, #REF! and the like."""
    sheet, bang, cell = text.strip().lstrip("=").rpartition("!")
    if not bang:
        return None
    if sheet.startswith("'") and sheet.endswith("'") and len(sheet) >= 2:
        sheet = sheet[1:-1].replace("''", "'")
    elif not sheet or "'" in sheet:
        return None
    position = _parse_cell(cell)
    return (sheet, *position) if position else None


def _parse_xml(data: bytes) -> Any:
    """Parse package XML, refusing any DTD.

    Every XML attack defusedxml guards against (entity expansion, external entities) needs a
    DTD; refusing DTDs outright lets us use the C-accelerated standard parser, which parses
    package parts about twice as fast as defusedxml's pure-Python tree builder. OOXML parts
    never carry a DTD.
    """
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise StdElementTree.ParseError("DTD not allowed in a package part")
    return StdElementTree.fromstring(data)


def read_package_info(path: str | Path) -> PackageInfo:
    """Parse sheet order, sheet-scoped defined names and custom properties of an xlsx package.

    Raises:
        WorkbookReadError: the file is missing, not a zip package or not a workbook.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as package:
            workbook_xml = package.read("xl/workbook.xml")
            try:
                custom_xml: bytes | None = package.read("docProps/custom.xml")
            except KeyError:
                custom_xml = None
    except FileNotFoundError:
        raise WorkbookReadError(f"找不到文件 {path}") from None
    except (zipfile.BadZipFile, KeyError, OSError):
        raise WorkbookReadError(
            f"{path.name} 不是可读取的 Excel 工作簿（应为 .xlsx 或 .xlsm）"
        ) from None
    try:
        root = _parse_xml(workbook_xml)
    except StdElementTree.ParseError:
        raise WorkbookReadError(f"{path.name} 已损坏：xl/workbook.xml 无法解析") from None
    sheet_names = tuple(s.get("name", "") for s in root.iter(f"{_NS_MAIN}sheet"))
    local_names: dict[str, dict[str, CellRef | None]] = {s: {} for s in sheet_names}
    defined_names = root.find(f"{_NS_MAIN}definedNames")
    for element in defined_names if defined_names is not None else ():
        local_id = element.get("localSheetId")
        if local_id is None or not local_id.isdigit() or int(local_id) >= len(sheet_names):
            continue
        owner = sheet_names[int(local_id)]
        parsed = _parse_ref(element.text or "")
        ref = CellRef(parsed[0], parsed[1], parsed[2]) if parsed and parsed[0] == owner else None
        local_names[owner][element.get("name", "")] = ref
    properties: dict[str, str] = {}
    if custom_xml:
        try:
            for prop in _parse_xml(custom_xml).iter(f"{_NS_CUSTOM}property"):
                value = next(iter(prop), None)
                if value is not None and prop.get("name"):
                    properties[prop.get("name", "")] = (value.text or "").strip()
        except StdElementTree.ParseError:
            pass  # unreadable properties: treated as unknown template
    return PackageInfo(sheet_names, local_names, properties)


def _normalise(value: object) -> object:
    """One cell value as the engine sees it: None for blank, int/float, str, bool, dates."""
    if value is None or value == "":
        return None
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        # calamine gives midnight date-times as dates, openpyxl as datetimes: agree on datetime.
        return _dt.datetime.combine(value, _dt.time())
    if isinstance(
        value, _dt.datetime | _dt.date | _dt.time | _dt.timedelta | bool | int | float | str
    ):
        return value
    return str(value)


def _read_values_calamine(path: Path, wanted: dict[str, list[CellRef]]) -> dict[CellRef, object]:
    import python_calamine

    values: dict[CellRef, object] = {}
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.CalamineError as error:
        raise WorkbookReadError(f"{path.name} 无法读取：{error}") from None
    except Exception as error:  # calamine raises plain errors for some corrupt packages
        raise WorkbookReadError(f"{path.name} 无法读取：{error}") from None
    try:
        for sheet_name, refs in wanted.items():
            rows = book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
            for ref in refs:
                row = rows[ref.row] if ref.row < len(rows) else ()
                values[ref] = _normalise(row[ref.col] if ref.col < len(row) else None)
    except Exception as error:
        raise WorkbookReadError(f"{path.name} 无法读取：{error}") from None
    finally:
        book.close()
    return values


def _read_values_openpyxl(path: Path, wanted: dict[str, list[CellRef]]) -> dict[CellRef, object]:
    import openpyxl

    values: dict[CellRef, object] = {}
    try:
        book = openpyxl.load_workbook(path, data_only=True, read_only=False, keep_links=False)
    except Exception as error:
        raise WorkbookReadError(f"{path.name} 无法读取：{error}") from None
    try:
        for sheet_name, refs in wanted.items():
            sheet = book[sheet_name]
            for ref in refs:
                values[ref] = _normalise(sheet.cell(ref.row + 1, ref.col + 1).value)
    finally:
        book.close()
    return values


def read_branch_workbook(
    path: str | Path, engine: Engine = "calamine", extra_names: Iterable[str] = ()
) -> BranchWorkbook:
    """Read every branch sheet (a sheet with a ``branch_name`` name) of a workbook.

    All named cells of each branch sheet are read, so callers get inputs and cached outputs.

    Raises:
        WorkbookReadError: the file is not a readable workbook.
    """
    path = Path(path)
    info = read_package_info(path)
    sheets: list[BranchSheet] = []
    wanted: dict[str, list[CellRef]] = {}
    for sheet_name in info.sheet_names:
        local = info.local_names.get(sheet_name, {})
        if names.BRANCH_NAME not in local:
            continue
        cells = {name: ref for name, ref in local.items() if ref is not None}
        sheets.append(BranchSheet(path, sheet_name, cells))
        wanted[sheet_name] = list(cells.values())
    if sheets:
        reader = _read_values_calamine if engine == "calamine" else _read_values_openpyxl
        values = reader(path, wanted)
        for sheet in sheets:
            sheet.values = {name: values.get(ref) for name, ref in sheet.cells.items()}
    return BranchWorkbook(path, info, sheets)
