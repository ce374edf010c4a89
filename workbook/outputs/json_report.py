"""The JSON report of a consolidation (the contract is in docs/consolidation.md).

One builder per level: :func:`branch_json` for a branch, :func:`to_json` for the report.
A new key goes into the builder of its level; keys are never renamed or removed without
raising ``JSON_FORMAT_VERSION``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from workbook.core.scoring import PENDING, BranchResult
from workbook.inputs.consolidate import BranchEntry, Consolidation

__all__ = [
    "JSON_FORMAT_VERSION",
    "assessor_json",
    "branch_json",
    "json_number",
    "json_text",
    "report_text",
    "survey_json",
    "to_json",
    "version_two_json",
]

JSON_FORMAT_VERSION = 1


def json_number(value: Decimal) -> int | float:
    """A Decimal as a JSON number with exactly its digits: 90 -> 90, 89.5 -> 89.5.

    Values have at most a few decimal places, so the float's shortest repr (what ``json``
    writes) is exactly the Decimal's digits.
    """
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    assert Decimal(repr(number)) == value.normalize(), value
    return number


def branch_json(entry: BranchEntry) -> dict[str, Any]:
    """One branch as the JSON report writes it."""
    result = entry.result
    if result is None:
        scores: list[int | float | None] = [
            None if s is None else json_number(s) for s in entry.assessment.item_scores
        ]
        return {
            "branch": entry.branch,
            "file": entry.file,
            "sheet": entry.sheet,
            "item_scores": scores,
            "total": None,
            "grade": PENDING,
            "vetoes": [],
            "rank": None,
            "deductions": [],
            "capped_items": [],
            **_survey_and_assessors(entry),
        }
    deductions = [
        {"rule": d.rule.id, "points": json_number(d.points), "note": d.note}
        for d in result.deductions
    ]
    if entry.combined is not None:
        deductions = [
            {"rule": d.rule.id, "points": json_number(d.points), "note": d.note, "assessor": who}
            for who, d in entry.combined.deductions_by_assessor()
        ]
    return {
        "branch": entry.branch,
        "file": entry.file,
        "sheet": entry.sheet,
        "item_scores": [json_number(s) for s in result.item_scores],
        "total": json_number(result.total),
        "grade": result.grade,
        "vetoes": list(result.vetoes),
        "rank": entry.rank,
        "deductions": deductions,
        "capped_items": [item.item.number for item in result.items if item.capped],
        **_survey_and_assessors(entry),
        **_bonus_json(result),
    }


def _survey_and_assessors(entry: BranchEntry) -> dict[str, Any]:
    """The ``survey`` object, the ``assessors`` list and the ``combination`` of a branch."""
    members = entry.members or [entry]
    surveyed = next((m for m in members if m.assessment.survey is not None), None)
    combined = entry.combined
    combination = None
    if combined is not None:
        combination = {
            "method": combined.method,
            "trimmed": combined.trimmed,
            "spread": json_number(combined.spread),
            "threshold": json_number(combined.threshold),
            "flagged": combined.spread_flagged,
        }
    return {
        "survey": survey_json(surveyed, entry) if surveyed is not None else None,
        "assessors": [
            assessor_json(
                m,
                combined is None
                or m.result is None
                or any(c.result is m.result for c in combined.counted),
            )
            for m in members
        ],
        "combination": combination,
    }


def assessor_json(member: BranchEntry, counted: bool) -> dict[str, Any]:
    """One assessor's own result of a branch."""
    result = member.result
    return {
        "assessor": member.assessor,
        "file": member.file,
        "sheet": member.sheet,
        "total": json_number(result.total) if result else None,
        "grade": member.grade_text,
        "item_scores": [
            None if s is None else json_number(s) for s in member.assessment.item_scores
        ],
        "counted": counted,
        "deductions": [
            {"rule": d.rule.id, "points": json_number(d.points), "note": d.note}
            for d in (result.deductions if result else [])
        ],
    }


def survey_json(entry: BranchEntry, counted_in: BranchEntry | None = None) -> dict[str, Any]:
    """A branch's 群众测评 tally and how it met rule 7.1 (docs/consolidation.md);
    ``counted_in``: the entry whose result counts (a branch of several assessors: the combined
    one, whose 7.1 deduction is their mean), else ``entry``."""
    from workbook.core.exact import percent

    tally = entry.assessment.survey
    outcome = entry.assessment.survey_outcome
    assert tally is not None
    places = tally.survey.percent_places

    def rate(value: object) -> float | int | None:
        from fractions import Fraction

        return json_number(percent(value, places)) if isinstance(value, Fraction) else None

    counted = None
    result = (counted_in or entry).result
    if result is not None:
        counted = next(
            (d.points for d in result.deductions if d.rule.id == tally.survey.rule_id),
            None,
        )
        counted = counted if counted is not None else Decimal(0)
    return {
        "issued": tally.issued,
        "returned": tally.returned,
        "valid": tally.valid,
        "rates_percent": [rate(q.rate) if q else None for q in tally.questions],
        "rate_percent": rate(tally.rate),
        "points": json_number(tally.points) if tally.points is not None else None,
        "tally_deduction": json_number(tally.deduction) if tally.deduction is not None else None,
        "counted_deduction": json_number(counted) if counted is not None else None,
        "source": outcome.source if outcome else "none",
        "overridden": bool(outcome and outcome.overridden),
        "note": outcome.note if outcome else "",
        "problems": [p.message for p in tally.problems],
    }


def _bonus_json(result: BranchResult) -> dict[str, Any]:
    """The bonus fields, only for a standard with a bonus section (the Anji JSON is unchanged):
    the counted bonus (in ``total``) and the non-zero awards."""
    if result.standard.bonus is None:
        return {}
    return {
        "bonus": json_number(result.bonus),
        "awards": [
            {"rule": a.rule.id, "points": json_number(a.points), "note": a.note}
            for a in result.awards
        ],
    }


def version_two_json(entry: BranchEntry, threshold: Decimal) -> dict[str, Any]:
    """``self`` and ``checklist`` of one branch (None for a version-1 sheet)."""
    own = entry.own
    self_part: dict[str, Any] | None = None
    if own is not None:
        total, grade = own.total_text, own.grade_text
        comparison = entry.self_comparison(threshold)
        self_part = {
            "filled": own.filled,
            "item_scores": [None if s is None else json_number(s) for s in own.item_scores],
            "total": json_number(total) if isinstance(total, Decimal) else None,
            "grade": grade,
            "vetoes": list(own.result.vetoes) if own.result is not None else [],
            "difference": json_number(comparison.difference) if comparison else None,
            "too_high": comparison.too_high if comparison else False,
        }
    checklist_part: dict[str, Any] | None = None
    if entry.checklist is not None:
        report = entry.checklist
        checklist_part = {
            "met": report.met,
            "applicable": report.applicable,
            "sections": [
                {
                    "section": count.section.name,
                    "applicable": count.applicable,
                    "met": count.met,
                    "missing": count.missing,
                    "unanswered": count.unanswered,
                }
                for count in report.sections
            ],
            "missing": [e.key for e in report.missing],
            "hints": [{"rule": h.rule_id, "text": h.text} for h in report.hints],
        }
    return {"self": self_part, "checklist": checklist_part}


def to_json(consolidation: Consolidation) -> dict[str, Any]:
    """The JSON report (see docs/consolidation.md for the contract)."""
    return {
        "format": JSON_FORMAT_VERSION,
        "standard": consolidation.standard.id,
        "year": consolidation.year,
        "final": consolidation.ok,
        "branches": [
            {**branch_json(entry), **version_two_json(entry, consolidation.self_threshold)}
            for entry in consolidation.branches
        ],
        "errors": [problem.as_json() for problem in consolidation.errors],
        "warnings": [problem.as_json() for problem in consolidation.warnings],
    }


def json_text(consolidation: Consolidation) -> str:
    """The JSON report as UTF-8 text (Chinese unescaped, stable key order, trailing newline)."""
    return report_text(to_json(consolidation))


def report_text(report: dict[str, Any]) -> str:
    """A JSON report (``to_json``, maybe with keys added) as ``json_text`` writes it."""
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"
