"""The 公示 sheet of the summary: the branches and their grades, in the order of the branch list
(not by rank), the 公示期, where objections go, the issuer and the date.

Every sentence is the standard's ``[publication]`` data filled in by
:mod:`workbook.core.workdays`; only the column headers are the tool's. Printable: A4 portrait,
one page wide, the table header repeated on every page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbook.core.layout import lines_needed
from workbook.core.workdays import PublicationTexts
from workbook.inputs.consolidate import BranchEntry, Consolidation
from workbook.xlsx.safe_text import SafeTextWorksheet

if TYPE_CHECKING:
    from workbook.outputs.summary.writer import SheetWriter as _SheetWriter

PUBLICATION_SHEET = "公示"
PENDING_GRADE = "待修正"
_COLUMNS: tuple[tuple[str, float], ...] = (
    ("序号", 8),
    ("{unit}名称", 52),  # the standard's unit, e.g. 支部（党员服务中心）名称
    ("等级", 16),
)
_LINE = 18.0  # points per line of 12 pt text


def branches_in_list_order(consolidation: Consolidation) -> list[BranchEntry]:
    """The branches in the order they were read (files by path, sheets in workbook order)."""
    return sorted(consolidation.branches, key=lambda entry: entry.order)


def write_publication_sheet(w: _SheetWriter, texts: PublicationTexts) -> None:
    """Add the 公示 sheet (see the module docstring)."""
    from workbook.outputs.summary.writer import BODY_FONT, DRAFT_MARK, TITLE_FONT

    book = w.book
    body = {"font_name": BODY_FONT, "font_size": 12, "valign": "vcenter", "text_wrap": True}
    title_format = book.add_format(
        {**body, "font_name": TITLE_FONT, "font_size": 18, "align": "center"}
    )
    paragraph = book.add_format({**body, "align": "justify"})
    right = book.add_format({**body, "align": "right"})
    header = book.add_format(
        {**body, "font_name": TITLE_FONT, "align": "center", "border": 1, "bg_color": "#F2F2F2"}
    )
    cell = book.add_format({**body, "align": "center", "border": 1})
    name_cell = book.add_format({**body, "align": "left", "border": 1})
    pending = book.add_format({**body, "align": "center", "border": 1, "font_color": "#C00000"})

    sheet = book.add_worksheet(PUBLICATION_SHEET, worksheet_class=SafeTextWorksheet)
    widths = [width for _, width in _COLUMNS]
    total_width = sum(widths)
    last_col = len(_COLUMNS) - 1
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)

    def paragraph_row(row: int, text: str, fmt: object, font_scale: float = 1.1) -> None:
        sheet.merge_range(row, 0, row, last_col, text, fmt)
        # 12 pt text is about 1.1 times as wide as the 11 pt the widths are measured in.
        sheet.set_row(row, lines_needed(text, total_width / font_scale) * _LINE + 6)

    row = 0
    if w.draft:
        sheet.merge_range(
            row, 0, row, last_col, f"{DRAFT_MARK}：仅供核对，不作正式公示", w.formats.draft
        )
        sheet.set_row(row, 20)
        row += 1
    paragraph_row(row, texts.title, title_format, font_scale=1.7)
    row += 1
    sheet.set_row(row, 8)
    row += 1
    paragraph_row(row, "　　" + texts.intro, paragraph)
    row += 1
    header_row = row
    for col, (text, _) in enumerate(_COLUMNS):
        sheet.write_string(row, col, text.format(unit=w.c.standard.unit), header)
    sheet.set_row(row, 24)
    row += 1
    for number, entry in enumerate(branches_in_list_order(w.c), start=1):
        sheet.write_number(row, 0, number, cell)
        sheet.write_string(row, 1, entry.branch, name_cell)
        if entry.result is None:
            sheet.write_string(row, 2, PENDING_GRADE, pending)
        else:
            sheet.write_string(row, 2, entry.result.grade, cell)
        sheet.set_row(row, lines_needed(entry.branch, widths[1] / 1.1) * _LINE + 4)
        row += 1
    sheet.set_row(row, 10)
    row += 1
    paragraph_row(row, "　　" + texts.period, paragraph)
    row += 1
    paragraph_row(row, "　　" + texts.objections, paragraph)
    row += 1
    sheet.set_row(row, 24)
    row += 1
    paragraph_row(row, texts.issuer, right)
    row += 1
    paragraph_row(row, texts.date, right)

    sheet.set_portrait()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header_row)
    sheet.set_margins(left=0.7, right=0.7, top=0.8, bottom=0.7)
    sheet.center_horizontally()
    if w.draft:
        sheet.set_header(f'&C&"{BODY_FONT}"&12&KC00000{DRAFT_MARK}')
    sheet.set_footer(f'&C&"{BODY_FONT}"&9第 &P 页，共 &N 页')
    sheet.print_area(0, 0, row, last_col)
