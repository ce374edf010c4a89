"""The summary's 群众测评 sheet (with a chart of the 满意率 per branch) and its 多人考评 sheet."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from workbook.core.layout import lines_needed
from workbook.core.standard import fmt

SURVEY_SHEET = "群众测评"
ASSESSORS_SHEET = "多人考评"


def _rate(value: Fraction | None) -> float | None:
    return float(value) if value is not None else None


def write_survey_sheet(w: Any) -> None:
    """Only when some branch has a tally: one row per branch: ballots issued, returned and valid, the rate per question and
    overall, the points, the deduction counted, whether the assessor overrode the tally, the
    note; below it a column chart of the overall 满意率 per branch."""
    c = w.c
    f = w.formats
    survey = c.standard.survey
    tallied = any(m.assessment.survey is not None for e in c.branches for m in (e.members or [e]))
    if survey is None or not tallied:  # no branch has a tally: no sheet
        return
    rule = c.standard.rule(survey.rule_id)
    columns: list[tuple[str, float]] = [
        ("序号", 5),
        ("支部名称", 18),
        ("发放", 6),
        ("收回", 6),
        ("有效票", 6),
    ]
    columns += [(f"第{n}题满意率", 8) for n in range(1, len(survey.questions) + 1)]
    columns += [
        ("总体满意率", 8),
        (f"测评得分（满分{fmt(survey.full_points)}）", 9),
        ("测评对应扣分", 8),
        (f"计入扣分（规则{rule.id}）", 8),
        ("考评人改分", 7),
        ("扣分说明", 40),
    ]
    widths = [width for _, width in columns]
    sheet, row = w.start(SURVEY_SHEET, f"{survey.name}情况", columns)
    first = row
    rate_col = 5 + len(survey.questions)
    for number, entry in enumerate(c.branches, start=1):
        member = next(
            (m for m in (entry.members or [entry]) if m.assessment.survey is not None), None
        )
        tally = member.assessment.survey if member is not None else None
        outcome = member.assessment.survey_outcome if member is not None else None
        values: list[Any] = [number, entry.branch]
        if tally is None:
            values += [None, None, None] + [None] * len(survey.questions) + [None] * 3
            counted = _counted(entry, rule.id)
            values += [counted, "", "未计票"]
        else:
            values += [tally.issued, tally.returned, tally.valid]
            values += [_rate(q.rate) if q else None for q in tally.questions]
            values += [_rate(tally.rate), tally.points, tally.deduction]
            # Several assessors: the tally is the branch's, the counted deduction their mean.
            counted = _counted(entry if entry.combined is not None else member, rule.id)
            overridden = "是" if outcome and outcome.overridden else "否"
            note = outcome.note if outcome else ""
            if tally.problems:
                note = "；".join(p.message for p in tally.problems) + (f"；{note}" if note else "")
            values += [counted, overridden, note]
        lines = 1
        for col, value in enumerate(values):
            if 5 <= col <= rate_col and isinstance(value, float):
                sheet.write_number(row, col, value, f.percent)
            elif isinstance(value, Decimal):
                sheet.write_number(row, col, float(value), f.number)
            elif isinstance(value, int):
                sheet.write_number(row, col, value, f.number)
            elif value is None:
                sheet.write_blank(row, col, None, f.center)
            else:
                sheet.write_string(
                    row, col, str(value), f.text if col in (1, len(values) - 1) else f.center
                )
                lines = max(lines, lines_needed(str(value), widths[col]))
        sheet.set_row(row, lines * 14.0 + 4)
        row += 1
    last = row - 1
    if c.branches:
        chart = w.book.add_chart({"type": "column"})
        name = sheet.name
        chart.add_series(
            {
                "name": "总体满意率",
                "categories": [name, first, 1, last, 1],
                "values": [name, first, rate_col, last, rate_col],
                "data_labels": {"value": True, "num_format": "0.0%"},
                "fill": {"color": "#C00000"},
            }
        )
        chart.set_title(
            {"name": f"各支部{survey.name}总体满意率", "name_font": {"name": "黑体", "size": 12}}
        )
        chart.set_y_axis(
            {"num_format": "0%", "min": 0, "max": 1, "major_gridlines": {"visible": True}}
        )
        chart.set_x_axis({"num_font": {"name": "仿宋", "size": 9}})
        chart.set_legend({"none": True})
        chart.set_size({"width": max(480, 60 * len(c.branches)), "height": 300})
        sheet.insert_chart(row + 1, 1, chart)
        row += 17
    sheet.print_area(0, 0, row, len(columns) - 1)


def _counted(entry: Any, rule_id: str) -> Decimal | None:
    result = entry.result
    if result is None:
        return None
    return next((d.points for d in result.deductions if d.rule.id == rule_id), Decimal(0))


def write_assessors_sheet(w: Any) -> None:
    """Each assessor's total per branch, the combined total, the spread and its flag."""
    c = w.c
    f = w.formats
    combined = [e for e in c.branches if e.combined is not None]
    if not combined:
        return
    columns = [
        ("支部名称", 18),
        ("考评人", 10),
        ("来源", 30),
        ("合计", 7),
        ("等级", 6),
        # Wide enough for 否（已去掉） and 93.33（平均） on one line (the bracket closing a
        # line of its own, in print), 去掉最高和最低后平均 on two.
        ("计入平均", 12),
        ("合并后总分", 16),
        ("最高与最低相差", 24),
    ]
    sheet, row = w.start(ASSESSORS_SHEET, "多人考评", columns)
    for entry in combined:
        result = entry.combined
        method = "去掉最高和最低后平均" if result.trimmed else "平均"
        for member in entry.members:
            counted = member.result is not None and any(
                a.result is member.result for a in result.counted
            )
            flagged = result.spread_flagged
            spread = f"{fmt(result.spread)} 分" + (
                f"（超过 {fmt(result.threshold)} 分，请复核）" if flagged else ""
            )
            values: list[Any] = [
                entry.branch,
                member.assessor,
                f"{member.file}，{member.sheet}",
                member.result.total if member.result else None,
                member.grade_text,
                "是" if counted else "否（已去掉）",
                f"{fmt(result.total)}（{method}）",
                spread,
            ]
            for col, value in enumerate(values):
                if isinstance(value, Decimal):
                    sheet.write_number(row, col, float(value), f.number)
                elif value is None:
                    sheet.write_blank(row, col, None, f.center)
                else:
                    style = f.pending if col == 7 and flagged else f.text
                    sheet.write_string(row, col, str(value), style)
            sheet.set_row(row, 2 * 14.0 + 4)
            row += 1
    sheet.print_area(0, 0, row - 1, len(columns) - 1)
