"""The 汇总 sheet: one row per branch, totals, averages and the notes."""

from __future__ import annotations

from decimal import Decimal

from workbook.core.layout import lines_needed
from workbook.core.standard import fmt
from workbook.core.year_over_year import YearComparison
from workbook.inputs.consolidate import BranchEntry
from workbook.outputs.summary.writer import (
    AVERAGE_DIGITS,
    LINE_HEIGHT,
    MAX_MAIN_DEDUCTIONS,
    SUMMARY_SHEET,
    SheetWriter,
    average,
    number_cell,
    sum_or_none,
)
from workbook.outputs.year_sheet import PREVIOUS_COLUMNS, movements_by_branch, previous_cells


def main_deductions(entry: BranchEntry) -> str:
    """The 主要扣分 text: the largest deductions with rule id and wording, caps and vetoes."""
    result = entry.result
    if result is None:
        return "输入有误，待修正（见“待修正项”）"
    parts: list[str] = []
    ordered = sorted(result.deductions, key=lambda d: -d.points)
    deducted = "平均扣" if entry.combined is not None else "扣"  # several assessors' mean
    for d in ordered[:MAX_MAIN_DEDUCTIONS]:
        parts.append(f"{d.rule.id} {d.rule.wording}（{deducted}{fmt(d.points)}分）")
    if len(ordered) > MAX_MAIN_DEDUCTIONS:
        parts.append(f"等 {len(ordered)} 条")
    for item in result.items:
        if item.capped:
            parts.append(
                f"第{item.item.number}项扣分合计{fmt(item.deducted)}分，"
                f"以该项分值{fmt(item.item.points)}分为限"
            )
    if result.vetoes:
        parts.append("有否决情形，直接定为“" + result.standard.veto_grade + "”")
    return "；".join(parts) if parts else "无扣分"


def write_summary_sheet(w: SheetWriter, comparison: YearComparison | None = None) -> None:
    c = w.c
    f = w.formats
    standard = c.standard
    columns: list[tuple[str, float]] = [("序号", 5), ("支部名称", 18)]
    columns += [(item.heading, 9) for item in standard.items]
    bonus = standard.bonus
    if bonus is not None:  # the counted 加分 as one more score column
        columns += [(f"{bonus.name}（最多{fmt(bonus.cap)}分）", 9)]
    columns += [
        (f"总分（{fmt(standard.total_points)}分）", 8),
        ("否决情形", 8),
        ("等级", 6),
        ("排名", 5),
    ]
    if comparison is not None:
        columns += PREVIOUS_COLUMNS
        moves = movements_by_branch(comparison)
    columns += [("主要扣分", 58)]
    widths = [width for _, width in columns]
    sheet, row = w.start(SUMMARY_SHEET, "", columns)
    score_columns = len(standard.items) + (bonus is not None)
    col_total = 2 + score_columns
    for number, entry in enumerate(c.branches, start=1):
        main = main_deductions(entry)
        sheet.write_number(row, 0, number, f.center)
        sheet.write_string(row, 1, entry.branch, f.text)
        result = entry.result
        scores: list[Decimal | None] = list(
            result.item_scores if result else entry.assessment.item_scores
        )
        if bonus is not None:
            scores.append(result.bonus if result else entry.assessment.bonus)
        for offset, score in enumerate(scores):
            if score is None:
                sheet.write_string(row, 2 + offset, "输入有误", f.pending)
            else:
                number_cell(sheet, row, 2 + offset, score, f.number)
        if result is not None:
            number_cell(sheet, row, col_total, result.total, f.bold_number)
            vetoes = "、".join(f"（{n}）" for n in result.vetoes) or "无"
            sheet.write_string(row, col_total + 1, vetoes, f.center)
            sheet.write_string(row, col_total + 2, result.grade, f.center)
            sheet.write_number(row, col_total + 3, entry.rank or 0, f.center)
        else:
            sheet.write_string(row, col_total, "待修正", f.pending)
            sheet.write_string(row, col_total + 1, "待修正", f.pending)
            sheet.write_string(row, col_total + 2, "待修正", f.pending)
            sheet.write_blank(row, col_total + 3, None, f.center)
        col_main = col_total + 4
        if comparison is not None:
            for offset, value in enumerate(previous_cells(moves.get(entry.branch))):
                if isinstance(value, str):
                    sheet.write_string(row, col_main + offset, value, f.center)
                elif value is None:
                    sheet.write_blank(row, col_main + offset, None, f.center)
                else:
                    number_cell(sheet, row, col_main + offset, Decimal(value), f.number)
            col_main += len(PREVIOUS_COLUMNS)
        sheet.write_string(row, col_main, main, f.text)
        lines = max(lines_needed(main, widths[-1]), lines_needed(entry.branch, widths[1]))
        sheet.set_row(row, lines * LINE_HEIGHT + 4)
        row += 1
    scored = c.scored
    # Each scored branch's score columns, once: 合计 and 平均 of each column below.
    columns_scores = list(zip(*(_scores(e) for e in scored), strict=True)) or [
        () for _ in range(score_columns)
    ]
    totals = [e.result.total for e in scored]  # type: ignore[union-attr]
    # 合计 and 平均 over the branches with a result.
    for label, pick, number_format in (
        ("合计", sum_or_none, f.footer_general),
        ("平均", average, f.footer_number),
    ):
        sheet.merge_range(row, 0, row, 1, f"{label}（{len(scored)}个支部）", f.footer_label)
        for offset in range(score_columns):
            value = pick(list(columns_scores[offset]))
            number_cell(sheet, row, 2 + offset, value, number_format)
        number_cell(sheet, row, col_total, pick(totals), number_format)
        sheet.merge_range(row, col_total + 1, row, len(columns) - 1, "", f.footer_label)
        sheet.set_row(row, 20)
        row += 1
    row += 1
    notes = [
        f"说明：1. 各项得分、总分和等级均按各支部考评定级表的输入重新计算，依据{standard.document}附件；"
        f"{standard.note_1}",
        "2. 定级："
        + "，".join(g.wording for g in standard.grades)
        + (f"（{standard.band_examples}）" if standard.band_examples else "")
        + "；"
        + standard.note_2,
        "3. 排名：按总分从高到低，总分相同名次相同（如 1、2、2、4）；有否决情形的支部不论得分多少排在其他支部之后，"
        f"相互之间按否决前得分排列。平均分保留 {AVERAGE_DIGITS} 位小数（四舍五入）。",
    ]
    total_width = sum(widths)
    for note in notes:
        sheet.merge_range(row, 0, row, len(columns) - 1, note, f.note)
        sheet.set_row(row, lines_needed(note, total_width) * 12 + 4)
        row += 1
    sheet.print_area(0, 0, row - 1, len(columns) - 1)


def _scores(entry: BranchEntry) -> list[Decimal]:
    """A scored branch's item scores, then its counted bonus when the standard has one."""
    assert entry.result is not None
    bonus = [entry.result.bonus] if entry.result.standard.bonus is not None else []
    return entry.result.item_scores + bonus
