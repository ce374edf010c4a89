"""The construction checklist: hand-worked answer cases in tests/checklist_cases."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from workbook.core.checklist import check_checklist
from workbook.core.standard import Standard, load_standard_file

TESTS = Path(__file__).parent
CASES = sorted((TESTS / "checklist_cases").glob("*.toml"))


def load_case(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path, standard: Standard) -> None:
    checklist = standard.checklist
    assert checklist is not None
    case = load_case(path)
    answers: dict[str, object] = {entry.key: case["default"] for entry in checklist.entries}
    answers.update(case["answers"])
    report = check_checklist(checklist, answers, case["scopes"])
    expect = case["expect"]
    assert [p.key for p in report.problems] == expect["problems"]
    messages = "\n".join(p.message for p in report.problems)
    for fragment in expect.get("message_contains", []):
        assert fragment in messages
    rules = {hint.rule_id for hint in report.hints}
    assert {rule: list(report.hints_for(rule)) for rule in rules} == expect["hints"]
    assert [[c.met, c.applicable] for c in report.sections] == expect["counts"]
    assert [e.key for e in report.missing] == expect["missing"]
    assert report.met == sum(c[0] for c in expect["counts"])


def test_hints_never_touch_a_score(standard: Standard) -> None:
    """The report carries texts and counts only: nothing a scorer could add up."""
    from dataclasses import fields

    from workbook.core.checklist import ChecklistHint

    assert {f.name for f in fields(ChecklistHint)} == {"rule_id", "hint", "entries", "text"}


def test_unknown_entry_or_scope_is_a_callers_mistake(standard: Standard) -> None:
    assert standard.checklist is not None
    with pytest.raises(ValueError, match="unknown checklist entries"):
        check_checklist(standard.checklist, {"9.9": "是"})
    with pytest.raises(ValueError, match="unknown scopes"):
        check_checklist(standard.checklist, {}, ["分会"])


def test_synthetic_checklist(standard: Standard) -> None:
    """Other yes/no words, a custom hint text and a choice of 2 of 3."""
    synthetic = load_standard_file(TESTS / "data" / "standard-synthetic.toml")
    assert synthetic.checklist is not None
    report = check_checklist(
        synthetic.checklist, {"1.1": "无", "1.2": "有", "2.1": "有", "2.2": "无", "2.3": "无"}
    )
    assert report.hints_for("2.1") == ("自查表缺项：活动室（无活动室，见“未设服务窗口”）",)
    assert report.hints_for("1.2") == (
        "自查表：至少公开两项制度，实有 1 项（组织生活不规范的扣0.5-4分）",
    )
    assert [[c.met, c.applicable] for c in report.sections] == [[1, 2], [1, 3]]
