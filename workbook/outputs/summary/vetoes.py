"""The 否决情形 sheet: the branches with a veto."""

from __future__ import annotations

from workbook.core.layout import lines_needed
from workbook.outputs.summary.writer import (
    VETO_SHEET,
    SheetWriter,
)


def write_veto_sheet(w: SheetWriter) -> None:
    c = w.c
    columns = [
        ("支部名称", 20),
        ("否决情形", 8),
        ("情形（原文）", 44),
        ("否决前得分", 10),
        ("否决前等级", 10),
        ("定级", 8),
    ]
    rows = (
        [
            entry.branch,
            f"（{number}）",
            c.standard.vetoes[number - 1],
            result.total,
            result.score_grade,
            result.grade,
        ]
        for entry in c.branches
        if (result := entry.result) is not None
        for number in result.vetoes
    )
    sheet, row = w.table(VETO_SHEET, "否决情形", columns, rows, empty="没有支部存在否决情形。")
    row += 1
    sheet.merge_range(
        row, 0, row, len(columns) - 1, "注（2）：" + c.standard.note_2, w.formats.note
    )
    total_width = sum(width for _, width in columns)
    sheet.set_row(row, lines_needed(c.standard.note_2, total_width) * 12 + 6)
    sheet.print_area(0, 0, row, len(columns) - 1)
