"""A synthetic second standard (tests/data/standard-synthetic.toml) through the existing engine.

It differs from the Anji standard in items, points, rule ranges, grade names and bands, vetoes
and decimal places, and turns on a capped bonus section and a survey with a grade ceiling.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from workbook.core.bonus import assess_bonus, total_with_bonus
from workbook.core.scoring import RawBranchInputs, assess_branch
from workbook.core.standard import Standard, load_standard_file
from workbook.core.survey import grade_ceiling, tally_survey

D = Decimal
SYNTHETIC = Path(__file__).parent / "data" / "standard-synthetic.toml"


@pytest.fixture(scope="module")
def synthetic() -> Standard:
    return load_standard_file(SYNTHETIC)


def score(standard: Standard, vetoes=(), **deductions: object):
    raw = RawBranchInputs({k[1:].replace("_", "."): v for k, v in deductions.items()}, {}, vetoes)
    return assess_branch(standard, raw)


def test_shape(synthetic: Standard) -> None:
    assert synthetic.id == "synthetic-test"
    assert synthetic.total_points == 50
    assert [i.points for i in synthetic.items] == [20, 18, 12]
    assert [r.id for r in synthetic.rules] == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1"]
    assert [g.name for g in synthetic.grades] == ["优秀", "合格", "不合格"]
    assert synthetic.rule("1.2").range_label == "0或0.5～4"
    assert synthetic.bonus is not None
    assert [r.id for r in synthetic.bonus.rules] == ["B.1", "B.2"]


@pytest.mark.parametrize(
    ("deductions", "items", "total", "grade"),
    [
        ({}, ["20", "18", "12"], "50", "优秀"),
        ({"r2_1": 5, "r2_2": 3}, ["20", "10", "12"], "42", "优秀"),  # the 优秀 edge
        ({"r2_1": 5, "r2_2": 3, "r1_2": 0.5}, ["19.5", "10", "12"], "41.5", "合格"),
        ({"r1_1": 20, "r1_2": 4, "r1_3": 6}, ["0", "18", "12"], "30", "合格"),  # capped; 合格 edge
        ({"r1_1": 20, "r3_1": 0.5}, ["0", "18", "11.5"], "29.5", "不合格"),
        ({"r2_3": 1.5, "r3_1": 12}, ["20", "16.5", "0"], "36.5", "合格"),
    ],
)
def test_scores(synthetic: Standard, deductions: dict, items: list, total: str, grade: str) -> None:
    assessment = score(synthetic, **deductions)
    assert assessment.problems == ()
    result = assessment.result
    assert result is not None
    assert result.item_scores == [D(x) for x in items]
    assert (result.total, result.grade) == (D(total), grade)


def test_cap_and_reasons(synthetic: Standard) -> None:
    result = score(synthetic, r1_1=20, r1_2=4, r1_3=6).result
    assert result is not None
    assert result.items[0].capped
    assert "1.3 班子不团结的扣2-6分：扣 6 分" in result.reasons()


def test_vetoes(synthetic: Standard) -> None:
    result = score(synthetic, vetoes=["否", "是"]).result
    assert result is not None
    assert (result.total, result.score_grade, result.grade, result.vetoes) == (
        50,
        "优秀",
        "不合格",
        (2,),
    )
    assert any("拒不参加评定的" in line for line in result.reasons())


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("r1_2", 0.55, "扣分 0.55 的小数超过 1 位"),  # this standard allows one decimal place
        ("r1_3", 1, "扣分 1 不符合此规则；允许的值：0 或 2～6 之间"),
        ("r2_1", 3, "允许的值：0 或 5"),
    ],
)
def test_invalid_inputs(synthetic: Standard, field: str, value: object, fragment: str) -> None:
    assessment = score(synthetic, **{field: value})
    assert assessment.result is None
    assert fragment in assessment.problems[0].message


def test_bonus_is_capped_and_lifts_the_grade(synthetic: Standard) -> None:
    base = score(synthetic, r2_1=5, r2_2=3, r1_2=0.5).result  # 41.5, 合格
    assert base is not None
    assert base.grade == "合格"
    bonus = assess_bonus(synthetic, {"B.1": 2, "B.2": 1.5}, {"B.1": "市级表彰"})
    assert bonus.problems == ()
    assert bonus.result is not None
    assert (bonus.result.awarded, bonus.result.counted, bonus.result.capped) == (D("3.5"), 3, True)
    assert bonus.result.awards[0].note == "市级表彰"
    outcome = total_with_bonus(base, bonus.result)
    assert (outcome.base_total, outcome.bonus, outcome.total) == (D("41.5"), 3, D("44.5"))
    assert outcome.grade == "优秀"


def test_bonus_does_not_lift_a_veto(synthetic: Standard) -> None:
    base = score(synthetic, vetoes=["是"]).result
    bonus = assess_bonus(synthetic, {"B.1": 2}).result
    assert base is not None
    assert bonus is not None
    outcome = total_with_bonus(base, bonus)
    assert (outcome.total, outcome.score_grade, outcome.grade) == (52, "优秀", "不合格")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (1, "加分 1 不符合此规则；允许的值：0 或 2"),
        ("2", "加分应为数字，实际填写了文字“2”"),
        (-2, "加分不能为负数（-2）"),
        (True, "加分应为数字，实际为“TRUE”"),
    ],
)
def test_bonus_inputs_validated(synthetic: Standard, value: object, fragment: str) -> None:
    bonus = assess_bonus(synthetic, {"B.1": value})
    assert bonus.result is None
    assert [p.rule for p in bonus.problems] == ["B.1"]
    assert fragment in bonus.problems[0].message
    assert bonus.problems[0].message.startswith("加分规则 B.1“获市级以上表彰的加2分”")


def test_anji_has_no_bonus(standard: Standard) -> None:
    assert standard.bonus is None
    with pytest.raises(ValueError, match="no bonus section"):
        assess_bonus(standard, {})


def test_survey_feeds_its_rule_and_caps_the_grade(synthetic: Standard) -> None:
    """The tally's deduction on rule 3.1 scores through the engine; 60% caps 优秀 at 合格."""
    assert synthetic.survey is not None
    counts = {"满意": 3, "比较满意": 3, "不满意": 4}
    tally = tally_survey(synthetic.survey, 10, 10, [counts, counts])
    assert tally.deduction == D("4.5")
    result = score(synthetic, r3_1=tally.deduction).result
    assert result is not None
    assert (result.total, result.grade) == (D("45.5"), "优秀")
    assert grade_ceiling(synthetic, result.grade, tally.rate) == (
        "合格",
        synthetic.survey.ceilings[0],
    )


def test_no_anji_text_in_the_synthetic_standard(synthetic: Standard, notice_text: str) -> None:
    """Nothing of the notice leaks into the synthetic data (the checks above prove the engine
    follows the file, not the notice)."""
    texts = [synthetic.title, synthetic.note_1, synthetic.veto_intro, *synthetic.vetoes]
    texts += [i.name for i in synthetic.items] + [r.wording for r in synthetic.rules]
    assert synthetic.survey is not None
    texts += list(synthetic.survey.questions)
    for text in texts:
        assert text not in notice_text


def test_survey_messages_use_the_standards_own_name(synthetic: Standard) -> None:
    assert synthetic.survey is not None
    tally = tally_survey(synthetic.survey, 3, 4, [{"满意": 4}, {"满意": 4}])
    messages = [p.message for p in tally.problems]
    assert messages[0] == "居民评议的收回票数 4 多于发放票数 3"
    assert not any("群众测评" in m for m in messages)
