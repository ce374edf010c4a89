"""The 待修正项 sheet: errors and warnings (only when there are any)."""

from __future__ import annotations

from workbook.outputs.summary.writer import (
    PROBLEMS_SHEET,
    SheetWriter,
)


def write_problems_sheet(w: SheetWriter) -> None:
    c = w.c
    if not (c.errors or c.warnings):
        return
    columns = [("类别", 6), ("文件", 26), ("工作表", 14), ("单元格", 7), ("说明", 60)]
    rows = (
        [kind, problem.file, problem.sheet or "", problem.cell or "", problem.message]
        for kind, problems in (("待修正", c.errors), ("提示", c.warnings))
        for problem in problems
    )
    sheet, row = w.table(PROBLEMS_SHEET, "待修正项与提示", columns, rows)
    sheet.print_area(0, 0, row - 1, len(columns) - 1)
