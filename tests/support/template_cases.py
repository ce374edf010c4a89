"""Branches to fill into a template and what its computed cells must then show.

Shared by the tests that recalculate templates in real spreadsheet programs (LibreOffice,
Gnumeric): the data cases of ``tests/cases``, seeded random branches, and branches with error
values (#N/A, #DIV/0!) typed or computed in input cells.
"""

from __future__ import annotations

import random
import tomllib
import warnings
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import openpyxl

from workbook.core import names
from workbook.core.scoring import RawBranchInputs, RawSurvey, assess_branch
from workbook.core.standard import Rule, Standard
from workbook.core.survey import survey_cells, survey_rule_check_text
from workbook.inputs.reader import read_branch_workbook
from workbook.outputs.template import TemplateOptions, write_template

from support.scoring_cases import CASES, load_case, raw_inputs
from support.workbook_helpers import cells_for, fill_by_names, named_cell

# Error values in input cells, as openpyxl writes them: a typed error value (a cell of type
# "e") or a formula whose result is an error. The value is what Excel hands a UDF for that cell
# (xlwings' ``err_to_str``), which the engine, like any text, rejects.
ERROR_INPUTS: dict[str, str] = {
    "#N/A": "#N/A",
    "#DIV/0!": "#DIV/0!",
    "=NA()": "#N/A",
    "=1/0": "#DIV/0!",
}


def case_inputs() -> dict[str, RawBranchInputs]:
    """Every case of ``tests/cases`` by its file name, and the tallies of ``tests/survey_cases``
    on the default standard (each with and without an override of rule 7.1)."""
    inputs = {path.stem: raw_inputs(load_case(path)) for path in CASES}
    return inputs | survey_inputs()


SURVEY_CASES = sorted((Path(__file__).parent.parent / "survey_cases").glob("*.toml"))


def survey_inputs() -> dict[str, RawBranchInputs]:
    """The anji tallies of tests/survey_cases, blank 7.1, plus overrides with and without a
    note, and hostile counts (text, 1.5, TRUE, an error value, blank issued)."""
    result: dict[str, RawBranchInputs] = {}
    for path in SURVEY_CASES:
        with path.open("rb") as handle:
            case = tomllib.load(handle)
        if case["standard"] != "anji-2012-6":
            continue
        given = case["inputs"]
        survey = RawSurvey(given.get("issued"), given.get("returned"), given["counts"])
        result[f"测评{path.stem}"] = RawBranchInputs({}, survey=survey)
    base = RawSurvey(55, 50, [{"满意": 42, "基本满意": 5, "不满意": 3}] * 3)
    hostile = [
        ("测评文字", RawSurvey("五十", 50, base.counts)),
        ("测评小数", RawSurvey(55, 50, [{"满意": 1.5}])),
        ("测评逻辑值", RawSurvey(55, 50, [{"满意": True}])),
        ("测评负数", RawSurvey(55, -1, [{"满意": 3}])),
        ("测评错误值", RawSurvey(55, 50, [{"不满意": "#N/A"}])),
        ("测评发放空白", RawSurvey(None, 50, base.counts)),
        ("测评收回多", RawSurvey(40, 50, base.counts)),
        ("测评合计多", RawSurvey(55, 30, base.counts)),
        ("测评只有计数", RawSurvey(None, None, [{"满意": 0}])),
    ]
    result.update({name: RawBranchInputs({}, survey=survey) for name, survey in hostile})
    result["测评改分无说明"] = RawBranchInputs({"7.1": 3}, survey=base)
    result["测评改分有说明"] = RawBranchInputs({"7.1": 3}, {"7.1": "群众来信"}, survey=base)
    result["测评同分"] = RawBranchInputs({"7.1": 2.5}, survey=base)
    result["测评改分说明空格"] = RawBranchInputs({"7.1": 3}, {"7.1": "  "}, survey=base)
    result["测评改分错"] = RawBranchInputs({"7.1": 30}, survey=base)
    return result


def error_inputs(standard: Standard) -> dict[str, RawBranchInputs]:
    """Branches with an error value in a deduction cell, a veto cell, or both."""
    fixed = next(rule for rule in standard.rules if rule.kind == "fixed")
    ranged = next(rule for rule in standard.rules if rule.kind == "range" and rule.min > 0)
    last = standard.rules[-1]
    errors = list(ERROR_INPUTS)
    return {
        "错误值扣分1": RawBranchInputs({fixed.id: errors[0], ranged.id: 2.0}),
        "错误值扣分2": RawBranchInputs({ranged.id: errors[1]}),
        "错误值扣分3": RawBranchInputs({last.id: errors[2]}, vetoes=["是"]),
        "错误值扣分4": RawBranchInputs({fixed.id: errors[3], last.id: 5.0}),
        "错误值否决1": RawBranchInputs({ranged.id: 1.5}, vetoes=[errors[0], None, None]),
        "错误值否决2": RawBranchInputs({}, vetoes=[None, errors[1], "否"]),
        "错误值否决3": RawBranchInputs({}, vetoes=["是", None, errors[2]]),
        "错误值否决4": RawBranchInputs({}, vetoes=[None, None, errors[3]]),
        "错误值都有": RawBranchInputs({fixed.id: errors[2]}, vetoes=[errors[3], "是", None]),
    }


def noise_inputs(standard: Standard) -> dict[str, RawBranchInputs]:
    """Deductions near a 2-decimal number, and TRUE: the engine and the formulas must agree.

    Within 1E-9 of a 2-decimal number counts as that number (0.1+0.2, 1.0000000000001), further
    is 小数超过 2 位 (1.00000001, 1.001); TRUE is never a deduction, not even in LibreOffice.
    """
    fixed = next(rule for rule in standard.rules if rule.kind == "fixed")
    ranged = next(rule for rule in standard.rules if rule.kind == "range" and rule.min > 0)
    low = float(ranged.min)
    from_zero = next(rule for rule in standard.rules if rule.kind == "range" and rule.min == 0)
    return {
        "噪声1": RawBranchInputs({ranged.id: low + 0.0000000000001}),
        "噪声2": RawBranchInputs({from_zero.id: 0.1 + 0.2}),
        "噪声3": RawBranchInputs({fixed.id: float(fixed.max) + 1e-12, ranged.id: 1.1}),
        "噪声4": RawBranchInputs({ranged.id: low + 0.00000001}),
        "噪声5": RawBranchInputs({ranged.id: low + 0.001}),
        "逻辑值1": RawBranchInputs({ranged.id: True}),
        "逻辑值2": RawBranchInputs({fixed.id: True}),
        "逻辑值3": RawBranchInputs({fixed.id: False}),
    }


def _random_deduction(rule: Rule, rng: random.Random) -> object:
    roll = rng.random()
    if roll < 0.35:
        return None
    if roll < 0.45:
        return 0
    if roll < 0.9:
        if rule.kind == "fixed":
            return float(rule.max)
        cents = rng.randint(int(rule.min * 100), int(rule.max * 100))
        return float(Decimal(cents) / 100)
    # Invalid on purpose: text, negative, out of range, too many decimals, just below the range.
    return rng.choice(["三分", -1.0, float(rule.max + 1), float(rule.max) - 0.001, 0.25])


def _random_branch(standard: Standard, rng: random.Random) -> RawBranchInputs:
    deductions = {rule.id: _random_deduction(rule, rng) for rule in standard.rules}
    vetoes = [
        rng.choice([None, None, None, "否", "是", True, False, "有"]) for _ in standard.vetoes
    ]
    # Most branches have no veto, so that grade bands are exercised too.
    if rng.random() < 0.6:
        vetoes = [rng.choice([None, "否", False]) for _ in standard.vetoes]
    awards = {
        rule.id: _random_deduction(rule, rng)
        for rule in (standard.bonus.rules if standard.bonus is not None else ())
    }
    return RawBranchInputs(deductions, vetoes=vetoes, awards=awards)


def random_inputs(standard: Standard, count: int) -> dict[str, RawBranchInputs]:
    """``count`` seeded random branches: valid and invalid deductions, vetoes of every kind."""
    rng = random.Random(20120315)
    return {f"随机{n:03d}": _random_branch(standard, rng) for n in range(1, count + 1)}


def expected_cells(standard: Standard, raw: RawBranchInputs) -> dict[str, object]:
    """What every computed cell must show, per the engine (None for an empty 检查 cell)."""
    assessment = assess_branch(standard, raw)
    cells: dict[str, object] = {}
    for item, score in zip(standard.items, assessment.item_scores, strict=True):
        cells[names.item_score_name(item.number)] = (
            float(score) if score is not None else "输入有误"
        )
    cells[names.TOTAL_SCORE] = float(assessment.total) if assessment.total is not None else "待修正"
    cells[names.GRADE] = assessment.grade_text
    problems = {names.problem_name(p): p.short for p in assessment.problems}
    survey_rule = standard.survey.rule_id if standard.survey is not None else None
    for rule in standard.rules:
        text = problems.get(names.deduction_name(rule))
        if rule.id == survey_rule and not text:
            # The tally or a missing 扣分说明 makes the item 输入有误: the rule's 检查 says why.
            text = survey_rule_check_text(assessment.survey, assessment.survey_outcome) or None
        cells[names.check_name(rule)] = text
    for number in range(1, len(standard.vetoes) + 1):
        cells[names.veto_check_name(number)] = problems.get(names.veto_name(number))
    survey = survey_cells(standard, assessment.survey, assessment.survey_outcome)
    cells.update({name: None if value == "" else value for name, value in survey.items()})
    if standard.bonus is not None:
        bonus = assessment.bonus
        cells[names.BONUS_SCORE] = float(bonus) if bonus is not None else "输入有误"
        for rule in standard.bonus.rules:
            cells[names.bonus_check_name(rule)] = problems.get(names.bonus_name(rule))
    return cells


def computed_names(standard: Standard) -> list[str]:
    """The defined names of every computed cell of a branch sheet."""
    return list(expected_cells(standard, RawBranchInputs({})))


def fill_template(
    template: Path, standard: Standard, branches: Mapping[str, RawBranchInputs], out: Path
) -> Path:
    """Type each branch's inputs into its sheet of ``template`` with openpyxl.

    openpyxl keeps the formulas but drops every cached value, so any number a spreadsheet
    program shows afterwards is its own calculation.
    """
    sheet_of = {s.branch_name: s.sheet for s in read_branch_workbook(template).sheets}
    return fill_by_names(
        template,
        {sheet_of[branch]: cells_for(standard, raw) for branch, raw in branches.items()},
        out,
    )


def filled_template(
    folder: Path, standard: Standard, branches: Mapping[str, RawBranchInputs], mode: str
) -> Path:
    """A template with one sheet per branch in formula ``mode``, filled, without cached values."""
    template = write_template(
        folder / f"{mode}.xlsx",
        TemplateOptions(list(branches), formulas=mode),  # type: ignore[arg-type]
    )
    filled = fill_template(template, standard, branches, folder / f"{mode}-filled.xlsx")
    assert all(s.values[names.TOTAL_SCORE] is None for s in read_branch_workbook(filled).sheets), (
        "openpyxl should have dropped the cached values"
    )
    return filled


def formulas_of(path: Path) -> dict[tuple[str, str], str]:
    """Every formula of a workbook's sheets as openpyxl reads it, by (sheet, cell)."""
    book = openpyxl.load_workbook(path)
    return {
        (sheet.title, cell.coordinate): cell.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith("=")
    }


def shown_values(path: Path) -> dict[str, dict[str, object]]:
    """The computed cells' values a workbook holds, by branch name (an empty text is None)."""
    return {
        sheet.branch_name: {
            name: (None if value == "" else value) for name, value in sheet.values.items()
        }
        for sheet in read_branch_workbook(path).sheets
    }


def mismatches(
    standard: Standard,
    got: Mapping[str, Mapping[str, object]],
    want: Mapping[str, Mapping[str, object]],
    label: str,
) -> list[str]:
    """One line per computed cell whose value differs, naming the branch and the cell."""
    lines: list[str] = []
    assert set(got) == set(want), (sorted(got), sorted(want))
    for branch, cells in want.items():
        for name in computed_names(standard):
            if not _same(name, got[branch].get(name), cells.get(name)):
                lines.append(
                    f"{branch} ({name}): {label} {got[branch].get(name)!r}, want {cells.get(name)!r}"
                )
    return lines


def _same(name: str, got: object, want: object) -> bool:
    """Equal; a 满意率 (an exact quotient) only to 15 significant digits, as LibreOffice and
    Gnumeric write numbers into a file."""
    if name.startswith("survey_rate") and isinstance(got, float) and isinstance(want, float):
        return abs(got - want) <= 1e-14 * max(abs(want), 1e-300)
    return got == want


def without_fallback(path: Path, sheet: str, name: str, out: Path) -> str:
    """Save ``path`` as ``out`` with the named cell's formula cut to its bare UDF call.

    Returns the cell's address, e.g. ``G26``.
    """
    book = openpyxl.load_workbook(path)
    cell = named_cell(book, sheet, name)
    formula = cell.value
    assert isinstance(formula, str), formula
    assert formula.startswith("=IFERROR(KP_"), formula
    cell.value = "=" + formula[len("=IFERROR(") : formula.index("),") + 1]
    book.save(out)
    return str(cell.coordinate)


def cached_value(path: Path, sheet: str, address: str) -> object:
    """A cell's cached value as the file holds it (an error value as its text, e.g. #NAME?)."""
    with warnings.catch_warnings():  # Gnumeric writes no default style; openpyxl says so
        warnings.simplefilter("ignore", UserWarning)
        book = openpyxl.load_workbook(path, data_only=True)
    return book[sheet][address].value
