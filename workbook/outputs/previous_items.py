"""Last year's rectification items on this year's branch sheet (``template --previous``).

Each branch sheet of a template made with ``--previous LAST_YEAR.json`` lists the deductions the
branch had last year (rule, wording, points, note), each with a 是否已整改 answer (是/否, a
validated input cell) and a note. The block sits below everything else on the sheet, on a page
of its own, outside the signed page; it carries no defined names and no score depends on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from workbook.core.layout import lines_needed
from workbook.core.standard import Standard, fmt
from workbook.inputs.previous_year import PreviousDeduction, PreviousYear

TITLE = "上年整改事项核对（{year}年度考评扣分项）"
YES, NO = "是", "否"
NOTHING = "上年考评无扣分项。"
NEW_BRANCH = "上年无此支部的考评结果。"


@dataclass(frozen=True)
class PreviousItems:
    """One branch's items from last year (None: the branch was not assessed last year)."""

    year: int
    previous_name: str | None
    items: tuple[PreviousDeduction, ...]


def previous_items_for(
    branches: Sequence[str], previous: PreviousYear, renames: Mapping[str, str] | None = None
) -> dict[str, PreviousItems]:
    """This year's branch name -> last year's items (renames: last year's name -> this year's)."""
    renames = dict(renames or {})
    by_new_name = {renames.get(b.name, b.name): b for b in previous.branches}
    found: dict[str, PreviousItems] = {}
    for name in branches:
        branch = by_new_name.get(name)
        found[name] = PreviousItems(
            previous.year,
            branch.name if branch is not None else None,
            branch.deductions if branch is not None else (),
        )
    return found


def previous_items_validation() -> dict[str, Any]:
    """是/否 for a 是否已整改 cell."""
    return {
        "validate": "list",
        "source": [YES, NO],
        "input_title": "是否已整改",
        "input_message": f"填“{YES}”或“{NO}”；未整改的请在说明中写明原因和计划。",
        "error_title": "是否已整改输入有误",
        "error_message": f"只能填“{YES}”或“{NO}”。",
        "error_type": "stop",
    }


def write_previous_items(
    book: Workbook,
    sheet: Worksheet,
    standard: Standard,
    row: int,
    columns: Sequence[float],
    items: PreviousItems,
    font: str,
    title_font: str,
) -> int:
    """Write the block from ``row`` across ``columns`` (their widths, at least six columns):
    序号 | 规则 | 评分办法（原文）… | 上年扣分 | 是否已整改 | 整改情况说明…; returns the next row.

    The first two columns hold 序号 and 规则, the wording spans the middle columns, and the last
    three hold 上年扣分, 是否已整改 (unlocked, validated) and the note (unlocked).
    """
    base = {"font_name": font, "font_size": 10, "valign": "vcenter", "text_wrap": True}
    boxed = {**base, "border": 1}
    title = book.add_format({**base, "font_name": title_font, "font_size": 14, "align": "center"})
    header = book.add_format(
        {**boxed, "font_name": title_font, "align": "center", "bg_color": "#F2F2F2"}
    )
    text = book.add_format({**boxed, "align": "left"})
    center = book.add_format({**boxed, "align": "center"})
    answer = book.add_format({**boxed, "align": "center", "locked": False, "bg_color": "#FFF2CC"})
    note = book.add_format({**boxed, "align": "left", "locked": False, "bg_color": "#FFF2CC"})
    last = len(columns) - 1
    points_col, answer_col, note_col = last - 2, last - 1, last
    wording_first, wording_last = 2, points_col - 1
    wording_width = sum(columns[wording_first : wording_last + 1])

    sheet.merge_range(row, 0, row, last, TITLE.format(year=items.year), title)
    sheet.set_row(row, 28)
    row += 1
    if items.previous_name is None or not items.items:
        message = NEW_BRANCH if items.previous_name is None else NOTHING
        sheet.merge_range(row, 0, row, last, message, text)
        sheet.set_row(row, 22)
        return row + 1
    for col, label in (
        (0, "序号"),
        (1, "规则"),
        (points_col, "上年扣分"),
        (answer_col, "是否已整改"),
    ):
        sheet.write_string(row, col, label, header)
    sheet.merge_range(
        row, wording_first, row, wording_last, "评分办法（原文）与上年扣分说明", header
    )
    sheet.write_string(row, note_col, "整改情况说明", header)
    sheet.set_row(row, 22)
    row += 1
    wordings = {rule.id: rule.wording for rule in standard.rules}
    for number, item in enumerate(items.items, start=1):
        wording = wordings.get(item.rule, "")
        content = wording + (f"\n上年扣分说明：{item.note}" if item.note else "")
        sheet.write_number(row, 0, number, center)
        sheet.write_string(row, 1, item.rule, center)
        sheet.merge_range(row, wording_first, row, wording_last, content, text)
        sheet.write_string(row, points_col, fmt(item.points), center)
        sheet.write_blank(row, answer_col, None, answer)
        sheet.data_validation(row, answer_col, row, answer_col, previous_items_validation())
        sheet.write_blank(row, note_col, None, note)
        sheet.set_row(row, max(22.0, lines_needed(content, wording_width) * 14.0 + 4))
        row += 1
    return row
