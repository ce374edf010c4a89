"""What a version-2 branch sheet adds to version 1, from its cell values. Pure.

Version 2 of the template puts the branch's 自评 (its own 自评扣分 and veto answers) beside the
committee's 考评 and holds the construction checklist (规范化建设自查表) below the signatures.
This module turns the values of those cells (by defined name) into the self assessment, the
checklist report, the problems (keyed by defined name) and the values of every computed cell
the version adds or changes, as the template's formulas compute them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from workbook.core import formulas, names
from workbook.core.cells import CellRef
from workbook.core.checklist import ChecklistReport, checklist_from_values, hint_text
from workbook.core.formulas import FormulaMode
from workbook.core.problems import Problem
from workbook.core.scoring import Assessment
from workbook.core.self_assessment import (
    SelfAssessment,
    assess_self,
    check_text,
    score_text,
    self_raw_inputs,
)
from workbook.core.standard import Standard
from workbook.core.survey import survey_rule_check_text


@dataclass(frozen=True)
class VersionTwoSheet:
    """The 自评 and the checklist of one version-2 branch sheet."""

    own: SelfAssessment
    checklist: ChecklistReport | None
    problems: tuple[Problem, ...]  # 自评 problems, then checklist problems


def read_version_two(standard: Standard, values: Mapping[str, object]) -> VersionTwoSheet:
    """The 自评 and checklist of a version-2 sheet from its values by defined name."""
    own = assess_self(standard, self_raw_inputs(standard, values))
    checklist = (
        checklist_from_values(standard.checklist, values)
        if standard.checklist is not None
        else None
    )
    problems = own.assessment.problems + (checklist.problems if checklist is not None else ())
    return VersionTwoSheet(own, checklist, problems)


def version_two_outputs(
    standard: Standard, committee: Assessment, sheet: VersionTwoSheet
) -> dict[str, Decimal | str]:
    """The value of every computed cell version 2 adds or changes, by defined name.

    The 检查 cells of version 2 show the committee input's message, then the 自评 input's.
    """
    outputs: dict[str, Decimal | str] = {}
    own = sheet.own
    for item, score in zip(standard.items, own.item_scores, strict=True):
        outputs[names.self_item_score_name(item.number)] = score_text(score)
    outputs[names.SELF_TOTAL_SCORE] = own.total_text
    outputs[names.SELF_GRADE] = own.grade_text
    committee_short = {names.problem_name(p): p.short for p in committee.problems}
    own_short = {names.problem_name(p): p.short for p in own.assessment.problems}
    survey_rule = standard.survey.rule_id if standard.survey is not None else None
    for rule in standard.rules:
        committee_text = committee_short.get(names.deduction_name(rule), "")
        if rule.id == survey_rule and not committee_text:
            # The tally (below the print area) or a missing 扣分说明 makes the item 输入有误.
            committee_text = survey_rule_check_text(committee.survey, committee.survey_outcome)
        outputs[names.check_name(rule)] = check_text(
            committee_text, own_short.get(names.self_deduction_name(rule), "")
        )
    for number in range(1, len(standard.vetoes) + 1):
        outputs[names.veto_check_name(number)] = check_text(
            committee_short.get(names.veto_name(number), ""),
            own_short.get(names.self_veto_name(number), ""),
        )
    if sheet.checklist is not None and standard.checklist is not None:
        for rule_id in names.hint_rule_ids(standard.checklist):
            outputs[names.hint_name_of(rule_id)] = hint_text(sheet.checklist, rule_id)
    return outputs


def version_two_formulas(
    standard: Standard, mode: FormulaMode, cells: Mapping[str, CellRef]
) -> dict[str, str]:
    """The formulas (with "=") template version 2 adds or changes, by name: the 自评 scores,
    total and grade, the 检查 cells (committee then 自评) and the checklist hints. The template
    writes exactly these; recalculation restores them where they were typed over."""
    places = standard.max_decimal_places
    result: dict[str, str] = {}
    ded_rows: list[int] = []
    own_refs: list[CellRef] = []
    survey = standard.survey
    tally = (
        formulas.survey_cells_by_name(standard, lambda name: cells[name].a1)
        if survey is not None and all(n in cells for n in names.survey_output_names(standard))
        else None
    )
    for item in standard.items:
        refs = [cells[names.self_deduction_name(rule)] for rule in item.rules]
        own_refs += refs
        ded_rows += [ref.row for ref in refs]
        result[names.self_item_score_name(item.number)] = formulas.item_score_formula(
            mode, standard, item, [ref.a1 for ref in refs], places
        )
        for rule, ref in zip(item.rules, refs, strict=True):
            result[names.check_name(rule)] = formulas.combined_check_formula(
                mode,
                standard,
                rule,
                cells[names.deduction_name(rule)].a1,
                ref.a1,
                tally if survey is not None and rule.id == survey.rule_id else None,
            )
    first_score = cells[names.self_item_score_name(standard.items[0].number)]
    score_block = (
        f"{first_score.a1}:{CellRef(first_score.sheet, max(ded_rows), first_score.col).a1}"
    )
    score_cells = [cells[names.self_item_score_name(i.number)].a1 for i in standard.items]
    numbers = range(1, len(standard.vetoes) + 1)
    veto_refs = [cells[names.self_veto_name(n)] for n in numbers]
    blocks = [f"{own_refs[0].a1}:{own_refs[-1].a1}"]
    if veto_refs:
        blocks.append(f"{veto_refs[0].a1}:{veto_refs[-1].a1}")
    result[names.SELF_TOTAL_SCORE] = formulas.self_total_formula(
        mode, standard, score_block, score_cells, blocks
    )
    for number, ref in zip(numbers, veto_refs, strict=True):
        result[names.veto_check_name(number)] = formulas.combined_veto_check_formula(
            mode, cells[names.veto_name(number)].a1, ref.a1
        )
    veto_cells = [ref.a1 for ref in veto_refs]
    veto_block = f"{veto_cells[0]}:{veto_cells[-1]}" if veto_cells else ""
    result[names.SELF_GRADE] = formulas.self_grade_formula(
        mode, standard, cells[names.SELF_TOTAL_SCORE].a1, veto_block, veto_cells
    )
    checklist = standard.checklist
    if checklist is not None:
        answers = {e.key: cells[names.checklist_name(e)].a1 for e in checklist.entries}
        scopes = {
            scope: cells[names.checklist_scope_name(n)].a1
            for n, scope in enumerate(checklist.scopes, start=1)
        }
        for rule_id in names.hint_rule_ids(checklist):
            formula = formulas.checklist_hint_formula(checklist, rule_id, answers, scopes)
            if formula is not None:
                result[names.hint_name_of(rule_id)] = formula
    return result
