"""Bonus points (加分项): an optional, capped section of a standard, scored apart. Pure.

The section is ``Standard.bonus`` (``[bonus]`` in the standard file; the Anji standard has
none). Awards are validated like deductions (0, or a value the rule allows, with at most the
standard's decimal places); their sum counts up to the section's cap and is added to the
branch's total after the items' caps. The grade then comes from the total with the bonus; a
veto still decides the grade. The engine (``scoring.assess_branch``) scores the awards of
``RawBranchInputs.awards`` the same way and adds the counted bonus to ``BranchResult.total``;
these functions score a bonus on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from workbook.core.problems import Problem
from workbook.core.scoring import BranchResult, note_text, parse_award
from workbook.core.standard import Bonus, Rule, Standard
from workbook.errors import CellValueError

__all__ = [
    "BonusAssessment",
    "BonusAward",
    "BonusOutcome",
    "BonusResult",
    "assess_bonus",
    "total_with_bonus",
]


@dataclass(frozen=True)
class BonusAward:
    """A counted, non-zero award."""

    rule: Rule
    points: Decimal
    note: str = ""


@dataclass(frozen=True)
class BonusResult:
    """A branch's bonus: the awards, their plain sum and what counts after the cap."""

    bonus: Bonus
    awards: tuple[BonusAward, ...]
    awarded: Decimal  # the plain sum
    counted: Decimal  # at most the cap

    @property
    def capped(self) -> bool:
        """True where the cap cut the sum."""
        return self.awarded > self.bonus.cap


@dataclass(frozen=True)
class BonusAssessment:
    """The bonus when every award is valid, else the problems (keyed by rule id, e.g. B.1)."""

    result: BonusResult | None
    problems: tuple[Problem, ...]


def assess_bonus(
    standard: Standard, raw_awards: Mapping[str, object], notes: Mapping[str, object] | None = None
) -> BonusAssessment:
    """Validate a branch's raw award cells (bonus rule id -> value) and sum them under the cap.

    Raises:
        ValueError: the standard has no bonus section, or an unknown bonus rule id.
    """
    bonus = standard.bonus
    if bonus is None:
        raise ValueError(f"standard {standard.id} has no bonus section")
    known = {rule.id for rule in bonus.rules}
    if set(raw_awards) - known:
        raise ValueError(f"unknown bonus rules {sorted(set(raw_awards) - known)}")
    notes = notes or {}
    awards: list[BonusAward] = []
    problems: list[Problem] = []
    for rule in bonus.rules:
        raw = raw_awards.get(rule.id)
        try:
            points = parse_award(rule, raw, standard.max_decimal_places)
        except CellValueError as error:
            problems.append(Problem(str(error), rule=rule.id, short=error.short, value=raw))
            continue
        if points:
            awards.append(BonusAward(rule, points, note_text(notes.get(rule.id))))
    if problems:
        return BonusAssessment(None, tuple(problems))
    awarded = sum((a.points for a in awards), Decimal(0))
    return BonusAssessment(BonusResult(bonus, tuple(awards), awarded, min(awarded, bonus.cap)), ())


@dataclass(frozen=True)
class BonusOutcome:
    """A branch's total and grade with its bonus."""

    base_total: Decimal  # the items' total
    bonus: Decimal  # the counted bonus
    total: Decimal
    score_grade: str  # the grade the total with the bonus gives
    grade: str  # after vetoes


def total_with_bonus(result: BranchResult, bonus: BonusResult) -> BonusOutcome:
    """Add a counted bonus to a scored branch; the grade follows the new total unless vetoed."""
    total = result.total + bonus.counted
    score_grade = result.standard.grade_for(total)
    grade = result.standard.veto_grade if result.vetoes else score_grade
    return BonusOutcome(result.total, bonus.counted, total, score_grade, grade)
