"""The branch assessment template: one sheet per branch in the official table layout.

Written with XlsxWriter. Every computed cell is a formula (``xlwings`` UDFs or ``native``
built-ins) carrying a cached value computed by the engine, so the file shows the right numbers
before any recalculation. The same arguments give a byte-identical file.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from workbook.atomic import atomic_output
from workbook.core import names
from workbook.core.formulas import (
    FormulaMode,
    check_formula,
    grade_formula,
    item_score_formula,
    native_rule_valid,
    total_formula,
    veto_check_formula,
)
from workbook.core.scoring import Assessment, RawBranchInputs, assess_branch
from workbook.core.standard import DEFAULT_STANDARD_ID, Standard, fmt, load_standard
from workbook.inputs.branches import check_branch_names, legal_sheet_names, quote_sheet
from workbook.xlsx.safe_text import SafeTextWorksheet
from workbook.xlsx.text import header_footer

if TYPE_CHECKING:
    from workbook.outputs.previous_items import PreviousItems

DEFAULT_TEMPLATE_YEAR = 2026
DEMO_BRANCHES_FOR_TEMPLATE = ("第一支部", "第二支部", "第三支部")
INSTRUCTIONS_SHEET = "填表说明"

TITLE_FONT = "黑体"
BODY_FONT = "仿宋"
HEADER_FONT = "黑体"

# Column layout of a branch sheet: (header, width in Excel character units).
COLUMNS = (
    ("项目及分值", 13),
    ("评分指标", 36),
    ("评分办法", 34),
    ("扣分范围", 10),
    ("扣分", 8),
    ("扣分说明", 24),
    ("项目得分", 9),
    ("检查", 15),
)
COL_ITEM, COL_INDICATORS, COL_RULE, COL_RANGE, COL_DED, COL_NOTE, COL_SCORE, COL_CHECK = range(8)
LAST_COL = len(COLUMNS) - 1
HEADER_ROW = 3
FIRST_RULE_ROW = 4
LINE_HEIGHT = 13.5
INPUT_FILL = "#FFF9E5"  # pale yellow of every input cell (the Excel adapter restores it)  # points per text line at 11 pt


@dataclass(frozen=True)
class TemplateOptions:
    """What a template holds: the branches, the year, the formula mode and the standard."""

    branches: Sequence[str]
    year: int = DEFAULT_TEMPLATE_YEAR
    formulas: FormulaMode = "xlwings"
    standard_id: str = DEFAULT_STANDARD_ID
    # Optional filled inputs per branch name (the demo and tests use this); blanks otherwise.
    inputs: Mapping[str, RawBranchInputs] = field(default_factory=dict)
    assessor: Mapping[str, str] = field(default_factory=dict)
    # Last year's rectification items per branch name (``template --previous``).
    previous_items: Mapping[str, PreviousItems] = field(default_factory=dict)


def text_width(text: str) -> int:
    """Display width in Excel character units: CJK and full-width characters count 2."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def lines_needed(text: str, column_width: float) -> int:
    """Estimated wrapped line count of ``text`` in a column of ``column_width`` characters."""
    usable = max(column_width - 1.5, 1)
    return sum(max(1, math.ceil(text_width(part) / usable)) for part in text.split("\n"))


def _cell(row: int, col: int, absolute: bool = False) -> str:
    return xl_rowcol_to_cell(row, col, row_abs=absolute, col_abs=absolute)


class _Formats:
    """The formats of a template workbook, created once per workbook."""

    def __init__(self, book: Workbook) -> None:
        base = {"font_name": BODY_FONT, "font_size": 11, "valign": "vcenter", "text_wrap": True}
        boxed = {**base, "border": 1}
        self.title = book.add_format(
            {"font_name": TITLE_FONT, "font_size": 18, "align": "center", "valign": "vcenter"}
        )
        self.subtitle = book.add_format({**base, "font_size": 10, "align": "center"})
        self.label = book.add_format({**base, "bold": True, "align": "right"})
        self.field = book.add_format({**base, "bottom": 1, "align": "left"})
        self.field_input = book.add_format(
            {**base, "bottom": 1, "locked": False, "bg_color": INPUT_FILL}
        )
        self.header = book.add_format(
            {**boxed, "font_name": HEADER_FONT, "align": "center", "bg_color": "#F2F2F2"}
        )
        self.item = book.add_format({**boxed, "align": "center", "bold": True})
        self.text = book.add_format({**boxed, "align": "left"})
        self.center = book.add_format({**boxed, "align": "center"})
        self.deduction = book.add_format(
            {**boxed, "align": "center", "locked": False, "bg_color": INPUT_FILL}
        )
        self.note = book.add_format(
            {**boxed, "align": "left", "locked": False, "bg_color": INPUT_FILL}
        )
        self.score = book.add_format({**boxed, "align": "center", "bold": True})
        self.check = book.add_format(
            {**boxed, "align": "left", "font_size": 9, "font_color": "#C00000"}
        )
        self.total_label = book.add_format(
            {**boxed, "align": "center", "bold": True, "font_name": HEADER_FONT}
        )
        self.grade = book.add_format(
            {**boxed, "align": "center", "bold": True, "font_name": HEADER_FONT, "font_size": 14}
        )
        self.notes = book.add_format({**base, "align": "left", "valign": "top", "font_size": 10})
        self.signature = book.add_format({**base, "align": "left"})
        self.plain = book.add_format({**base, "align": "left", "valign": "top"})
        self.plain_bold = book.add_format(
            {**base, "align": "left", "bold": True, "font_name": HEADER_FONT}
        )


def _veto_validation(title: str) -> dict[str, Any]:
    return {
        "validate": "list",
        "source": ["是", "否"],
        "input_title": title[:32],
        "input_message": "填“是”或“否”，空白视为“否”。有此情形的直接定为“较差”。",
        "error_title": "否决情形输入有误",
        "error_message": "只能填“是”或“否”（空白视为“否”）。",
        "error_type": "stop",
    }


def _deduction_validation(standard: Standard, rule_id: str, cell: str) -> dict[str, Any]:
    rule = standard.rule(rule_id)
    allowed = f"可填 {rule.allowed_text}，空白视为 0。"
    if rule.kind == "range":
        allowed += f"最多 {standard.max_decimal_places} 位小数。"
    return {
        "validate": "custom",
        "value": "=" + native_rule_valid(rule, cell, standard.max_decimal_places),
        "ignore_blank": True,
        "input_title": f"规则 {rule.id} 扣分"[:32],
        "input_message": f"{rule.wording}。{allowed}"[:255],
        "error_title": "扣分输入有误",
        "error_message": f"规则 {rule.id}：{allowed}"[:255],
        "error_type": "stop",
    }


class _FormulaCachingWorksheet(SafeTextWorksheet):
    """A worksheet that prepares each distinct formula text once.

    XlsxWriter rewrites every formula (and validation formula) with ~30-80 regular expressions
    for future functions. Branch sheets repeat the same formulas at the same cells, so caching
    that step per workbook makes a 500-branch template about twice as fast. Should XlsxWriter
    ever drop ``_prepare_formula``, this override is simply unused.
    """

    _prepared: dict[tuple[str, bool, bool], str]

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        key = (formula, expand_future_functions, bool(self.use_future_functions))
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = super()._prepare_formula(formula, expand_future_functions)
            self._prepared[key] = prepared
        return prepared


def write_branch_sheet(
    book: Workbook,
    sheet: Worksheet,
    formats: _Formats,
    standard: Standard,
    branch: str,
    options: TemplateOptions,
) -> None:
    """Write one branch sheet in the official table layout, with names, validation and protection."""
    raw = options.inputs.get(branch, RawBranchInputs({}))
    assessment: Assessment = assess_branch(standard, raw)
    mode = options.formulas
    places = standard.max_decimal_places
    qsheet = quote_sheet(sheet.name)

    def define(name: str, row: int, col: int) -> None:
        # XlsxWriter only warns when it refuses a name; a sheet without its names would be
        # silently skipped by every reader, so a refusal is a bug to stop at.
        if book.define_name(f"{qsheet}!{name}", f"={qsheet}!{_cell(row, col, absolute=True)}"):
            raise RuntimeError(f"XlsxWriter refused the defined name {name} on {sheet.name!r}")

    for col, (_, width) in enumerate(COLUMNS):
        sheet.set_column(col, col, width)

    # Title block.
    sheet.merge_range(
        0,
        0,
        0,
        LAST_COL,
        f"{options.year}年度支部（党员服务中心）规范化建设考评定级表",
        formats.title,
    )
    sheet.set_row(0, 36)
    sheet.write(1, COL_ITEM, "支部名称", formats.label)
    sheet.merge_range(1, COL_INDICATORS, 1, COL_RULE, branch, formats.field)
    define(names.BRANCH_NAME, 1, COL_INDICATORS)
    sheet.write(1, COL_RANGE, "考评年度", formats.label)
    sheet.merge_range(1, COL_DED, 1, COL_NOTE, options.year, formats.field)
    define(names.YEAR, 1, COL_DED)
    sheet.write(2, COL_ITEM, "考评人", formats.label)
    sheet.merge_range(
        2, COL_INDICATORS, 2, COL_RULE, options.assessor.get(branch, ""), formats.field_input
    )
    define(names.ASSESSOR, 2, COL_INDICATORS)
    sheet.write(2, COL_RANGE, "考评日期", formats.label)
    sheet.merge_range(2, COL_DED, 2, COL_NOTE, "", formats.field_input)
    define(names.ASSESS_DATE, 2, COL_DED)
    sheet.set_row(1, 22)
    sheet.set_row(2, 22)

    for col, (header, _) in enumerate(COLUMNS):
        sheet.write(HEADER_ROW, col, header, formats.header)
    sheet.set_row(HEADER_ROW, 22)

    # The table: one row per rule, item cells merged over the item's rules.
    row = FIRST_RULE_ROW
    score_cells: list[str] = []
    for item in standard.items:
        first = row
        ded_cells = [_cell(first + i, COL_DED) for i in range(len(item.rules))]
        rule_heights: list[float] = []
        for rule, ded_cell in zip(item.rules, ded_cells, strict=True):
            sheet.write(row, COL_RULE, rule.wording, formats.text)
            sheet.write(row, COL_RANGE, rule.range_label, formats.center)
            value = raw.deductions.get(rule.id)
            if value is None or value == "":
                sheet.write_blank(row, COL_DED, None, formats.deduction)
            elif isinstance(value, bool):
                sheet.write_boolean(row, COL_DED, value, formats.deduction)
            elif isinstance(value, str):
                sheet.write_string(row, COL_DED, value, formats.deduction)
            else:
                sheet.write_number(row, COL_DED, float(value), formats.deduction)  # type: ignore[arg-type]
            note = raw.notes.get(rule.id)
            if note:
                sheet.write_string(row, COL_NOTE, str(note), formats.note)
            else:
                sheet.write_blank(row, COL_NOTE, None, formats.note)
            define(names.deduction_name(rule), row, COL_DED)
            define(names.note_name(rule), row, COL_NOTE)
            define(names.check_name(rule), row, COL_CHECK)
            problem = next(
                (p for p in assessment.problems if p.field == names.deduction_name(rule)), None
            )
            sheet.write_formula(
                row,
                COL_CHECK,
                check_formula(mode, standard, rule, ded_cell),
                formats.check,
                problem.short if problem else "",
            )
            sheet.data_validation(
                row, COL_DED, row, COL_DED, _deduction_validation(standard, rule.id, ded_cell)
            )
            rule_heights.append(
                max(
                    lines_needed(rule.wording, COLUMNS[COL_RULE][1]),
                    lines_needed(str(note or ""), COLUMNS[COL_NOTE][1]),
                )
                * LINE_HEIGHT
            )
            row += 1
        last = row - 1
        # Heights: each rule row fits its own text; together they fit the item's indicators.
        indicator_height = lines_needed(item.indicators, COLUMNS[COL_INDICATORS][1]) * LINE_HEIGHT
        heading_height = lines_needed(item.heading, COLUMNS[COL_ITEM][1]) * LINE_HEIGHT
        needed = max(indicator_height, heading_height)
        extra = max(0.0, needed - sum(rule_heights)) / len(rule_heights)
        for offset, height in enumerate(rule_heights):
            sheet.set_row(first + offset, height + extra + 4)
        score = assessment.item_scores[item.number - 1]
        score_value: float | str = float(score) if score is not None else "输入有误"
        score_formula = item_score_formula(mode, standard, item, ded_cells, places)
        if first == last:
            sheet.write(first, COL_ITEM, item.heading, formats.item)
            sheet.write(first, COL_INDICATORS, item.indicators, formats.text)
            sheet.write_formula(first, COL_SCORE, score_formula, formats.score, score_value)
        else:
            sheet.merge_range(first, COL_ITEM, last, COL_ITEM, item.heading, formats.item)
            sheet.merge_range(
                first, COL_INDICATORS, last, COL_INDICATORS, item.indicators, formats.text
            )
            sheet.merge_range(first, COL_SCORE, last, COL_SCORE, "", formats.score)
            sheet.write_formula(first, COL_SCORE, score_formula, formats.score, score_value)
        define(names.item_score_name(item.number), first, COL_SCORE)
        score_cells.append(_cell(first, COL_SCORE))
    last_rule_row = row - 1

    # 合计得分.
    total_row = row
    sheet.merge_range(
        total_row,
        0,
        total_row,
        COL_NOTE,
        f"合计得分（满分{fmt(standard.total_points)}分）",
        formats.total_label,
    )
    total_value = decimal_or_text(assessment.total_text)
    score_block = f"{_cell(FIRST_RULE_ROW, COL_SCORE)}:{_cell(last_rule_row, COL_SCORE)}"
    sheet.write_formula(
        total_row,
        COL_SCORE,
        total_formula(mode, standard, score_block, score_cells),
        formats.score,
        total_value,
    )
    sheet.write_blank(total_row, COL_CHECK, None, formats.center)
    define(names.TOTAL_SCORE, total_row, COL_SCORE)
    sheet.set_row(total_row, 24)

    # 否决情形.
    row = total_row + 1
    sheet.merge_range(
        row,
        0,
        row,
        LAST_COL,
        "否决情形：" + standard.veto_intro + "（填“是”或“否”，空白视为“否”）",
        formats.text,
    )
    sheet.set_row(row, 22)
    veto_cells: list[str] = []
    first_veto_row = row + 1
    for number, wording in enumerate(standard.vetoes, start=1):
        row += 1
        cell = _cell(row, COL_DED)
        veto_cells.append(cell)
        sheet.write(row, COL_ITEM, f"否决情形（{number}）", formats.center)
        sheet.merge_range(row, COL_INDICATORS, row, COL_RANGE, wording, formats.text)
        value = raw.vetoes[number - 1] if number <= len(raw.vetoes) else None
        if value is None or value == "":
            sheet.write_blank(row, COL_DED, None, formats.deduction)
        elif isinstance(value, bool):
            sheet.write_boolean(row, COL_DED, value, formats.deduction)
        else:
            sheet.write(row, COL_DED, value, formats.deduction)
        sheet.merge_range(row, COL_NOTE, row, COL_SCORE, "", formats.center)
        problem = next((p for p in assessment.problems if p.field == names.veto_name(number)), None)
        sheet.write_formula(
            row,
            COL_CHECK,
            veto_check_formula(mode, cell),
            formats.check,
            problem.short if problem else "",
        )
        sheet.data_validation(row, COL_DED, row, COL_DED, _veto_validation(f"否决情形（{number}）"))
        define(names.veto_name(number), row, COL_DED)
        define(names.veto_check_name(number), row, COL_CHECK)
        sheet.set_row(row, 22)
    veto_block = f"{_cell(first_veto_row, COL_DED)}:{_cell(row, COL_DED)}"

    # 定级.
    row += 1
    bands = "，".join(g.wording for g in standard.grades)
    sheet.merge_range(
        row,
        0,
        row,
        COL_NOTE,
        f"定级（{bands}；有否决情形之一的直接定为“{standard.veto_grade}”）",
        formats.total_label,
    )
    sheet.merge_range(row, COL_SCORE, row, COL_CHECK, "", formats.grade)
    sheet.write_formula(
        row,
        COL_SCORE,
        grade_formula(mode, standard, _cell(total_row, COL_SCORE), veto_block, veto_cells),
        formats.grade,
        assessment.grade_text,
    )
    define(names.GRADE, row, COL_SCORE)
    sheet.set_row(row, 30)

    # 注 and signatures.
    row += 1
    note_text = f"注：（1）{standard.note_1}（2）{standard.note_2}"
    sheet.merge_range(row, 0, row, LAST_COL, note_text, formats.notes)
    total_width = sum(width for _, width in COLUMNS)
    sheet.set_row(row, lines_needed(note_text, total_width) * 14 + 8)
    row += 1
    sheet.merge_range(row, 0, row, COL_INDICATORS, "考评人（签字）：", formats.signature)
    sheet.merge_range(row, COL_RULE, row, COL_NOTE, "支部书记（签字）：", formats.signature)
    sheet.merge_range(row, COL_SCORE, row, COL_CHECK, "日期：    年  月  日", formats.signature)
    sheet.set_row(row, 36)
    breaks = [total_row]
    items = options.previous_items.get(branch)
    if items is not None:  # last year's items, on a page of their own
        from workbook.outputs.previous_items import write_previous_items

        row += 2
        breaks.append(row)
        row = (
            write_previous_items(
                book, sheet, standard, row, [w for _, w in COLUMNS], items, BODY_FONT, HEADER_FONT
            )
            - 1
        )

    # Printing: A4 landscape, one page wide, header rows repeated.
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)  # one page wide; as many pages tall as the text needs
    # The scoring table fills the first page; totals, vetoes, grade and signatures start the next.
    sheet.set_h_pagebreaks(breaks)
    sheet.repeat_rows(0, HEADER_ROW)
    sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    sheet.center_horizontally()
    sheet.set_footer(header_footer(f'&C&"{BODY_FONT}"&10', branch, "　第 &P 页，共 &N 页"))
    sheet.print_area(0, 0, row, LAST_COL)
    sheet.freeze_panes(FIRST_RULE_ROW, 0)
    sheet.protect(
        "",
        {
            "format_columns": True,
            "format_rows": True,
            "select_locked_cells": True,
            "select_unlocked_cells": True,
        },
    )


def write_instructions_sheet(
    sheet: Worksheet, formats: _Formats, standard: Standard, options: TemplateOptions
) -> None:
    """The 填表说明 sheet: how to fill the template and how it is scored."""
    sheet.set_column(0, 0, 110)
    lines: list[tuple[str, Any]] = [
        (f"{options.year}年度支部（党员服务中心）规范化建设考评定级表　填表说明", formats.title),
        (f"依据：{standard.document}附件《{standard.title}》", formats.plain),
        ("一、填写方法", formats.plain_bold),
        (
            "1. 每个支部（党员服务中心）一张工作表，支部名称已填好，请勿改动表格结构。",
            formats.plain,
        ),
        (
            "2. 只填写浅黄色单元格：考评人、考评日期、各条评分办法的“扣分”和“扣分说明”、三项否决情形。",
            formats.plain,
        ),
        (
            "3. 扣分：固定扣分的规则只能填 0 或规定分值（如“扣15分”只能填 0 或 15）；区间扣分的规则只能填 0 或区间内的数（如“扣1-3分”可填 0 或 1～3 之间的数，最多两位小数）；“酌情扣分”可填 0～25；空白视为 0。",
            formats.plain,
        ),
        ("4. 否决情形：填“是”或“否”，空白视为“否”。", formats.plain),
        (
            "5. 项目得分、合计得分和定级自动计算；“检查”列出现红字说明该行输入有误，改正后自动消失。扣分输入有误时该项目得分显示“输入有误”，合计得分和定级显示“待修正”；否决情形输入有误时定级显示“待修正”。",
            formats.plain,
        ),
        ("二、评分规则", formats.plain_bold),
        (
            f"1. 注（1）：{standard.note_1}即同一项目内各条扣分相加，超过该项目分值时按该项目分值计（该项得 0 分）。",
            formats.plain,
        ),
        (
            f"2. 定级：{'，'.join(g.wording for g in standard.grades)}。本表按“90分及以上为好，80分及以上不足90分为较好，60分及以上不足80分为一般，不足60分为较差”执行，例如 89.5 分为“较好”，59.5 分为“较差”。",
            formats.plain,
        ),
        (
            f"3. 注（2）：{standard.note_2}有任一否决情形的，不论得分多少，直接定为“{standard.veto_grade}”。",
            formats.plain,
        ),
        ("三、各项目分值", formats.plain_bold),
    ]
    for item in standard.items:
        lines.append((f"{item.number}. {item.heading}：{item.method}", formats.plain))
    lines.append(
        (
            "本工作簿受保护以防误改公式（无密码），如需调整格式可在“审阅”中撤销工作表保护。",
            formats.plain,
        )
    )
    for row, (text, fmt_) in enumerate(lines):
        sheet.write_string(row, 0, text, fmt_)
        sheet.set_row(row, max(24.0, lines_needed(text, 110) * LINE_HEIGHT + 6))
    sheet.set_row(0, 36)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})


def write_template(path: str | Path, options: TemplateOptions) -> Path:
    """Write a template workbook to ``path`` atomically and return the path.

    Raises:
        BranchListError: a branch name is empty or repeated.
        StandardFileError: the standard cannot be loaded.
    """
    branches = check_branch_names(options.branches)
    standard = load_standard(options.standard_id)
    path = Path(path)
    with atomic_output(path) as temp:
        book = xlsxwriter.Workbook(
            str(temp),
            {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
        )
        created = _dt.datetime(options.year, 1, 1, tzinfo=_dt.UTC)
        book.set_properties(
            {
                "title": f"{options.year}年度支部（党员服务中心）规范化建设考评定级表",
                "subject": standard.title,
                "author": standard.issuer,
                "company": standard.association,
                "created": created,
                "comments": f"由 branch-assess 生成；标准 {standard.id}，模板版本 {names.TEMPLATE_VERSION}",
            }
        )
        book.set_custom_property(names.PROP_STANDARD, standard.id)
        book.set_custom_property(names.PROP_TEMPLATE_VERSION, names.TEMPLATE_VERSION)
        book.set_custom_property(names.PROP_YEAR, str(options.year))
        book.set_custom_property(names.PROP_FORMULAS, options.formulas)
        formats = _Formats(book)
        prepared_formulas: dict[tuple[str, bool, bool], str] = {}
        write_instructions_sheet(book.add_worksheet(INSTRUCTIONS_SHEET), formats, standard, options)
        for branch, sheet_name in zip(branches, legal_sheet_names(branches), strict=True):
            sheet = book.add_worksheet(sheet_name, worksheet_class=_FormulaCachingWorksheet)
            sheet._prepared = prepared_formulas
            write_branch_sheet(book, sheet, formats, standard, branch, options)
        book.worksheets()[1 if len(book.worksheets()) > 1 else 0].activate()
        book.close()
    return path


def decimal_or_text(value: Decimal | str) -> float | str:
    """A cached value for a formula cell: a float for scores, text otherwise."""
    return float(value) if isinstance(value, Decimal) else value


# In a clone: the repository's templates/ file; in an installed wheel: the same file, packaged as
# workbook/templates/ (pyproject.toml).
_PACKAGED_TEMPLATE = (
    Path(__file__).resolve().parent.parent / "templates" / "assessment_template.xlsx"
)
DEFAULT_TEMPLATE = (
    _PACKAGED_TEMPLATE
    if _PACKAGED_TEMPLATE.is_file()
    else Path(__file__).resolve().parent.parent.parent / "templates" / "assessment_template.xlsx"
)


def default_template_options() -> TemplateOptions:
    """The options of ``templates/assessment_template.xlsx``: the demo's branches, xlwings mode."""
    from workbook.outputs.demo import DEMO_YEAR, demo_branches

    return TemplateOptions(branches=demo_branches(), year=DEMO_YEAR, formulas="xlwings")
