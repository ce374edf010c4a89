"""The 来源 sheet: the files read, with their hashes."""

from __future__ import annotations

from workbook.core.layout import lines_needed
from workbook.outputs.summary.writer import (
    LINE_HEIGHT,
    SOURCES_SHEET,
    SheetWriter,
)


def write_sources_sheet(w: SheetWriter) -> None:
    c = w.c
    columns = [
        ("文件", 30),
        ("SHA-256", 34),
        ("读取的工作表", 26),
        ("模板版本", 7),
        ("修改时间", 16),
    ]
    widths = [width for _, width in columns]
    sheet, row = w.start(SOURCES_SHEET, "来源", columns)
    for source in c.sources:
        w.text_row(
            sheet,
            row,
            [
                source.display,
                source.sha256,
                "、".join(source.sheets) or "（无）",
                source.template_version or "",
                source.modified.strftime("%Y-%m-%d %H:%M:%S"),
            ],
            widths,
            fit=False,
        )
        sheet.write_string(row, 1, source.sha256, w.formats.mono)
        sheet.set_row(
            row,
            max(
                2,
                lines_needed("、".join(source.sheets), widths[2]),
                lines_needed(source.display, widths[0]),
            )
            * LINE_HEIGHT
            + 4,
        )
        row += 1
    sheet.print_area(0, 0, max(row - 1, 3), len(columns) - 1)
