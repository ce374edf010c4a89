"""``branch-assess history``: several years of consolidation results side by side.

Input: the JSON reports of several years (``consolidate --json``), read and checked by
:func:`workbook.inputs.previous_year.read_previous_year`. Output: one workbook with

- 历年结果: one row per branch, per year its total, grade and rank;
- 历年等级分布: per year the number of branches of each grade;
- 历年失分: per item and year the average points lost (the item's points minus the mean item
  score, rounded half-up to 2 places), and one chart per item of its average loss per year.

Branches are matched by name only (a renamed branch shows as two rows).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from workbook.core.standard import Standard
from workbook.errors import ComparisonError
from workbook.inputs.previous_year import PreviousYear, read_previous_year

RESULTS_SHEET = "历年结果"
GRADES_SHEET = "历年等级分布"
LOSS_SHEET = "历年失分"
PROP_HISTORY = "kp_history"


@dataclass(frozen=True)
class ItemLoss:
    """One item's average loss per year (None for a year without branches)."""

    number: int
    heading: str
    points: Decimal
    losses: tuple[Decimal | None, ...]  # in year order


def read_years(paths: Sequence[str | Path], standard: Standard) -> list[PreviousYear]:
    """Read every JSON; sorted by year.

    Raises:
        ComparisonError: a file is not a usable JSON (named), or two files are of one year.
    """
    years = [read_previous_year(path, standard, None, command="history") for path in paths]
    seen: dict[int, str] = {}
    for year in years:
        if year.year in seen:
            raise ComparisonError(
                f"{seen[year.year]} 和 {year.source} 都是 {year.year} 年度的结果；每个年度只能给一个文件"
            )
        seen[year.year] = year.source
    return sorted(years, key=lambda y: y.year)


def item_losses(standard: Standard, years: Sequence[PreviousYear]) -> list[ItemLoss]:
    """The average loss of every item in every year."""
    from workbook.outputs.summary.writer import average

    losses: list[ItemLoss] = []
    for index, item in enumerate(standard.items):
        per_year: list[Decimal | None] = []
        for year in years:
            lost = [item.points - branch.item_scores[index] for branch in year.branches]
            per_year.append(average(lost))
        losses.append(ItemLoss(item.number, item.heading, item.points, tuple(per_year)))
    return losses


def branch_names(years: Sequence[PreviousYear]) -> list[str]:
    """Every branch: the latest year's in its order, then earlier years' others (latest first)."""
    names: list[str] = []
    seen: set[str] = set()
    for year in reversed(years):
        for branch in year.branches:
            if branch.name not in seen:
                seen.add(branch.name)
                names.append(branch.name)
    return names


def write_history(path: str | Path, standard: Standard, years: Sequence[PreviousYear]) -> Path:
    """Write the history workbook atomically (see the module docstring)."""
    import xlsxwriter

    from workbook.atomic import atomic_output
    from workbook.core import names as contract
    from workbook.inputs.consolidate import Consolidation
    from workbook.outputs.summary.writer import (
        BODY_FONT,
        TITLE_FONT,
        columns_pixels,
    )
    from workbook.outputs.summary.writer import Formats as _Formats
    from workbook.outputs.summary.writer import SheetWriter as _SheetWriter

    path = Path(path)
    labels = [f"{year.year}年" for year in years]
    title = f"{labels[0]}至{labels[-1]}{standard.association}党委支部（党员服务中心）规范化建设考评定级历年对比"
    with atomic_output(path) as temp:
        book = xlsxwriter.Workbook(
            str(temp),
            {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
        )
        book.set_properties(
            {
                "title": title,
                "subject": standard.title,
                "author": standard.issuer,
                "company": standard.association,
                "created": _dt.datetime(years[-1].year, 12, 31, tzinfo=_dt.UTC),
            }
        )
        # Marked like a summary: skipped as an input, replaced without --overwrite.
        book.set_custom_property(contract.PROP_SUMMARY, "1")
        book.set_custom_property(PROP_HISTORY, "1")
        w = _SheetWriter(book, _Formats(book), Consolidation(standard, years[-1].year), False)
        w.title = title
        f = w.formats

        # 历年结果
        columns: list[tuple[str, float]] = [("序号", 5), ("支部名称", 20)]
        for label in labels:
            columns += [(f"{label}得分", 8), (f"{label}等级", 7), (f"{label}排名", 7)]
        sheet, row = w.start(RESULTS_SHEET, "历年结果", columns)
        widths = [width for _, width in columns]
        by_year = [year.by_name() for year in years]
        for number, name in enumerate(branch_names(years), start=1):
            values: list[object] = [number, name]
            for branches in by_year:
                branch = branches.get(name)
                if branch is None:
                    values += [None, "—", None]
                else:
                    values += [branch.result.total, branch.result.grade, branch.result.rank]
            w.text_row(sheet, row, values, widths)
            for offset in range(len(years)):
                sheet.write_string(row, 3 + 3 * offset, str(values[3 + 3 * offset]), f.center)
            row += 1
        sheet.print_area(0, 0, row - 1, len(columns) - 1)

        # 历年等级分布
        grades = [g.name for g in standard.grades]
        columns = [("年度", 10), *((grade, 9) for grade in grades), ("合计", 9)]
        sheet, row = w.start(GRADES_SHEET, "历年等级分布", columns, landscape=False)
        for label, year in zip(labels, years, strict=True):
            counts = [sum(1 for b in year.branches if b.result.grade == g) for g in grades]
            w.text_row(sheet, row, [label, *counts, sum(counts)], [w for _, w in columns])
            row += 1
        sheet.print_area(0, 0, row - 1, len(columns) - 1)

        # 历年失分, with a chart per item
        columns = [("项目（平均失分）", 34), ("分值", 7), *((label, 12) for label in labels)]
        sheet, row = w.start(LOSS_SHEET, "历年各项目平均失分", columns)
        first = row
        for loss in item_losses(standard, years):
            values = [f"{loss.number}. {loss.heading}", loss.points, *loss.losses]
            w.text_row(sheet, row, values, [width for _, width in columns])
            row += 1
        header = first - 1
        row += 1
        note = (
            "说明：平均失分 = 该项目分值 − 当年各支部该项目得分的平均值（四舍五入保留两位小数）；"
            "按支部名称对应各年度，改名的支部按两个支部计。"
        )
        sheet.merge_range(row, 0, row, len(columns) - 1, note, f.note)
        sheet.set_row(row, 28)
        row += 2
        per_row = 2
        chart_width = columns_pixels(columns) // per_row - 10
        for index, item in enumerate(standard.items):
            chart = book.add_chart({"type": "column"})
            chart.add_series(
                {
                    "name": "平均失分",
                    "categories": [LOSS_SHEET, header, 2, header, 1 + len(years)],
                    "values": [LOSS_SHEET, first + index, 2, first + index, 1 + len(years)],
                    "data_labels": {"value": True},
                    "fill": {"color": "#C0504D"},
                }
            )
            chart.set_title(
                {
                    "name": f"{item.number}. {item.heading}",
                    "name_font": {"name": TITLE_FONT, "size": 10},
                }
            )
            chart.set_legend({"none": True})
            chart.set_x_axis({"num_font": {"name": BODY_FONT, "size": 8}})
            chart.set_y_axis({"min": 0, "num_format": "General"})
            chart.set_size({"width": chart_width, "height": 220})
            chart_row = row + (index // per_row) * 12
            x_offset = 5 + (index % per_row) * (chart_width + 10)
            sheet.insert_chart(chart_row, 0, chart, {"x_offset": x_offset, "y_offset": 5})
        last_row = row + ((len(standard.items) + per_row - 1) // per_row) * 12
        sheet.print_area(0, 0, last_row, len(columns) - 1)
        book.worksheets()[0].activate()
        book.close()
    return path
