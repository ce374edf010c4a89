"""The 扣分明细 sheet: every deduction, cap and veto of every branch."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from workbook.core.standard import fmt
from workbook.inputs.consolidate import Consolidation
from workbook.outputs.summary.writer import (
    DETAIL_SHEET,
    SheetWriter,
    header_row,
)


def write_detail_sheet(w: SheetWriter) -> None:
    columns = [
        ("排名", 5),
        ("支部名称", 18),
        ("项目", 17),
        ("规则", 6),
        ("评分办法（原文）", 38),
        ("扣分", 7),
        ("扣分说明", 34),
    ]
    sheet, row = w.table(
        DETAIL_SHEET, "扣分明细", columns, _detail_rows(w.c), empty="没有任何扣分。"
    )
    sheet.print_area(0, 0, row - 1, len(columns) - 1)
    sheet.autofilter(header_row(w), 0, max(row - 1, header_row(w)), len(columns) - 1)


def _detail_rows(c: Consolidation) -> Iterator[list[Any]]:
    """Every counted deduction, and a 注（1） row where an item's cap cut its deductions."""
    for entry in c.branches:
        result = entry.result
        if result is None:
            continue
        if entry.combined is not None:  # several assessors: who made which deduction
            for who, d in entry.combined.deductions_by_assessor():
                heading = result.items[d.rule.item_number - 1].item.heading
                note = f"（考评人 {who}）{d.note}"
                yield [
                    entry.rank,
                    entry.branch,
                    heading,
                    d.rule.id,
                    d.rule.wording,
                    d.points,
                    note,
                ]
            # The assessors' deductions are not added up: the branch lost the mean. One row
            # makes the branch's rows add up to what it lost, as the 注（1） row of a cap does.
            listed = sum((d.points for _, d in entry.combined.deductions_by_assessor()), Decimal(0))
            lost = sum((item.lost for item in result.items), Decimal(0))
            if listed != lost:
                counted = len(entry.combined.counted)
                yield [
                    entry.rank,
                    entry.branch,
                    "",
                    "注（2）",
                    f"多人考评按平均计分：以上为 {len(entry.combined.assessors)} 位考评人各自的扣分，"
                    f"合计 {fmt(listed)} 分；各项得分取计入平均的 {counted} 位考评人的平均，"
                    f"各项平均失分合计 {fmt(lost)} 分",
                    lost - listed,
                    f"按平均核减 {fmt(listed - lost)} 分",
                ]
            continue
        for item in result.items:
            for d in item.deductions:
                yield [
                    entry.rank,
                    entry.branch,
                    item.item.heading,
                    d.rule.id,
                    d.rule.wording,
                    d.points,
                    d.note,
                ]
            if item.capped:
                cut = item.deducted - item.item.points
                yield [
                    entry.rank,
                    entry.branch,
                    item.item.heading,
                    "注（1）",
                    f"扣分以该项目分值为限：本项扣分合计 {fmt(item.deducted)} 分，"
                    f"超过分值 {fmt(item.item.points)} 分，按 {fmt(item.item.points)} 分计",
                    -cut,
                    f"封顶核减 {fmt(cut)} 分，本项得 0 分",
                ]
