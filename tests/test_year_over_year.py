"""Year over year: hand-worked grade movements in tests/year_cases, renames and their errors."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from workbook.core.standard import Standard
from workbook.core.year_over_year import YearResult, compare_years, parse_rename_rows
from workbook.errors import ComparisonError

CASES = sorted((Path(__file__).parent / "year_cases").glob("*.toml"))


def results(rows: list[dict]) -> dict[str, YearResult]:
    return {
        row["name"]: YearResult(Decimal(row["total"]) if "total" in row else None, row.get("grade"))
        for row in rows
    }


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path, standard: Standard) -> None:
    case = tomllib.loads(path.read_text("utf-8"))
    expect = case["expect"]
    comparison = compare_years(
        [g.name for g in standard.grades],
        results(case["previous"]),
        results(case["current"]),
        parse_rename_rows(case.get("renames", [])),
    )
    assert [list(row) for row in comparison.matrix] == expect["matrix"]
    assert list(comparison.new) == expect["new"]
    assert list(comparison.gone) == expect["gone"]
    assert list(comparison.unused_renames) == expect["unused_renames"]
    assert [m.branch for m in comparison.flagged] == expect["flagged"]
    assert {m.branch: m.previous_name for m in comparison.movements if m.renamed} == expect[
        "renamed"
    ]
    changes = {m.branch: m.change for m in comparison.movements if m.change is not None}
    assert changes == {name: Decimal(v) for name, v in expect["changes"].items()}
    levels = {m.branch: m.levels for m in comparison.movements if m.levels is not None}
    assert levels == expect["levels"]
    assert [m.branch for m in comparison.movements if m.levels is None] == expect["pending"]
    matrix_total = sum(sum(row) for row in comparison.matrix)
    assert matrix_total == len(comparison.movements) - len(expect["pending"])


def test_count_by_grade_names(standard: Standard) -> None:
    grades = [g.name for g in standard.grades]
    comparison = compare_years(
        grades,
        {"甲": YearResult(Decimal(85), "较好"), "乙": YearResult(Decimal(86), "较好")},
        {"甲": YearResult(Decimal(95), "好"), "乙": YearResult(Decimal(90), "好")},
    )
    assert comparison.count("较好", "好") == 2
    assert comparison.count("好", "较好") == 0
    assert comparison.flagged == ()


def test_flag_levels_is_configurable(standard: Standard) -> None:
    grades = [g.name for g in standard.grades]
    one_up = compare_years(
        grades,
        {"甲": YearResult(Decimal(85), "较好")},
        {"甲": YearResult(Decimal(95), "好")},
        {},
        1,
    )
    assert [m.branch for m in one_up.flagged] == ["甲"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["甲", ""]], "改名表 第1行：原名称和新名称都要填写"),
        ([["甲", "甲"]], "第1行：原名称与新名称相同（“甲”）"),
        ([["甲", "乙"], [], ["甲", "丙"]], "第3行：“甲”已在前面改名为“乙”"),
        ([["甲", "乙"], ["丙", "乙"]], "第2行：新名称“乙”已在第1行使用"),
        ([["甲", "乙", "丙"]], "第1行：只应有两列"),
    ],
)
def test_bad_rename_rows_are_named(rows: list, message: str) -> None:
    with pytest.raises(ComparisonError, match=message):
        parse_rename_rows(rows)


def test_rename_onto_an_existing_branch_is_an_error(standard: Standard) -> None:
    grades = [g.name for g in standard.grades]
    both = {"甲": YearResult(Decimal(90), "好"), "乙": YearResult(Decimal(90), "好")}
    with pytest.raises(ComparisonError, match="改名“甲”→“乙”：上年已有名为“乙”的支部"):
        compare_years(grades, both, {"乙": YearResult(Decimal(90), "好")}, {"甲": "乙"})
    # A swap is fine: each old name maps to the other's.
    swapped = compare_years(grades, both, both, {"甲": "乙", "乙": "甲"})
    assert {m.branch: m.previous_name for m in swapped.movements} == {"甲": "乙", "乙": "甲"}


def test_unknown_grade_is_an_error(standard: Standard) -> None:
    grades = [g.name for g in standard.grades]
    with pytest.raises(ComparisonError, match="上年“甲”的等级“优秀”不是本标准的等级"):
        compare_years(grades, {"甲": YearResult(Decimal(90), "优秀")}, {})
