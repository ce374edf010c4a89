"""The JSON report of a consolidation (the contract is in docs/consolidation.md).

One builder per level: :func:`branch_json` for a branch, :func:`to_json` for the report.
A new key goes into the builder of its level; keys are never renamed or removed without
raising ``JSON_FORMAT_VERSION``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from workbook.core.scoring import PENDING
from workbook.inputs.consolidate import BranchEntry, Consolidation

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
        }
    return {
        "branch": entry.branch,
        "file": entry.file,
        "sheet": entry.sheet,
        "item_scores": [json_number(s) for s in result.item_scores],
        "total": json_number(result.total),
        "grade": result.grade,
        "vetoes": list(result.vetoes),
        "rank": entry.rank,
        "deductions": [
            {"rule": d.rule.id, "points": json_number(d.points), "note": d.note}
            for d in result.deductions
        ],
        "capped_items": [item.item.number for item in result.items if item.capped],
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
