"""Year over year in the outputs: the 年度对比 sheet of the summary, the 上年 columns of 汇总,
and the ``previous`` keys of the JSON report.

The comparison itself is :func:`workbook.core.year_over_year.compare_years`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from workbook.core.layout import lines_needed
from workbook.core.standard import fmt
from workbook.core.year_over_year import (
    BranchMovement,
    YearComparison,
    YearResult,
    compare_years,
)
from workbook.inputs.consolidate import Consolidation
from workbook.inputs.previous_year import PreviousYear, check_previous_year
from workbook.outputs.json_report import json_number
from workbook.outputs.publication_sheet import branches_in_list_order

if TYPE_CHECKING:
    from workbook.outputs.summary.writer import SheetWriter as _SheetWriter

YEAR_SHEET = "年度对比"
FLAG_TEXT = "等级变化{levels}级，请复核"
NEW_TEXT = "新增（上年无此支部）"
PREVIOUS_COLUMNS: tuple[tuple[str, float], ...] = (
    ("上年得分", 7),
    ("上年等级", 6),
    ("上年排名", 6),
    ("变化", 7),
)


def compare_with_previous(
    consolidation: Consolidation, previous: PreviousYear, renames: Mapping[str, str] | None = None
) -> YearComparison:
    """This year's consolidation (in the order of the branch list) against last year's results.

    Raises:
        ComparisonError: last year is not before this year, or a rename does not fit.
    """
    if consolidation.year is not None:
        check_previous_year(previous.source, previous.year, consolidation.year)
    current = {
        entry.branch: YearResult(
            entry.result.total if entry.result else None,
            entry.result.grade if entry.result else None,
            entry.rank,
        )
        for entry in branches_in_list_order(consolidation)
    }
    return compare_years(
        [g.name for g in consolidation.standard.grades], previous.results(), current, renames
    )


def movement_text(movement: BranchMovement) -> str:
    """升1级 / 降2级 / 持平, or 待修正 when a grade is missing."""
    if movement.levels is None:
        return "待修正"
    if movement.levels > 0:
        return f"升{movement.levels}级"
    if movement.levels < 0:
        return f"降{-movement.levels}级"
    return "持平"


def change_text(change: Decimal | None) -> str:
    """+3 / -2.5 / 0 for the 变化 column (empty when a total is missing)."""
    if change is None:
        return ""
    return f"+{fmt(change)}" if change > 0 else fmt(change)


def movements_by_branch(comparison: YearComparison) -> dict[str, BranchMovement]:
    """This year's name -> its movement."""
    return {movement.branch: movement for movement in comparison.movements}


def previous_cells(movement: BranchMovement | None) -> list[Any]:
    """The 上年得分 / 上年等级 / 上年排名 / 变化 values of one branch in 汇总."""
    if movement is None:
        return [None, "新增", None, None]
    before = movement.previous
    return [before.total, before.grade or "", before.rank, change_text(movement.change)]


def write_year_sheet(w: _SheetWriter, comparison: YearComparison, previous: PreviousYear) -> None:
    """Add the 年度对比 sheet: every branch with both years, the grade-movement matrix, the
    new and the gone branches, and a chart of the totals of both years."""
    from workbook.outputs.summary.writer import BODY_FONT, TITLE_FONT, columns_pixels

    c = w.c
    f = w.formats
    last_year, this_year = f"{previous.year}年", f"{c.year}年" if c.year else "本年"
    columns: list[tuple[str, float]] = [
        ("序号", 5),
        ("支部名称", 18),
        ("上年名称（改名前）", 14),
        (f"{last_year}得分", 8),
        (f"{last_year}等级", 7),
        (f"{last_year}排名", 7),
        (f"{this_year}得分", 8),
        (f"{this_year}等级", 7),
        (f"{this_year}排名", 7),
        ("变化", 7),
        ("等级变动", 8),
        ("复核提示", 20),
    ]
    widths = [width for _, width in columns]
    last_col = len(columns) - 1
    sheet, row = w.start(YEAR_SHEET, f"年度对比（与{previous.year}年度）", columns)
    moves = movements_by_branch(comparison)
    first = row
    for number, entry in enumerate(branches_in_list_order(c), start=1):
        move = moves.get(entry.branch)
        result = entry.result
        values: list[Any] = [
            number,
            entry.branch,
            move.previous_name if move is not None and move.renamed else None,
            move.previous.total if move else None,
            move.previous.grade if move else None,
            move.previous.rank if move else None,
            result.total if result else None,
            result.grade if result else "待修正",
            entry.rank,
            (change_text(move.change) or None) if move else None,
            movement_text(move) if move else NEW_TEXT,
            FLAG_TEXT.format(levels=abs(move.levels or 0)) if move and move.flagged else None,
        ]
        w.text_row(sheet, row, values, widths)
        for col in (4, 7, 9, 10):
            if isinstance(values[col], str):
                sheet.write_string(row, col, values[col], f.center)
        if move is not None and move.flagged:
            sheet.write_string(row, 11, values[11], f.pending)
        row += 1
    last = row - 1
    row += 1

    # The grade-movement matrix: last year's grade (rows) -> this year's (columns).
    grades = comparison.grades
    sheet.merge_range(row, 0, row, last_col, "等级变动（支部数）", f.header)
    row += 1
    sheet.merge_range(row, 0, row, 2, f"{last_year}等级 ＼ {this_year}等级", f.header)
    for offset, grade in enumerate(grades):
        sheet.write_string(row, 3 + offset, grade, f.header)
    sheet.write_string(row, 3 + len(grades), "合计", f.header)
    row += 1
    for index, grade in enumerate(grades):
        sheet.merge_range(row, 0, row, 2, grade, f.center)
        counts = comparison.matrix[index]
        for offset, count in enumerate(counts):
            sheet.write_number(
                row, 3 + offset, count, f.bold_number if offset == index else f.center
            )
        sheet.write_number(row, 3 + len(grades), sum(counts), f.center)
        row += 1
    up = sum(1 for m in comparison.movements if (m.levels or 0) > 0)
    down = sum(1 for m in comparison.movements if (m.levels or 0) < 0)
    same = sum(1 for m in comparison.movements if m.levels == 0)
    summary_line = (
        f"两年均参加考评且均有等级的支部 {up + down + same} 个：升级 {up} 个，降级 {down} 个，持平 {same} 个；"
        f"等级变化 {comparison.flag_levels} 级及以上的 {len(comparison.flagged)} 个，请复核。"
    )
    sheet.merge_range(row, 0, row, last_col, summary_line, f.note)
    sheet.set_row(row, 20)
    row += 2

    # New and gone branches.
    for label, names in (
        (f"新增支部（{this_year}有、{last_year}无）", comparison.new),
        (f"撤销或未参加考评的支部（{last_year}有、{this_year}无）", comparison.gone),
    ):
        text = "、".join(names) if names else "无"
        sheet.merge_range(row, 0, row, 2, f"{label}：{len(names)} 个", f.header)
        sheet.merge_range(row, 3, row, last_col, text, f.text)

        sheet.set_row(row, max(20.0, lines_needed(text, sum(widths[3:])) * 14 + 4))
        row += 1
    renamed = [m for m in comparison.movements if m.renamed]
    if renamed:
        text = "；".join(f"{m.previous_name} → {m.branch}" for m in renamed)
        sheet.merge_range(row, 0, row, 2, f"改名的支部：{len(renamed)} 个", f.header)
        sheet.merge_range(row, 3, row, last_col, text, f.text)
        row += 1
    row += 1

    chart = w.book.add_chart({"type": "column"})
    for col, name, color in (
        (3, f"{last_year}得分", "#A5A5A5"),
        (6, f"{this_year}得分", "#4472C4"),
    ):
        chart.add_series(
            {
                "name": name,
                "categories": [YEAR_SHEET, first, 1, max(last, first), 1],
                "values": [YEAR_SHEET, first, col, max(last, first), col],
                "fill": {"color": color},
                "gap": 80,
            }
        )
    chart.set_title({"name": "两年总分对比", "name_font": {"name": TITLE_FONT, "size": 12}})
    chart.set_legend({"position": "top", "font": {"name": BODY_FONT}})
    chart.set_x_axis({"num_font": {"name": BODY_FONT, "size": 8, "rotation": -45}})
    chart.set_y_axis(
        {"min": 0, "max": float(c.standard.total_points), "major_gridlines": {"visible": True}}
    )
    chart.set_size({"width": columns_pixels(columns) - 10, "height": 340})
    sheet.insert_chart(row, 0, chart, {"x_offset": 5, "y_offset": 5})
    sheet.print_area(0, 0, row + 18, last_col)


def add_previous_to_json(
    data: dict[str, Any], comparison: YearComparison, previous: PreviousYear
) -> None:
    """Add ``previous`` to every branch of a JSON report (null for a new branch) and a top-level
    ``previous_year`` (see docs/consolidation.md)."""
    moves = movements_by_branch(comparison)
    for branch in data["branches"]:
        move = moves.get(branch["branch"])
        if move is None:
            branch["previous"] = None
            continue
        before = move.previous
        branch["previous"] = {
            "branch": move.previous_name,
            "total": None if before.total is None else json_number(before.total),
            "grade": before.grade,
            "rank": before.rank,
            "change": None if move.change is None else json_number(move.change),
            "levels": move.levels,
            "flagged": move.flagged,
        }
    data["previous_year"] = {
        "year": previous.year,
        "file": previous.source,
        "new": list(comparison.new),
        "gone": list(comparison.gone),
        "renamed": {m.previous_name: m.branch for m in comparison.movements if m.renamed},
        "matrix": {
            grade: dict(zip(comparison.grades, counts, strict=True))
            for grade, counts in zip(comparison.grades, comparison.matrix, strict=True)
        },
    }
