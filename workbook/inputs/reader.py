"""Reading branch sheets back from filled workbooks, by the contract's defined names.

The package structure (sheets, defined names, custom properties) is parsed from the xlsx XML
(DTDs and undefined entities refused, see ``xlsx_parts``); cell values come from python-calamine (fast) or openpyxl. Values are normalised
at this edge so nothing past it knows which library read the file.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as StdElementTree
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

from workbook.core import names
from workbook.core.scoring import RawBranchInputs
from workbook.core.standard import Standard
from workbook.core.survey import raw_survey
from workbook.errors import WorkbookReadError
from workbook.inputs.sheet_contract import (
    LOOKALIKE_ROWS,
    input_area,
    is_contract_name,
    is_output_name,
    looks_like_branch_sheet,
)
from workbook.xlsx.cells import (
    CellMarkup,
    CellRef,
    apply_markup,
    column_index,
    column_letters,
    describe,
    normalise,
    parse_a1,
    special_cells,
    unquote_sheet,
    unwrap_formulas,
)
from workbook.xlsx.properties import (
    check_part,
    parse_custom_properties,
    parse_xml,
    read_head,
    unreadable_reason,
)
from workbook.xlsx.zip_package import check_package

__all__ = ["CellRef", "column_index", "column_letters"]

Engine = Literal["calamine", "openpyxl"]
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_new_tuple = tuple.__new__


@dataclass(frozen=True)
class PackageInfo:
    """What the xlsx package says about itself, before any cell is read."""

    sheet_names: tuple[str, ...]
    # sheet -> name -> its cell (a cell of another sheet if it points there; None if broken)
    local_names: dict[str, dict[str, CellRef | None]]
    properties: dict[str, str]  # custom document properties
    sheet_parts: dict[str, str] = field(default_factory=dict)  # sheet -> its worksheet part


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
    # Every name scoped to the sheet, as the package says (see ``PackageInfo.local_names``).
    names: dict[str, CellRef | None] = field(default_factory=dict)
    formulas: dict[str, str] = field(default_factory=dict)  # name -> formula of its cell
    # Filled cells of the input area (see ``sheet_contract.input_area``), named or not.
    filled: list[tuple[int, int]] = field(default_factory=list)

    @property
    def branch_name(self) -> str:
        """The full branch name from the ``branch_name`` cell (the sheet name if blank)."""
        value = self.values.get(names.BRANCH_NAME)
        text = describe(value).strip() if isinstance(value, str | int | float) else ""
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
            survey=raw_survey(standard, values),
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
    # Sheets without names that look like branch sheets (copied with Ctrl+A/Ctrl+V).
    lookalikes: list[str] = field(default_factory=list)

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


def _open_package(path: Path, data: bytes | None) -> zipfile.ZipFile:
    """The zip package from ``data`` when the caller already read the file, else from disk."""
    return zipfile.ZipFile(io.BytesIO(data) if data is not None else path)


def unreadable(path: Path, data: bytes | None = None) -> WorkbookReadError:
    """The error for a file that is no readable xlsx package, saying what it is instead."""
    return WorkbookReadError(f"{path.name} {unreadable_reason(path, read_head(path, data))}")


def read_package_info(path: str | Path, *, data: bytes | None = None) -> PackageInfo:
    """Parse sheet order, sheet-scoped defined names and custom properties of an xlsx package.

    Args:
        path: the workbook file (named in messages).
        data: the file's contents when the caller has read them already; the file is then not
            opened again.

    Raises:
        WorkbookReadError: the file is missing, not a zip package or not a workbook, or a part
            read has a DTD or an undefined entity (``PartRefusedError``).
    """
    path = Path(path)
    try:
        with _open_package(path, data) as package:
            info = _package_info(path, package)
    except FileNotFoundError:
        raise WorkbookReadError(f"找不到文件 {path}") from None
    except (zipfile.BadZipFile, KeyError, OSError, EOFError):
        raise unreadable(path, data) from None
    return info


def _package_info(path: Path, package: zipfile.ZipFile) -> PackageInfo:
    # Bounded decompression for every reader, python-calamine's included.
    check_package(package, path.name, verify=True)
    workbook_xml = package.read("xl/workbook.xml")
    try:
        custom_xml: bytes | None = package.read("docProps/custom.xml")
    except KeyError:
        custom_xml = None
    try:
        rels_xml: bytes | None = package.read(_WORKBOOK_RELS)
    except KeyError:
        rels_xml = None
    try:
        sheet_names, local_names, rel_ids = _parse_workbook(workbook_xml, path.name)
        targets = _relationship_targets(rels_xml, path.name) if rels_xml else {}
    except StdElementTree.ParseError:
        raise WorkbookReadError(f"{path.name} 已损坏：xl/workbook.xml 无法解析") from None
    properties = parse_custom_properties(path.name, custom_xml)
    sheet_parts = {
        sheet: targets[rel]
        for sheet, rel in zip(sheet_names, rel_ids, strict=True)
        if rel in targets
    }
    return PackageInfo(sheet_names, local_names, properties, sheet_parts)


def _relationship_targets(data: bytes, file_name: str) -> dict[str, str]:
    """Relationship id -> the part it points to, for ``xl/workbook.xml``."""
    import posixpath

    targets: dict[str, str] = {}
    for rel in parse_xml(file_name, _WORKBOOK_RELS, data).iter(f"{_NS_PKG_REL}Relationship"):
        target = rel.get("Target", "")
        part = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join("xl", target))
        )
        targets[rel.get("Id", "")] = part
    return targets


# The definedNames block of xl/workbook.xml, and one name as Excel, XlsxWriter and openpyxl
# write it: the name first, then its sheet, then a reference with no entity in it.
_NAMES_OPEN, _NAMES_CLOSE = b"<definedNames>", b"</definedNames>"
_CANONICAL_NAME = re.compile(
    r'<definedName name="([^"&<]*)" localSheetId="(\d+)">([^<&]*)</definedName>'
)
_UTF8_DECLARATION = re.compile(rb"""^<\?xml[^>]*encoding=["'](?!utf-?8["'])""", re.I)


def parse_workbook_xml(
    data: bytes, file_name: str = "workbook"
) -> tuple[tuple[str, ...], dict[str, dict[str, CellRef | None]]]:
    """The sheet names in tab order and the sheet-scoped defined names of ``xl/workbook.xml``.

    A workbook with a hundred branch sheets has thousands of names. When they are all written
    in the canonical form (see ``_canonical_defined_names``) they are read with one regular
    expression and only the rest of the document goes through the XML parser; anything else is
    parsed in full. Both ways give the same result (tests/test_reader.py).

    Raises:
        PartRefusedError: the document has a DTD or an undefined entity.
        xml.etree.ElementTree.ParseError: the document is not well-formed.
    """
    sheet_names, local_names, _ = _parse_workbook(data, file_name)
    return sheet_names, local_names


def _parse_workbook(
    data: bytes, file_name: str
) -> tuple[tuple[str, ...], dict[str, dict[str, CellRef | None]], list[str]]:
    """``parse_workbook_xml`` and the relationship id of each sheet."""
    canonical = _canonical_defined_names(data)
    if canonical is not None:
        rest, entries = canonical
        check_part(file_name, "xl/workbook.xml", data)
        root = parse_xml(file_name, "xl/workbook.xml", rest)
    else:
        root = parse_xml(file_name, "xl/workbook.xml", data)
        block = root.find(f"{_NS_MAIN}definedNames")
        entries = [
            (e.get("localSheetId"), e.get("name", ""), e.text or "")
            for e in (block if block is not None else ())
        ]
    sheets = list(root.iter(f"{_NS_MAIN}sheet"))
    sheet_names = tuple(s.get("name", "") for s in sheets)
    rel_ids = [s.get(f"{_NS_REL}id", "") for s in sheets]
    return sheet_names, _sheet_scoped_names(sheet_names, entries), rel_ids


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

    A name whose reference is a single cell of another sheet maps to that cell (readers use
    only cells of the name's own sheet; the contract check reports the others); a reference
    that is not a single cell maps to None. A template has
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
                sheet = referred[sheet_text] = unquote_sheet(sheet_text)
            if sheet is not None:
                position = parse_a1(cell.rstrip())
                if position is not None:
                    # The same as CellRef(sheet, *position) without the named tuple's
                    # Python-level __new__: a fifth of this loop's time.
                    ref = _new_tuple(CellRef, (sheet, *position))
        local_names[owner][name] = ref
    return local_names


def _scope_sheet(local_id: str | None, sheet_names: tuple[str, ...]) -> str | None:
    """The sheet a ``localSheetId`` attribute scopes a name to; None for a workbook name."""
    if local_id is None or not local_id.isdigit() or int(local_id) >= len(sheet_names):
        return None
    return sheet_names[int(local_id)]


class _SheetReading(NamedTuple):
    """What a branch sheet's XML says beyond its values."""

    markup: dict[tuple[int, int], CellMarkup]  # cells with a formula or an error value


def _check_package(path: Path, package: zipfile.ZipFile, info: PackageInfo) -> None:
    """Refuse a package with a DTD or an undefined entity in any XML part, read or not (as
    recalc does: both commands refuse the same files).

    The worksheets are checked as they are read (``_read_sheet_xml``).
    """
    sheets = set(info.sheet_parts.values())
    for part in package.namelist():
        if part not in sheets and part.endswith((".xml", ".rels", ".vml")):
            check_part(path.name, part, package.read(part))


def _read_sheet_xml(
    path: Path, package: zipfile.ZipFile, part: str, cells: Iterable[tuple[int, int]]
) -> _SheetReading:
    try:
        data = package.read(part)
    except KeyError:
        raise WorkbookReadError(f"{path.name} 已损坏：缺少工作表 {part}") from None
    check_part(path.name, part, data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise WorkbookReadError(f"{path.name} 已损坏：{part} 不是 UTF-8 文本") from None
    return _SheetReading(special_cells(text, cells))


def read_branch_workbook(
    path: str | Path,
    engine: Engine = "calamine",
    extra_names: Iterable[str] = (),
    *,
    data: bytes | None = None,
    standard: Standard | None = None,
) -> BranchWorkbook:
    """Read every branch sheet (a sheet with a name of the contract) of a workbook.

    All named cells of each branch sheet are read, so callers get inputs and cached outputs.
    Values are normalised (``cells.normalise``); an error value becomes ``CellError``, a formula
    without a result ``UncachedFormula``, a formula with one its result (listed in
    ``BranchSheet.formulas``), whichever engine reads the values. With ``standard``, the filled
    cells of each sheet's input area are listed too, and sheets without names are checked for
    the look of a branch sheet.

    A caller that has read the file already (to hash it, say) passes its contents as ``data``:
    the package is then parsed from those bytes and the file is not opened again.

    Raises:
        WorkbookReadError: the file is not a readable workbook, or a part read has a DTD or an
            undefined entity (``PartRefusedError``).
    """
    path = Path(path)
    sheets: list[BranchSheet] = []
    readings: dict[str, _SheetReading] = {}
    others: list[str] = []
    try:
        with _open_package(path, data) as package:
            info = _package_info(path, package)
            _check_package(path, package, info)
            for sheet_name in info.sheet_names:
                local = info.local_names.get(sheet_name, {})
                if not any(is_contract_name(name) for name in local):
                    others.append(sheet_name)
                    part = info.sheet_parts.get(sheet_name)
                    if part in package.NameToInfo:
                        check_part(path.name, part, package.read(part))
                    continue
                cells = {
                    name: ref
                    for name, ref in local.items()
                    if ref is not None and ref.sheet == sheet_name
                }
                sheets.append(BranchSheet(path, sheet_name, cells, names=dict(local)))
                part = info.sheet_parts.get(sheet_name)
                if part is not None:
                    # Computed cells need no markup: a result they lack reads as blank.
                    positions = [
                        (ref.row, ref.col)
                        for name, ref in cells.items()
                        if not is_output_name(name)
                    ]
                    area = input_area(cells, standard) if standard is not None else None
                    if area is not None:
                        column, first, last = area
                        positions += [(row, column) for row in range(first, last + 1)]
                    readings[sheet_name] = _read_sheet_xml(path, package, part, positions)
    except FileNotFoundError:
        raise WorkbookReadError(f"找不到文件 {path}") from None
    except (zipfile.BadZipFile, KeyError, OSError, EOFError):
        raise unreadable(path, data) from None
    lookalikes: list[str] = []
    if sheets or (standard is not None and others):
        reader = _read_values_calamine if engine == "calamine" else _read_values_openpyxl
        lookalikes = reader(
            path, data, sheets, readings, standard, others if standard is not None else []
        )
    return BranchWorkbook(path, info, sheets, lookalikes)


def _fill_sheet(
    sheet: BranchSheet,
    rows: Any,
    reading: _SheetReading | None,
    standard: Standard | None,
    error_strings: bool,
) -> None:
    """Set a sheet's values (and filled input-area cells) from its rows as a library read them.

    ``rows`` is indexable by row then column (short rows and missing rows are blank).
    """
    markup = reading.markup if reading is not None else {}
    values: dict[str, object] = {}
    for name, ref in sheet.cells.items():
        row = rows[ref.row] if ref.row < len(rows) else ()
        raw = row[ref.col] if ref.col < len(row) else None
        values[name] = normalise(
            apply_markup(raw, markup.get((ref.row, ref.col))), error_strings=error_strings
        )
    sheet.values, sheet.formulas = unwrap_formulas(values)
    if standard is None:
        return
    area = input_area(sheet.cells, standard)
    if area is None:
        return
    column, first, last = area
    filled = []
    for row_number in range(first, min(last + 1, len(rows))):
        row = rows[row_number]
        if column < len(row) and normalise(row[column]) is not None:
            filled.append((row_number, column))
    filled += [
        cell
        for cell in markup
        if cell[1] == column and first <= cell[0] <= last and cell not in filled
    ]
    sheet.filled = filled


def _read_values_calamine(
    path: Path,
    data: bytes | None,
    sheets: list[BranchSheet],
    readings: dict[str, _SheetReading],
    standard: Standard | None,
    others: list[str],
) -> list[str]:
    """Fill in every named cell's value of ``sheets`` with python-calamine; the names of the
    ``others`` that look like branch sheets."""
    import python_calamine

    try:
        if data is not None:
            book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        else:
            book = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as error:  # CalamineError, or plain errors for some corrupt packages
        raise WorkbookReadError(f"{path.name} 无法读取：{error}") from None
    try:
        for sheet in sheets:
            rows = book.get_sheet_by_name(sheet.sheet).to_python(skip_empty_area=False)
            _fill_sheet(sheet, rows, readings.get(sheet.sheet), standard, error_strings=False)
        return [
            name
            for name in others
            if looks_like_branch_sheet(
                book.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=LOOKALIKE_ROWS)
            )
        ]
    except Exception as error:
        if unsupported_error_value(error):
            return _read_values_openpyxl(path, data, sheets, readings, standard, others)
        raise WorkbookReadError(f"{path.name} 无法读取：{error}") from None
    finally:
        book.close()


def unsupported_error_value(error: Exception) -> bool:
    """True if python-calamine refused a sheet for an error value it does not know (Excel
    365's ``#SPILL!``, ``#CALC!`` …), anywhere in the sheet: openpyxl reads such a sheet, and
    the error value is an input error only in an input cell (``cells.special_cells``)."""
    return "Unsupported cell error value" in str(error)


def _read_values_openpyxl(
    path: Path,
    data: bytes | None,
    sheets: list[BranchSheet],
    readings: dict[str, _SheetReading],
    standard: Standard | None,
    others: list[str],
) -> list[str]:
    """The same with openpyxl (error cells come as their text, of type ``e``)."""
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
            worksheet = book[sheet.sheet]
            rows = _OpenpyxlRows(worksheet)
            _fill_sheet(sheet, rows, readings.get(sheet.sheet), standard, error_strings=True)
        return [
            name
            for name in others
            if looks_like_branch_sheet(_OpenpyxlRows(book[name])[:LOOKALIKE_ROWS])
        ]
    finally:
        book.close()


def sheet_rows_openpyxl(path: Path, sheet: str) -> list[list[object]]:
    """One sheet's rows read with openpyxl (from A1; error cells as their text)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, data_only=True, read_only=False, keep_links=False)
    except Exception as error:
        raise WorkbookReadError(f"{path.name} 无法读取：{error}") from None
    try:
        rows = _OpenpyxlRows(book[sheet])
        return [rows[index] for index in range(len(rows))]
    finally:
        book.close()


class _OpenpyxlRows:
    """An openpyxl worksheet indexed like calamine's rows (from A1); error cells as their text."""

    def __init__(self, worksheet: Any) -> None:
        self._rows = [
            [
                cell.value if cell.data_type != "e" or cell.value is None else str(cell.value)
                for cell in row
            ]
            for row in worksheet.iter_rows()
        ]

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index: Any) -> Any:
        return self._rows[index]
