"""Formulas and error values in worksheet XML, where a library's value alone is not enough.

The cell value model (``CellRef``, the A1 parser, ``normalise``, ``CellError`` …) is
``workbook.core.cells``; it is re-exported here for the readers that take both.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import NamedTuple

from workbook.core.cells import (
    ERROR_CODES,
    CellError,
    CellRef,
    FormulaValue,
    UncachedFormula,
    a1,
    column_index,
    column_letters,
    describe,
    normalise,
    parse_a1,
    parse_reference,
    unquote_sheet,
    unwrap_formulas,
)

__all__ = [
    "ERROR_CODES",
    "CellError",
    "CellMarkup",
    "CellRef",
    "FormulaValue",
    "MergedRange",
    "UncachedFormula",
    "a1",
    "apply_markup",
    "column_index",
    "column_letters",
    "describe",
    "hidden_cells",
    "merged_ranges",
    "normalise",
    "parse_a1",
    "parse_reference",
    "special_cells",
    "unquote_sheet",
    "unwrap_formulas",
]


# --- formulas and error values in worksheet XML ----------------------------------------------

_PREFIX = re.compile(r"<(\w+:)sheetData\b")
_T_ATTR = re.compile(r'\bt="(\w+)"')
_FORMULA = re.compile(r"<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)", re.S)
_VALUE = re.compile(r"<(?:\w+:)?v\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?v>)", re.S)
_NUMBER_TEXT = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[Ee][-+]?\d+)?")


_MERGE_CELL = re.compile(r"""<(?:\w+:)?mergeCell\b[^>]*?\bref\s*=\s*["']([^"']*)["']""")


class MergedRange(NamedTuple):
    """A merged range of a sheet, 0-based and inclusive; ``ref`` as the file writes it."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int
    ref: str

    def hides(self, row: int, col: int) -> bool:
        """True for a cell of the range other than its first (top-left) cell, whose content
        a spreadsheet program does not show."""
        inside = self.first_row <= row <= self.last_row and self.first_col <= col <= self.last_col
        return inside and (row, col) != (self.first_row, self.first_col)


def merged_ranges(sheet_xml: str) -> tuple[MergedRange, ...]:
    """The merged ranges of a worksheet's XML (``<mergeCell ref="E6:E7"/>``); a reference
    that is no range of cells is passed over.

    Copies of one template carry the same ``<mergeCells>`` element: it is parsed once."""
    if "mergeCell" not in sheet_xml:
        return ()
    start = sheet_xml.find("<mergeCells")
    end = sheet_xml.find("</mergeCells>", start)
    if start < 0 or end < 0:  # written with a namespace prefix: not worth keeping
        return _parse_merges(sheet_xml)
    return _parse_merges_kept(sheet_xml[start:end])


def _parse_merges(xml: str) -> tuple[MergedRange, ...]:
    found = []
    for ref in _MERGE_CELL.findall(xml):
        first, _, last = ref.strip().upper().partition(":")
        start, end = parse_a1(first), parse_a1(last or first)
        if start is not None and end is not None:
            rows, cols = sorted((start[0], end[0])), sorted((start[1], end[1]))
            found.append(MergedRange(rows[0], cols[0], rows[1], cols[1], ref.strip()))
    return tuple(found)


_parse_merges_kept = functools.lru_cache(maxsize=64)(_parse_merges)


@functools.lru_cache(maxsize=64)
def hidden_cells(
    merges: tuple[MergedRange, ...],
) -> tuple[frozenset[tuple[int, int]], tuple[MergedRange, ...]]:
    """The cells ``merges`` hide, as (the hidden cells of the ranges of up to 10,000 cells,
    the larger ranges): a cell is looked up in a set rather than tested against each range."""
    small: set[tuple[int, int]] = set()
    large = []
    for merge in merges:
        rows = merge.last_row - merge.first_row + 1
        cols = merge.last_col - merge.first_col + 1
        if rows * cols > 10_000:
            large.append(merge)
            continue
        small.update(
            (row, col)
            for row in range(merge.first_row, merge.last_row + 1)
            for col in range(merge.first_col, merge.last_col + 1)
        )
        small.discard((merge.first_row, merge.first_col))
    return frozenset(small), tuple(large)


class CellMarkup(NamedTuple):
    """What a cell element says beyond its value: its formula (None if it has none), whether
    the file holds the formula's result, and its error value (None if it is no error).

    ``value`` is the cell's value read with an XML parser when its ``<v>`` holds a character
    reference or CDATA (``<v>&#50;</v>``, ``<v><![CDATA[2]]></v>``), which python-calamine
    reads as blank; None when the library's reading stands.
    """

    formula: str | None
    cached: bool
    error: str | None
    value: object = None


def special_cells(
    sheet_xml: str, cells: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], CellMarkup]:
    """(row, col) -> markup of those of ``cells`` (0-based) that hold a formula, an error or
    a value written with a character reference or CDATA.

    The cells are looked up in row order, each search going on from the previous hit, so the
    sheet is scanned about once (spreadsheet programs write cells in row and column order);
    a cell out of order is searched from the start.
    """
    prefixed = _PREFIX.search(sheet_xml) if "<sheetData" not in sheet_xml else None
    prefix = prefixed.group(1) if prefixed else ""
    close_tag = f"</{prefix}c>"
    found: dict[tuple[int, int], CellMarkup] = {}
    position = 0
    for cell in sorted(set(cells)):
        try:
            opening = _openings[prefix, cell]
        except KeyError:
            if len(_openings) >= 8192:
                _openings.clear()
            opening = _openings[prefix, cell] = f'<{prefix}c r="{a1(*cell)}"'
        start = sheet_xml.find(opening, position)
        if start < 0:
            start = sheet_xml.find(opening)
            if start < 0:
                continue
        close = sheet_xml.find(">", start)
        if close < 0:
            continue
        position = close
        if sheet_xml[close - 1] == "/":
            tag, element = sheet_xml[start:close], ""
        else:
            end = sheet_xml.find(close_tag, close)
            end = len(sheet_xml) if end < 0 else end
            tag, element = sheet_xml[start:close], sheet_xml[close:end]
            position = end
        markup = _markup(tag, element)
        if markup is not None:
            found[cell] = markup
    return found


# (namespace prefix, cell) -> the start of its cell element: the same cells in every copy.
_openings: dict[tuple[str, tuple[int, int]], str] = {}


def _markup(tag: str, element: str) -> CellMarkup | None:
    """The markup of one cell (its start tag and its content), or None for a plain value."""
    kind = _T_ATTR.search(tag) if " t=" in tag else None
    cell_type = kind.group(1) if kind is not None else "n"
    is_error = cell_type == "e"
    escaped = "&" in element or "<![CDATA[" in element
    if not is_error and not escaped and "f" not in element:
        return None
    formula = _FORMULA.search(element)
    if formula is None and not is_error and not escaped:
        return None
    value = _VALUE.search(element)
    raw = (value.group(1) or "") if value else ""
    text = _xml_text(raw) if escaped and raw else raw
    error = None
    if is_error:
        error = (text or "").strip() or "#VALUE!"
    corrected = _typed(cell_type, text) if escaped and raw and not is_error else None
    if formula is None and error is None and corrected is None:
        return None
    # openpyxl writes <v/> for a formula it has no result of; Excel writes <v></v> for a
    # formula whose result is empty text (type str).
    cached = value is not None and (bool(raw) or cell_type == "str")
    return CellMarkup(
        formula=None if formula is None else _unescape(formula.group(1) or ""),
        cached=cached,
        error=error,
        value=corrected,
    )


def _xml_text(raw: str) -> str | None:
    """The text of a ``<v>`` element's content as an XML parser reads it (None if malformed).

    The package's parts are checked for DTDs and undefined entities before this is reached
    (``workbook.xlsx.properties.check_part``), so only character references and CDATA are left to decode.
    """
    from defusedxml import ElementTree

    try:
        return ElementTree.fromstring(f"<v>{raw}</v>", forbid_dtd=True).text or ""
    except (ElementTree.ParseError, ValueError):  # ValueError: defusedxml's refusals
        return None


def _typed(cell_type: str, text: str | None) -> object:
    """A decoded ``<v>`` text as the value of a cell of ``cell_type`` (None: leave it)."""
    if text is None or text == "":
        return None
    if cell_type == "n":
        stripped = text.strip()
        return float(stripped) if _NUMBER_TEXT.fullmatch(stripped) else text
    if cell_type == "b":
        return {"1": True, "0": False}.get(text.strip())
    if cell_type in ("str", "inlineStr"):
        return text
    return None


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def apply_markup(value: object, markup: CellMarkup | None) -> object:
    """A cell's value as read by a library, corrected by its markup in the sheet XML.

    Libraries read an error value and a formula without a result as blank; here they become
    ``CellError`` and ``UncachedFormula``; a formula with a result becomes ``FormulaValue``.
    """
    if markup is None:
        return value
    if markup.error is not None:
        return CellError(markup.error)
    if markup.value is not None:
        value = markup.value
    if markup.formula is not None:
        if not markup.cached:
            return UncachedFormula(markup.formula)
        return FormulaValue(markup.formula, value)
    return value
