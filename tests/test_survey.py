"""The 群众测评 tally: hand-worked cases in tests/survey_cases, and the rule's edges."""

from __future__ import annotations

import copy
import re
import tomllib
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from workbook.core.exact import percent, round_to_step
from workbook.core.standard import Standard, load_standard_file, parse_standard
from workbook.core.survey import (
    grade_ceiling,
    parse_count,
    resolve_survey_rule,
    tally_is_blank,
    tally_survey,
)
from workbook.errors import StandardFileError

TESTS = Path(__file__).parent
CASES = sorted((TESTS / "survey_cases").glob("*.toml"))
SYNTHETIC = TESTS / "data" / "standard-synthetic.toml"


@pytest.fixture(scope="module")
def synthetic() -> Standard:
    return load_standard_file(SYNTHETIC)


def load_case(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path, standard: Standard, synthetic: Standard) -> None:
    case = load_case(path)
    chosen = {"anji-2012-6": standard, "synthetic": synthetic}[case["standard"]]
    assert chosen.survey is not None
    inputs, expect = case["inputs"], case["expect"]
    tally = tally_survey(
        chosen.survey, inputs.get("issued"), inputs.get("returned"), inputs["counts"]
    )
    assert [p.subject for p in tally.problems] == expect["problems"]
    messages = "\n".join(p.message for p in tally.problems)
    for fragment in expect.get("message_contains", []):
        assert fragment in messages
    assert tally.valid == expect.get("valid")
    rates = [tally.rate_text(q.rate) if q and q.rate is not None else "" for q in tally.questions]
    assert rates == expect["rates"]
    assert tally.rate_text() == expect["rate"]
    if "weighted" in expect:
        assert tally.weighted is not None
        assert round_to_step(tally.weighted, Decimal("0.01"), "half_up") == Decimal(
            expect["weighted"]
        )
    if expect["problems"]:
        assert (tally.points, tally.deduction, tally.note) == (None, None, "")
        assert not tally.ok
    else:
        assert tally.ok
        assert tally.points == Decimal(expect["points"])
        assert tally.deduction == Decimal(expect["deduction"])
        assert tally.points + tally.deduction == chosen.survey.full_points
        assert tally.note == expect["note"]
        # The deduction is one rule 7.1 (or the synthetic 3.1) itself allows.
        assert chosen.rule(chosen.survey.rule_id).allows(tally.deduction)
    if "ceiling" in expect:
        grade, _ = grade_ceiling(chosen, expect["ceiling"]["given"], tally.rate)
        assert grade == expect["ceiling"]["grade"]


def test_cases_cover_the_edges() -> None:
    """The cases include the boundaries the issue names; this fails if one is deleted."""
    stems = {p.stem for p in CASES}
    assert {"04-minimum-met", "05-minimum-missed", "06-all-dont-know", "07-returned-zero"} <= stems
    points = {load_case(p)["expect"].get("points") for p in CASES}
    assert {"22.5", "23"} <= points  # the .25 and .75 ties


def test_anji_questions_are_item_7_indicators(standard: Standard) -> None:
    survey = standard.survey
    assert survey is not None
    assert survey.rule_id == "7.1"
    rebuilt = "；".join(f"（{n}）{q}" for n, q in enumerate(survey.questions, start=1)) + "。"
    assert rebuilt == standard.item(7).indicators
    assert [a.text for a in survey.answers] == ["满意", "基本满意", "不满意", "不了解"]
    assert [a.text for a in survey.valid_answers] == ["满意", "基本满意", "不满意"]
    assert survey.ceilings == ()  # off: the notice sets none


def test_anji_has_no_grade_ceiling(standard: Standard) -> None:
    assert standard.survey is not None
    tally = tally_survey(standard.survey, 20, 20, [{"不满意": 20}, {"不满意": 20}, {"不满意": 20}])
    assert tally.rate == 0
    assert tally.points == 0
    assert tally.deduction == 25
    assert grade_ceiling(standard, "好", tally.rate) == ("好", None)


@pytest.mark.parametrize(
    ("value", "mode", "step", "expected"),
    [
        ("22.25", "half_up", "0.5", "22.5"),
        ("22.75", "half_up", "0.5", "23.0"),
        ("22.25", "half_down", "0.5", "22.0"),
        ("22.75", "half_down", "0.5", "22.5"),
        ("22.26", "half_down", "0.5", "22.5"),
        ("22.24", "half_up", "0.5", "22.0"),
        ("22.01", "up", "0.5", "22.5"),
        ("22.49", "down", "0.5", "22.0"),
        ("89.995", "half_up", "0.01", "90.00"),
        ("0", "half_up", "0.5", "0.0"),
    ],
)
def test_round_to_step(value: str, mode, step: str, expected: str) -> None:
    got = round_to_step(Decimal(value), Decimal(step), mode)
    assert str(got) == expected


def test_round_to_step_is_exact_for_fractions() -> None:
    # 25 x 89/100 is exactly 22.25 only as a fraction; a third of it never is a tie.
    assert round_to_step(Fraction(25 * 89, 100), Decimal("0.5"), "half_up") == Decimal("22.5")
    assert percent(Fraction(2, 3), 1) == Decimal("66.7")
    assert percent(Fraction(1, 8), 1) == Decimal("12.5")
    assert percent(Fraction(1, 16), 1) == Decimal("6.3")  # 6.25 half up


@pytest.mark.parametrize(
    ("raw", "expected"), [(None, 0), ("", 0), (0, 0), (48, 48), (48.0, 48), (Decimal("7"), 7)]
)
def test_counts_accepted(raw: object, expected: int) -> None:
    assert parse_count(raw, "票数") == expected


@pytest.mark.parametrize("raw", [-1, 1.5, "3", True, float("nan"), Decimal("2.5")])
def test_counts_rejected(raw: object) -> None:
    from workbook.errors import CellValueError

    with pytest.raises(CellValueError, match=r"^票数"):
        parse_count(raw, "票数")


def test_blank_tally() -> None:
    assert tally_is_blank(None, "", [{"满意": None}, {}])
    assert not tally_is_blank(None, "", [{"满意": 0}, {}])


def test_bands_method(standard: Standard) -> None:
    """A standard may deduct by 满意率 bands; the band edge is compared as printed."""
    data = _anji_data()
    data["survey"]["method"] = "bands"
    data["survey"]["bands"] = [
        {"min_rate": "0.95", "deduction": 0},
        {"min_rate": "0.9", "deduction": 3},
        {"min_rate": "0.8", "deduction": 8},
        {"min_rate": 0, "deduction": 15},
    ]
    survey = parse_standard(data).survey
    assert survey is not None

    def deduction(satisfied: int, valid: int) -> Decimal | None:
        counts = {"满意": satisfied, "不满意": valid - satisfied}
        return tally_survey(survey, valid, valid, [counts] * 3).deduction

    assert deduction(20, 20) == 0
    assert deduction(19, 20) == 0  # 95.0%
    assert deduction(18, 20) == 3  # 90.0%
    assert deduction(1799, 2000) == 3  # 89.95% is printed 90.0%: the 90% band
    assert deduction(1798, 2000) == 8  # 89.9%
    assert deduction(15, 20) == 15  # 75.0%


def _anji_data() -> dict:
    from importlib import resources

    text = resources.files("workbook.standards").joinpath("anji-2012-6.toml").read_text("utf-8")
    return tomllib.loads(text)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s.update(rule="7.2"), "survey.rule “7.2”不是本标准的规则编号"),
        (lambda s: s.update(rule="4.2"), "survey.rule 应指向下限为 0 的区间规则"),
        (lambda s: s.update(method="vote"), "survey.method 应为 rate 或 weighted 或 bands 之一"),
        (lambda s: s.update(step="0.125"), "survey.step 应大于 0 且最多 2 位小数"),
        (lambda s: s.update(step=3), "survey.step 3 应能整除规则 7.1 的最大扣分 25"),
        (lambda s: s.update(rounding="nearest"), "survey.rounding 应为 half_up"),
        (lambda s: s.update(min_valid=0), "survey.min_valid 应为不小于 1 的整数"),
        (lambda s: s.update(note="满意率 {ratio}"), "survey.note 中有未知的占位符 {ratio}"),
        (lambda s: s.update(questions=[]), "survey.questions 应为非空的文字列表"),
        (
            lambda s: s["answers"][1].update(weight=120),
            "survey.answers[2].weight 应在 0 到 100 之间",
        ),
        (lambda s: s["answers"][2].update(text="满意"), "survey.answers 中有重复的答案文字"),
        (lambda s: s["answers"][3].update(weight=0), "survey.answers[4] 不计入有效票"),
        (lambda s: s["answers"][2].update(satisfied=True), "至少要有一个不计入满意率的有效答案"),
        (lambda s: s.update(bands=[{"min_rate": 0, "deduction": 0}]), "survey.bands 只用于"),
        (lambda s: s.update(ceilings=[{"below": "0.9", "grade": "优"}]), "“优”不是已定义的等级"),
        (lambda s: s.update(ceilings=[{"below": 90, "grade": "一般"}]), "应为 0 到 1 之间的比率"),
        (lambda s: s.update(colour="red"), "[survey] 中有未知的键：colour"),
    ],
)
def test_invalid_survey_sections_name_the_key(mutate, message: str) -> None:
    data = copy.deepcopy(_anji_data())
    mutate(data["survey"])
    with pytest.raises(StandardFileError, match=re.escape(message)):
        parse_standard(data)


def test_no_survey_section_is_fine() -> None:
    data = _anji_data()
    del data["survey"]
    assert parse_standard(data).survey is None


@pytest.fixture
def tally_93(standard: Standard):
    """Case 01's tally: deduction 1.5, note 按群众测评：满意率 93.2%（有效票 48）."""
    assert standard.survey is not None
    case = load_case(TESTS / "survey_cases" / "01-three-questions.toml")["inputs"]
    return tally_survey(standard.survey, case["issued"], case["returned"], case["counts"])


def test_blank_rule_takes_the_tally(standard: Standard, tally_93) -> None:
    outcome = resolve_survey_rule(standard, tally_93, None, "")
    assert (outcome.deduction, outcome.source, outcome.overridden) == (
        Decimal("1.5"),
        "tally",
        False,
    )
    assert outcome.note == "按群众测评：满意率 93.2%（有效票 48）"
    with_note = resolve_survey_rule(standard, tally_93, "", "另见座谈记录")
    assert with_note.note == "按群众测评：满意率 93.2%（有效票 48）；另见座谈记录"


def test_typed_value_overrides_with_a_note(standard: Standard, tally_93) -> None:
    outcome = resolve_survey_rule(standard, tally_93, 3, "座谈会反映较多问题")
    assert (outcome.deduction, outcome.source, outcome.overridden) == (3, "assessor", True)
    assert outcome.tally_deduction == Decimal("1.5")
    assert outcome.problems == ()


def test_override_without_a_note_is_a_problem(standard: Standard, tally_93) -> None:
    outcome = resolve_survey_rule(standard, tally_93, 3, None)
    assert outcome.deduction is None
    (problem,) = outcome.problems
    assert (problem.rule, problem.note) == ("7.1", True)
    assert problem.message == (
        "规则 7.1“根据群众测评结果酌情扣分”：填写的扣分 3 与群众测评得出的 1.5 不同，须在扣分说明中写明理由"
    )


def test_typing_the_tallys_value_is_no_override(standard: Standard, tally_93) -> None:
    outcome = resolve_survey_rule(standard, tally_93, 1.5, None)
    assert (outcome.deduction, outcome.overridden, outcome.problems) == (Decimal("1.5"), False, ())


def test_without_a_valid_tally_the_rule_is_as_before(standard: Standard) -> None:
    assert standard.survey is not None
    short = tally_survey(standard.survey, 5, 5, [{"满意": 5}] * 3)  # below the minimum
    assert resolve_survey_rule(standard, short, None, None).deduction == 0
    assert resolve_survey_rule(standard, None, 4, None).deduction == 4
    assert resolve_survey_rule(standard, None, None, None).source == "none"
    bad = resolve_survey_rule(standard, None, 30, "x")
    assert bad.deduction is None
    assert [(p.rule, p.note) for p in bad.problems] == [("7.1", False)]
