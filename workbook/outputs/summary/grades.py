"""The 等级分布 sheet: branches per grade, with a chart."""

from __future__ import annotations

from workbook.outputs.summary.writer import (
    BODY_FONT,
    GRADES_SHEET,
    TITLE_FONT,
    SheetWriter,
    columns_pixels,
    share,
)


def write_grades_sheet(w: SheetWriter) -> None:
    c = w.c
    f = w.formats
    columns = [
        ("等级", 10),
        ("分数段", 26),
        ("支部数", 10),
        ("占比", 10),
        ("其中因否决情形定级", 18),
    ]
    sheet, row = w.start(GRADES_SHEET, "等级分布", columns, landscape=False)
    first = row
    scored = c.scored
    for grade in c.standard.grades:
        count = sum(1 for e in scored if e.result and e.result.grade == grade.name)
        vetoed = sum(
            1 for e in scored if e.result and e.result.grade == grade.name and e.result.vetoes
        )
        sheet.write_string(row, 0, grade.name, f.center)
        sheet.write_string(row, 1, grade.wording, f.text)
        sheet.write_number(row, 2, count, f.center)
        sheet.write_number(row, 3, float(share(count, len(scored))), f.percent)
        sheet.write_number(row, 4, vetoed, f.center)
        sheet.set_row(row, 20)
        row += 1
    last = row - 1
    sheet.write_string(row, 0, "合计", f.footer_label)
    sheet.write_string(row, 1, "", f.footer_label)
    sheet.write_number(row, 2, len(scored), f.footer_label)
    sheet.write_number(row, 3, 1.0 if scored else 0.0, f.percent)
    sheet.write_number(row, 4, sum(1 for e in scored if e.vetoed), f.footer_label)
    row += 1
    pending = len(c.branches) - len(scored)
    if pending:
        sheet.merge_range(
            row, 0, row, 4, f"另有 {pending} 个支部输入有误，待修正，未计入。", f.note
        )
        row += 1
    chart = w.book.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": "支部数",
            "categories": [GRADES_SHEET, first, 0, last, 0],
            "values": [GRADES_SHEET, first, 2, last, 2],
            "data_labels": {"value": True},
            "fill": {"color": "#4472C4"},
        }
    )
    chart.set_title({"name": "各等级支部数", "name_font": {"name": TITLE_FONT, "size": 12}})
    chart.set_legend({"none": True})
    chart.set_x_axis({"num_font": {"name": BODY_FONT}})
    chart.set_y_axis({"min": 0, "major_gridlines": {"visible": True}, "num_format": "0"})
    chart.set_size({"width": columns_pixels(columns) - 10, "height": 300})
    sheet.insert_chart(row + 1, 0, chart, {"x_offset": 5, "y_offset": 5})
    sheet.print_area(0, 0, row + 17, len(columns) - 1)
    sheet.fit_to_pages(1, 1)
