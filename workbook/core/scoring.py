"""The scoring engine: pure functions from a standard and one branch's inputs to scores.

Nothing here sees a path, a workbook or a cell address; all arithmetic is exact ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from workbook.core.cells import FILL_TEXT
from workbook.core.problems import Problem
from workbook.core.raw import (
    INVALID,
    NO,
    VETO_SHORT_MESSAGE,
    YES,
    RawBranchInputs,
    RawSurvey,
    display_value,
    note_text,
    parse_award,
    parse_deduction,
    parse_veto,
    short_message,
    why_unusable,
)
from workbook.core.standard import Item, Rule, Standard, fmt
from workbook.core.survey import (
    SurveyRuleOutcome,
    SurveyTally,
    grade_ceiling,
    resolve_survey_rule,
    survey_problems,
    tally_is_blank,
    tally_survey,
)
from workbook.errors import CellValueError

# The parsers and raw inputs live in core.raw (core.survey reads them too); they are part of
# this module's API as before.
__all__ = [
    "INVALID",
    "NO",
    "PENDING",
    "VETO_SHORT_MESSAGE",
    "YES",
    "Assessment",
    "BranchResult",
    "Deduction",
    "ItemResult",
    "RawBranchInputs",
    "RawSurvey",
    "assess_branch",
    "display_value",
    "note_text",
    "parse_award",
    "parse_deduction",
    "parse_veto",
    "score_branch",
    "score_item",
    "short_message",
    "tally_counts_ok",
]

PENDING = "待修正"  # shown instead of a total or grade while inputs are invalid


@dataclass(frozen=True)
class Deduction:
    """A counted, non-zero deduction."""

    rule: Rule
    points: Decimal
    note: str = ""


@dataclass(frozen=True)
class ItemResult:
    """One item's deductions and capped score."""

    item: Item
    deductions: tuple[Deduction, ...]
    deducted: Decimal  # the plain sum of deductions, before the cap
    score: Decimal

    @property
    def capped(self) -> bool:
        """True where the item's points cut the deductions (每个项目分值扣完为止)."""
        return self.deducted > self.item.points

    @property
    def lost(self) -> Decimal:
        """Points actually lost on this item (at most its points)."""
        return self.item.points - self.score


@dataclass(frozen=True)
class BranchResult:
    """One branch's item scores, total, grade and the reasons behind them."""

    standard: Standard
    items: tuple[ItemResult, ...]
    total: Decimal
    score_grade: str  # the grade the total alone gives
    vetoes: tuple[int, ...]  # 1-based numbers of the veto conditions that apply
    grade: str
    # The bonus section (加分项), when the standard has one: the counted awards, their plain sum
    # and what counts after the cap. ``total`` includes ``bonus``.
    awards: tuple[Deduction, ...] = ()
    awarded: Decimal = Decimal(0)
    bonus: Decimal = Decimal(0)

    @property
    def base_total(self) -> Decimal:
        """The items' total, before the bonus."""
        return self.total - self.bonus

    @property
    def item_scores(self) -> list[Decimal]:
        """The item scores in item order."""
        return [result.score for result in self.items]

    @property
    def deductions(self) -> list[Deduction]:
        """Every non-zero deduction in rule order."""
        return [d for result in self.items for d in result.deductions]

    def reasons(self) -> list[str]:
        """Why the scores are what they are, in Chinese, one sentence each."""
        lines: list[str] = []
        for result in self.items:
            for d in result.deductions:
                note = f"（{d.note}）" if d.note else ""
                lines.append(f"{d.rule.id} {d.rule.wording}：扣 {fmt(d.points)} 分{note}")
            if result.capped:
                lines.append(
                    f"第{result.item.number}项“{result.item.name}”扣分合计 {fmt(result.deducted)}，"
                    f"计 {fmt(result.item.points)}（扣分以该项目分值为限），该项得 0 分"
                )
        for award in self.awards:
            note = f"（{award.note}）" if award.note else ""
            lines.append(
                f"加分 {award.rule.id} {award.rule.wording}：加 {fmt(award.points)} 分{note}"
            )
        bonus = self.standard.bonus
        if bonus is not None and self.awarded > self.bonus:
            lines.append(
                f"{bonus.name}合计 {fmt(self.awarded)}，计 {fmt(self.bonus)}（{bonus.wording}）"
            )
        for number in self.vetoes:
            lines.append(
                f"否决情形 {number}：{self.standard.vetoes[number - 1]}，直接定为“{self.standard.veto_grade}”"
                f"（否决前得分 {fmt(self.total)}，等级“{self.score_grade}”）"
            )
        return lines


def score_item(
    item: Item, deductions: Mapping[str, Decimal], notes: Mapping[str, str] | None = None
) -> ItemResult:
    """Score one item from already validated deductions keyed by rule id (missing means 0)."""
    notes = notes or {}
    counted = tuple(
        Deduction(rule, deductions[rule.id], notes.get(rule.id, ""))
        for rule in item.rules
        if deductions.get(rule.id, Decimal(0)) != 0
    )
    return _item_result(item, counted)


def _item_result(item: Item, counted: tuple[Deduction, ...]) -> ItemResult:
    """An item's result from its counted (non-zero) deductions, in rule order."""
    deducted = sum((d.points for d in counted), Decimal(0))
    score = max(Decimal(0), item.points - deducted)
    return ItemResult(item=item, deductions=counted, deducted=deducted, score=score)


def score_branch(
    standard: Standard,
    deductions: Mapping[str, Decimal],
    vetoes: Iterable[int] = (),
    notes: Mapping[str, str] | None = None,
) -> BranchResult:
    """Score a branch from validated inputs.

    Args:
        standard: the scoring standard.
        deductions: rule id -> deduction (each must be allowed by its rule; missing means 0).
        vetoes: 1-based numbers of the veto conditions that apply.
        notes: rule id -> the assessor's 扣分说明.

    Raises:
        ValueError: an unknown rule id or veto number, or a deduction its rule does not allow.
    """
    known = {rule.id: rule for rule in standard.rules}
    for rule_id, value in deductions.items():
        if rule_id not in known:
            raise ValueError(f"unknown rule id {rule_id!r}")
        if not known[rule_id].allows(value):
            raise ValueError(f"deduction {value} not allowed by rule {rule_id}")
    veto_numbers = tuple(sorted(set(vetoes)))
    for number in veto_numbers:
        if not 1 <= number <= len(standard.vetoes):
            raise ValueError(f"unknown veto number {number}")
    items = tuple(score_item(item, deductions, notes) for item in standard.items)
    return _branch_result(standard, items, veto_numbers)


def _branch_result(
    standard: Standard,
    items: tuple[ItemResult, ...],
    veto_numbers: tuple[int, ...],
    awards: tuple[Deduction, ...] = (),
) -> BranchResult:
    """The total and grade of scored items (and counted awards); ``veto_numbers`` ascending,
    each once."""
    awarded = sum((award.points for award in awards), Decimal(0))
    bonus = min(awarded, standard.bonus.cap) if standard.bonus is not None else Decimal(0)
    total = sum((result.score for result in items), Decimal(0)) + bonus
    score_grade = standard.grade_for(total)
    grade = standard.veto_grade if veto_numbers else score_grade
    return BranchResult(
        standard, items, total, score_grade, veto_numbers, grade, awards, awarded, bonus
    )


@dataclass(frozen=True)
class Assessment:
    """The outcome for one branch: a result when every input is valid, else the problems.

    ``item_scores`` holds a score for every item whose own inputs are valid (None otherwise), so
    a sheet can show what it can while a few cells are wrong.
    """

    result: BranchResult | None
    problems: tuple[Problem, ...]
    item_scores: tuple[Decimal | None, ...]
    # The 群众测评 tally (None without one) and how it met the survey rule's own cells.
    survey: SurveyTally | None = None
    survey_outcome: SurveyRuleOutcome | None = None
    notices: tuple[Problem, ...] = ()  # worth saying, not errors (too few valid ballots)
    # The counted bonus when every award is valid (None otherwise); 0 without a bonus section.
    bonus: Decimal | None = Decimal(0)

    @property
    def ok(self) -> bool:
        """True when every input is valid."""
        return not self.problems

    @property
    def total(self) -> Decimal | None:
        """The total when every deduction is valid (an invalid veto cell does not affect it)."""
        if any(score is None for score in self.item_scores) or self.bonus is None:
            return None
        items = sum((score for score in self.item_scores if score is not None), Decimal(0))
        return items + self.bonus

    @property
    def total_text(self) -> Decimal | str:
        """The total, or 待修正 while a deduction is invalid."""
        total = self.total
        return PENDING if total is None else total

    @property
    def grade_text(self) -> str:
        """The grade, or 待修正."""
        return self.result.grade if self.result else PENDING


def _rule_points(
    standard: Standard,
    rule: Rule,
    value: object,
    note: object,
    *,
    award: bool,
    problems: list[Problem],
) -> Decimal | None:
    """One rule's points from its 扣分 (``award``: a bonus rule's 加分) cell, ``None`` while
    invalid; a problem is added for an invalid value and for an unusable 扣分说明/加分说明."""
    parse, label = (parse_award, "加分规则") if award else (parse_deduction, "规则")
    note_label = "加分说明" if award else "扣分说明"
    unusable = why_unusable(note, FILL_TEXT)
    if unusable is not None:
        message = f"{label} {rule.id}“{rule.wording}”的{note_label}：{unusable}"
        problems.append(
            Problem(message, rule=rule.id, note=True, short=f"{INVALID}：{note_label}", value=note)
        )
    try:
        return parse(rule, value, standard.max_decimal_places)
    except CellValueError as error:
        problems.append(Problem(str(error), rule=rule.id, short=error.short, value=value))
        return None


def assess_branch(standard: Standard, raw: RawBranchInputs) -> Assessment:
    """Validate one branch's raw inputs and score it.

    Every input is checked; all problems are returned at once, in sheet order. Each item is
    scored once, as its inputs are validated: the same result as :func:`score_branch` gives
    for the validated inputs, without checking them a second time.
    """
    problems: list[Problem] = []
    notices: list[Problem] = []
    items: list[ItemResult | None] = []  # None for an item with an invalid input
    tally = outcome = None
    if standard.survey is not None and raw.survey is not None:
        survey = standard.survey
        cells = raw.survey
        if not tally_is_blank(cells.issued, cells.returned, cells.counts):
            tally = tally_survey(survey, cells.issued, cells.returned, cells.counts)
            errors, warnings = survey_problems(standard, tally)
            problems += errors
            notices += warnings
    for item in standard.items:
        counted: list[Deduction] = []
        item_ok = True
        for rule in item.rules:
            if tally is not None and standard.survey and rule.id == standard.survey.rule_id:
                outcome = resolve_survey_rule(
                    standard, tally, raw.deductions.get(rule.id), raw.notes.get(rule.id)
                )
                problems += outcome.problems
                if outcome.deduction is None or not tally_counts_ok(tally):
                    item_ok = False
                elif outcome.deduction != 0:
                    counted.append(Deduction(rule, outcome.deduction, outcome.note))
                continue
            note = raw.notes.get(rule.id)
            points = _rule_points(
                standard, rule, raw.deductions.get(rule.id), note, award=False, problems=problems
            )
            if points is None:
                item_ok = False
            elif points != 0:
                counted.append(Deduction(rule, points, note_text(note)))
        items.append(_item_result(item, tuple(counted)) if item_ok else None)
    vetoes: list[int] = []
    for number in range(1, len(standard.vetoes) + 1):
        value = raw.vetoes[number - 1] if number <= len(raw.vetoes) else None
        try:
            if parse_veto(value):
                vetoes.append(number)
        except CellValueError as error:
            message = f"否决情形（{number}）“{standard.vetoes[number - 1]}”：{error}"
            problems.append(Problem(message, veto=number, short=error.short, value=value))
    awards: list[Deduction] = []
    bonus_ok = True
    if standard.bonus is not None:
        for rule in standard.bonus.rules:
            note = raw.award_notes.get(rule.id)
            points = _rule_points(
                standard, rule, raw.awards.get(rule.id), note, award=True, problems=problems
            )
            if points is None:
                bonus_ok = False
            elif points != 0:
                awards.append(Deduction(rule, points, note_text(note)))
    bonus: Decimal | None = None
    if bonus_ok:
        awarded = sum((award.points for award in awards), Decimal(0))
        bonus = min(awarded, standard.bonus.cap) if standard.bonus is not None else Decimal(0)
    item_scores = tuple(None if result is None else result.score for result in items)
    if problems:
        return Assessment(None, tuple(problems), item_scores, tally, outcome, tuple(notices), bonus)
    scored = tuple(result for result in items if result is not None)
    result = _branch_result(standard, scored, tuple(vetoes), tuple(awards))
    if tally is not None and tally.ok and standard.survey and standard.survey.ceilings:
        capped, _ = grade_ceiling(standard, result.grade, tally.rate)
        if capped != result.grade:
            result = replace(result, grade=capped)
    return Assessment(result, (), item_scores, tally, outcome, tuple(notices), bonus)


def tally_counts_ok(tally: SurveyTally) -> bool:
    """True when a tally's counts are valid (too few valid ballots is no count error)."""
    return all(p.key == "valid" for p in tally.problems)
