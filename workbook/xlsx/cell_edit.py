"""Cell editing in worksheet XML: find cells by position, set their value, formula or style,
insert missing cells and rows; normalise a sheet's cell references first.

Edits are string splices at element boundaries found by small regular expressions over XML
that spreadsheet programs write (no comments or CDATA inside sheetData).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import NamedTuple
from xml.sax.saxutils import escape

from workbook.core.cells import a1, parse_a1
from workbook.core.standard import fmt
from workbook.errors import WorkbookReadError
from workbook.xlsx.text import ooxml_escape

__all__ = [
    "CellEdit",
    "CellSpans",
    "CellValue",
    "attrs_of",
    "edit_cells",
    "locate_cells",
    "normalise_sheet_data",
    "start_tag",
]

_ROW = re.compile(r"<row\b[^>]*?/>|<row\b[^>]*>.*?</row>", re.S)
_CELL = re.compile(r"<c\b[^>]*?/>|<c\b[^>]*>.*?</c>", re.S)
_FORMULA = re.compile(r"<f\b[^>]*?/>|<f\b[^>]*>.*?</f>", re.S)
_ATTR = re.compile(r'([\w:]+)\s*=\s*("[^"]*"|\'[^\']*\')')


def _sheet_data(xml: str) -> tuple[int, int] | None:
    """(start, end) of the text inside <sheetData>…</sheetData>; None if absent or empty-tag."""
    open_at = xml.find("<sheetData")
    if open_at < 0:
        return None
    tag_end = xml.index(">", open_at)
    if xml[tag_end - 1] == "/":
        return None
    close_at = xml.rfind("</sheetData>")
    return (tag_end + 1, close_at) if close_at > tag_end else None


CellValue = Decimal | str | None


# --- cells -----------------------------------------------------------------------------------


def attrs_of(start_tag: str) -> dict[str, str]:
    """The attributes of an element's start tag, as written (entities not decoded)."""
    return {key: value[1:-1] for key, value in _ATTR.findall(start_tag)}


def start_tag(element: str) -> str:
    """The start tag of an element's text: ``<c r="A1" s="3">`` of ``<c r="A1" s="3">…</c>``."""
    return element[: element.index(">") + 1]


def _renderattrs_of(attrs: Mapping[str, str]) -> str:
    return "".join(f' {key}="{_quote(value)}"' for key, value in attrs.items())


class CellEdit(NamedTuple):
    """What to change in one cell: its computed value and/or its style index.

    ``set_value`` False leaves the value alone (a style-only edit). A value on a formula cell
    becomes the formula's cached value; on a plain cell it becomes the cell's constant. (A named
    tuple rather than a dataclass: recalculation makes thousands, and tuples are made faster.)
    """

    value: CellValue = None
    set_value: bool = False
    style: int | None = None
    restyle: Callable[[int], int] | None = None  # new style from the current one
    formula: str | None = None  # a formula (without "=") replacing the cell's own, if any


def _value_markup(value: CellValue, has_formula: bool) -> tuple[str | None, str]:
    """The cell's ``t`` attribute and the markup after any formula."""
    if value is None:
        return None, ""
    if isinstance(value, Decimal):
        return None, f"<v>{fmt(value)}</v>"
    if has_formula:
        return "str", f"<v>{ooxml_escape(value)}</v>"
    return "inlineStr", f'<is><t xml:space="preserve">{ooxml_escape(value)}</t></is>'


# The start tag of a cell as spreadsheet programs write it: r, then s and t if present.
_PLAIN_CELL_START = re.compile(r'<c r="([A-Z]{1,3}\d+)"(?: s="(\d+)")?(?: t="(\w+)")? ?(/?)>')


def _split_cell(element: str) -> tuple[str, str | None, str | None, dict[str, str], str]:
    """A cell element's r, s and t attributes, its other attributes and its content."""
    plain = _PLAIN_CELL_START.match(element)
    if plain is not None:
        ref, style, cell_type, self_closing = plain.groups()
        inner = "" if self_closing else element[plain.end() : element.rindex("</c>")]
        return ref, style, cell_type, {}, inner
    end = element.index(">")
    attrs = attrs_of(element[:end])
    inner = "" if element[end - 1] == "/" else element[end + 1 : element.rindex("</c>")]
    return attrs.pop("r"), attrs.pop("s", None), attrs.pop("t", None), attrs, inner


def _edit_cell(element: str | None, ref: str, edit: CellEdit) -> str:
    plain = edit.style is None and edit.restyle is None and edit.formula is None
    if element is not None and edit.set_value and plain:
        return _cell_with_value(element, edit.value)
    return _edit_cell_uncached(element, ref, edit)


@functools.lru_cache(maxsize=4096)
def _cell_with_value(element: str, value: CellValue) -> str:
    """An existing cell with a new value. Branch sheets are copies of one template, so the same
    computed cell mostly gets the same value on many sheets: the result is cached.

    A cell that already holds the value, as any spreadsheet program writes it (``13.0``,
    ``13`` or ``1.3E1`` for 13; an empty text with or without ``t="str"``), is kept byte for
    byte: a sheet whose computed cells all hold their values is not rewritten, and its part is
    copied to the output still compressed."""
    if _holds_value(element, value):
        return element
    return _edit_cell_uncached(element, "", CellEdit(value=value, set_value=True))


_XML_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[Ee][-+]?\d+)?")
# The value of a cell after its formula (if any): <v>…</v>, <v/> or nothing else.
_CACHED_VALUE = re.compile(r"(?:<f\b[^>]*?/>|<f\b[^>]*>.*?</f>)?(?:<v>([^<]*)</v>|<v/>)?", re.S)


def _holds_value(element: str, value: CellValue) -> bool:
    """Whether the cell element already holds ``value`` (a number or a formula's text)."""
    if value is None:
        return False
    _, _, cell_type, _, inner = _split_cell(element)
    match = _CACHED_VALUE.fullmatch(inner)
    if match is None:
        return False
    written = match.group(1) or ""
    if isinstance(value, Decimal):
        # Only a number as spreadsheet programs write one (Decimal alone would also take
        # " 13", "1_3" or "Infinity").
        if cell_type not in (None, "n") or not _XML_NUMBER.fullmatch(written):
            return False
        return Decimal(written) == value
    if "<f" not in inner:  # a constant text cell is written inline; keep that as it is done
        return False
    if value == "":
        return cell_type in (None, "str") and written == ""
    return cell_type == "str" and written == ooxml_escape(value)


def _edit_cell_uncached(element: str | None, ref: str, edit: CellEdit) -> str:
    others: dict[str, str] = {}
    if element is None:
        style, cell_type, inner = None, None, ""
    else:
        ref, style, cell_type, others, inner = _split_cell(element)
    if edit.style is not None:
        style = str(edit.style)
    if edit.restyle is not None:
        current = int(style or "0")
        restyled = edit.restyle(current)
        if restyled != current:
            style = str(restyled)
        elif element is not None and not edit.set_value and edit.style is None:
            return element  # nothing to change: keep the bytes as they are
    if edit.set_value:
        formula = ""
        if edit.formula:  # a formula put back, over any other the cell has
            formula = f"<f>{escape(edit.formula)}</f>"
        elif "<f" in inner:
            match = _FORMULA.search(inner)
            formula = match.group(0) if match else ""
        cell_type, markup = _value_markup(edit.value, bool(formula))
        inner = formula + markup
    # Attribute order as Excel writes it: r, s, t, then the rest.
    start = f'<c r="{_quote(ref)}"'
    if style is not None:
        start += f' s="{_quote(style)}"'
    if cell_type is not None:
        start += f' t="{_quote(cell_type)}"'
    if others:
        start += _renderattrs_of(others)
    return f"{start}>{inner}</c>" if inner else f"{start}/>"


def _quote(value: str) -> str:
    # Values are kept as written (already escaped); only a bare double quote needs escaping.
    return value.replace('"', "&quot;")


def _edit_row(row_xml: str | None, row_number: int, edits: dict[int, tuple[str, CellEdit]]) -> str:
    """Apply edits (col -> (ref, edit)) to one row; missing cells are inserted in column order."""
    if row_xml is None:
        start, inner, self_closing = f'<row r="{row_number}">', "", True
    else:
        start = start_tag(row_xml)
        self_closing = row_xml.endswith("/>") and start == row_xml
        inner = "" if self_closing else row_xml[len(start) : row_xml.rindex("</row>")]
        if self_closing:
            start = start[:-2].rstrip() + ">"
    pending = dict(edits)
    inserted = row_xml is None
    pieces: list[str] = []
    position = 0
    for match in _CELL.finditer(inner):
        element = match.group(0)
        ref = attrs_of(start_tag(element)).get("r")
        place = parse_a1(ref) if ref else None
        col = place[1] if place else None
        if col is None:
            pieces.append(inner[position : match.end()])
            position = match.end()
            continue
        for missing in sorted(c for c in pending if c < col):
            pieces.append(inner[position : match.start()])
            position = match.start()
            pieces.append(_edit_cell(None, *pending.pop(missing)))
            inserted = True
        pieces.append(inner[position : match.start()])
        if col in pending:
            pieces.append(_edit_cell(element, *pending.pop(col)))
        else:
            pieces.append(element)
        position = match.end()
    pieces.append(inner[position:])
    tail = "".join(_edit_cell(None, *pending[c]) for c in sorted(pending))
    if inserted or pending:
        # "spans" is an optional hint of the row's columns; a new cell may fall outside it.
        start = re.sub(r'\sspans="[^"]*"', "", start)
    return start + "".join(pieces) + tail + "</row>"


# A cell start tag in the form every function here expects: r first, double-quoted, upper case.
_CANONICAL_CELL = re.compile(r'<c\b(?! r="[A-Z]{1,3}\d+")')
_ROW_WITHOUT_R = re.compile(r'<row\b(?![^>]*\sr=")[^>]*>')
_CANONICAL_REF = re.compile(r'<c r="([A-Z]{1,3}\d+)"')


def _cell_position(ref_text: str) -> tuple[int, int] | None:
    """A cell's ``r`` attribute as written (``G5``, any case, no ``$``) -> (row, col), 0-based."""
    text = ref_text.strip()
    return None if "$" in text else parse_a1(text)


def normalise_sheet_data(cells_xml: str, file: str, sheet: str) -> str:
    """``<sheetData>`` text with every cell and row carrying an explicit, upper-case,
    double-quoted r attribute first (positions implied by order made explicit), so finding
    and editing cells by text sees every cell as a spreadsheet program does.

    Text already in that form is returned as it is. ``file`` and ``sheet`` name it in messages.

    Raises:
        WorkbookReadError: a cell appears twice (two elements for one reference), or a
            reference is no cell reference: which element counts is not certain, so the
            file is refused rather than read one way here and another way elsewhere.
    """
    if _CANONICAL_CELL.search(cells_xml) is None and _ROW_WITHOUT_R.search(cells_xml) is None:
        refs = _CANONICAL_REF.findall(cells_xml)
        if len(refs) == len(set(refs)):
            return cells_xml
    pieces: list[str] = []
    position = 0
    row_number = 0
    seen: set[str] = set()
    for row_match in _ROW.finditer(cells_xml):
        row_xml = row_match.group(0)
        start = start_tag(row_xml)
        row_attrs = attrs_of(start)
        written = row_attrs.pop("r", None)
        if written is not None:
            if not written.strip().isdigit():
                raise WorkbookReadError(
                    f"{file} 的工作表“{sheet}”中有行号无法识别的行（r=“{written}”），未读取"
                )
            row_number = int(written.strip())
        else:
            row_number += 1
        self_closing = start.endswith("/>")
        new_start = f'<row r="{row_number}"{_renderattrs_of(row_attrs)}' + (
            "/>" if self_closing else ">"
        )
        if self_closing:
            pieces.append(cells_xml[position : row_match.start()] + new_start)
            position = row_match.end()
            continue
        inner = row_xml[len(start) : row_xml.rindex("</row>")]
        cells: list[str] = []
        cell_position = 0
        col = -1
        for cell_match in _CELL.finditer(inner):
            element = cell_match.group(0)
            cell_start = start_tag(element)
            closing = cell_start.endswith("/>")
            attrs = attrs_of(cell_start[: -2 if closing else -1])
            ref_text = attrs.pop("r", None)
            if ref_text is None:
                col += 1
            else:
                place = _cell_position(ref_text)
                if place is None or place[0] + 1 != row_number:
                    raise WorkbookReadError(
                        f"{file} 的工作表“{sheet}”第 {row_number} 行有单元格引用无法识别"
                        f"（r=“{ref_text}”），未读取"
                    )
                col = place[1]
            ref = a1(row_number - 1, col)
            if ref in seen:
                raise WorkbookReadError(
                    f"{file} 中 {sheet}!{ref} 出现了两次（工作表 XML 中重复），无法确定哪一个有效，"
                    "未读取；请用 Excel 打开并另存后再试"
                )
            seen.add(ref)
            cell_start_new = f'<c r="{ref}"{_renderattrs_of(attrs)}' + ("/>" if closing else ">")
            cells.append(inner[cell_position : cell_match.start()])
            cells.append(cell_start_new + element[len(cell_start) :])
            cell_position = cell_match.end()
        cells.append(inner[cell_position:])
        pieces.append(cells_xml[position : row_match.start()])
        pieces.append(new_start + "".join(cells) + "</row>")
        position = row_match.end()
    pieces.append(cells_xml[position:])
    return "".join(pieces)


CellSpans = dict[tuple[int, int], tuple[int, int]]


@functools.lru_cache(maxsize=4096)
def _cell_start(row: int, col: int) -> str:
    """The start of a cell element whose r is its first attribute: ``<c r="G5"``."""
    return f'<c r="{a1(row, col)}"'


def locate_cells(sheet_xml: str, cells: Iterable[tuple[int, int]]) -> CellSpans:
    """(row, col) 0-based -> (start, end) of the cell's element, for the ``cells`` that exist.

    Spreadsheet programs write a cell's r attribute first and the cells in row and column
    order, so each cell is found by a plain text search from where the cell before it was found
    (and from the start of sheetData for a cell out of order); of a duplicated cell, the
    element found first counts. Cells whose r is not the first attribute are found by a
    regular expression.
    """
    span = _sheet_data(sheet_xml)
    if span is None:
        return {}
    begin, end = span
    find = sheet_xml.find
    found: CellSpans = {}
    not_found: dict[str, tuple[int, int]] = {}
    cursor = begin
    for cell in sorted(cells):
        start_text = _cell_start(*cell)
        at = find(start_text, cursor, end)
        if at < 0:
            at = find(start_text, begin, cursor)
        else:
            cursor = at
        close = find(">", at, end) if at >= 0 else -1
        if close < 0:
            not_found[a1(*cell)] = cell
        elif sheet_xml[close - 1] == "/":
            found[cell] = (at, close + 1)
        else:
            element_end = find("</c>", close, end)
            if element_end < 0:
                not_found[a1(*cell)] = cell
            else:
                found[cell] = (at, element_end + 4)
    if not_found:
        alternatives = "|".join(sorted(not_found, key=len, reverse=True))
        for match in _target_cells(alternatives).finditer(sheet_xml, begin, end):
            found.setdefault(not_found[match.group(1)], match.span())
    return found


def edit_cells(
    sheet_xml: str, edits: Mapping[tuple[int, int], CellEdit], located: CellSpans | None = None
) -> str:
    """Apply cell edits ((row, col) 0-based -> edit) to a worksheet's XML and return it.

    Existing cells are found with ``locate_cells`` (pass its result as ``located`` if the
    caller has it already); cells that do not exist yet are inserted in row and column order.
    """
    if not edits:
        return sheet_xml
    if located is None:
        located = locate_cells(sheet_xml, edits)
    pieces: list[str] = []
    position = 0
    for start, end, cell in sorted((*located[cell], cell) for cell in edits if cell in located):
        pieces.append(sheet_xml[position:start])
        pieces.append(_edit_cell(sheet_xml[start:end], a1(*cell), edits[cell]))
        position = end
    pieces.append(sheet_xml[position:])
    sheet_xml = "".join(pieces)
    missing = {cell: edit for cell, edit in edits.items() if cell not in located}
    return _insert_cells(sheet_xml, missing) if missing else sheet_xml


@functools.lru_cache(maxsize=64)
def _target_cells(alternatives: str) -> re.Pattern[str]:
    """Cell elements with one of the references ``alternatives`` in an r attribute."""
    return re.compile(rf'<c\b[^>]*?\br="({alternatives})"[^>]*?(?:/>|>.*?</c>)', re.S)


def _insert_cells(sheet_xml: str, edits: Mapping[tuple[int, int], CellEdit]) -> str:
    """Insert cells that do not exist yet (and their rows), keeping row and column order."""
    span = _sheet_data(sheet_xml)
    if span is None:
        empty = re.search(r"<sheetData\s*/>", sheet_xml)
        if not empty:
            raise WorkbookReadError("工作表 XML 缺少 sheetData，无法写入")
        sheet_xml = (
            sheet_xml[: empty.start()] + "<sheetData></sheetData>" + sheet_xml[empty.end() :]
        )
        span = _sheet_data(sheet_xml)
        assert span is not None
    inner = sheet_xml[span[0] : span[1]]
    by_row: dict[int, dict[int, tuple[str, CellEdit]]] = {}
    for (row, col), edit in edits.items():
        by_row.setdefault(row + 1, {})[col] = (a1(row, col), edit)
    pieces: list[str] = []
    position = 0
    for match in _ROW.finditer(inner):
        number_text = attrs_of(start_tag(match.group(0))).get("r")
        if number_text is None:
            continue
        number = int(number_text)
        for missing in sorted(r for r in by_row if r < number):
            pieces.append(inner[position : match.start()])
            position = match.start()
            pieces.append(_edit_row(None, missing, by_row.pop(missing)))
        if number in by_row:
            pieces.append(inner[position : match.start()])
            pieces.append(_edit_row(match.group(0), number, by_row.pop(number)))
            position = match.end()
    pieces.append(inner[position:])
    pieces += [_edit_row(None, r, by_row[r]) for r in sorted(by_row)]
    return sheet_xml[: span[0]] + "".join(pieces) + sheet_xml[span[1] :]
