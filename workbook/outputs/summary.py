"""The summary workbook for the county organization department (县委组织部).

Written with XlsxWriter from a :class:`~workbook.inputs.consolidate.Consolidation`: values only (no
formulas, no UDFs), every text taken from an input written as text, print-ready sheets
(A4 landscape, one page wide, header rows repeated). The same consolidation gives a
byte-identical file (fixed document dates).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from workbook.atomic import atomic_output
from workbook.core import names
from workbook.core.standard import Standard, fmt
from workbook.core.workdays import PublicationTexts, undated_publication_texts
from workbook.core.year_over_year import YearComparison
from workbook.inputs.consolidate import BranchEntry, Consolidation
from workbook.inputs.previous_year import PreviousYear
from workbook.outputs.publication_sheet import write_publication_sheet
from workbook.outputs.rectification import write_rectification_sheet
from workbook.outputs.template import lines_needed
from workbook.outputs.year_sheet import (
    PREVIOUS_COLUMNS,
    movements_by_branch,
    previous_cells,
    write_year_sheet,
)
from workbook.xlsx.safe_text import SafeTextWorksheet

DRAFT_MARK = "草稿（含待修正项）"
SUMMARY_SHEET = "汇总"
GRADES_SHEET = "等级分布"
LOSS_SHEET = "失分分析"
DETAIL_SHEET = "扣分明细"
VETO_SHEET = "否决情形"
SOURCES_SHEET = "来源"
PROBLEMS_SHEET = "待修正项"
MAX_MAIN_DEDUCTIONS = 2  # 主要扣分 lists the largest deductions, then “等 N 条”
AVERAGE_PLACES = Decimal("0.01")

TITLE_FONT = "黑体"
BODY_FONT = "仿宋"
LINE_HEIGHT = 14.0


def summary_title(standard: Standard, year: int | None, draft: bool = False) -> str:
    """The workbook's title, e.g. ``2026年度安吉县个体民营企业协会党委支部…考评定级汇总表``."""
    year_text = f"{year}年度" if year else ""
    title = f"{year_text}{standard.association}党委支部（党员服务中心）规范化建设考评定级汇总表"
    return f"{DRAFT_MARK}　{title}" if draft else title


def average(values: Sequence[Decimal]) -> Decimal | None:
    """The mean rounded half-up to 2 places (None for no values)."""
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(AVERAGE_PLACES, ROUND_HALF_UP)


def share(part: int | Decimal, whole: int | Decimal) -> Decimal:
    """``part / whole`` as a fraction rounded half-up to 4 places (shown as 0.0%)."""
    if not whole:
        return Decimal(0)
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def main_deductions(entry: BranchEntry) -> str:
    """The 主要扣分 text: the largest deductions with rule id and wording, caps and vetoes."""
    result = entry.result
    if result is None:
        return "输入有误，待修正（见“待修正项”）"
    parts: list[str] = []
    ordered = sorted(result.deductions, key=lambda d: -d.points)
    for d in ordered[:MAX_MAIN_DEDUCTIONS]:
        parts.append(f"{d.rule.id} {d.rule.wording}（扣{fmt(d.points)}分）")
    if len(ordered) > MAX_MAIN_DEDUCTIONS:
        parts.append(f"等 {len(ordered)} 条")
    for item in result.items:
        if item.capped:
            parts.append(f"第{item.item.number}项扣分合计{fmt(item.deducted)}分，扣完为止")
    if result.vetoes:
        parts.append("有否决情形，直接定为“" + result.standard.veto_grade + "”")
    return "；".join(parts) if parts else "无扣分"


class _Formats:
    def __init__(self, book: Workbook) -> None:
        base = {"font_name": BODY_FONT, "font_size": 10, "valign": "vcenter", "text_wrap": True}
        boxed = {**base, "border": 1}
        self.title = book.add_format(
            {
                "font_name": TITLE_FONT,
                "font_size": 16,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
            }
        )
        self.subtitle = book.add_format({**base, "align": "center"})
        self.draft = book.add_format(
            {**base, "align": "center", "bold": True, "font_color": "#C00000", "font_size": 12}
        )
        self.header = book.add_format(
            {**boxed, "font_name": TITLE_FONT, "align": "center", "bg_color": "#F2F2F2"}
        )
        self.text = book.add_format({**boxed, "align": "left"})
        self.center = book.add_format({**boxed, "align": "center"})
        self.number = book.add_format({**boxed, "align": "center", "num_format": "General"})
        self.bold_number = book.add_format(
            {**boxed, "align": "center", "bold": True, "num_format": "General"}
        )
        self.percent = book.add_format({**boxed, "align": "center", "num_format": "0.0%"})
        self.footer_label = book.add_format(
            {**boxed, "align": "center", "bold": True, "bg_color": "#F2F2F2"}
        )
        self.footer_number = book.add_format(
            {**boxed, "align": "center", "bold": True, "bg_color": "#F2F2F2", "num_format": "0.00"}
        )
        self.footer_general = book.add_format(
            {
                **boxed,
                "align": "center",
                "bold": True,
                "bg_color": "#F2F2F2",
                "num_format": "General",
            }
        )
        self.note = book.add_format({**base, "align": "left", "valign": "top", "font_size": 9})
        self.pending = book.add_format({**boxed, "align": "center", "font_color": "#C00000"})
        self.mono = book.add_format({**boxed, "align": "left", "font_name": "Consolas"})


def columns_pixels(columns: Sequence[tuple[str, float]]) -> int:
    """Total width in pixels of columns given in character units (Calibri 11 metrics)."""
    return sum(int(width * 7 + 0.5) + 5 for _, width in columns)


def _number(sheet: Worksheet, row: int, col: int, value: Decimal | None, fmt_: Any) -> None:
    if value is None:
        sheet.write_blank(row, col, None, fmt_)
    else:
        sheet.write_number(row, col, float(value), fmt_)


class _SheetWriter:
    """Shared layout of every sheet: title rows, header row, print setup, draft marks."""

    def __init__(
        self,
        book: Workbook,
        formats: _Formats,
        consolidation: Consolidation,
        draft: bool,
    ) -> None:
        self.book = book
        self.formats = formats
        self.c = consolidation
        self.draft = draft
        self.title = summary_title(consolidation.standard, consolidation.year, draft)

    def start(
        self, name: str, caption: str, columns: Sequence[tuple[str, float]], landscape: bool = True
    ) -> tuple[Worksheet, int]:
        """Add a sheet with the title, a caption, and the header; returns (sheet, first data row)."""
        sheet = self.book.add_worksheet(name, worksheet_class=SafeTextWorksheet)
        last = len(columns) - 1
        for col, (_, width) in enumerate(columns):
            sheet.set_column(col, col, width)
        row = 0
        if self.draft:
            sheet.merge_range(
                row, 0, row, last, f"{DRAFT_MARK}：仅供核对，不作正式上报", self.formats.draft
            )
            sheet.set_row(row, 20)
            row += 1
        title = f"{self.title}　{caption}" if caption else self.title
        sheet.merge_range(row, 0, row, last, title, self.formats.title)
        total_width = sum(width for _, width in columns)
        # The 16 pt title is about 1.5 times as wide as body text.
        sheet.set_row(row, max(30.0, lines_needed(title, total_width / 1.5) * 22 + 6))
        row += 1
        standard = self.c.standard
        sheet.merge_range(
            row,
            0,
            row,
            last,
            f"依据：{standard.document}附件《{standard.title}》",
            self.formats.subtitle,
        )
        sheet.set_row(row, 18)
        row += 1
        header_row = row
        header_lines = 1
        for col, (header, width) in enumerate(columns):
            sheet.write_string(row, col, header, self.formats.header)
            header_lines = max(header_lines, lines_needed(header, width))
        sheet.set_row(row, header_lines * LINE_HEIGHT + 6)
        if landscape:
            sheet.set_landscape()
        sheet.set_paper(9)
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(0, header_row)
        sheet.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
        sheet.center_horizontally()
        if self.draft:
            sheet.set_header(f'&C&"{BODY_FONT}"&12&KC00000{DRAFT_MARK}')
        sheet.set_footer(f'&C&"{BODY_FONT}"&9{name}　第 &P 页，共 &N 页')
        sheet.freeze_panes(header_row + 1, 0)
        return sheet, header_row + 1

    def table(
        self,
        name: str,
        caption: str,
        columns: Sequence[tuple[str, float]],
        rows: Iterable[Sequence[Any]],
        empty: str | None = None,
    ) -> tuple[Worksheet, int]:
        """A sheet (see ``start``) with one ``text_row`` per row; ``empty`` is written across
        the table when there are no rows. Returns the sheet and the row after the table."""
        sheet, row = self.start(name, caption, columns)
        widths = [width for _, width in columns]
        first = row
        for values in rows:
            self.text_row(sheet, row, values, widths)
            row += 1
        if row == first and empty is not None:
            sheet.merge_range(row, 0, row, len(columns) - 1, empty, self.formats.text)
            row += 1
        return sheet, row

    def text_row(
        self, sheet: Worksheet, row: int, values: Sequence[Any], widths: Sequence[float]
    ) -> None:
        """Write a row of strings/numbers with the boxed formats and fit its height."""
        lines = 1
        for col, value in enumerate(values):
            if isinstance(value, Decimal):
                _number(sheet, row, col, value, self.formats.number)
            elif isinstance(value, int) and not isinstance(value, bool):
                sheet.write_number(row, col, value, self.formats.number)
            elif value is None:
                sheet.write_blank(row, col, None, self.formats.center)
            else:
                sheet.write_string(row, col, str(value), self.formats.text)
                lines = max(lines, lines_needed(str(value), widths[col]))
        sheet.set_row(row, lines * LINE_HEIGHT + 4)


def _write_summary_sheet(w: _SheetWriter, comparison: YearComparison | None = None) -> None:
    c = w.c
    f = w.formats
    standard = c.standard
    columns: list[tuple[str, float]] = [("序号", 5), ("支部名称", 18)]
    columns += [(item.heading, 9) for item in standard.items]
    columns += [
        (f"总分（{fmt(standard.total_points)}分）", 8),
        ("否决情形", 8),
        ("等级", 6),
        ("排名", 5),
    ]
    if comparison is not None:
        columns += PREVIOUS_COLUMNS
        moves = movements_by_branch(comparison)
    columns += [("主要扣分", 58)]
    widths = [width for _, width in columns]
    sheet, row = w.start(SUMMARY_SHEET, "", columns)
    col_total = 2 + len(standard.items)
    for number, entry in enumerate(c.branches, start=1):
        main = main_deductions(entry)
        sheet.write_number(row, 0, number, f.center)
        sheet.write_string(row, 1, entry.branch, f.text)
        scores = entry.result.item_scores if entry.result else entry.assessment.item_scores
        for offset, score in enumerate(scores):
            if score is None:
                sheet.write_string(row, 2 + offset, "输入有误", f.pending)
            else:
                _number(sheet, row, 2 + offset, score, f.number)
        if entry.result is not None:
            _number(sheet, row, col_total, entry.result.total, f.bold_number)
            vetoes = "、".join(f"（{n}）" for n in entry.result.vetoes) or "无"
            sheet.write_string(row, col_total + 1, vetoes, f.center)
            sheet.write_string(row, col_total + 2, entry.result.grade, f.center)
            sheet.write_number(row, col_total + 3, entry.rank or 0, f.center)
        else:
            sheet.write_string(row, col_total, "待修正", f.pending)
            sheet.write_string(row, col_total + 1, "待修正", f.pending)
            sheet.write_string(row, col_total + 2, "待修正", f.pending)
            sheet.write_blank(row, col_total + 3, None, f.center)
        col_main = col_total + 4
        if comparison is not None:
            for offset, value in enumerate(previous_cells(moves.get(entry.branch))):
                if isinstance(value, str):
                    sheet.write_string(row, col_main + offset, value, f.center)
                elif value is None:
                    sheet.write_blank(row, col_main + offset, None, f.center)
                else:
                    _number(sheet, row, col_main + offset, Decimal(value), f.number)
            col_main += len(PREVIOUS_COLUMNS)
        sheet.write_string(row, col_main, main, f.text)
        lines = max(lines_needed(main, widths[-1]), lines_needed(entry.branch, widths[1]))
        sheet.set_row(row, lines * LINE_HEIGHT + 4)
        row += 1
    scored = c.scored
    # 合计 and 平均 over the branches with a result.
    for label, pick, number_format in (
        ("合计", _sum, f.footer_general),
        ("平均", average, f.footer_number),
    ):
        sheet.merge_range(row, 0, row, 1, f"{label}（{len(scored)}个支部）", f.footer_label)
        for offset in range(len(standard.items)):
            value = pick([e.result.item_scores[offset] for e in scored])  # type: ignore[union-attr]
            _number(sheet, row, 2 + offset, value, number_format)
        _number(sheet, row, col_total, pick([e.result.total for e in scored]), number_format)  # type: ignore[union-attr]
        sheet.merge_range(row, col_total + 1, row, len(columns) - 1, "", f.footer_label)
        sheet.set_row(row, 20)
        row += 1
    row += 1
    notes = [
        f"说明：1. 各项得分、总分和等级均按各支部考评定级表的输入重新计算，依据{standard.document}附件；"
        f"{standard.note_1}",
        "2. 定级："
        + "，".join(g.wording for g in standard.grades)
        + "（89.5 分为“较好”，59.5 分为“较差”）；"
        + standard.note_2,
        "3. 排名：按总分从高到低，总分相同名次相同（如 1、2、2、4）；有否决情形的支部不论得分多少排在其他支部之后，"
        "相互之间按否决前得分排列。平均分保留两位小数（四舍五入）。",
    ]
    total_width = sum(widths)
    for note in notes:
        sheet.merge_range(row, 0, row, len(columns) - 1, note, f.note)
        sheet.set_row(row, lines_needed(note, total_width) * 12 + 4)
        row += 1
    sheet.print_area(0, 0, row - 1, len(columns) - 1)


def _sum(values: Sequence[Decimal]) -> Decimal | None:
    return sum(values, Decimal(0)) if values else None


def _write_grades_sheet(w: _SheetWriter) -> None:
    c = w.c
    f = w.formats
    columns = [
        ("等级", 10),
        ("分数段", 26),
        ("支部数", 10),
        ("占比", 10),
        ("其中因否决情形定级", 18),
    ]
    sheet, row = w.start(GRADES_SHEET, "等级分布", columns, landscape=False)
    first = row
    scored = c.scored
    for grade in c.standard.grades:
        count = sum(1 for e in scored if e.result and e.result.grade == grade.name)
        vetoed = sum(
            1 for e in scored if e.result and e.result.grade == grade.name and e.result.vetoes
        )
        sheet.write_string(row, 0, grade.name, f.center)
        sheet.write_string(row, 1, grade.wording, f.text)
        sheet.write_number(row, 2, count, f.center)
        sheet.write_number(row, 3, float(share(count, len(scored))), f.percent)
        sheet.write_number(row, 4, vetoed, f.center)
        sheet.set_row(row, 20)
        row += 1
    last = row - 1
    sheet.write_string(row, 0, "合计", f.footer_label)
    sheet.write_string(row, 1, "", f.footer_label)
    sheet.write_number(row, 2, len(scored), f.footer_label)
    sheet.write_number(row, 3, 1.0 if scored else 0.0, f.percent)
    sheet.write_number(row, 4, sum(1 for e in scored if e.vetoed), f.footer_label)
    row += 1
    pending = len(c.branches) - len(scored)
    if pending:
        sheet.merge_range(
            row, 0, row, 4, f"另有 {pending} 个支部输入有误，待修正，未计入。", f.note
        )
        row += 1
    chart = w.book.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": "支部数",
            "categories": [GRADES_SHEET, first, 0, last, 0],
            "values": [GRADES_SHEET, first, 2, last, 2],
            "data_labels": {"value": True},
            "fill": {"color": "#4472C4"},
        }
    )
    chart.set_title({"name": "各等级支部数", "name_font": {"name": TITLE_FONT, "size": 12}})
    chart.set_legend({"none": True})
    chart.set_x_axis({"num_font": {"name": BODY_FONT}})
    chart.set_y_axis({"min": 0, "major_gridlines": {"visible": True}, "num_format": "0"})
    chart.set_size({"width": columns_pixels(columns) - 10, "height": 300})
    sheet.insert_chart(row + 1, 0, chart, {"x_offset": 5, "y_offset": 5})
    sheet.print_area(0, 0, row + 17, len(columns) - 1)
    sheet.fit_to_pages(1, 1)


def _write_loss_sheet(w: _SheetWriter) -> None:
    c = w.c
    f = w.formats
    columns = [
        ("项目", 26),
        ("分值", 7),
        ("平均得分", 9),
        ("平均失分", 9),
        ("失分率", 9),
        ("失分支部数", 9),
        ("失分支部占比", 9),
        ("扣完（得0分）支部数", 11),
    ]
    sheet, row = w.start(LOSS_SHEET, "失分分析", columns)
    first = row
    scored = [e.result for e in c.scored if e.result is not None]
    for index, item in enumerate(c.standard.items):
        scores = [r.item_scores[index] for r in scored]
        avg = average(scores)
        lost = [item.points - s for s in scores]
        avg_lost = average(lost)
        losing = sum(1 for value in lost if value > 0)
        zeroed = sum(1 for s in scores if s == 0)
        lost_share = (
            share(sum(lost, Decimal(0)), item.points * len(scored)) if scored else Decimal(0)
        )
        sheet.write_string(row, 0, f"{item.number}. {item.heading}", f.text)
        _number(sheet, row, 1, item.points, f.number)
        _number(sheet, row, 2, avg, f.number)
        _number(sheet, row, 3, avg_lost, f.number)
        sheet.write_number(row, 4, float(lost_share), f.percent)
        sheet.write_number(row, 5, losing, f.center)
        sheet.write_number(row, 6, float(share(losing, len(scored))), f.percent)
        sheet.write_number(row, 7, zeroed, f.center)
        sheet.set_row(row, max(20, lines_needed(item.heading, 24) * LINE_HEIGHT + 4))
        row += 1
    last = row - 1
    row += 1
    note = (
        "说明：失分率 = 各支部在该项目失分之和 ÷（该项目分值 × 支部数），失分率越高说明该项目越薄弱；"
        f"统计 {len(scored)} 个支部，平均分保留两位小数。"
    )
    sheet.merge_range(row, 0, row, len(columns) - 1, note, f.note)
    sheet.set_row(row, 28)
    chart = w.book.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": "失分率",
            "categories": [LOSS_SHEET, first, 0, last, 0],
            "values": [LOSS_SHEET, first, 4, last, 4],
            "data_labels": {"value": True, "num_format": "0.0%"},
            "fill": {"color": "#C0504D"},
        }
    )
    chart.set_title({"name": "各项目失分率", "name_font": {"name": TITLE_FONT, "size": 12}})
    chart.set_legend({"none": True})
    chart.set_x_axis({"num_format": "0%", "min": 0, "major_gridlines": {"visible": True}})
    chart.set_y_axis({"reverse": True, "num_font": {"name": BODY_FONT, "size": 9}})
    chart.set_size({"width": columns_pixels(columns) - 10, "height": 320})
    sheet.insert_chart(row + 2, 0, chart, {"x_offset": 5, "y_offset": 5})
    sheet.print_area(0, 0, row + 19, len(columns) - 1)
    sheet.fit_to_pages(1, 1)


def _write_detail_sheet(w: _SheetWriter) -> None:
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
    sheet.autofilter(_header_row(w), 0, max(row - 1, _header_row(w)), len(columns) - 1)


def _detail_rows(c: Consolidation) -> Iterator[list[Any]]:
    """Every counted deduction, and a 注（1） row where an item's cap cut its deductions."""
    for entry in c.branches:
        result = entry.result
        if result is None:
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
                    f"每个项目分值扣完为止：本项扣分合计 {fmt(item.deducted)} 分，"
                    f"超过分值 {fmt(item.item.points)} 分，按 {fmt(item.item.points)} 分计",
                    -cut,
                    f"封顶核减 {fmt(cut)} 分，本项得 0 分",
                ]


def _header_row(w: _SheetWriter) -> int:
    return 3 if w.draft else 2


def _write_veto_sheet(w: _SheetWriter) -> None:
    c = w.c
    columns = [
        ("支部名称", 20),
        ("否决情形", 8),
        ("情形（原文）", 44),
        ("否决前得分", 10),
        ("否决前等级", 10),
        ("定级", 8),
    ]
    rows = (
        [
            entry.branch,
            f"（{number}）",
            c.standard.vetoes[number - 1],
            result.total,
            result.score_grade,
            result.grade,
        ]
        for entry in c.branches
        if (result := entry.result) is not None
        for number in result.vetoes
    )
    sheet, row = w.table(VETO_SHEET, "否决情形", columns, rows, empty="没有支部存在否决情形。")
    row += 1
    sheet.merge_range(
        row, 0, row, len(columns) - 1, "注（2）：" + c.standard.note_2, w.formats.note
    )
    total_width = sum(width for _, width in columns)
    sheet.set_row(row, lines_needed(c.standard.note_2, total_width) * 12 + 6)
    sheet.print_area(0, 0, row, len(columns) - 1)


def _write_sources_sheet(w: _SheetWriter) -> None:
    c = w.c
    columns = [
        ("文件", 30),
        ("SHA-256", 34),
        ("读取的工作表", 26),
        ("模板版本", 7),
        ("修改时间", 16),
    ]
    widths = [width for _, width in columns]
    sheet, row = w.start(SOURCES_SHEET, "来源", columns)
    for source in c.sources:
        w.text_row(
            sheet,
            row,
            [
                source.display,
                source.sha256,
                "、".join(source.sheets) or "（无）",
                source.template_version or "",
                source.modified.strftime("%Y-%m-%d %H:%M:%S"),
            ],
            widths,
        )
        sheet.write_string(row, 1, source.sha256, w.formats.mono)
        sheet.set_row(
            row,
            max(
                2,
                lines_needed("、".join(source.sheets), widths[2]),
                lines_needed(source.display, widths[0]),
            )
            * LINE_HEIGHT
            + 4,
        )
        row += 1
    sheet.print_area(0, 0, max(row - 1, 3), len(columns) - 1)


def _write_problems_sheet(w: _SheetWriter) -> None:
    c = w.c
    columns = [("类别", 6), ("文件", 26), ("工作表", 14), ("单元格", 7), ("说明", 60)]
    rows = (
        [kind, problem.file, problem.sheet or "", problem.cell or "", problem.message]
        for kind, problems in (("待修正", c.errors), ("提示", c.warnings))
        for problem in problems
    )
    sheet, row = w.table(PROBLEMS_SHEET, "待修正项与提示", columns, rows)
    sheet.print_area(0, 0, row - 1, len(columns) - 1)


def write_summary(
    path: str | Path,
    consolidation: Consolidation,
    *,
    draft: bool = False,
    notices: list[str] | None = None,
    publication: PublicationTexts | None = None,
    comparison: tuple[YearComparison, PreviousYear] | None = None,
) -> Path:
    """Write the summary workbook to ``path`` atomically and return the path.

    Args:
        draft: mark the workbook 草稿（含待修正项） in its title and on every sheet; required
            when the consolidation has errors.
        notices: gets a Chinese sentence for what the user should know about the file (text
            cut to fit a cell).
        publication: the 公示 texts for a publication date; without them the 公示 sheet (of a
            standard with ``[publication]``) has blank dates to fill in by hand.
    """
    if consolidation.errors and not draft:
        raise ValueError("a consolidation with errors can only be written as a draft")
    path = Path(path)
    standard = consolidation.standard
    with atomic_output(path) as temp:
        book = xlsxwriter.Workbook(
            str(temp),
            {
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        created = _dt.datetime(consolidation.year or 2000, 12, 31, tzinfo=_dt.UTC)
        book.set_properties(
            {
                "title": summary_title(standard, consolidation.year, draft),
                "subject": standard.title,
                "author": standard.issuer,
                "company": standard.association,
                "created": created,
                "comments": f"由 branch-assess 汇总；标准 {standard.id}；{len(consolidation.branches)} 个支部",
            }
        )
        book.set_custom_property(names.PROP_SUMMARY, "1")
        book.set_custom_property(names.PROP_STANDARD, standard.id)
        book.set_custom_property(names.PROP_YEAR, str(consolidation.year or ""))
        book.set_custom_property("kp_draft", "1" if draft else "0")
        formats = _Formats(book)
        writer = _SheetWriter(book, formats, consolidation, draft)
        _write_summary_sheet(writer, comparison[0] if comparison else None)
        _write_grades_sheet(writer)
        _write_loss_sheet(writer)
        _write_detail_sheet(writer)
        _write_veto_sheet(writer)
        write_rectification_sheet(writer)
        if publication is None and standard.publication is not None:
            publication = undated_publication_texts(
                standard.publication, consolidation.year or "    "
            )
        if publication is not None:
            write_publication_sheet(writer, publication)
        if comparison is not None:
            write_year_sheet(writer, *comparison)
        _write_sources_sheet(writer)
        if consolidation.errors or consolidation.warnings:
            _write_problems_sheet(writer)
        book.worksheets()[0].activate()
        book.close()
    truncated = sum(getattr(sheet, "truncated", 0) for sheet in book.worksheets())
    if truncated and notices is not None:
        notices.append(
            f"汇总表中有 {truncated} 个单元格的文字超过 Excel 单元格上限 32767 个字符，"
            "已截断（以“…（已截断）”结尾）；完整内容见 JSON"
        )
    return path
