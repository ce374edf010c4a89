"""Several assessors' results of one branch combined into one. Pure.

Rules (docs/standard.md, "Several assessors"):

- ``mean``: each item score and the total are the mean over the assessors; ``trimmed`` with at
  least 5 assessors first drops the one with the highest and the one with the lowest total
  (with fewer it is the plain mean, and says so).
- Means are exact fractions rounded half up (四舍五入) to the standard's ``max_decimal_places``;
  the grade comes from the rounded total, so the grade matches the number printed.
- Vetoes are facts: all assessors must agree on each, else it is an error naming them.
- The same assessor twice, or an assessor without a name, is an error.
- The spread is the highest minus the lowest total of all assessors (dropped ones included);
  a spread above the threshold (default 10 points) is flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from workbook.core import names
from workbook.core.exact import round_to_step
from workbook.core.problems import Problem
from workbook.core.scoring import BranchResult, Deduction
from workbook.core.standard import Standard, fmt
from workbook.errors import AssessorConflictError

__all__ = [
    "DEFAULT_SPREAD_THRESHOLD",
    "METHODS",
    "TRIM_MINIMUM",
    "AssessorResult",
    "CombinedResult",
    "Method",
    "combine_assessors",
    "spread_text",
]

Method = Literal["mean", "trimmed"]
METHODS: tuple[Method, ...] = ("mean", "trimmed")
TRIM_MINIMUM = 5  # trimmed drops the extremes only from this many assessors up
DEFAULT_SPREAD_THRESHOLD = Decimal(10)


@dataclass(frozen=True)
class AssessorResult:
    """One assessor's scored result of the branch, and where it came from (for messages)."""

    assessor: str
    result: BranchResult
    source: str = ""  # e.g. the file name; named in error messages


@dataclass(frozen=True)
class CombinedResult:
    """The branch's combined scores, grade and the spread between assessors."""

    standard: Standard
    method: Method
    trimmed: bool  # True when the extremes were actually dropped
    assessors: tuple[AssessorResult, ...]  # every assessor, in the order given
    dropped: tuple[AssessorResult, ...]  # (lowest, highest) when trimmed, else ()
    item_scores: tuple[Decimal, ...]
    total: Decimal
    score_grade: str  # the grade the combined total alone gives
    vetoes: tuple[int, ...]
    grade: str
    spread: Decimal
    threshold: Decimal

    @property
    def counted(self) -> tuple[AssessorResult, ...]:
        """The assessors whose scores were averaged."""
        return tuple(a for a in self.assessors if a not in self.dropped)

    @property
    def spread_flagged(self) -> bool:
        """True when the spread of totals is above the threshold."""
        return self.spread > self.threshold

    def deductions_by_assessor(self) -> list[tuple[str, Deduction]]:
        """Every assessor's deductions, assessor by assessor, each in rule order."""
        return [(a.assessor, d) for a in self.assessors for d in a.result.deductions]

    def mean_deductions(self, item_number: int) -> tuple[Deduction, ...]:
        """The item's deductions of the combined result, in rule order: per rule the mean over
        the counted assessors (one who did not deduct counts 0), rounded like the scores; the
        note says who deducted how much and why. What the 主要扣分, the 整改清单 and the
        群众测评's counted deduction show for the branch."""
        counted = self.counted
        step = Decimal(1).scaleb(-self.standard.max_decimal_places)
        deductions: list[Deduction] = []
        for rule in self.standard.items[item_number - 1].rules:
            made = [(a, d) for a in counted for d in a.result.deductions if d.rule.id == rule.id]
            exact = sum((Fraction(d.points) for _, d in made), Fraction(0)) / len(counted)
            points = round_to_step(exact, step, "half_up")
            if not made or points == 0:
                continue
            note = "；".join(
                f"{a.assessor}扣{fmt(d.points)}分" + (f"（{d.note}）" if d.note else "")
                for a, d in made
            )
            deductions.append(Deduction(rule, points, f"{len(counted)} 位考评人平均：{note}"))
        return tuple(deductions)


def _who(entry: AssessorResult) -> str:
    return (
        f"{entry.assessor or '（未填考评人）'}（{entry.source}）"
        if entry.source
        else entry.assessor
    )


def combine_assessors(
    results: Sequence[AssessorResult],
    method: Method = "mean",
    threshold: Decimal = DEFAULT_SPREAD_THRESHOLD,
) -> CombinedResult:
    """Combine several assessors' results of one branch.

    Raises:
        AssessorConflictError: a blank or repeated assessor name, or a veto the assessors
            disagree on; every problem at once.
        ValueError: no results, results of different standards, or an unknown method.
    """
    if not results:
        raise ValueError("no results to combine")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    standard = results[0].result.standard
    if any(r.result.standard != standard for r in results):
        raise ValueError("results of different standards")

    # Why results cannot be combined: a blank or repeated assessor (keyed ``assessor``) or a
    # veto they disagree on (keyed by its number); ``sources`` names the results involved (the
    # caller adds cells).
    problems: list[Problem] = []
    blank = tuple(r for r in results if not r.assessor.strip())
    if blank:
        problems.append(
            Problem(
                f"未填写考评人：{'、'.join(r.source or '（未知来源）' for r in blank)}；"
                "多人考评时每份考评表都要填写考评人",
                key=names.ASSESSOR,
                sources=tuple(r.source for r in blank),
            )
        )
    by_name: dict[str, list[AssessorResult]] = {}
    for entry in results:
        if entry.assessor.strip():
            by_name.setdefault(entry.assessor.strip(), []).append(entry)
    for name, entries in by_name.items():
        if len(entries) > 1:
            problems.append(
                Problem(
                    f"考评人“{name}”对同一支部提交了 {len(entries)} 份考评："
                    f"{'、'.join(e.source or '（未知来源）' for e in entries)}",
                    key=names.ASSESSOR,
                    sources=tuple(e.source for e in entries),
                )
            )
    for number in range(1, len(standard.vetoes) + 1):
        yes = tuple(r for r in results if number in r.result.vetoes)
        if yes and len(yes) != len(results):
            no = tuple(r for r in results if number not in r.result.vetoes)
            problems.append(
                Problem(
                    f"否决情形（{number}）“{standard.vetoes[number - 1]}”是事实，考评人意见应一致："
                    f"{'、'.join(_who(r) for r in yes)} 填“是”，{'、'.join(_who(r) for r in no)} 填“否”",
                    veto=number,
                    sources=tuple(r.source for r in yes + no),
                )
            )
    if problems:
        raise AssessorConflictError(problems)

    dropped: tuple[AssessorResult, ...] = ()
    if method == "trimmed" and len(results) >= TRIM_MINIMUM:
        # Ties: among equal totals the name that sorts first counts as lower.
        ordered = sorted(results, key=lambda r: (r.result.total, r.assessor.strip()))
        dropped = (ordered[0], ordered[-1])
    counted = [r for r in results if r not in dropped]
    step = Decimal(1).scaleb(-standard.max_decimal_places)

    def mean(values: Sequence[Decimal]) -> Decimal:
        exact = sum((Fraction(v) for v in values), Fraction(0)) / len(values)
        return round_to_step(exact, step, "half_up")

    item_scores = tuple(
        mean([r.result.items[index].score for r in counted]) for index in range(len(standard.items))
    )
    total = mean([r.result.total for r in counted])
    vetoes = results[0].result.vetoes
    score_grade = standard.grade_for(total)
    totals = [r.result.total for r in results]
    return CombinedResult(
        standard=standard,
        method=method,
        trimmed=bool(dropped),
        assessors=tuple(results),
        dropped=dropped,
        item_scores=item_scores,
        total=total,
        score_grade=score_grade,
        vetoes=vetoes,
        grade=standard.veto_grade if vetoes else score_grade,
        spread=max(totals) - min(totals),
        threshold=threshold,
    )


def spread_text(combined: CombinedResult) -> str:
    """The spread in words, e.g. ``最高与最低合计相差 12 分（超过 10 分，请复核）``."""
    text = f"最高与最低合计相差 {fmt(combined.spread)} 分"
    if combined.spread_flagged:
        text += f"（超过 {fmt(combined.threshold)} 分，请复核）"
    return text
