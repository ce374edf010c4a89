"""Self-assessment (自评) beside the committee's assessment (考评). Pure.

Both are scored by the same engine (``scoring.assess_branch``) from their own inputs; the
grade of record is the committee's. A self total above the committee's by more than the
threshold (default 5 points, half a grade band of the Anji standard) is flagged 自评偏高.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from workbook.core import names
from workbook.core.scoring import (
    INVALID,
    Assessment,
    BranchResult,
    RawBranchInputs,
    assess_branch,
)
from workbook.core.standard import Standard, fmt

DEFAULT_SELF_THRESHOLD = Decimal(5)
TOO_HIGH = "自评偏高"
NOT_ASSESSED = "未自评"  # the self total and grade while every 自评 input is blank
SELF_PREFIX = "自评"  # before a 自评 input's message and short message


@dataclass(frozen=True)
class SelfAssessment:
    """A branch's own assessment from its 自评 cells (template version 2).

    ``assessment`` is scored by the same engine as the committee's, with problems keyed by the
    自评 names (``self_ded_1_1``, ``self_veto_2``) and messages starting with 自评. A sheet
    whose 自评 cells are all blank is ``filled = False``: its total and grade read 未自评, so
    an untouched column is never taken for a self-rated 100.
    """

    assessment: Assessment
    filled: bool

    @property
    def result(self) -> BranchResult | None:
        """The self result when the branch filled its 自评 and every value is valid."""
        return self.assessment.result if self.filled else None

    @property
    def total_text(self) -> Decimal | str:
        """The self total, 待修正 while a 自评扣分 is invalid, or 未自评."""
        return self.assessment.total_text if self.filled else NOT_ASSESSED

    @property
    def grade_text(self) -> str:
        """The self grade, 待修正, or 未自评."""
        return self.assessment.grade_text if self.filled else NOT_ASSESSED

    @property
    def item_scores(self) -> tuple[Decimal | None, ...]:
        """Per item the self score (None while its input is invalid)."""
        return self.assessment.item_scores


def self_raw_inputs(standard: Standard, values: Mapping[str, object]) -> RawBranchInputs:
    """The 自评 inputs of a sheet, keyed as the engine expects, from values by defined name."""
    return RawBranchInputs(
        deductions={r.id: values.get(names.self_deduction_name(r)) for r in standard.rules},
        vetoes=[values.get(names.self_veto_name(n)) for n in range(1, len(standard.vetoes) + 1)],
    )


def assess_self(standard: Standard, raw: RawBranchInputs) -> SelfAssessment:
    """Validate and score a branch's 自评 inputs exactly like the committee's (caps, bands,
    vetoes); problems are renamed to the 自评 cells and say 自评."""
    assessment = assess_branch(standard, RawBranchInputs(raw.deductions, {}, raw.vetoes))
    renamed = {names.deduction_name(r): names.self_deduction_name(r) for r in standard.rules}
    renamed |= {
        names.veto_name(n): names.self_veto_name(n) for n in range(1, len(standard.vetoes) + 1)
    }
    problems = tuple(
        replace(
            p,
            rule=None,
            veto=None,
            key=renamed[names.problem_name(p) or ""],
            message=f"{SELF_PREFIX}：{p.message}",
            short=SELF_PREFIX + p.short,
        )
        for p in assessment.problems
    )
    filled = any(v is not None and v != "" for v in raw.deductions.values()) or any(
        v is not None and v != "" for v in raw.vetoes
    )
    return SelfAssessment(replace(assessment, problems=problems), filled)


def check_text(committee: str, own: str) -> str:
    """A version-2 检查 cell: the committee input's message, then the 自评 input's, or ""."""
    return "；".join(part for part in (committee, own) if part)


def score_text(score: Decimal | None) -> Decimal | str:
    """An item score cell's value: the score, or 输入有误."""
    return INVALID if score is None else score


def self_difference(self_total: Decimal | str, committee_total: Decimal | str) -> Decimal | None:
    """Self minus committee total when both are numbers (not 待修正 or 未自评)."""
    if isinstance(self_total, Decimal) and isinstance(committee_total, Decimal):
        return self_total - committee_total
    return None


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
