"""Shared parts of the summary's sheets: names, formats, the sheet writer.

The summary workbook for the county organization department (县委组织部).

Written with XlsxWriter from a :class:`~workbook.inputs.consolidate.Consolidation`: values only (no
formulas, no UDFs), every text taken from an input written as text, print-ready sheets
(A4 landscape, one page wide, header rows repeated). The same consolidation gives a
byte-identical file (fixed document dates).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from workbook.core.layout import CHECK_COLOR, HEADER_FILL, lines_needed
from workbook.core.standard import Standard
from workbook.inputs.consolidate import Consolidation
from workbook.xlsx.safe_text import SafeTextWorksheet

DRAFT_MARK = "草稿（含待修正项）"
SUMMARY_SHEET = "汇总"
GRADES_SHEET = "等级分布"
LOSS_SHEET = "失分分析"
DETAIL_SHEET = "扣分明细"
VETO_SHEET = "否决情形"
SOURCES_SHEET = "来源"
PROBLEMS_SHEET = "待修正项"
MAX_MAIN_DEDUCTIONS = 2  # 主要扣分 lists the largest deductions, then “等 N 条”
AVERAGE_DIGITS = 2
AVERAGE_PLACES = Decimal(1).scaleb(-AVERAGE_DIGITS)

TITLE_FONT = "黑体"
BODY_FONT = "仿宋"
LINE_HEIGHT = 14.0


def summary_title(standard: Standard, year: int | None, draft: bool = False) -> str:
    """The workbook's title, e.g. ``2026年度…考评定级汇总表`` (the standard's ``summary_title``)."""
    title = standard.summary_title_for(year)
    return f"{DRAFT_MARK}　{title}" if draft else title


def average(values: Sequence[Decimal]) -> Decimal | None:
    """The mean rounded half-up to 2 places (None for no values)."""
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(AVERAGE_PLACES, ROUND_HALF_UP)


def share(part: int | Decimal, whole: int | Decimal) -> Decimal:
    """``part / whole`` as a fraction rounded half-up to 4 places (shown as 0.0%)."""
    if not whole:
        return Decimal(0)
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


class Formats:
    """The formats of a summary workbook, created once per workbook."""

    def __init__(self, book: Workbook) -> None:
        base = {"font_name": BODY_FONT, "font_size": 10, "valign": "vcenter", "text_wrap": True}
        boxed = {**base, "border": 1}
        self.title = book.add_format(
            {
                "font_name": TITLE_FONT,
                "font_size": 16,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
            }
        )
        self.subtitle = book.add_format({**base, "align": "center"})
        self.draft = book.add_format(
            {**base, "align": "center", "bold": True, "font_color": CHECK_COLOR, "font_size": 12}
        )
        self.header = book.add_format(
            {**boxed, "font_name": TITLE_FONT, "align": "center", "bg_color": HEADER_FILL}
        )
        self.text = book.add_format({**boxed, "align": "left"})
        self.center = book.add_format({**boxed, "align": "center"})
        self.number = book.add_format({**boxed, "align": "center", "num_format": "General"})
        self.bold_number = book.add_format(
            {**boxed, "align": "center", "bold": True, "num_format": "General"}
        )
        self.percent = book.add_format({**boxed, "align": "center", "num_format": "0.0%"})
        self.footer_label = book.add_format(
            {**boxed, "align": "center", "bold": True, "bg_color": HEADER_FILL}
        )
        self.footer_number = book.add_format(
            {
                **boxed,
                "align": "center",
                "bold": True,
                "bg_color": HEADER_FILL,
                "num_format": "0.00",
            }
        )
        self.footer_general = book.add_format(
            {
                **boxed,
                "align": "center",
                "bold": True,
                "bg_color": HEADER_FILL,
                "num_format": "General",
            }
        )
        self.note = book.add_format({**base, "align": "left", "valign": "top", "font_size": 9})
        self.pending = book.add_format({**boxed, "align": "center", "font_color": CHECK_COLOR})
        self.mono = book.add_format({**boxed, "align": "left", "font_name": "Consolas"})


def columns_pixels(columns: Sequence[tuple[str, float]]) -> int:
    """Total width in pixels of columns given in character units (Calibri 11 metrics)."""
    return sum(int(width * 7 + 0.5) + 5 for _, width in columns)


def number_cell(sheet: Worksheet, row: int, col: int, value: Decimal | None, fmt_: Any) -> None:
    if value is None:
        sheet.write_blank(row, col, None, fmt_)
    else:
        sheet.write_number(row, col, float(value), fmt_)


class SheetWriter:
    """Shared layout of every sheet: title rows, header row, print setup, draft marks."""

    def __init__(
        self,
        book: Workbook,
        formats: Formats,
        consolidation: Consolidation,
        draft: bool,
    ) -> None:
        self.book = book
        self.formats = formats
        self.c = consolidation
        self.draft = draft
        self.title = summary_title(consolidation.standard, consolidation.year, draft)

    def start(
        self, name: str, caption: str, columns: Sequence[tuple[str, float]], landscape: bool = True
    ) -> tuple[Worksheet, int]:
        """Add a sheet with the title, a caption, and the header; returns (sheet, first data row)."""
        sheet = self.book.add_worksheet(name, worksheet_class=SafeTextWorksheet)
        last = len(columns) - 1
        for col, (_, width) in enumerate(columns):
            sheet.set_column(col, col, width)
        row = 0
        if self.draft:
            sheet.merge_range(
                row, 0, row, last, f"{DRAFT_MARK}：仅供核对，不作正式上报", self.formats.draft
            )
            sheet.set_row(row, 20)
            row += 1
        title = f"{self.title}　{caption}" if caption else self.title
        sheet.merge_range(row, 0, row, last, title, self.formats.title)
        total_width = sum(width for _, width in columns)
        # The 16 pt title is about 1.5 times as wide as body text.
        sheet.set_row(row, max(30.0, lines_needed(title, total_width / 1.5) * 22 + 6))
        row += 1
        standard = self.c.standard
        basis = f"依据：{standard.document}附件《{standard.title}》"
        sheet.merge_range(row, 0, row, last, basis, self.formats.subtitle)
        # A narrow sheet wraps it: room for every line (one line: 18 pt, as before).
        sheet.set_row(row, max(18.0, lines_needed(basis, total_width) * LINE_HEIGHT + 4))
        row += 1
        header_row = row
        header_lines = 1
        for col, (header, width) in enumerate(columns):
            sheet.write_string(row, col, header, self.formats.header)
            header_lines = max(header_lines, lines_needed(header, width))
        sheet.set_row(row, header_lines * LINE_HEIGHT + 6)
        if landscape:
            sheet.set_landscape()
        sheet.set_paper(9)
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(0, header_row)
        sheet.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
        sheet.center_horizontally()
        if self.draft:
            sheet.set_header(f'&C&"{BODY_FONT}"&12&KC00000{DRAFT_MARK}')
        sheet.set_footer(f'&C&"{BODY_FONT}"&9{name}　第 &P 页，共 &N 页')
        sheet.freeze_panes(header_row + 1, 0)
        return sheet, header_row + 1

    def table(
        self,
        name: str,
        caption: str,
        columns: Sequence[tuple[str, float]],
        rows: Iterable[Sequence[Any]],
        empty: str | None = None,
    ) -> tuple[Worksheet, int]:
        """A sheet (see ``start``) with one ``text_row`` per row; ``empty`` is written across
        the table when there are no rows. Returns the sheet and the row after the table."""
        sheet, row = self.start(name, caption, columns)
        widths = [width for _, width in columns]
        first = row
        for values in rows:
            self.text_row(sheet, row, values, widths)
            row += 1
        if row == first and empty is not None:
            sheet.merge_range(row, 0, row, len(columns) - 1, empty, self.formats.text)
            row += 1
        return sheet, row

    def text_row(
        self,
        sheet: Worksheet,
        row: int,
        values: Sequence[Any],
        widths: Sequence[float],
        fit: bool = True,
    ) -> int:
        """Write a row of strings/numbers with the boxed formats and fit its height (unless
        ``fit`` is false: the caller sets it); returns the lines its tallest text needs."""
        lines = 1
        formats = self.formats
        for col, value in enumerate(values):
            if isinstance(value, Decimal):
                number_cell(sheet, row, col, value, formats.number)
            elif isinstance(value, int) and not isinstance(value, bool):
                sheet.write_number(row, col, value, formats.number)
            elif value is None:
                sheet.write_blank(row, col, None, formats.center)
            else:
                text = str(value)
                sheet.write_string(row, col, text, formats.text)
                lines = max(lines, lines_needed(text, widths[col]))
        if fit:
            sheet.set_row(row, lines * LINE_HEIGHT + 4)
        return lines


def sum_or_none(values: Sequence[Decimal]) -> Decimal | None:
    return sum(values, Decimal(0)) if values else None


def header_row(w: SheetWriter) -> int:
    return 3 if w.draft else 2
