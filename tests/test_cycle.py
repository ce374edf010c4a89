"""Self-assessment against the committee's, and the rectification list's content."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workbook.core.checklist import check_checklist
from workbook.core.rectification import rectification_items
from workbook.core.scoring import score_branch
from workbook.core.self_assessment import compare_self
from workbook.core.standard import Standard

D = Decimal


def test_self_higher_than_committee_is_flagged(standard: Standard) -> None:
    own = score_branch(standard, {"7.1": D(2)})  # 98, 好
    committee = score_branch(standard, {"4.2": D(2), "7.1": D(8.5)})  # 89.5, 较好
    comparison = compare_self(own, committee)
    assert comparison.difference == D("8.5")
    assert comparison.item_differences == (0, 0, 0, 2, 0, 0, D("6.5"))
    assert comparison.too_high
    assert comparison.flag_text == "自评偏高（高 8.5 分）"
    assert comparison.grade == "较好"  # the committee's grade is the grade of record


@pytest.mark.parametrize(("own", "flagged"), [("5", False), ("5.5", True)])
def test_self_threshold_is_strictly_above(standard: Standard, own: str, flagged: bool) -> None:
    committee = score_branch(standard, {"7.1": D(10)})  # 90
    self_result = score_branch(standard, {"7.1": D(10) - D(own)})  # 95 or 95.5
    assert compare_self(self_result, committee).too_high is flagged
    assert compare_self(self_result, committee, D(6)).too_high is False


def test_self_lower_is_not_flagged(standard: Standard) -> None:
    comparison = compare_self(score_branch(standard, {"7.1": D(20)}), score_branch(standard, {}))
    assert comparison.difference == -20
    assert not comparison.too_high
    assert comparison.flag_text == ""


def test_rectification_content(standard: Standard) -> None:
    """Deductions in rule order with notes, then the checklist entries answered 否."""
    result = score_branch(
        standard,
        {"7.1": D("1.5"), "1.2": D(1), "4.2": D(2)},
        notes={"1.2": "发展党员材料不全", "7.1": "按群众测评：满意率 93.2%（有效票 48）"},
    )
    assert standard.checklist is not None
    answers: dict[str, object] = {e.key: "是" for e in standard.checklist.entries}
    answers.update({"3.4": "否", "4.3": "否", "2.4": "否"})  # 2.4 applies to 分会支部 only
    report = check_checklist(standard.checklist, answers)
    lines = [(i.kind, i.key, i.text, i.points, i.note) for i in rectification_items(result, report)]
    assert lines == [
        ("deduction", "1.2", "发展党员工作不规范的扣1-3分", 1, "发展党员材料不全"),
        ("deduction", "4.2", "活动场所设施不全的扣1-3分", 2, ""),
        (
            "deduction",
            "7.1",
            "根据群众测评结果酌情扣分",
            D("1.5"),
            "按群众测评：满意率 93.2%（有效票 48）",
        ),
        ("checklist", "3.4", "一台工作电脑", None, "建立标准化活动场所"),
        ("checklist", "4.3", "微博", None, "搭建党员活动载体"),
    ]
    assert rectification_items(score_branch(standard, {})) == ()
