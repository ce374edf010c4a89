"""The 失分分析 sheet: points lost per item, with a chart."""

from __future__ import annotations

from decimal import Decimal

from workbook.core.layout import lines_needed
from workbook.outputs.summary.writer import (
    AVERAGE_DIGITS,
    BODY_FONT,
    LINE_HEIGHT,
    LOSS_SHEET,
    TITLE_FONT,
    SheetWriter,
    average,
    columns_pixels,
    number_cell,
    share,
)


def write_loss_sheet(w: SheetWriter) -> None:
    c = w.c
    f = w.formats
    columns = [
        ("项目", 26),
        ("分值", 7),
        ("平均得分", 9),
        ("平均失分", 9),
        ("失分率", 9),
        ("失分支部数", 9),
        ("失分支部占比", 9),
        ("扣完（得0分）支部数", 11),
    ]
    sheet, row = w.start(LOSS_SHEET, "失分分析", columns)
    first = row
    scored = [e.result for e in c.scored if e.result is not None]
    for index, item in enumerate(c.standard.items):
        scores = [r.item_scores[index] for r in scored]
        avg = average(scores)
        lost = [item.points - s for s in scores]
        avg_lost = average(lost)
        losing = sum(1 for value in lost if value > 0)
        zeroed = sum(1 for s in scores if s == 0)
        lost_share = (
            share(sum(lost, Decimal(0)), item.points * len(scored)) if scored else Decimal(0)
        )
        sheet.write_string(row, 0, f"{item.number}. {item.heading}", f.text)
        number_cell(sheet, row, 1, item.points, f.number)
        number_cell(sheet, row, 2, avg, f.number)
        number_cell(sheet, row, 3, avg_lost, f.number)
        sheet.write_number(row, 4, float(lost_share), f.percent)
        sheet.write_number(row, 5, losing, f.center)
        sheet.write_number(row, 6, float(share(losing, len(scored))), f.percent)
        sheet.write_number(row, 7, zeroed, f.center)
        sheet.set_row(row, max(20, lines_needed(item.heading, 24) * LINE_HEIGHT + 4))
        row += 1
    last = row - 1
    row += 1
    note = (
        "说明：失分率 = 各支部在该项目失分之和 ÷（该项目分值 × 支部数），失分率越高说明该项目越薄弱；"
        f"统计 {len(scored)} 个支部，平均分保留 {AVERAGE_DIGITS} 位小数。"
    )
    sheet.merge_range(row, 0, row, len(columns) - 1, note, f.note)
    sheet.set_row(row, 28)
    chart = w.book.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": "失分率",
            "categories": [LOSS_SHEET, first, 0, last, 0],
            "values": [LOSS_SHEET, first, 4, last, 4],
            "data_labels": {"value": True, "num_format": "0.0%"},
            "fill": {"color": "#C0504D"},
        }
    )
    chart.set_title({"name": "各项目失分率", "name_font": {"name": TITLE_FONT, "size": 12}})
    chart.set_legend({"none": True})
    chart.set_x_axis({"num_format": "0%", "min": 0, "major_gridlines": {"visible": True}})
    chart.set_y_axis({"reverse": True, "num_font": {"name": BODY_FONT, "size": 9}})
    chart.set_size({"width": columns_pixels(columns) - 10, "height": 320})
    sheet.insert_chart(row + 2, 0, chart, {"x_offset": 5, "y_offset": 5})
    sheet.print_area(0, 0, row + 19, len(columns) - 1)
    sheet.fit_to_pages(1, 1)
