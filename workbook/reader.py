"""Reading branch sheets back from filled workbooks, by the contract's defined names.

The package structure (sheets, defined names, custom properties) is parsed from the xlsx XML
(DTDs refused, see ``_parse_xml``); cell values come from python-calamine (fast) or openpyxl. Values are normalised
at this edge so nothing past it knows which library read the file.
"""

from __future__ import annotations

import datetime as _dt
import functools
import io
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
from .zip_package import check_package

Engine = Literal["calamine", "openpyxl"]
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
_new_tuple = tuple.__new__


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


class _ContractNames(NamedTuple):
    """The defined names of one standard's contract, as branch sheets are read by them."""

    required: tuple[str, ...]
    rule_inputs: tuple[tuple[str, str, str], ...]  # (rule id, 扣分 name, 扣分说明 name)
    veto_inputs: tuple[str, ...]  # one per veto condition, in order


_contracts: dict[int, tuple[Standard, _ContractNames]] = {}


def _contract_names(standard: Standard) -> _ContractNames:
    """The contract's names for ``standard``, worked out once rather than for every sheet.

    Cached by identity: hashing a standard hashes every item and rule, which costs more than
    working the names out. Each entry keeps its standard alive, so an id is never reused.
    """
    entry = _contracts.get(id(standard))
    if entry is None:
        contract = _ContractNames(
            required=tuple(names.required_names(standard)),
            rule_inputs=tuple(
                (rule.id, names.deduction_name(rule), names.note_name(rule))
                for rule in standard.rules
            ),
            veto_inputs=tuple(names.veto_name(n) for n in range(1, len(standard.vetoes) + 1)),
        )
        entry = _contracts[id(standard)] = (standard, contract)
    return entry[1]


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
        return [name for name in _contract_names(standard).required if name not in self.cells]

    def raw_inputs(self, standard: Standard) -> RawBranchInputs:
        """The branch's input values, keyed as the engine expects."""
        contract = _contract_names(standard)
        values = self.values
        return RawBranchInputs(
            deductions={rule_id: values.get(name) for rule_id, name, _ in contract.rule_inputs},
            notes={rule_id: values.get(name) for rule_id, _, name in contract.rule_inputs},
            vetoes=[values.get(name) for name in contract.veto_inputs],
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


def _unquote_sheet(text: str) -> str | None:
    """The sheet part of a reference as a name: ``'第一支部'`` -> 第一支部; None if malformed.

    A leading ``=`` (and whitespace before it) is allowed, as in ``='第一支部'!$E$5``.
    """
    sheet = text.lstrip().lstrip("=")
    if sheet.startswith("'") and sheet.endswith("'") and len(sheet) >= 2:
        return sheet[1:-1].replace("''", "'")
    if not sheet or "'" in sheet:
        return None
    return sheet


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


def _open_package(path: Path, data: bytes | None) -> zipfile.ZipFile:
    """The zip package from ``data`` when the caller already read the file, else from disk."""
    return zipfile.ZipFile(io.BytesIO(data) if data is not None else path)


def read_package_info(path: str | Path, *, data: bytes | None = None) -> PackageInfo:
    """Parse sheet order, sheet-scoped defined names and custom properties of an xlsx package.

    Args:
        path: the workbook file (named in messages).
        data: the file's contents when the caller has read them already; the file is then not
            opened again.

    Raises:
        WorkbookReadError: the file is missing, not a zip package or not a workbook.
    """
    path = Path(path)
    try:
        with _open_package(path, data) as package:
            # Bounded decompression for every reader, python-calamine's included.
            check_package(package, path.name, verify=True)
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
        sheet_names, local_names = parse_workbook_xml(workbook_xml)
    except StdElementTree.ParseError:
        raise WorkbookReadError(f"{path.name} 已损坏：xl/workbook.xml 无法解析") from None
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


# The definedNames block of xl/workbook.xml, and one name as Excel, XlsxWriter and openpyxl
# write it: the name first, then its sheet, then a reference with no entity in it.
_NAMES_OPEN, _NAMES_CLOSE = b"<definedNames>", b"</definedNames>"
_CANONICAL_NAME = re.compile(
    r'<definedName name="([^"&<]*)" localSheetId="(\d+)">([^<&]*)</definedName>'
)
_UTF8_DECLARATION = re.compile(rb"""^<\?xml[^>]*encoding=["'](?!utf-?8["'])""", re.I)


def parse_workbook_xml(data: bytes) -> tuple[tuple[str, ...], dict[str, dict[str, CellRef | None]]]:
    """The sheet names in tab order and the sheet-scoped defined names of ``xl/workbook.xml``.

    A workbook with a hundred branch sheets has thousands of names. When they are all written
    in the canonical form (see ``_canonical_defined_names``) they are read with one regular
    expression and only the rest of the document goes through the XML parser; anything else is
    parsed in full. Both ways give the same result (tests/test_reader.py).

    Raises:
        xml.etree.ElementTree.ParseError: the document is not well-formed or has a DTD.
    """
    canonical = _canonical_defined_names(data)
    if canonical is not None:
        rest, entries = canonical
        root = _parse_xml(rest)
    else:
        root = _parse_xml(data)
        block = root.find(f"{_NS_MAIN}definedNames")
        entries = [
            (e.get("localSheetId"), e.get("name", ""), e.text or "")
            for e in (block if block is not None else ())
        ]
    sheet_names = tuple(s.get("name", "") for s in root.iter(f"{_NS_MAIN}sheet"))
    return sheet_names, _sheet_scoped_names(sheet_names, entries)


def _canonical_defined_names(
    data: bytes,
) -> tuple[bytes, list[tuple[str | None, str, str]]] | None:
    """The document without its definedNames block, and the names in it, when every name is
    canonical: ``<definedName name="N" localSheetId="I">REF</definedName>`` with no entity, in
    a UTF-8 document without comments or CDATA that mentions ``definedName`` nowhere else.
    None otherwise (the caller then parses the whole document).
    """
    if b"<!--" in data or b"<![CDATA[" in data or _UTF8_DECLARATION.match(data):
        return None
    start = data.find(_NAMES_OPEN)
    end = data.find(_NAMES_CLOSE, start)
    if start < 0 or end < 0:
        return None
    try:
        block = data[start + len(_NAMES_OPEN) : end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    # One pass: [text, name, sheet id, reference, text, name, ...]; only whitespace may remain.
    pieces = _CANONICAL_NAME.split(block)
    count = len(pieces) // 4
    # Every mention of "definedName" is the block's own two tags or a canonical name's two.
    if data.count(b"definedName") != 2 + 2 * count or "".join(pieces[::4]).strip():
        return None
    entries = list(zip(pieces[2::4], pieces[1::4], pieces[3::4], strict=True))
    return data[:start] + data[end + len(_NAMES_CLOSE) :], entries


def _sheet_scoped_names(
    sheet_names: tuple[str, ...], defined_names: Iterable[tuple[str | None, str, str]]
) -> dict[str, dict[str, CellRef | None]]:
    """Sheet -> name -> cell for every defined name scoped to a sheet.

    ``defined_names`` are (localSheetId, name, reference text) triples.

    A name whose reference is not a single cell of its own sheet maps to None. A template has
    about ninety names a branch sheet, all referring to that sheet: each distinct
    ``localSheetId`` and sheet part of a reference is interpreted once per workbook.
    """
    local_names: dict[str, dict[str, CellRef | None]] = {s: {} for s in sheet_names}
    owners: dict[str | None, str | None] = {}  # localSheetId -> the sheet it scopes a name to
    referred: dict[str, str | None] = {}  # sheet part of a reference -> the sheet it names
    for local_id, name, text in defined_names:
        try:
            owner = owners[local_id]
        except KeyError:
            owner = owners[local_id] = _scope_sheet(local_id, sheet_names)
        if owner is None:
            continue
        sheet_text, bang, cell = text.rpartition("!")
        ref = None
        if bang:
            try:
                sheet = referred[sheet_text]
            except KeyError:
                sheet = referred[sheet_text] = _unquote_sheet(sheet_text)
            if sheet == owner:
                position = _parse_cell(cell.rstrip())
                if position is not None:
                    # The same as CellRef(owner, *position) without the named tuple's
                    # Python-level __new__: a fifth of this loop's time.
                    ref = _new_tuple(CellRef, (owner, *position))
        local_names[owner][name] = ref
    return local_names


def _scope_sheet(local_id: str | None, sheet_names: tuple[str, ...]) -> str | None:
    """The sheet a ``localSheetId`` attribute scopes a name to; None for a workbook name."""
    if local_id is None or not local_id.isdigit() or int(local_id) >= len(sheet_names):
        return None
    return sheet_names[int(local_id)]


# Cell value types passed through as they are (a plain date is not: it becomes a datetime).
_PLAIN_VALUE_TYPES = frozenset({float, int, str, bool, _dt.datetime, _dt.time, _dt.timedelta})


def _normalise(value: object) -> object:
    """One cell value as the engine sees it: None for blank, int/float, str, bool, dates."""
    if value is None or value == "":
        return None
    if type(value) in _PLAIN_VALUE_TYPES:  # nearly every cell: decided without isinstance
        return value
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        # calamine gives midnight date-times as dates, openpyxl as datetimes: agree on datetime.
        return _dt.datetime.combine(value, _dt.time())
    if isinstance(
        value, _dt.datetime | _dt.date | _dt.time | _dt.timedelta | bool | int | float | str
    ):
        return value
    return str(value)


def _read_values_calamine(path: Path, data: bytes | None, sheets: list[BranchSheet]) -> None:
    """Fill in every named cell's value of ``sheets`` with python-calamine."""
    import python_calamine

    try:
        if data is not None:
            book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        else:
            book = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.CalamineError as error:
        raise WorkbookReadError(f"{path.name} 无法读取：{error}") from None
    except Exception as error:  # calamine raises plain errors for some corrupt packages
        raise WorkbookReadError(f"{path.name} 无法读取：{error}") from None
    try:
        for sheet in sheets:
            rows = book.get_sheet_by_name(sheet.sheet).to_python(skip_empty_area=False)
            values: dict[str, object] = {}
            for name, ref in sheet.cells.items():
                row = rows[ref.row] if ref.row < len(rows) else ()
                values[name] = _normalise(row[ref.col] if ref.col < len(row) else None)
            sheet.values = values
    except Exception as error:
        raise WorkbookReadError(f"{path.name} 无法读取：{error}") from None
    finally:
        book.close()


def _read_values_openpyxl(path: Path, data: bytes | None, sheets: list[BranchSheet]) -> None:
    """Fill in every named cell's value of ``sheets`` with openpyxl."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(
            io.BytesIO(data) if data is not None else path,
            data_only=True,
            read_only=False,
            keep_links=False,
        )
    except Exception as error:
        raise WorkbookReadError(f"{path.name} 无法读取：{error}") from None
    try:
        for sheet in sheets:
            cells = book[sheet.sheet]
            sheet.values = {
                name: _normalise(cells.cell(ref.row + 1, ref.col + 1).value)
                for name, ref in sheet.cells.items()
            }
    finally:
        book.close()


def read_branch_workbook(
    path: str | Path,
    engine: Engine = "calamine",
    extra_names: Iterable[str] = (),
    *,
    data: bytes | None = None,
) -> BranchWorkbook:
    """Read every branch sheet (a sheet with a ``branch_name`` name) of a workbook.

    All named cells of each branch sheet are read, so callers get inputs and cached outputs.
    A caller that has read the file already (to hash it, say) passes its contents as ``data``:
    the package is then parsed from those bytes and the file is not opened again.

    Raises:
        WorkbookReadError: the file is not a readable workbook.
    """
    path = Path(path)
    info = read_package_info(path, data=data)
    sheets: list[BranchSheet] = []
    for sheet_name in info.sheet_names:
        local = info.local_names.get(sheet_name, {})
        if names.BRANCH_NAME not in local:
            continue
        cells = {name: ref for name, ref in local.items() if ref is not None}
        sheets.append(BranchSheet(path, sheet_name, cells))
    if sheets:
        reader = _read_values_calamine if engine == "calamine" else _read_values_openpyxl
        reader(path, data, sheets)
    return BranchWorkbook(path, info, sheets)
