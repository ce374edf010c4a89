"""Input validation messages and property-based invariants of the engine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbook.core.scoring import (
    RawBranchInputs,
    assess_branch,
    parse_deduction,
    parse_veto,
    score_branch,
)
from workbook.core.standard import Rule, Standard, load_standard
from workbook.errors import CellValueError

STANDARD = load_standard()


@pytest.mark.parametrize("blank", [None, ""])
def test_blank_is_zero(standard: Standard, blank: object) -> None:
    assert parse_deduction(standard.rule("1.1"), blank) == 0


@pytest.mark.parametrize(
    ("rule_id", "raw", "expected"),
    [
        ("1.1", 15, "15"),
        ("1.1", 15.0, "15"),
        ("1.1", 0, "0"),
        ("1.2", 1, "1"),
        ("1.2", 3, "3"),
        ("1.2", 2.25, "2.25"),
        ("6.4", 0.5, "0.5"),
        ("6.4", 1, "1"),
        ("7.1", 0.01, "0.01"),
        ("7.1", 25, "25"),
        ("1.2", Decimal("1.5"), "1.5"),
    ],
)
def test_allowed_values(standard: Standard, rule_id: str, raw: object, expected: str) -> None:
    assert parse_deduction(standard.rule(rule_id), raw) == Decimal(expected)


@pytest.mark.parametrize(
    ("rule_id", "raw", "message"),
    [
        (
            "1.1",
            14,
            "规则 1.1“没有配备党组织书记（中心主任）或党组织书记（中心主任）有违法违纪行为的扣15分”：扣分 14 不符合此规则；允许的值：0 或 15（空白视为 0）",
        ),
        (
            "1.2",
            3.5,
            "规则 1.2“发展党员工作不规范的扣1-3分”：扣分 3.5 不符合此规则；允许的值：0 或 1～3 之间（空白视为 0）",
        ),
        ("1.2", 0.5, "规则 1.2“发展党员工作不规范的扣1-3分”：扣分 0.5 不符合此规则"),
        ("6.4", 0.4, "允许的值：0 或 0.5～1 之间"),
        ("7.1", 25.5, "允许的值：0～25 之间"),
        (
            "7.1",
            -1,
            "规则 7.1“根据群众测评结果酌情扣分”：扣分不能为负数（-1）；允许的值：0～25 之间",
        ),
        ("1.2", "三分", "扣分应为数字，实际填写了文字“三分”"),
        ("1.2", " ", "扣分应为数字，实际填写了文字“ ”"),
        (
            "1.2",
            "2",
            "扣分应为数字，实际填写了文字“2”（这是文字形式的数字，可能是单元格格式为“文本”",
        ),
        (
            "1.2",
            "\uff12",
            "实际填写了文字“\uff12”（这是文字形式的数字，用了全角数字；请直接输入数字 2）",
        ),
        ("1.3", "1.5 分", "（这是文字形式的数字，带了“分”字；请直接输入数字 1.5）"),
        ("1.2", " 3 ", "（这是文字形式的数字，前后有空格；请直接输入数字 3）"),
        ("2.1", True, "扣分应为数字，实际为“TRUE”"),
        ("2.1", dt.datetime(2026, 1, 3), "扣分应为数字"),
        ("1.2", 1.234, "扣分 1.234 的小数超过 2 位"),
        ("7.1", float("nan"), "扣分应为数字"),
        ("7.1", float("inf"), "扣分应为数字"),
        ("7.1", 1e30, "扣分 1E+30 不符合此规则"),
    ],
)
def test_rejected_values_say_what_is_allowed(
    standard: Standard, rule_id: str, raw: object, message: str
) -> None:
    with pytest.raises(CellValueError) as caught:
        parse_deduction(standard.rule(rule_id), raw)
    assert message in str(caught.value)
    assert caught.value.short.startswith("输入有误：应为")


def test_short_messages(standard: Standard) -> None:
    shorts = {}
    for rule_id in ("1.1", "1.2", "6.4", "7.1"):
        with pytest.raises(CellValueError) as caught:
            parse_deduction(standard.rule(rule_id), "x")
        shorts[rule_id] = caught.value.short
    assert shorts == {
        "1.1": "输入有误：应为0或15",
        "1.2": "输入有误：应为0或1～3",
        "6.4": "输入有误：应为0或0.5～1",
        "7.1": "输入有误：应为0～25",
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, False), ("", False), ("否", False), (False, False), ("是", True), (True, True)],
)
def test_veto_values(raw: object, expected: bool) -> None:
    assert parse_veto(raw) is expected


@pytest.mark.parametrize("raw", ["有", "是 ", 1, 0, "Y", "TRUE"])
def test_veto_rejects_anything_else(raw: object) -> None:
    with pytest.raises(CellValueError, match="否决情形应填“是”或“否”（空白视为“否”）"):
        parse_veto(raw)


def test_all_problems_reported_at_once(standard: Standard) -> None:
    assessment = assess_branch(
        standard, RawBranchInputs({"1.1": 7, "4.2": "x", "7.1": 30}, vetoes=["可能", None, None])
    )
    assert [p.subject for p in assessment.problems] == ["1.1", "4.2", "7.1", "否决1"]
    # Items with valid inputs still get scores; the others do not.
    assert assessment.item_scores == (None, 10, 10, None, 10, 20, None)
    assert assessment.result is None


def test_veto_problems_name_the_condition(standard: Standard) -> None:
    assessment = assess_branch(standard, RawBranchInputs({}, vetoes=[None, "有", None]))
    (problem,) = assessment.problems
    assert problem.message == (
        "否决情形（2）“近两年来党组织书记（中心主任）有重大违法违纪行为的”："
        "否决情形应填“是”或“否”（空白视为“否”），实际填写“有”"
    )
    # A space the user cannot see is named.
    (problem,) = assess_branch(standard, RawBranchInputs({}, vetoes=["是 "])).problems
    assert problem.message.endswith("实际填写“是 ”（前后多了空格，请删去）")


def test_notes_are_kept_with_their_deductions(standard: Standard) -> None:
    result = assess_branch(
        standard, RawBranchInputs({"4.2": 2}, notes={"4.2": " 缺少档案柜 ", "1.1": "未扣分"})
    ).result
    assert result is not None
    assert [(d.rule.id, d.points, d.note) for d in result.deductions] == [("4.2", 2, "缺少档案柜")]


def test_score_branch_rejects_disallowed_values(standard: Standard) -> None:
    with pytest.raises(ValueError, match="not allowed"):
        score_branch(standard, {"1.1": Decimal(3)})
    with pytest.raises(ValueError, match="unknown rule"):
        score_branch(standard, {"9.9": Decimal(1)})
    with pytest.raises(ValueError, match="unknown veto"):
        score_branch(standard, {}, vetoes=[4])


# --- Property-based invariants -------------------------------------------------------------


def allowed_values(rule: Rule) -> st.SearchStrategy[Decimal]:
    if rule.kind == "fixed":
        return st.sampled_from([Decimal(0), rule.max])
    cents = st.integers(int(rule.min * 100), int(rule.max * 100)).map(lambda c: Decimal(c) / 100)
    return st.one_of(st.just(Decimal(0)), cents)


deductions_strategy = st.fixed_dictionaries(
    {rule.id: allowed_values(rule) for rule in STANDARD.rules}
)
vetoes_strategy = st.sets(st.integers(1, len(STANDARD.vetoes)))


@settings(max_examples=300, deadline=None)
@given(deductions=deductions_strategy, vetoes=vetoes_strategy)
def test_scores_stay_within_points_and_add_up(deductions: dict, vetoes: set) -> None:
    result = score_branch(STANDARD, deductions, vetoes)
    for item_result in result.items:
        assert 0 <= item_result.score <= item_result.item.points
    assert result.total == sum(result.item_scores)
    assert 0 <= result.total <= 100
    if vetoes:
        assert result.grade == "较差"
    else:
        assert result.grade == STANDARD.grade_for(result.total)


@settings(max_examples=300, deadline=None)
@given(deductions=deductions_strategy, extra=deductions_strategy, vetoes=vetoes_strategy)
def test_more_deductions_never_raise_a_score(deductions: dict, extra: dict, vetoes: set) -> None:
    """Replacing each deduction with the larger of two allowed values never raises any score."""
    more = {rule_id: max(value, extra[rule_id]) for rule_id, value in deductions.items()}
    less_result = score_branch(STANDARD, deductions, vetoes)
    more_result = score_branch(STANDARD, more, vetoes)
    for low, high in zip(more_result.items, less_result.items, strict=True):
        assert low.score <= high.score
    assert more_result.total <= less_result.total
    order = ["较差", "一般", "较好", "好"]
    assert order.index(more_result.grade) <= order.index(less_result.grade)


@settings(max_examples=200, deadline=None)
@given(deductions=deductions_strategy, veto=st.integers(1, 3))
def test_any_veto_gives_the_veto_grade(deductions: dict, veto: int) -> None:
    result = score_branch(STANDARD, deductions, {veto})
    assert result.grade == "较差"
    assert result.score_grade == STANDARD.grade_for(result.total)
    assert any(f"否决情形 {veto}" in reason for reason in result.reasons())


@settings(max_examples=200, deadline=None)
@given(deductions=deductions_strategy)
def test_raw_floats_as_excel_stores_them_score_exactly(deductions: dict) -> None:
    """Excel hands over floats; scores computed from them equal the exact decimal scores."""
    raw = RawBranchInputs({rule_id: float(value) for rule_id, value in deductions.items()})
    from_floats = assess_branch(STANDARD, raw).result
    exact = score_branch(STANDARD, deductions)
    assert from_floats is not None
    assert from_floats.total == exact.total
    assert from_floats.item_scores == exact.item_scores


def test_invalid_veto_keeps_the_total_but_not_the_grade(standard: Standard) -> None:
    assessment = assess_branch(standard, RawBranchInputs({"7.1": 10.5}, vetoes=["有", None, None]))
    assert assessment.total_text == Decimal("89.5")
    assert assessment.grade_text == "待修正"
    deduction_wrong = assess_branch(standard, RawBranchInputs({"7.1": "x"}))
    assert deduction_wrong.total_text == "待修正"
