"""Bonus points (加分项): an optional, capped section of a standard, scored apart. Pure.

The section is ``Standard.bonus`` (``[bonus]`` in the standard file; the Anji standard has
none). Awards are validated like deductions (0, or a value the rule allows, with at most the
standard's decimal places); their sum counts up to the section's cap and is added to the
branch's total after the items' caps. The grade then comes from the total with the bonus; a
veto still decides the grade. Not yet wired into the template or the summary.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from workbook.core.problems import Problem
from workbook.core.scoring import INVALID, BranchResult, display_value, note_text
from workbook.core.standard import Bonus, Rule, Standard, fmt
from workbook.errors import CellValueError


def parse_award(rule: Rule, raw: object, max_places: int) -> Decimal:
    """One raw 加分 cell value as an allowed award (blank is 0).

    Raises:
        CellValueError: text, a boolean, a date, a negative number, too many decimals or a value
            the rule does not allow.
    """
    if raw is None or raw == "":
        return Decimal(0)

    def rejected(problem: str) -> CellValueError:
        return CellValueError(
            f"加分规则 {rule.id}“{rule.wording}”：{problem}；允许的值：{rule.allowed_text}（空白视为 0）",
            f"{INVALID}：应为{rule.range_label}",
        )

    if isinstance(raw, bool | str | _dt.date | _dt.time | _dt.timedelta):
        raise rejected(f"加分应为数字，实际为“{display_value(raw)}”")
    if isinstance(raw, float) and not math.isfinite(raw):
        raise rejected(f"加分应为数字，实际为“{raw}”")
    try:
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise rejected(f"加分应为数字，实际为“{display_value(raw)}”") from None
    if not value.is_finite():
        raise rejected(f"加分应为数字，实际为“{display_value(raw)}”")
    if value < 0:
        raise rejected(f"加分不能为负数（{fmt(value)}）")
    if not rule.allows(value):
        raise rejected(f"加分 {fmt(value)} 不符合此规则")
    if value != value.quantize(Decimal(1).scaleb(-max_places)):
        raise rejected(f"加分 {fmt(value)} 的小数超过 {max_places} 位")
    return value


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
