"""Reading branch sheets back from filled workbooks, by the contract's defined names.

The package structure (sheets, defined names, custom properties) is parsed from the xlsx XML
(``xlsx.workbook_info``; DTDs and undefined entities refused); cell values come from
python-calamine (fast) or openpyxl. Values are normalised at this edge so nothing past it knows
which library read the file.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

from workbook.core import names
from workbook.core.cells import (
    CellRef,
    describe,
    normalise,
    unwrap_formulas,
)
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
    MergedRange,
    apply_markup,
    merged_ranges,
    special_cells,
)
from workbook.xlsx.properties import (
    check_part,
)
from workbook.xlsx.workbook_info import (
    PACKAGE_INFO_PARTS,
    PackageInfo,
    open_package,
    package_info,
    read_package_info,
    unreadable,
)
from workbook.xlsx.zip_members import PackageParts

# PackageInfo and read_package_info live in ``xlsx.workbook_info``; re-exported for callers
# that read a branch workbook and its identity together.
__all__ = [
    "BranchSheet",
    "BranchWorkbook",
    "PackageInfo",
    "read_branch_workbook",
    "read_package_info",
]

Engine = Literal["calamine", "openpyxl"]
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


class _ContractNames(NamedTuple):
    """The defined names of one standard's contract, as branch sheets are read by them."""

    required: tuple[str, ...]
    rule_inputs: tuple[tuple[str, str, str], ...]  # (rule id, 扣分 name, 扣分说明 name)
    veto_inputs: tuple[str, ...]  # one per veto condition, in order
    bonus_inputs: tuple[tuple[str, str, str], ...] = ()  # (bonus rule id, 加分 name, 加分说明 name)


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
            bonus_inputs=tuple(
                (rule.id, names.bonus_name(rule), names.bonus_note_name(rule))
                for rule in (standard.bonus.rules if standard.bonus is not None else ())
            ),
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
    merges: tuple[MergedRange, ...] = ()  # the sheet's merged ranges

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
            awards={rule_id: values.get(name) for rule_id, name, _ in contract.bonus_inputs},
            award_notes={rule_id: values.get(name) for rule_id, _, name in contract.bonus_inputs},
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


class _SheetReading(NamedTuple):
    """What a branch sheet's XML says beyond its values."""

    markup: dict[tuple[int, int], CellMarkup]  # cells with a formula or an error value
    # ``sheet_contract.input_area`` of the sheet's cells (read with a standard only).
    area: tuple[int, int, int] | None = None
    merges: tuple[MergedRange, ...] = ()


def _check_package(path: Path, parts: PackageParts, info: PackageInfo) -> None:
    """Refuse a package with a DTD or an undefined entity in any XML part, read or not (as
    recalc does: both commands refuse the same files).

    The worksheets are checked as they are read (``_read_sheet_xml``), and the parts
    ``package_info`` parsed were checked as they were parsed.
    """
    skip = set(info.sheet_parts.values()) | PACKAGE_INFO_PARTS
    for part in parts.package.namelist():
        if part not in skip and part.endswith((".xml", ".rels", ".vml")):
            parts.check(path.name, part)


def _read_sheet_xml(
    path: Path,
    parts: PackageParts,
    part: str,
    cells: Iterable[tuple[int, int]],
    area: tuple[int, int, int] | None = None,
) -> _SheetReading:
    try:
        data = parts.read(part)
    except KeyError:
        raise WorkbookReadError(f"{path.name} 已损坏：缺少工作表 {part}") from None
    check_part(path.name, part, data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise WorkbookReadError(f"{path.name} 已损坏：{part} 不是 UTF-8 文本") from None
    return _SheetReading(special_cells(text, cells), area, tuple(merged_ranges(text)))


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
        with open_package(path, data) as package:
            parts = PackageParts(package, data)
            info = package_info(path, package, parts.read)
            _check_package(path, parts, info)
            for sheet_name in info.sheet_names:
                local = info.local_names.get(sheet_name, {})
                if not any(is_contract_name(name) for name in local):
                    others.append(sheet_name)
                    part = info.sheet_parts.get(sheet_name)
                    if part in package.NameToInfo:
                        parts.check(path.name, part)
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
                    readings[sheet_name] = _read_sheet_xml(path, parts, part, positions, area)
                    sheets[-1].merges = readings[sheet_name].merges
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
    row_count = len(rows)
    marked = False
    for name, (_, row_number, col) in sheet.cells.items():
        raw = None
        if row_number < row_count:
            row = rows[row_number]
            if col < len(row):
                raw = row[col]
        if markup:
            cell_markup = markup.get((row_number, col))
            if cell_markup is not None:
                raw, marked = apply_markup(raw, cell_markup), True
        # Nearly every cell is a number, a blank or plain text: as ``normalise`` leaves it.
        if raw is None or type(raw) is float or (type(raw) is str and raw and not error_strings):
            values[name] = raw
        else:
            values[name] = normalise(raw, error_strings=error_strings)
    if marked:
        sheet.values, sheet.formulas = unwrap_formulas(values)
    else:  # only markup makes a FormulaValue
        sheet.values, sheet.formulas = values, {}
    if standard is None:
        return
    # Worked out already when the sheet's XML was read with the same standard.
    area = reading.area if reading is not None else input_area(sheet.cells, standard)
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
