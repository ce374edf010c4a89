"""Self-assessment (自评) beside the committee's assessment (考评). Pure.

Both are scored by the same engine (``scoring.assess_branch``) from their own inputs; the
grade of record is the committee's. A self total above the committee's by more than the
threshold (default 5 points, half a grade band of the Anji standard) is flagged 自评偏高.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from workbook.core.scoring import BranchResult
from workbook.core.standard import fmt

DEFAULT_SELF_THRESHOLD = Decimal(5)
TOO_HIGH = "自评偏高"


@dataclass(frozen=True)
class SelfComparison:
    """A branch's self-assessment against the committee's."""

    self_result: BranchResult
    committee: BranchResult
    threshold: Decimal

    @property
    def difference(self) -> Decimal:
        """Self total minus committee total (positive: the branch rated itself higher)."""
        return self.self_result.total - self.committee.total

    @property
    def item_differences(self) -> tuple[Decimal, ...]:
        """Per item, self score minus committee score."""
        return tuple(
            s - c
            for s, c in zip(self.self_result.item_scores, self.committee.item_scores, strict=True)
        )

    @property
    def too_high(self) -> bool:
        """True when the self total exceeds the committee's by more than the threshold."""
        return self.difference > self.threshold

    @property
    def grade(self) -> str:
        """The grade of record: the committee's."""
        return self.committee.grade

    @property
    def flag_text(self) -> str:
        """``自评偏高（高 8 分）`` when flagged, else empty."""
        return f"{TOO_HIGH}（高 {fmt(self.difference)} 分）" if self.too_high else ""


def compare_self(
    self_result: BranchResult,
    committee: BranchResult,
    threshold: Decimal = DEFAULT_SELF_THRESHOLD,
) -> SelfComparison:
    """Compare a branch's self-assessment with the committee's.

    Raises:
        ValueError: the two results are of different standards.
    """
    if self_result.standard != committee.standard:
        raise ValueError("self and committee results of different standards")
    return SelfComparison(self_result, committee, threshold)
