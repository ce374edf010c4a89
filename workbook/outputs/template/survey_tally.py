"""The 群众测评 tally block of a branch sheet (issue 9), below the print area.

Ballots issued and returned and each answer's count per question are inputs; the 满意率 per
question and overall, 有效票, points, deduction and a 检查 cell are computed (``KP_SURVEY`` with
the built-in fallback). The survey rule's item score and, with a grade ceiling, the grade are
rewritten here to read the tally. Outside the print area, so the sheet prints as before.
"""

from __future__ import annotations

from typing import Any

from workbook.core import names
from workbook.core.formulas import (
    SurveyCells,
    ceiling_grade_formula,
    combined_check_formula,
    survey_formulas,
    survey_item_score_formula,
)
from workbook.core.layout import (
    BODY_FONT,
    COL_DED,
    COL_NOTE,
    COL_RANGE,
    COL_SCORE,
    FIRST_RULE_ROW,
    LAST_COL,
    LINE_HEIGHT,
    lines_needed,
)
from workbook.core.scoring import RawSurvey
from workbook.core.self_sheet import version_two_outputs
from workbook.core.standard import fmt
from workbook.core.survey import survey_cells as survey_cells_of
from workbook.outputs.template.formats import cell


def survey_validation(what: str) -> dict[str, Any]:
    return {
        "validate": "integer",
        "criteria": ">=",
        "value": 0,
        "ignore_blank": True,
        "input_title": what[:32],
        "input_message": "填非负整数（张数）。",
        "error_title": "票数输入有误",
        "error_message": "票数应为非负整数。",
        "error_type": "stop",
    }


def write_survey_tally(ctx: Any, row: int) -> int:  # ctx: branch_sheet.BranchSheet
    """The 群众测评 tally block below the printed table: ballots issued and returned, each
    answer's count per question (inputs), the rates, points and deduction (computed)."""
    standard = ctx.standard
    survey = standard.survey
    if survey is None:
        return row
    book, sheet, formats = ctx.book, ctx.sheet, ctx.formats
    assessment, raw, mode, define = ctx.assessment, ctx.raw, ctx.mode, ctx.define
    rule = standard.rule(survey.rule_id)
    item = standard.item(rule.item_number)
    first_count = COL_RANGE
    rate_col = first_count + len(survey.answers)
    for col in range(LAST_COL + 1, rate_col + 1):
        sheet.set_column(col, col, 10)
    percent = book.add_format(
        {
            "font_name": BODY_FONT,
            "border": 1,
            "align": "center",
            "valign": "vcenter",
            "num_format": "0." + "0" * survey.percent_places + "%"
            if survey.percent_places
            else "0%",
        }
    )
    row += 1  # a blank row below the print area
    sheet.merge_range(
        row,
        0,
        row,
        rate_col,
        f"{survey.name}计票（第{item.number}项 规则 {rule.id}“{rule.wording}”；本表不在打印范围内）",
        formats.total_label,
    )
    sheet.set_row(row, 24)
    raw_survey = raw.survey or RawSurvey()

    def label(at: int, text: str) -> None:
        sheet.merge_range(at, 0, at, first_count - 1, text, formats.text)
        sheet.set_row(at, 20)

    def count_input(at: int, col: int, value: object, what: str) -> None:
        if value is None or value == "":
            sheet.write_blank(at, col, None, formats.deduction)
        elif isinstance(value, bool):
            sheet.write_boolean(at, col, value, formats.deduction)
        elif isinstance(value, int | float):
            sheet.write_number(at, col, value, formats.deduction)
        else:
            sheet.write_string(at, col, str(value), formats.deduction)
        sheet.data_validation(at, col, at, col, survey_validation(what))

    row += 1
    label(row, "发放票数（张）")
    count_input(row, first_count, raw_survey.issued, "发放票数")
    define(names.SURVEY_ISSUED, row, first_count)
    issued = cell(row, first_count)
    row += 1
    label(row, "收回票数（张）")
    count_input(row, first_count, raw_survey.returned, "收回票数")
    define(names.SURVEY_RETURNED, row, first_count)
    returned = cell(row, first_count)
    row += 1
    sheet.merge_range(row, 0, row, first_count - 1, "测评题目", formats.header)
    for offset, answer in enumerate(survey.answers):
        sheet.write(row, first_count + offset, answer.text, formats.header)
    sheet.write(row, rate_col, "满意率", formats.header)
    sheet.set_row(row, 20)
    counts: list[tuple[str, ...]] = []
    rates: list[str] = []
    for number, question in enumerate(survey.questions, start=1):
        row += 1
        text = f"第{number}题：{question}"
        sheet.merge_range(row, 0, row, first_count - 1, text, formats.text)
        sheet.set_row(row, max(20.0, lines_needed(text, 83) * LINE_HEIGHT + 4))
        given = raw_survey.counts[number - 1] if number <= len(raw_survey.counts) else {}
        cells: list[str] = []
        for index, answer in enumerate(survey.answers, start=1):
            col = first_count + index - 1
            count_input(row, col, given.get(answer.text), f"第{number}题 {answer.text}")
            define(names.survey_count_name(number, index), row, col)
            cells.append(cell(row, col))
        counts.append(tuple(cells))
        define(names.survey_rate_name(number), row, rate_col)
        rates.append(cell(row, rate_col))
    outputs: list[tuple[str, str]] = [
        (names.SURVEY_VALID, "有效票（各题中最少，张）"),
        (names.SURVEY_RATE, "总体满意率"),
        (names.SURVEY_POINTS, f"测评得分（满分{fmt(survey.full_points)}分）"),
        (names.SURVEY_DEDUCTION, f"对应扣分（规则 {rule.id} 扣分栏空白时计入）"),
        (names.SURVEY_CHECK, "检查"),
    ]
    at: dict[str, str] = {}
    for name, text in outputs:
        row += 1
        label(row, text)
        if name == names.SURVEY_CHECK:
            sheet.merge_range(row, first_count, row, rate_col, "", formats.check)
        define(name, row, first_count)
        at[name] = cell(row, first_count)
    ded_row = FIRST_RULE_ROW + [r.id for r in standard.rules].index(rule.id)
    survey_cells = SurveyCells(
        issued=issued,
        returned=returned,
        counts=tuple(counts),
        rates=tuple(rates),
        valid=at[names.SURVEY_VALID],
        rate=at[names.SURVEY_RATE],
        points=at[names.SURVEY_POINTS],
        deduction=at[names.SURVEY_DEDUCTION],
        check=at[names.SURVEY_CHECK],
        rule_deduction=cell(ded_row, COL_DED),
        rule_note=cell(ded_row, COL_NOTE),
    )
    values = survey_cells_of(standard, assessment.survey, assessment.survey_outcome)
    by_cell = {
        **{c: names.survey_rate_name(n) for n, c in enumerate(rates, start=1)},
        **{c: n for n, c in at.items()},
    }
    for at_cell, formula in survey_formulas(mode, standard, survey_cells).items():
        name = by_cell[at_cell]
        fmt_ = (
            percent
            if "rate" in name
            else formats.check
            if name == names.SURVEY_CHECK
            else formats.score
        )
        sheet.write_formula(at_cell, formula, fmt_, values[name])
    # The survey rule's item and, with a grade ceiling, the grade read the tally.
    first = FIRST_RULE_ROW + [r.id for r in standard.rules].index(item.rules[0].id)
    ded_cells = [cell(first + i, COL_DED) for i in range(len(item.rules))]
    score = assessment.item_scores[item.number - 1]
    sheet.write_formula(
        first,
        COL_SCORE,
        survey_item_score_formula(
            mode, standard, item, ded_cells, standard.max_decimal_places, survey_cells
        ),
        formats.score,
        float(score) if score is not None else "输入有误",
    )
    if ctx.two is not None:
        # The rule's 检查 cell in the printed table says why the tally makes its item 输入有误.
        check = ctx.cells[names.check_name(rule)]
        sheet.write_formula(
            check.row,
            check.col,
            combined_check_formula(
                mode,
                standard,
                rule,
                survey_cells.rule_deduction,
                ctx.cells[names.self_deduction_name(rule)].a1,
                survey_cells,
            ),
            formats.check,
            version_two_outputs(standard, assessment, ctx.two)[names.check_name(rule)],
        )
    if survey.ceilings:
        sheet.write_formula(
            ctx.grade_row,
            COL_SCORE,
            ceiling_grade_formula(
                mode,
                standard,
                cell(ctx.total_row, COL_SCORE),
                ctx.veto_block,
                ctx.veto_cells,
                survey_cells,
            ),
            formats.grade,
            assessment.grade_text,
        )
    return row + 1
