"""A plain worksheet written as XML: a table with a header row, for the 总览 sheet."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from workbook.core.cells import column_letters
from workbook.core.standard import fmt
from workbook.xlsx.cell_edit import CellValue
from workbook.xlsx.package import NS_MAIN
from workbook.xlsx.relationships import NS_REL
from workbook.xlsx.styles import MarkStyles
from workbook.xlsx.text import ooxml_escape

__all__ = [
    "MAX_ROW_LINES",
    "SheetFormats",
    "plain_worksheet",
    "table_formats",
    "text_lines",
]

# --- a plain worksheet -----------------------------------------------------------------------


# Scores repeat from row to row; equal values format alike (fmt normalises them).
_format_number = functools.lru_cache(maxsize=1024)(fmt)


class SheetFormats(NamedTuple):
    """Cell format indexes of a formatted table: header, text, wrapped text, number."""

    header: int
    text: int
    wrapped: int
    number: int


_THIN = '<left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right><top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/>'


def table_formats(styles: MarkStyles) -> SheetFormats | None:
    """The formats of a table sheet such as 总览 (added to ``styles`` where missing)."""
    font = '<font><sz val="10"/><name val="宋体"/><family val="3"/><charset val="134"/></font>'
    bold = '<font><b/><sz val="10"/><name val="宋体"/><family val="3"/><charset val="134"/></font>'
    no_fill = '<fill><patternFill patternType="none"/></fill>'
    grey = (
        '<fill><patternFill patternType="solid"><fgColor rgb="FFF2F2F2"/>'
        '<bgColor indexed="64"/></patternFill></fill>'
    )
    border = f"<border>{_THIN}</border>"
    header = styles.cell_format(
        bold, grey, border, '<alignment horizontal="center" vertical="center" wrapText="1"/>'
    )
    text = styles.cell_format(font, no_fill, border, '<alignment vertical="top"/>')
    wrapped = styles.cell_format(font, no_fill, border, '<alignment vertical="top" wrapText="1"/>')
    number = styles.cell_format(
        font, no_fill, border, '<alignment horizontal="center" vertical="top"/>'
    )
    if header is None or text is None or wrapped is None or number is None:
        return None
    return SheetFormats(header, text, wrapped, number)


def text_lines(text: str, width: float) -> int:
    """How many lines ``text`` takes wrapped in a column ``width`` characters wide (a CJK
    character is two wide)."""
    lines = 0
    for paragraph in text.split("\n"):
        used = sum(2 if ord(ch) > 0x2E7F else 1 for ch in paragraph)
        lines += max(1, -(-used // max(int(width) - 1, 1)))
    return lines


MAX_ROW_LINES = 27  # a row is at most 409 points high


def plain_worksheet(
    rows: list[list[CellValue]],
    widths: list[float],
    frozen_rows: int = 1,
    formats: SheetFormats | None = None,
    wrapped: Sequence[int] = (),
) -> str:
    """A new worksheet with inline strings and numbers, frozen header rows, printed on A4
    landscape fitted to one page wide.

    With ``formats``: the header row in the header format, the columns ``wrapped`` (0-based)
    wrapped, and each row as high as its wrapped text needs. Text is escaped with
    ``ooxml_escape``; callers cut it to the cell limit (``cell_text.fit_cell``) first.
    """
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
        for i, w in enumerate(widths, start=1)
    )
    wrap = set(wrapped)
    body: list[str] = []
    letters = [column_letters(c) for c in range(max(map(len, rows), default=0))]
    for r, row in enumerate(rows, start=1):
        cells = []
        lines = 1
        header = r <= frozen_rows
        for c, value in enumerate(row):
            style = ""
            if formats is not None:
                if header:
                    index = formats.header
                elif isinstance(value, Decimal):
                    index = formats.number
                else:
                    index = formats.wrapped if c in wrap else formats.text
                style = f' s="{index}"'
            if isinstance(value, str) and value and (header or c in wrap) and c < len(widths):
                lines = max(lines, text_lines(value, widths[c]))
            if value is None or value == "":
                if style:
                    cells.append(f'<c r="{letters[c]}{r}"{style}/>')
                continue
            ref = f"{letters[c]}{r}"
            if isinstance(value, Decimal):
                cells.append(f'<c r="{ref}"{style}><v>{_format_number(value)}</v></c>')
            else:
                cells.append(
                    f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">'
                    f"{ooxml_escape(value)}</t></is></c>"
                )
        height = (
            f' ht="{min(lines, MAX_ROW_LINES) * 13.5 + 3:g}" customHeight="1"'
            if formats is not None
            else ""
        )
        body.append(f'<row r="{r}"{height}>{"".join(cells)}</row>')
    pane = (
        f'<pane ySplit="{frozen_rows}" topLeftCell="A{frozen_rows + 1}" activePane="bottomLeft" '
        'state="frozen"/><selection pane="bottomLeft"/>'
        if frozen_rows
        else ""
    )
    last = f"{column_letters(max(len(widths), 1) - 1)}{max(len(rows), 1)}"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">'
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<dimension ref="A1:{last}"/>'
        f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        f"<cols>{cols}</cols>"
        f"<sheetData>{''.join(body)}</sheetData>"
        '<printOptions horizontalCentered="1"/>'
        '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
        # A4 landscape, one page wide (as many pages down as needed): the long text columns
        # wrap, so the table stays readable at the fitted scale.
        '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
        "</worksheet>"
    )
