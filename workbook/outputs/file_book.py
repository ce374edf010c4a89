"""The ``RecalcBook`` of a workbook file: values read from, and edits written into, the sheets'
XML (``XlsxFileBook``), and ``recalc_file``, the ``recalc`` command's whole job.

Only the branch sheets' computed cells (cached values, formulas kept), the style and the note of
marked input cells, ``xl/styles.xml`` (when a mark format is new) and the 总览 sheet change;
every other part of the package is copied byte for byte.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from defusedxml import ElementTree

from workbook.atomic import atomic_output
from workbook.core import names
from workbook.core.cells import CellRef
from workbook.core.standard import DEFAULT_STANDARD_ID, Standard, load_standard
from workbook.errors import TemplateMismatchError, WorkbookReadError
from workbook.inputs.reader import sheet_rows_openpyxl, unsupported_error_value
from workbook.inputs.sheet_contract import (
    is_contract_name,
)
from workbook.outputs.recalc import (
    OVERVIEW_SHEET,
    BranchSheetNames,
    CellValue,
    Overview,
    RecalcReport,
    SheetUpdate,
    computed_formulas,
    free_sheet_title,
    recalculate,
    same_formula,
    values_in_block,
    written_formula,
)
from workbook.xlsx.cell_edit import (
    CellEdit,
    CellSpans,
    edit_cells,
    locate_cells,
    normalise_sheet_data,
)
from workbook.xlsx.cells import (
    CellMarkup,
    MergedRange,
    apply_markup,
    merged_ranges,
    special_cells,
)
from workbook.xlsx.notes import write_notes
from workbook.xlsx.package import Package
from workbook.xlsx.parts import (
    SheetEntry,
    add_defined_name,
    add_worksheet,
    quote_sheet_name,
    sheet_scoped_names,
    workbook_sheets,
)
from workbook.xlsx.plain_sheet import plain_worksheet, table_formats
from workbook.xlsx.properties import (
    CUSTOM_PROPERTIES_PART,
    TemplateIdentity,
    check_part,
    parse_custom_properties,
)
from workbook.xlsx.styles import MarkStyles
from workbook.xlsx.text import fit_cell, without_control
from workbook.xlsx.values import UNREADABLE, CellValueReader

__all__ = [
    "XlsxFileBook",
    "recalc_file",
]


class _SheetXml(NamedTuple):
    """A worksheet part as read: its ``<sheetData>`` element as text (the cells, read and
    edited), the bytes before and after it (kept as they are)."""

    version: int  # the part's ``Package.version`` when it was read
    before: bytes
    cells: str
    after: bytes


class XlsxFileBook:
    """A workbook file as a ``RecalcBook``: values and edits in the sheets' XML.

    Each branch sheet's named cells are found in its XML once, to read the inputs
    (``xlsx_values``, with python-calamine for what it cannot read with certainty) and to
    rewrite the computed cells. Only the branch sheets' computed cells (cached values, formulas
    kept), the style and the note of marked input cells, ``xl/styles.xml`` (when a mark format
    is new) and the 总览 sheet change; every other part of the package is copied byte for byte.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.package = Package(self.path)
        try:
            # Every XML part is checked before any is parsed (defusedxml alone would allow a
            # DTD without entities, and the value reader does not parse at all). A sheet's
            # part is checked when its cells are first read (``_sheet_xml``), so that it is
            # decompressed once, not twice; every part is checked before the package is saved
            # or python-calamine reads it (``_check_all``).
            deferred: set[str] = set()
            for part in self.package.parts:
                if part.startswith("xl/worksheets/") and part.endswith(".xml"):
                    deferred.add(part)
                elif part.endswith((".xml", ".rels", ".vml")):
                    check_part(self.path.name, part, self.package.parts[part])
            entries = workbook_sheets(self.package)
            self._unchecked = deferred & {entry.part for entry in entries}
            other_parts = deferred - self._unchecked  # not any sheet's: checked now
            for part in [p for p in self.package.parts if p in other_parts]:
                check_part(self.path.name, part, self.package.parts[part])
            self._names = sheet_scoped_names(self.package)
        except ElementTree.ParseError:
            self.package.close()
            raise WorkbookReadError(f"{self.path.name} 已损坏：工作簿结构无法解析") from None
        except WorkbookReadError:
            self.package.close()
            raise
        self._sheets = {s.name: s for s in entries}
        self._properties = parse_custom_properties(
            self.path.name, self.package.parts.get(CUSTOM_PROPERTIES_PART)
        )
        self._styles = (
            MarkStyles(self.package.text("xl/styles.xml"))
            if "xl/styles.xml" in self.package.parts
            else None
        )
        self._values = CellValueReader(self.package)
        self._markups: dict[str, CellMarkup | None] = {}
        # Sheet -> its cells' XML and where its named cells are in it, from reading to writing.
        self._read: dict[str, tuple[_SheetXml, CellSpans]] = {}
        self._calamine: object | None = None
        self._formulas: dict[
            tuple[str, tuple[tuple[str, int, int], ...]], dict[str, str] | None
        ] = {}
        self.truncated = 0  # 总览 cells whose text was cut to fit
        self.restored: list[str] = []  # computed cells whose formula was put back
        self.overview_title = OVERVIEW_SHEET  # where 总览 was written
        self.overview_renamed = False  # written into this tool's 总览, renamed by the user

    def properties(self) -> Mapping[str, object]:
        return self._properties

    def sheet_names(self) -> list[str]:
        return list(self._sheets)

    def branch_sheets(self) -> list[BranchSheetNames]:
        result = []
        for sheet, local in self._names.items():
            if any(is_contract_name(name) for name in local):
                cells = {
                    n: ref for n, ref in local.items() if ref is not None and ref.sheet == sheet
                }
                result.append(BranchSheetNames(sheet, cells, dict(local)))
        return result

    def read_cells(self, entry: BranchSheetNames, wanted: Sequence[str]) -> dict[str, object]:
        sheet_xml = self._sheet_xml(self._sheets[entry.sheet].part, entry.sheet)
        located = locate_cells(
            sheet_xml.cells, [(ref.row, ref.col) for ref in entry.cells.values()]
        )
        self._read[entry.sheet] = (sheet_xml, located)
        return self._values_at(entry.sheet, sheet_xml.cells, located, entry.cells, wanted)

    def read_block(self, sheet: str, first: CellRef, last: CellRef) -> list[list[object]]:
        entry = self._sheets.get(sheet)
        if entry is None or entry.part not in self.package.parts:
            return []
        held = self._read.get(sheet)  # a branch sheet's XML, read for its named cells
        if held is not None and held[0].version == self.package.version(entry.part):
            xml = held[0].cells
        else:
            xml = self._sheet_xml(entry.part, sheet).cells
        cells = {
            f"{row}:{col}": CellRef(sheet, row, col)
            for row in range(first.row, last.row + 1)
            for col in range(first.col, last.col + 1)
        }
        located = locate_cells(xml, [(ref.row, ref.col) for ref in cells.values()])
        values = self._values_at(sheet, xml, located, cells, list(cells))
        return [
            [values[f"{row}:{col}"] for col in range(first.col, last.col + 1)]
            for row in range(first.row, last.row + 1)
        ]

    def _values_at(
        self,
        sheet: str,
        xml: str,
        located: Mapping[tuple[int, int], tuple[int, int]],
        cells: Mapping[str, CellRef],
        wanted: Sequence[str],
    ) -> dict[str, object]:
        """The values of the cells ``wanted``: from the sheet's XML where ``xlsx_values`` reads
        them with certainty, else all with python-calamine; corrected by the cells' markup."""

        if "<sheetData" not in xml:  # cells written with a namespace prefix
            values = self._read_with_calamine(sheet, cells, wanted)
            markup = special_cells(xml, [(cells[name].row, cells[name].col) for name in wanted])
            return {
                name: apply_markup(value, markup.get((cells[name].row, cells[name].col)))
                for name, value in values.items()
            }
        elements: dict[str, str | None] = {}
        for name in wanted:
            ref = cells[name]
            span = located.get((ref.row, ref.col))
            elements[name] = xml[span[0] : span[1]] if span else None
        read = self._values.value
        values = {name: read(element) for name, element in elements.items()}
        if UNREADABLE in values.values():
            values = self._read_with_calamine(sheet, cells, wanted)
        return {
            name: apply_markup(value, self._markup(elements[name], cells[name]))
            for name, value in values.items()
        }

    def _markup(self, element: str | None, ref: CellRef) -> CellMarkup | None:
        """``special_cells`` of one cell element (None for no element), cached by the element's
        text: branch sheets are copies of one template, so most elements recur on every sheet."""
        if element is None:
            return None
        try:
            return self._markups[element]
        except KeyError:
            markup = special_cells(element, [(ref.row, ref.col)]).get((ref.row, ref.col))
            self._markups[element] = markup
            return markup

    def _sheet_xml(self, part: str, sheet: str) -> _SheetXml:
        """The sheet's cells with explicit references (``normalise_sheet_data``; a duplicated
        cell is refused)."""

        if part in self._unchecked:
            data = self.package.parts.get(part)
            if data is not None:
                check_part(self.path.name, part, data)
            self._unchecked.discard(part)
        before, cells, after = self.package.text_between(part, "<sheetData", "</sheetData>")
        cells = normalise_sheet_data(cells, self.path.name, sheet)
        return _SheetXml(self.package.version(part), before, cells, after)

    def _read_with_calamine(
        self, sheet: str, cells: Mapping[str, CellRef], wanted: Sequence[str]
    ) -> dict[str, object]:
        import python_calamine

        self._check_all()
        self.package.calamine_check()
        try:
            if self._calamine is None:
                self._calamine = python_calamine.CalamineWorkbook.from_path(str(self.path))
            rows = self._calamine.get_sheet_by_name(sheet).to_python(  # type: ignore[attr-defined]
                skip_empty_area=False
            )
        except Exception as error:  # calamine raises plain errors for corrupt sheets
            if not unsupported_error_value(error):
                raise WorkbookReadError(
                    f"{self.path.name} 的工作表“{sheet}”无法读取：{error}"
                ) from None
            rows = sheet_rows_openpyxl(self.path, sheet)
        # Values are normalised where they are picked (``cells.normalise``), not here.
        return values_in_block(rows, CellRef(sheet, 0, 0), cells, wanted)

    def _check_all(self) -> None:
        """Check the sheets' parts not read yet (see ``__init__``)."""
        for part in sorted(self._unchecked):
            data = self.package.parts.get(part)
            if data is not None and self.package.version(part) == 0:
                check_part(self.path.name, part, data)
        self._unchecked.clear()

    def is_hidden(self, sheet: str) -> bool:
        """True for a sheet not shown in the sheet tabs (hidden or very hidden)."""
        entry = self._sheets.get(sheet)
        return entry is not None and entry.hidden

    def merged_ranges(self, sheet: str) -> tuple[MergedRange, ...]:
        held = self._read.get(sheet)
        if held is None:
            return ()
        sheet_xml = held[0]
        if not sheet_xml.after:  # no sheetData found: the whole part is the text
            return merged_ranges(sheet_xml.cells)
        if b"mergeCell" not in sheet_xml.after:  # mergeCells come after sheetData
            return ()
        return merged_ranges(sheet_xml.after.decode("utf-8", errors="replace"))

    def write_sheet(self, update: SheetUpdate) -> None:
        part = self._sheets[update.sheet].part
        sheet_xml, located = self._read.pop(update.sheet, (None, None))
        if sheet_xml is None or sheet_xml.version != self.package.version(part):
            sheet_xml, located = self._sheet_xml(part, update.sheet), None
        edits: dict[tuple[int, int], CellEdit] = {
            (ref.row, ref.col): CellEdit(value, set_value=True)
            for ref, value in update.outputs.values()
        }
        self._restore_formulas(update, sheet_xml.cells, located, edits)
        if self._styles is not None:
            for ref in update.marks:
                edits[(ref.row, ref.col)] = CellEdit(restyle=self._styles.marked)
            if self._styles.had_marks:
                for ref in update.unmarks:
                    edits[(ref.row, ref.col)] = CellEdit(restyle=self._styles.original)
        cells = edit_cells(sheet_xml.cells, edits, located)
        if cells != sheet_xml.cells:
            data = b"".join((sheet_xml.before, cells.encode("utf-8"), sheet_xml.after))
            del sheet_xml, cells  # the sheet's text, old and new: not held with its new bytes
            self.package.parts[part] = data
        entry = self._sheets[update.sheet]
        write_notes(self.package, part, entry.index + 1, update.marks)

    def _restore_formulas(
        self,
        update: SheetUpdate,
        xml: str,
        located: CellSpans | None,
        edits: dict[tuple[int, int], CellEdit],
    ) -> None:
        """Give a computed cell that holds a constant (its formula typed over) its formula
        back; the cell gets its cached value like every computed cell. Only for a workbook
        whose formula mode is known (``kp_formulas``)."""

        wanted = self._computed_formulas(update.sheet)
        if not wanted:
            return
        spots = [(ref.row, ref.col) for ref, _ in update.outputs.values()]
        if located is None or any(spot not in located for spot in spots):
            located = {**locate_cells(xml, spots), **(located or {})}
        for name, (ref, value) in update.outputs.items():
            formula = wanted.get(name)
            span = located.get((ref.row, ref.col))
            if formula is None:
                continue
            if span is not None and "<f" in xml[span[0] : span[1]]:
                written = written_formula(xml[span[0] : span[1]])
                if written is None or same_formula(written, formula):
                    continue
            edits[(ref.row, ref.col)] = CellEdit(value, set_value=True, formula=formula[1:])
            self.restored.append(ref.label)

    def _computed_formulas(self, sheet: str) -> Mapping[str, str] | None:
        """``computed_formulas`` of a sheet; None if a name the formulas need is missing
        (nothing to restore safely). The formulas name cells without their sheet, so sheets
        whose names point to the same places (copies of one template) share one result."""
        mode = self._properties.get(names.PROP_FORMULAS, "")
        cells = {n: r for n, r in self._names.get(sheet, {}).items() if r is not None}
        key = (mode, tuple((n, r.row, r.col) for n, r in cells.items()))
        if key not in self._formulas:
            try:
                self._formulas[key] = computed_formulas(self._standard(), mode, cells)
            except KeyError:
                self._formulas[key] = None
        return self._formulas[key]

    def _standard(self) -> Standard:
        return load_standard(TemplateIdentity.of(self._properties).standard or DEFAULT_STANDARD_ID)

    def write_overview(self, overview: Overview) -> None:
        rows: list[list[CellValue]] = [list(overview.header)]
        for row in overview.rows:
            fitted: list[CellValue] = []
            for value in row:
                if isinstance(value, str):
                    value, cut = fit_cell(value)
                    self.truncated += cut
                fitted.append(value)
            rows.append(fitted)
        formats = table_formats(self._styles) if self._styles is not None else None
        xml = plain_worksheet(rows, overview.widths, 1, formats, overview.wrapped)
        existing = self._own_overview()
        if existing is not None:
            self.package.set_text(existing.part, xml)
            self.overview_title = existing.name
            self.overview_renamed = existing.name != OVERVIEW_SHEET
            return
        title = free_sheet_title(OVERVIEW_SHEET, self._sheets)
        entry = add_worksheet(self.package, title, xml, list(self._sheets.values()))
        self._sheets[title] = entry
        quoted = quote_sheet_name(without_control(title))
        add_defined_name(self.package, names.OVERVIEW_MARKER, entry.index, f"{quoted}!$A$1")
        add_defined_name(self.package, "_xlnm.Print_Titles", entry.index, f"{quoted}!$1:$1")
        self.overview_title = title

    def _own_overview(self) -> SheetEntry | None:
        """The 总览 sheet this tool wrote before: the sheet that carries OVERVIEW_MARKER (its
        title may have changed); never a sheet that is only called 总览. A copy of 总览 (移动或
        复制) carries the marker too: of several, the one called 总览 counts, else the first in
        tab order; the others are never written."""
        marked = [
            self._sheets[sheet]
            for sheet, local in self._names.items()
            if names.OVERVIEW_MARKER in local
            and names.BRANCH_NAME not in local
            and sheet in self._sheets
        ]
        marked.sort(key=lambda entry: (entry.name != OVERVIEW_SHEET, entry.index))
        return marked[0] if marked else None

    def save(self, path: str | Path) -> None:
        """Write the edited package to ``path`` (use ``atomic_output`` around it)."""
        self._check_all()
        if self._styles is not None:
            styles = self._styles.render()
            if styles != self._styles.xml:
                self.package.set_text("xl/styles.xml", styles)
        self.package.save(path)
        self.close()

    def close(self) -> None:
        """Release the calamine reader and the package's source file."""
        if self._calamine is not None:
            self._calamine.close()  # type: ignore[attr-defined]
            self._calamine = None
        self.package.close()


def recalc_file(path: str | Path, output: str | Path | None = None) -> RecalcReport:
    """Recalculate a workbook file; write to ``output`` (default: replace ``path``) atomically.

    The file is written even when inputs are invalid: valid branches are updated and invalid
    ones show 待修正. The caller reports ``report.problems``.
    """
    book = XlsxFileBook(path)
    try:
        try:
            report = recalculate(book)
        except TemplateMismatchError as error:
            raise TemplateMismatchError(f"{Path(path).name}：{error}") from None
        with atomic_output(output or path) as temp:
            book.save(temp)
    finally:
        book.close()
    notices = list(report.notices)
    hidden = [o.sheet for o in report.branches if book.is_hidden(o.sheet)]
    if hidden:
        notices.append(
            f"支部工作表“{'”“'.join(hidden)}”已隐藏（不在工作表标签中显示），仍已重新计算并列入总览；"
            "如该支部已撤销或不参加本年度考评，请删除其工作表"
        )
    if book.overview_renamed:
        notices.append(f"总览写入了工作表“{book.overview_title}”（本工具生成的总览，已被改名）")
    elif book.overview_title != OVERVIEW_SHEET:
        notices.append(
            f"工作簿中已有名为“{OVERVIEW_SHEET}”的工作表（不是本工具生成的），未改动它；"
            f"总览写入了工作表“{book.overview_title}”"
        )
    if book.restored:
        shown = "、".join(book.restored[:20]) + ("等" if len(book.restored) > 20 else "")
        notices.append(
            f"有 {len(book.restored)} 个计算单元格的公式被改成了固定值或其他公式，"
            f"已恢复公式：{shown}"
            "（这些单元格只显示计算结果，请不要在其中输入）"
        )
    if book.truncated:
        notices.append(
            f"总览中有 {book.truncated} 个单元格的文字超过 Excel 单元格上限 32767 个字符，"
            "已截断（以“…（已截断）”结尾）"
        )
    return dataclasses.replace(report, notices=tuple(notices))
