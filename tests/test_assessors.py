"""Several assessors of one branch: hand-worked means, the trimmed mean with 5 and 6, conflicts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workbook.core.assessors import AssessorResult, combine_assessors, spread_text
from workbook.core.scoring import score_branch
from workbook.core.standard import Standard
from workbook.errors import AssessorConflictError

D = Decimal


def assessor(standard: Standard, name: str, vetoes=(), source: str = "", **deductions: str):
    """An assessor's result; keyword ``r7_1="5"`` is a deduction on rule 7.1."""
    values = {key[1:].replace("_", "."): D(v) for key, v in deductions.items()}
    return AssessorResult(name, score_branch(standard, values, vetoes), source)


@pytest.fixture
def five(standard: Standard) -> list[AssessorResult]:
    return [
        assessor(standard, "张三", r7_1="5"),  # 95
        assessor(standard, "李四", r1_2="1", r7_1="8"),  # 91
        assessor(standard, "王五", r7_1="10"),  # 90
        assessor(standard, "赵六", r7_1="3"),  # 97, the highest
        assessor(standard, "钱七", r4_2="2", r7_1="15"),  # 83, the lowest
    ]


def test_mean_of_five(five: list[AssessorResult]) -> None:
    combined = combine_assessors(five, "mean")
    # Totals 95, 91, 90, 97, 83: 456 / 5 = 91.2. Item 1: 74/5; item 4: 48/5; item 7: 84/5.
    assert combined.total == D("91.2")
    assert combined.item_scores == tuple(D(x) for x in ("14.8", 10, 10, "9.6", 10, 20, "16.8"))
    assert combined.grade == "好"
    assert not combined.trimmed
    assert combined.dropped == ()
    assert combined.spread == 14
    assert combined.spread_flagged
    assert spread_text(combined) == "最高与最低合计相差 14 分（超过 10 分，请复核）"


def test_trimmed_mean_of_five(five: list[AssessorResult]) -> None:
    combined = combine_assessors(five, "trimmed")
    # 赵六 (97) and 钱七 (83) are dropped: (95 + 91 + 90) / 3 = 92.
    assert [a.assessor for a in combined.dropped] == ["钱七", "赵六"]
    assert [a.assessor for a in combined.counted] == ["张三", "李四", "王五"]
    assert combined.total == D("92.00")
    # Item 1: (15 + 14 + 15)/3 = 14.666.. -> 14.67; item 7: (20 + 17 + 15)/3 = 17.333.. -> 17.33.
    assert combined.item_scores == tuple(D(x) for x in ("14.67", 10, 10, 10, 10, 20, "17.33"))
    assert combined.grade == "好"
    assert combined.spread == 14  # the spread counts the dropped assessors too


def test_trimmed_mean_of_six(standard: Standard, five: list[AssessorResult]) -> None:
    six = [*five, assessor(standard, "孙八", r7_1="6.5")]  # 93.5
    combined = combine_assessors(six, "trimmed")
    # Counted: 95, 91, 90, 93.5 = 369.5 / 4 = 92.375 -> 92.38 (half up).
    assert combined.total == D("92.38")
    # Item 7: (20 + 17 + 15 + 18.5)/4 = 17.625 -> 17.63; item 1: 59/4 = 14.75.
    assert combined.item_scores == tuple(D(x) for x in ("14.75", 10, 10, 10, 10, 20, "17.63"))
    plain = combine_assessors(six, "mean")
    assert plain.total == D("91.58")  # 549.5 / 6 = 91.583..
    assert [a.assessor for a in combined.dropped] == ["钱七", "赵六"]


def test_trimmed_needs_five(five: list[AssessorResult]) -> None:
    combined = combine_assessors(five[:4], "trimmed")
    assert not combined.trimmed
    assert combined.total == D("93.25")


def test_ties_drop_by_name(standard: Standard) -> None:
    same = [assessor(standard, name, r7_1="5") for name in ("丙", "甲", "乙", "丁", "戊")]
    combined = combine_assessors(same, "trimmed")
    names = sorted(a.assessor for a in same)
    assert [a.assessor for a in combined.dropped] == [names[0], names[-1]]
    assert combined.total == 95


def test_rounded_total_decides_the_grade(standard: Standard) -> None:
    """89.99 and 90: the mean 89.995 prints as 90.00 and is graded as printed: 好."""
    pair = [assessor(standard, "甲", r7_1="10.01"), assessor(standard, "乙", r7_1="10")]
    combined = combine_assessors(pair)
    assert combined.total == D("90.00")
    assert combined.grade == "好"
    assert not combined.spread_flagged


def test_spread_threshold(five: list[AssessorResult]) -> None:
    assert not combine_assessors(five, threshold=D(14)).spread_flagged  # 14 is not above 14
    assert combine_assessors(five, threshold=D("13.5")).spread_flagged


def test_agreed_veto_gives_the_veto_grade(standard: Standard) -> None:
    pair = [assessor(standard, "甲", vetoes=[2]), assessor(standard, "乙", vetoes=[2], r7_1="1")]
    combined = combine_assessors(pair)
    assert combined.vetoes == (2,)
    assert combined.grade == "较差"
    assert combined.score_grade == "好"


def test_veto_disagreement_names_the_assessors(standard: Standard) -> None:
    results = [
        assessor(standard, "甲", vetoes=[1], source="甲.xlsx"),
        assessor(standard, "乙", source="乙.xlsx"),
        assessor(standard, "丙", vetoes=[1], source="丙.xlsx"),
    ]
    with pytest.raises(AssessorConflictError) as caught:
        combine_assessors(results)
    (problem,) = caught.value.problems
    assert problem.veto == 1
    assert problem.message == (
        "否决情形（1）“近一年来没有开展党组织活动的”是事实，考评人意见应一致："
        "甲（甲.xlsx）、丙（丙.xlsx） 填“是”，乙（乙.xlsx） 填“否”"
    )
    assert list(problem.sources) == ["甲.xlsx", "丙.xlsx", "乙.xlsx"]


def test_same_assessor_twice_and_blank_names(standard: Standard) -> None:
    results = [
        assessor(standard, "甲", source="a.xlsx"),
        assessor(standard, " 甲 ", source="b.xlsx"),
        assessor(standard, "", source="c.xlsx"),
    ]
    with pytest.raises(AssessorConflictError) as caught:
        combine_assessors(results)
    blank, duplicate = caught.value.problems
    assert (blank.key, blank.sources) == ("assessor", ("c.xlsx",))
    assert (duplicate.key, duplicate.sources) == ("assessor", ("a.xlsx", "b.xlsx"))
    assert "考评人“甲”对同一支部提交了 2 份考评：a.xlsx、b.xlsx" in str(caught.value)
    assert "未填写考评人：c.xlsx" in str(caught.value)


def test_deductions_say_who_made_them(five: list[AssessorResult]) -> None:
    combined = combine_assessors(five)
    pairs = [(name, d.rule.id, d.points) for name, d in combined.deductions_by_assessor()]
    assert pairs[:3] == [("张三", "7.1", 5), ("李四", "1.2", 1), ("李四", "7.1", 8)]
    assert len(pairs) == 7


def test_one_assessor_is_their_own_result(standard: Standard) -> None:
    only = assessor(standard, "甲", r4_2="1.25", r7_1="3.5")
    combined = combine_assessors([only], "trimmed")
    assert combined.total == only.result.total == D("95.25")
    assert list(combined.item_scores) == only.result.item_scores
