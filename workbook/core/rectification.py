"""The content of a branch's rectification list (整改清单). Pure.

Every counted deduction (rule, points, the assessor's note) in rule order, then every veto
condition that applies (the grade was set by it), then every checklist entry answered 否, in checklist order. The 整改措施 / 责任人 / 完成时限 columns are left
for the branch to fill and belong to the sheet, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from workbook.core.checklist import ChecklistReport
from workbook.core.scoring import BranchResult


@dataclass(frozen=True)
class RectificationItem:
    """One line of the rectification list."""

    kind: Literal["deduction", "veto", "checklist"]
    key: str  # the rule id (7.1), the veto condition (否决（1）) or the checklist entry key (3.4)
    text: str  # the rule's wording or the entry's label
    points: Decimal | None  # the deduction; None for a checklist entry
    note: str  # the assessor's 扣分说明, or the checklist section's name


def rectification_items(
    result: BranchResult, checklist: ChecklistReport | None = None
) -> tuple[RectificationItem, ...]:
    """The rectification lines of one branch."""
    lines = [
        RectificationItem("deduction", d.rule.id, d.rule.wording, d.points, d.note)
        for d in result.deductions
    ]
    standard = result.standard
    lines += [
        RectificationItem(
            "veto",
            f"否决（{number}）",
            standard.vetoes[number - 1],
            None,
            f"等级直接定为“{standard.veto_grade}”",
        )
        for number in result.vetoes
    ]
    if checklist is not None:
        sections = {count.section.number: count.section.name for count in checklist.sections}
        lines += [
            RectificationItem(
                "checklist", entry.key, entry.label, None, sections[int(entry.key.split(".")[0])]
            )
            for entry in checklist.missing
        ]
    return tuple(lines)
