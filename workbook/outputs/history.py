"""``branch-assess history``: several years of consolidation results side by side.

Input: the JSON reports of several years (``consolidate --json``), read and checked by
:func:`workbook.inputs.previous_year.read_previous_year`. Output: one workbook with

- 历年结果: one row per branch, per year its total, grade and rank;
- 历年等级分布: per year the number of branches of each grade;
- 历年失分: per item and year the average points lost (the item's points minus the mean item
  score, rounded half-up to 2 places), and one chart per item of its average loss per year.

Branches are matched by name; with a rename map (``--rename-map``, the reader and the rules of
``consolidate --previous``) an earlier year's branch is shown under its latest name, following
chains (甲→乙 one year, 乙→丙 the next); without one a renamed branch shows as two rows.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from workbook.core.names import PROP_HISTORY
from workbook.core.standard import Standard
from workbook.errors import ComparisonError
from workbook.inputs.previous_year import PreviousYear, read_previous_year

RESULTS_SHEET = "历年结果"
GRADES_SHEET = "历年等级分布"
LOSS_SHEET = "历年失分"
ROWS_PER_CHART = 12  # a 220 px chart in rows of the default 15 pt height
CHART_ROWS_PER_PAGE = 2  # 2 x 180 pt, under the repeated title rows, on A4 landscape


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


def latest_name(name: str, renames: Mapping[str, str]) -> str:
    """``name`` after every rename of the map (甲→乙, 乙→丙: 甲 is 丙).

    Raises:
        ComparisonError: the map renames in a circle (甲→乙, 乙→甲).
    """
    chain = [name]
    while chain[-1] in renames:
        new = renames[chain[-1]]
        if new in chain:
            circle = "→".join(f"“{n}”" for n in [*chain[chain.index(new) :], new])
            raise ComparisonError(f"改名表中的改名首尾相接成环：{circle}；请删去其中一行")
        chain.append(new)
    return chain[-1]


def apply_renames(
    years: Sequence[PreviousYear], renames: Mapping[str, str]
) -> tuple[list[PreviousYear], list[str]]:
    """Every year's branches under their latest names, and notices of the map's unused lines.

    The caller has refused a map that renames a branch of the latest year
    (``refuse_renaming_current``), as ``consolidate --previous`` does.

    Raises:
        ComparisonError: a circle of renames; a rename onto a name the year already has for
            another branch (two branches would share one row).
    """
    if not renames:
        return list(years), []
    renamed: list[PreviousYear] = []
    problems: list[str] = []
    for year in years:
        branches = []
        owner: dict[str, str] = {}
        for branch in year.branches:
            new = latest_name(branch.name, renames)
            if new in owner:
                old = branch.name if owner[new] == new else owner[new]
                problems.append(
                    f"改名“{old}”→“{new}”：{year.year} 年度已有名为“{new}”的支部（{year.source}）"
                )
            owner[new] = branch.name
            branches.append(dataclasses.replace(branch, name=new))
        renamed.append(dataclasses.replace(year, branches=tuple(branches)))
    if problems:
        raise ComparisonError("；".join(problems))
    every_name = {branch.name for year in years for branch in year.branches}
    latest = years[-1]
    latest_names = {branch.name for branch in latest.branches}
    notices = [
        f"改名表中的原名称“{old}”不在任何年度的结果中，该行未使用"
        for old in renames
        if old not in every_name
    ]
    notices += [
        f"改名表中的新名称“{latest_name(old, renames)}”不在最新年度（{latest.year} 年）的支部中"
        f"（原名称“{old}”）"
        for old in renames
        if old in every_name and latest_name(old, renames) not in latest_names
    ]
    return renamed, notices


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


def history_title(standard: Standard, first: str, last: str) -> str:
    """The workbook's title: the standard's summary title (TOML ``summary_title``, default
    association + 考评定级汇总表) with 历年对比 for 汇总表, after the span of years, e.g.
    ``2024年至2026年…考评定级历年对比``."""
    summary = standard.summary_title_for(None)
    return f"{first}至{last}{summary.removesuffix('汇总表')}历年对比"


def write_history(
    path: str | Path,
    standard: Standard,
    years: Sequence[PreviousYear],
    *,
    renamed: bool = False,
) -> Path:
    """Write the history workbook atomically (see the module docstring); ``renamed``: the years
    went through a rename map (the 历年失分 sheet's note says so)."""
    import xlsxwriter

    from workbook.atomic import atomic_output
    from workbook.core import names as contract
    from workbook.core.layout import lines_needed
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
    title = history_title(standard, labels[0], labels[-1])
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
            + (
                "按支部名称对应各年度，改名的支部按改名表对应到最新年度的名称。"
                if renamed
                else "按支部名称对应各年度，改名的支部按两个支部计。"
            )
        )
        sheet.merge_range(row, 0, row, len(columns) - 1, note, f.note)
        sheet.set_row(row, lines_needed(note, sum(width for _, width in columns)) * 14 + 4)
        row += 2
        per_row = 2
        # The charts start on a page of their own, CHART_ROWS_PER_PAGE rows of charts a page:
        # a chart is never cut by a page break (the repeated title rows take the rest).
        chart_rows = (len(standard.items) + per_row - 1) // per_row
        sheet.set_h_pagebreaks(
            [
                row + page * CHART_ROWS_PER_PAGE * ROWS_PER_CHART
                for page in range((chart_rows + CHART_ROWS_PER_PAGE - 1) // CHART_ROWS_PER_PAGE)
            ]
        )
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
            chart_row = row + (index // per_row) * ROWS_PER_CHART
            x_offset = 5 + (index % per_row) * (chart_width + 10)
            sheet.insert_chart(chart_row, 0, chart, {"x_offset": x_offset, "y_offset": 5})
        last_row = row + chart_rows * ROWS_PER_CHART
        sheet.print_area(0, 0, last_row, len(columns) - 1)
        book.worksheets()[0].activate()
        book.close()
    return path
