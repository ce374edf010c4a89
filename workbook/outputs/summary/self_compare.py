"""The 自评与考评 sheet: each branch's self-assessment beside the committee's (template version 2)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from workbook.core.scoring import PENDING
from workbook.core.standard import fmt
from workbook.outputs.summary.writer import SheetWriter

SELF_SHEET = "自评与考评"


def write_self_sheet(w: SheetWriter) -> None:
    """One row per branch in rank order: 自评 and 考评 totals and grades, the difference, the
    自评偏高 flag. Nothing when no workbook is of template version 2."""
    c = w.c
    if not any(entry.own is not None for entry in c.branches):
        return
    threshold = c.self_threshold
    columns = [
        ("排名", 6),
        ("支部名称", 22),
        ("自评得分", 10),
        ("自评等级", 10),
        ("考评得分", 10),
        ("考评等级（定级）", 12),
        ("差值（自评－考评）", 12),
        ("标记", 22),
    ]
    rows: list[Sequence[object]] = []
    flagged = 0
    for entry in c.branches:
        own = entry.own
        committee_total: Decimal | str = entry.result.total if entry.result else PENDING
        if own is None:
            rows.append(
                [
                    entry.rank,
                    entry.branch,
                    "无自评栏",
                    "",
                    committee_total,
                    entry.grade_text,
                    None,
                    "旧版模板",
                ]
            )
            continue
        comparison = entry.self_comparison(threshold)
        if comparison is not None and comparison.too_high:
            flagged += 1
        rows.append(
            [
                entry.rank,
                entry.branch,
                own.total_text,
                own.grade_text,
                committee_total,
                entry.grade_text,
                comparison.difference if comparison else None,
                comparison.flag_text if comparison else "",
            ]
        )
    caption = "自评与考评"
    sheet, row = w.table(SELF_SHEET, caption, columns, rows)
    row += 1
    sheet.merge_range(
        row,
        0,
        row,
        len(columns) - 1,
        f"自评总分高于考评总分 {fmt(threshold)} 分以上的标“自评偏高”，共 {flagged} 个支部；"
        "定级以考评为准。“未自评”：自评栏全部空白；“待修正”：自评栏有输入错误。",
        w.formats.note,
    )
    sheet.print_area(0, 0, row, len(columns) - 1)
