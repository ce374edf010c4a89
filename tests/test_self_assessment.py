"""自评 beside 考评: hand-worked cases in tests/self_cases, through the sheet's own values."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from workbook.core import names
from workbook.core.scoring import RawBranchInputs, assess_branch
from workbook.core.self_assessment import compare_self
from workbook.core.self_sheet import read_version_two, version_two_outputs
from workbook.core.standard import Standard, fmt

CASES = sorted((Path(__file__).parent / "self_cases").glob("*.toml"))


def load_case(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def sheet_values(standard: Standard, case: dict) -> dict[str, object]:
    """The case's 自评 as the cells of a version-2 sheet hold it, by defined name."""
    own = case["self"]
    values: dict[str, object] = {
        names.self_deduction_name(standard.rule(rule_id)): value
        for rule_id, value in own["deductions"].items()
    }
    for number, value in enumerate(own.get("vetoes", []), start=1):
        values[names.self_veto_name(number)] = value
    return values


def shown(value: Decimal | str | None) -> str:
    return "" if value is None else fmt(value) if isinstance(value, Decimal) else value


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path, standard: Standard) -> None:
    case = load_case(path)
    expect = case["expect"]
    committee = assess_branch(standard, RawBranchInputs(case["committee"]["deductions"]))
    sheet = read_version_two(standard, sheet_values(standard, case))
    own = sheet.own
    outputs = version_two_outputs(standard, committee, sheet)
    got_items = [shown(outputs[names.self_item_score_name(item.number)]) for item in standard.items]
    assert got_items == expect["self_items"]
    assert shown(own.total_text) == expect["self_total"] == shown(outputs[names.SELF_TOTAL_SCORE])
    assert own.grade_text == expect["self_grade"] == outputs[names.SELF_GRADE]
    assert shown(committee.total_text) == expect["committee_total"]
    assert [names.problem_name(p) for p in sheet.problems] == expect.get("problems", [])
    messages = "\n".join(p.message for p in sheet.problems)
    for fragment in expect.get("message_contains", []):
        assert fragment in messages
    if own.result is None or committee.result is None:
        assert expect["difference"] == ""
        assert expect["flag"] == ""
        return
    comparison = compare_self(own.result, committee.result, Decimal(case["threshold"]))
    assert fmt(comparison.difference) == expect["difference"]
    assert comparison.flag_text == expect["flag"]
    assert comparison.grade == committee.result.grade  # the grade of record


def test_check_cells_show_the_committee_then_the_self_message(standard: Standard) -> None:
    committee = assess_branch(standard, RawBranchInputs({"1.1": 3}))
    sheet = read_version_two(standard, {"self_ded_1_1": "十五", "self_veto_2": "有"})
    outputs = version_two_outputs(standard, committee, sheet)
    assert outputs["check_1_1"] == "输入有误：应为0或15；自评输入有误：应为0或15"
    assert outputs["veto_check_2"] == "自评输入有误：应为是或否"
    assert outputs["check_1_2"] == ""
    assert outputs["veto_check_1"] == ""


@pytest.mark.parametrize(
    ("value", "field"),
    [("三分", "self_ded_4_2"), (-1, "self_ded_4_2"), (4, "self_ded_4_2"), (True, "self_ded_4_2")],
)
def test_hostile_self_deductions_are_problems(
    standard: Standard, value: object, field: str
) -> None:
    sheet = read_version_two(standard, {field: value})
    assert [names.problem_name(p) for p in sheet.problems] == [field]
    assert sheet.own.total_text == "待修正"
    assert sheet.own.result is None


def test_checklist_answers_with_typos_are_problems_and_hint_nothing(standard: Standard) -> None:
    sheet = read_version_two(standard, {"cl_3_4": "没有", "cl_2_1": "否 ", "cl_scope_1": 1})
    assert [names.problem_name(p) for p in sheet.problems] == ["cl_scope_1", "cl_2_1", "cl_3_4"]
    assert all("应填“是”或“否”" in p.message for p in sheet.problems)
    outputs = version_two_outputs(standard, assess_branch(standard, RawBranchInputs({})), sheet)
    assert outputs["hint_1_1"] == ""
    assert outputs["hint_4_2"] == ""
