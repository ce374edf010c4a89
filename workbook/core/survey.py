"""The 群众测评 tally: ballot counts -> 满意率, points and the deduction they imply. Pure.

The rule that turns a tally into points is the ``[survey]`` section of the standard
(``standard_sections.Survey``); docs/standard.md, "The survey", explains the Anji default.

Problems are keyed so a caller can attach a sheet and cell to each:

- ``issued``, ``returned``: the ballots issued and returned;
- ``q<n>.<answer>``: the count of one answer to question n (1-based), e.g. ``q2.基本满意``;
- ``q<n>``: question n as a whole (its answers add up to more than the ballots returned);
- ``valid``: the valid ballots (fewer than the standard's minimum).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from workbook.core import names
from workbook.core.exact import percent, round_to_step
from workbook.core.problems import Problem
from workbook.core.raw import (
    INVALID,
    RawSurvey,
    display_value,
    note_text,
    parse_deduction,
)
from workbook.core.standard import Standard, fmt
from workbook.core.standard_sections import GradeCeiling, Survey
from workbook.errors import CellValueError

__all__ = [
    "ANSWERED_SHORT",
    "COUNTS_SHORT",
    "COUNT_SHORT_MESSAGE",
    "NOTE_REQUIRED_SHORT",
    "RETURNED_SHORT",
    "QuestionTally",
    "SurveyRuleOutcome",
    "SurveySource",
    "SurveyTally",
    "grade_ceiling",
    "parse_count",
    "problem_name",
    "raw_survey",
    "resolve_survey_rule",
    "shown_rate",
    "survey_cells",
    "survey_check_text",
    "survey_problems",
    "survey_rule_check_text",
    "tally_is_blank",
    "tally_survey",
    "too_few_short",
]

COUNT_SHORT_MESSAGE = f"{INVALID}：应为非负整数"


def parse_count(raw: object, what: str, *, blank: int | None = 0) -> int:
    """One count cell as a non-negative integer; blank gives ``blank`` (None: blank is an error).

    Excel numbers arrive as floats: 48.0 is 48. Text, booleans, dates, fractions and negative
    numbers are errors.

    Raises:
        CellValueError: naming ``what`` and the value.
    """
    if raw is None or raw == "":
        if blank is None:
            raise CellValueError(f"{what}未填写；应为非负整数", COUNT_SHORT_MESSAGE)
        return blank

    def rejected(problem: str) -> CellValueError:
        return CellValueError(f"{what}{problem}；应为非负整数（空白视为 0）", COUNT_SHORT_MESSAGE)

    if isinstance(raw, bool | _dt.date | _dt.time | _dt.timedelta | str):
        raise rejected(f"应为数字，实际为“{display_value(raw)}”")
    if isinstance(raw, float):
        if not math.isfinite(raw) or not raw.is_integer():
            raise rejected(f"应为整数，实际为“{display_value(raw)}”")
        value = int(raw)
    elif isinstance(raw, int):
        value = raw
    elif isinstance(raw, Decimal) and raw.is_finite() and raw == raw.to_integral_value():
        value = int(raw)
    else:
        raise rejected(f"应为整数，实际为“{display_value(raw)}”")
    if value < 0:
        raise rejected(f"不能为负数（{value}）")
    return value


@dataclass(frozen=True)
class QuestionTally:
    """One question's counts and rates."""

    number: int  # 1-based
    question: str
    counts: tuple[tuple[str, int], ...]  # (answer text, count) in the standard's answer order
    answered: int  # every answer, 不了解 included
    valid: int  # the answers that count as valid votes
    satisfied: int  # the answers that count towards 满意率
    rate: Fraction | None  # satisfied / valid; None with no valid vote
    weighted: Fraction | None  # sum(weight x count) / valid, 0..100; None with no valid vote


@dataclass(frozen=True)
class SurveyTally:
    """A branch's tally: what is wrong with the counts, and what they give.

    Results are filled in as far as the counts allow: a question's rate needs its own counts
    valid; the overall rate needs every question's counts valid; the points, the deduction and
    the note need no problem at all.
    """

    survey: Survey
    problems: tuple[Problem, ...]
    issued: int | None
    returned: int | None
    questions: tuple[QuestionTally | None, ...]  # None where a count of the question is invalid
    valid: int | None  # the smallest number of valid votes over the questions (有效票)
    rate: Fraction | None  # overall 满意率: all satisfied answers / all valid votes
    weighted: Fraction | None  # overall weighted score, 0..100
    points: Decimal | None  # the rule's points the tally gives, rounded as the standard says
    deduction: Decimal | None  # the rule's largest deduction minus the points
    note: str  # e.g. 按群众测评：满意率 92.0%（有效票 48）; "" without points

    @property
    def ok(self) -> bool:
        """True when the counts are valid and give points."""
        return not self.problems

    def rate_text(self, rate: Fraction | None = None) -> str:
        """A rate as the standard prints it, e.g. ``92.0%`` (the overall rate by default)."""
        value = self.rate if rate is None else rate
        if value is None:
            return ""
        return f"{percent(value, self.survey.percent_places)}%"


def tally_is_blank(
    issued: object, returned: object, counts: Sequence[Mapping[str, object]]
) -> bool:
    """True when no cell of a tally holds anything: the branch has no tally."""
    cells = [issued, returned, *(value for question in counts for value in question.values())]
    return all(value is None or value == "" for value in cells)


def tally_survey(
    survey: Survey,
    issued: object,
    returned: object,
    counts: Sequence[Mapping[str, object]],
) -> SurveyTally:
    """Validate a tally's raw cell values and compute its rates and points.

    Args:
        survey: the standard's ``[survey]`` section.
        issued: ballots issued (发放), as read from its cell.
        returned: ballots returned (收回).
        counts: per question, in order, answer text -> raw count (a missing answer is blank = 0).

    Raises:
        ValueError: more questions than the survey has (a caller's mistake, not the user's).
    """
    if len(counts) > len(survey.questions):
        raise ValueError(f"{len(counts)} questions given, the survey has {len(survey.questions)}")
    problems: list[Problem] = []

    def count_cell(key: str, raw: object, what: str, blank: int | None) -> int | None:
        try:
            return parse_count(raw, what, blank=blank)
        except CellValueError as error:
            problems.append(Problem(str(error), key=key, short=error.short, value=raw))
            return None

    issued_n = count_cell("issued", issued, f"{survey.name}的发放票数", None)
    returned_n = count_cell("returned", returned, f"{survey.name}的收回票数", None)
    if issued_n is not None and returned_n is not None and returned_n > issued_n:
        problems.append(
            Problem(
                f"{survey.name}的收回票数 {returned_n} 多于发放票数 {issued_n}",
                key="returned",
                short=f"{INVALID}：收回多于发放",
                value=returned,
            )
        )

    questions: list[QuestionTally | None] = []
    known = {answer.text for answer in survey.answers}
    for number, question in enumerate(survey.questions, start=1):
        raw_counts = counts[number - 1] if number <= len(counts) else {}
        title = f"第{number}题“{question}”"
        for text in raw_counts:
            if text not in known:
                problems.append(
                    Problem(
                        f"{title}没有答案“{text}”；答案应为："
                        f"{'、'.join(a.text for a in survey.answers)}",
                        key=f"q{number}.{text}",
                        short=f"{INVALID}：未知答案",
                        value=raw_counts[text],
                    )
                )
        parsed: list[tuple[str, int]] = []
        ok = True
        for answer in survey.answers:
            raw = raw_counts.get(answer.text)
            value = count_cell(f"q{number}.{answer.text}", raw, f"{title}的“{answer.text}”票数", 0)
            if value is None:
                ok = False
            else:
                parsed.append((answer.text, value))
        if not ok:
            questions.append(None)
            continue
        tally = _question_tally(survey, number, question, tuple(parsed))
        if returned_n is not None and tally.answered > returned_n:
            problems.append(
                Problem(
                    f"{title}的各答案票数合计 {tally.answered}，多于收回票数 {returned_n}",
                    key=f"q{number}",
                    short=f"{INVALID}：合计多于收回票数",
                    value=tally.answered,
                )
            )
        questions.append(tally)

    complete = [q for q in questions if q is not None]
    valid = min((q.valid for q in complete), default=0) if len(complete) == len(questions) else None
    if valid is not None and valid < survey.min_valid:
        short = [f"第{q.number}题 {q.valid} 张" for q in complete if q.valid < survey.min_valid]
        problems.append(
            Problem(
                f"{survey.name}的有效票不足：{'、'.join(short)}，少于最少 {survey.min_valid} 张"
                f"（“{'、'.join(a.text for a in survey.answers if a.excluded)}”不计入有效票）；"
                "测评结果不计分，由考评人酌情扣分",
                key="valid",
                short=f"有效票不足 {survey.min_valid} 张",
                value=valid,
            )
        )

    rate = weighted = None
    if valid is not None:
        pooled_valid = sum(q.valid for q in complete)
        if pooled_valid:
            rate = Fraction(sum(q.satisfied for q in complete), pooled_valid)
            weighted = Fraction(sum(_weight_sum(survey, q) for q in complete)) / pooled_valid
    points = deduction = None
    note = ""
    if not problems and rate is not None and weighted is not None:
        points, deduction = _points(survey, rate, weighted)
        note = survey.note.format(
            rate=f"{percent(rate, survey.percent_places)}%",
            valid=valid,
            points=fmt(points),
            deduction=fmt(deduction),
        )
    return SurveyTally(
        survey=survey,
        problems=tuple(problems),
        issued=issued_n,
        returned=returned_n,
        questions=tuple(questions),
        valid=valid,
        rate=rate,
        weighted=weighted,
        points=points,
        deduction=deduction,
        note=note,
    )


def _question_tally(
    survey: Survey, number: int, question: str, counts: tuple[tuple[str, int], ...]
) -> QuestionTally:
    by_text = dict(counts)
    valid = sum(by_text[a.text] for a in survey.valid_answers)
    satisfied = sum(by_text[a.text] for a in survey.answers if a.satisfied)
    tally = QuestionTally(
        number=number,
        question=question,
        counts=counts,
        answered=sum(by_text.values()),
        valid=valid,
        satisfied=satisfied,
        rate=Fraction(satisfied, valid) if valid else None,
        weighted=None,
    )
    if valid:
        tally = replace(tally, weighted=Fraction(_weight_sum(survey, tally)) / valid)
    return tally


def _weight_sum(survey: Survey, question: QuestionTally) -> Decimal:
    by_text = dict(question.counts)
    return sum(
        (a.weight * by_text[a.text] for a in survey.valid_answers if a.weight is not None),
        Decimal(0),
    )


def _points(survey: Survey, rate: Fraction, weighted: Fraction) -> tuple[Decimal, Decimal]:
    """(points, deduction) of the rule for an overall rate and weighted score."""
    full = survey.full_points
    if survey.method == "bands":
        shown = shown_rate(survey, rate)
        deduction = next(b.deduction for b in survey.bands if shown >= b.min_rate)
        return full - deduction, deduction
    share = rate if survey.method == "rate" else weighted / 100
    points = round_to_step(Fraction(full) * share, survey.step, survey.rounding)
    return points, full - points


def shown_rate(survey: Survey, rate: Fraction) -> Decimal:
    """The rate as printed (92.0% -> 0.920): bands and ceilings compare this, not the exact
    fraction, so a rate shown as 90.0% is never treated as below 90%."""
    return percent(rate, survey.percent_places) / 100


def grade_ceiling(
    standard: Standard, grade: str, rate: Fraction | None
) -> tuple[str, GradeCeiling | None]:
    """The grade after the survey's grade ceiling, and the ceiling that applied (or None).

    A ceiling applies when the overall 满意率 (as printed) is below its ``below``; the grade then becomes
    the ceiling's grade if that is lower. With several, the lowest grade wins. Without a rate
    (no valid tally) or without ceilings, the grade stays.
    """
    survey = standard.survey
    if survey is None or rate is None:
        return grade, None
    order = [g.name for g in standard.grades]  # highest first
    applied: GradeCeiling | None = None
    result = grade
    shown = shown_rate(survey, rate)
    for ceiling in survey.ceilings:
        if shown < ceiling.below and order.index(ceiling.grade) > order.index(result):
            result, applied = ceiling.grade, ceiling
    return result, applied


SurveySource = Literal["tally", "assessor", "none"]


@dataclass(frozen=True)
class SurveyRuleOutcome:
    """What counts for the survey's rule (7.1) once the tally and the assessor's cells meet.

    - 扣分 blank and a valid tally: the tally's deduction counts, with the tally's note (the
      assessor's own 扣分说明, if any, follows it).
    - 扣分 typed: that value counts (酌情 stays the assessor's). If it differs from a valid
      tally's deduction, it is an override and a 扣分说明 is required.
    - 扣分 blank and no valid tally: 0, as for any blank deduction.
    """

    deduction: Decimal | None  # None while the typed value or a required note is wrong
    note: str
    source: SurveySource
    overridden: bool  # the assessor typed a value other than the tally's
    tally_deduction: Decimal | None  # the valid tally's deduction, for showing both figures
    problems: tuple[Problem, ...]  # about the rule's 扣分 or (``note``) 扣分说明


def resolve_survey_rule(
    standard: Standard, tally: SurveyTally | None, raw_deduction: object, raw_note: object
) -> SurveyRuleOutcome:
    """Combine a branch's tally with the 扣分 and 扣分说明 cells of the survey's rule."""
    survey = standard.survey
    if survey is None:
        raise ValueError(f"standard {standard.id} has no survey section")
    rule = standard.rule(survey.rule_id)
    note = note_text(raw_note)
    counted = tally.deduction if tally is not None and tally.ok else None
    if raw_deduction is None or raw_deduction == "":
        if counted is None or tally is None:
            return SurveyRuleOutcome(Decimal(0), note, "none", False, None, ())
        joined = f"{tally.note}；{note}" if note else tally.note
        return SurveyRuleOutcome(counted, joined, "tally", False, counted, ())
    try:
        value = parse_deduction(rule, raw_deduction, standard.max_decimal_places)
    except CellValueError as error:
        problem = Problem(str(error), rule=rule.id, short=error.short, value=raw_deduction)
        return SurveyRuleOutcome(None, note, "assessor", False, counted, (problem,))
    overridden = counted is not None and value != counted
    if overridden and not note:
        assert counted is not None
        problem = Problem(
            f"规则 {rule.id}“{rule.wording}”：填写的扣分 {fmt(value)} 与{survey.name}得出的 "
            f"{fmt(counted)} 不同，须在扣分说明中写明理由",
            rule=rule.id,
            note=True,
            short="须填写扣分说明",
            value=raw_note,
        )
        return SurveyRuleOutcome(None, note, "assessor", True, counted, (problem,))
    return SurveyRuleOutcome(value, note, "assessor", overridden, counted, ())


# --- the tally in a branch sheet: defined names and the computed cells ----------------------

COUNTS_SHORT = f"{INVALID}：票数应为非负整数"
RETURNED_SHORT = f"{INVALID}：收回多于发放"
ANSWERED_SHORT = f"{INVALID}：答案合计多于收回票数"
NOTE_REQUIRED_SHORT = "须填写扣分说明"


def too_few_short(survey: Survey) -> str:
    """The survey check cell's text when too few ballots are valid."""
    return f"有效票不足 {survey.min_valid} 张，不计分"


def problem_name(standard: Standard, key: str) -> str:
    """The defined name of the cell a tally problem's key (see the module doc) is about."""
    survey = standard.survey
    assert survey is not None
    if key == "issued":
        return names.SURVEY_ISSUED
    if key == "returned":
        return names.SURVEY_RETURNED
    if key == "valid":
        return names.SURVEY_VALID
    question, _, answer = key[1:].partition(".")
    texts = [a.text for a in survey.answers]
    index = texts.index(answer) + 1 if answer in texts else 1
    return names.survey_count_name(int(question), index)


def survey_problems(standard: Standard, tally: SurveyTally) -> tuple[list[Problem], list[Problem]]:
    """(errors, notices) of a tally, keyed by the defined names of their cells.

    Invalid counts are errors; too few valid ballots is a notice: the tally then gives no
    points and the assessor's own 扣分 counts.
    """
    errors: list[Problem] = []
    notices: list[Problem] = []
    for problem in tally.problems:
        moved = replace(problem, key=problem_name(standard, problem.key or ""))
        (notices if problem.key == "valid" else errors).append(moved)
    return errors, notices


def survey_check_text(tally: SurveyTally | None, outcome: SurveyRuleOutcome | None) -> str:
    """The survey check cell: the first of invalid counts, returned > issued, answers >
    returned, too few valid ballots, an override without a note; "" when all is well."""
    if tally is None:
        return ""
    keys = [p.key or "" for p in tally.problems]
    unparsed = [p for p in tally.problems if p.short == COUNT_SHORT_MESSAGE or "." in (p.key or "")]
    if unparsed:
        return COUNTS_SHORT
    if "returned" in keys:
        return RETURNED_SHORT
    if any(k.startswith("q") for k in keys):
        return ANSWERED_SHORT
    if "valid" in keys:
        return too_few_short(tally.survey)
    if outcome is not None and outcome.overridden and outcome.deduction is None:
        return NOTE_REQUIRED_SHORT
    return ""


def survey_rule_check_text(tally: SurveyTally | None, outcome: SurveyRuleOutcome | None) -> str:
    """What the survey rule's own 检查 cell (in the printed table) adds when the tally, not the
    rule's 扣分, makes its item 输入有误: invalid counts (prefixed "群众测评计票", since the
    tally is below the print area) or an override without a 扣分说明; "" otherwise.

    Only used while the rule's 扣分 itself is valid (its own message comes first)."""
    if tally is None:
        return ""
    check = survey_check_text(tally, outcome)
    if check == NOTE_REQUIRED_SHORT:
        return check
    if all(p.key == "valid" for p in tally.problems):  # counts valid: the item counts
        return ""
    return f"{tally.survey.name}计票{check}"


def survey_cells(
    standard: Standard, tally: SurveyTally | None, outcome: SurveyRuleOutcome | None
) -> dict[str, float | int | str]:
    """The computed tally cells of a branch sheet by defined name, as the formulas show them.

    Without a tally every cell is empty. Rates are exact fractions as floats (the cell's
    number format shows 92.0%); points and deduction show 输入有误 while a count is invalid
    and stay empty with too few valid ballots.
    """
    survey = standard.survey
    if survey is None:
        return {}
    cells: dict[str, float | int | str] = {name: "" for name in names.survey_output_names(standard)}
    if tally is None:
        return cells
    for number, question in enumerate(tally.questions, start=1):
        if question is not None and question.rate is not None:
            cells[names.survey_rate_name(number)] = float(question.rate)
    if tally.valid is not None:
        cells[names.SURVEY_VALID] = tally.valid
    if tally.rate is not None:
        cells[names.SURVEY_RATE] = float(tally.rate)
    counts_bad = any(p.key != "valid" for p in tally.problems)
    if counts_bad:
        cells[names.SURVEY_POINTS] = cells[names.SURVEY_DEDUCTION] = INVALID
    elif tally.points is not None and tally.deduction is not None:
        cells[names.SURVEY_POINTS] = float(tally.points)
        cells[names.SURVEY_DEDUCTION] = float(tally.deduction)
    cells[names.SURVEY_CHECK] = survey_check_text(tally, outcome)
    return cells


def raw_survey(standard: Standard, values: Mapping[str, object]) -> RawSurvey | None:
    """The tally cells of a branch sheet keyed as the engine expects (None without a survey)."""
    survey = standard.survey
    if survey is None:
        return None
    texts = [answer.text for answer in survey.answers]
    return RawSurvey(
        values.get(names.SURVEY_ISSUED),
        values.get(names.SURVEY_RETURNED),
        [
            {text: values.get(name) for text, name in zip(texts, row, strict=True)}
            for row in names.survey_count_names(standard)
        ],
    )
