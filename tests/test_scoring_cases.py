"""Data-case tests: one TOML file per case in tests/cases, checkable by hand against the notice."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from workbook.core.scoring import assess_branch
from workbook.core.standard import Standard

from support.scoring_cases import CASES, load_case, raw_inputs


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path, standard: Standard) -> None:
    case = load_case(path)
    expect = case["expect"]
    assessment = assess_branch(standard, raw_inputs(case))
    if "problems" in expect:
        assert assessment.result is None
        assert [p.subject for p in assessment.problems] == expect["problems"]
        deduction_problem = any(p.rule and not p.note for p in assessment.problems)
        assert (
            assessment.total_text == "待修正" if deduction_problem else assessment.total_text == 100
        )
        assert assessment.grade_text == "待修正"
        return
    assert assessment.problems == ()
    result = assessment.result
    assert result is not None
    assert result.item_scores == [Decimal(x) for x in expect["item_scores"]]
    assert result.total == Decimal(expect["total"])
    assert result.grade == expect["grade"]
    assert list(result.vetoes) == expect.get("vetoes", [])
    if "grade_before_veto" in expect:
        assert result.score_grade == expect["grade_before_veto"]
    reasons = "\n".join(result.reasons())
    for fragment in expect.get("reasons_contain", []):
        assert fragment in reasons


def test_cases_cover_the_standard(standard: Standard) -> None:
    """Every rule deducted, every cap, every band edge and every veto appear in some case."""
    rules_used: set[str] = set()
    capped: set[int] = set()
    totals: set[Decimal] = set()
    vetoes: set[int] = set()
    grades: set[str] = set()
    for path in CASES:
        case = load_case(path)
        if "problems" in case["expect"]:
            continue
        result = assess_branch(standard, raw_inputs(case)).result
        assert result is not None
        rules_used |= {d.rule.id for d in result.deductions}
        capped |= {r.item.number for r in result.items if r.capped}
        totals.add(result.total)
        vetoes |= set(result.vetoes)
        grades.add(result.grade)
    assert rules_used == {rule.id for rule in standard.rules}
    # Only items 1 and 4 have rules whose maxima add up to more than the item's points.
    cappable = {
        item.number for item in standard.items if sum(r.max for r in item.rules) > item.points
    }
    assert cappable == {1, 4}
    assert capped == cappable
    edges = {Decimal(x) for x in ("59.5", "60", "79.5", "80", "89.5", "90", "100")}
    assert edges <= totals
    assert vetoes == {1, 2, 3}
    assert grades == {"好", "较好", "一般", "较差"}
