"""One branch sheet in the official table layout, written section by section.

Each section is a function ``(context, row) -> next row``; ``SECTIONS`` lists them in order. A new
part of the sheet (a tally, a column of self-assessment, hints) is one new function and one new
entry in the list. Sections share what later sections need (the score cells, the total's row,
the veto cells) through the context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from workbook.core import names
from workbook.core.checklist import single_hint_texts
from workbook.core.formulas import (
    FormulaMode,
    bonus_check_formula,
    bonus_score_formula,
    check_formula,
    grade_formula,
    item_score_formula,
    native_rule_valid,
    total_formula,
    total_with_bonus_formula,
    veto_check_formula,
)
from workbook.core.layout import (
    BODY_FONT,
    COL_CHECK,
    COL_DED,
    COL_HINT,
    COL_INDICATORS,
    COL_ITEM,
    COL_NOTE,
    COL_RANGE,
    COL_RULE,
    COL_SCORE,
    COL_SELF,
    COL_SELF_SCORE,
    COLUMNS,
    FIRST_RULE_ROW,
    HEADER_FONT,
    HEADER_ROW,
    LAST_COL,
    LINE_HEIGHT,
    lines_needed,
)
from workbook.core.scoring import INVALID, Assessment, RawBranchInputs, assess_branch
from workbook.core.self_sheet import (
    VersionTwoSheet,
    read_version_two,
    version_two_formulas,
    version_two_outputs,
)
from workbook.core.standard import Item, Rule, Standard, fmt
from workbook.core.standard_sections import Checklist
from workbook.inputs.branches import quote_sheet
from workbook.outputs.template.formats import Formats, cell, decimal_or_text
from workbook.outputs.template.options import TemplateOptions
from workbook.outputs.template.survey_tally import write_survey_tally
from workbook.xlsx.cells import CellRef
from workbook.xlsx.text import header_footer

MAX_NOTE_WIDTH = 100.0
PAGE_SIDE_MARGIN = 0.4
PAGE_TOP_MARGIN = 0.45
PAGE_BOTTOM_MARGIN = 0.55
# The printable part of an A4 landscape page, in points, within those margins.
PRINTABLE_WIDTH = (11.69 - 2 * PAGE_SIDE_MARGIN) * 72
PRINTABLE_HEIGHT = (8.27 - PAGE_TOP_MARGIN - PAGE_BOTTOM_MARGIN) * 72
# The rows of the signed part outside the rules' rows: title, 支部名称 and 考评人 lines, header,
# 合计得分, the vetoes, 定级, 注 and the signatures.
SIGNED_PAGE_FIXED_HEIGHT = 260.0
# The checklist hint is 8-pt text (formats.hint) in a column measured in 11-pt characters:
# about 1.5 times as many characters a line, 11.4 points a line, 4 of padding with the 2 every
# rule row gets (LibreOffice).
HINT_CHARS_FACTOR = 1.5625
HINT_LINE_HEIGHT = 11.4


def columns_points(widths: list[float]) -> float:
    """Width in points of columns given in Excel character units (Calibri 11: 7 px a
    character, 5 px of padding a column), as Excel fits "1 page wide"."""
    return sum((int(w * 7 + 0.5) + 5) * 0.75 for w in widths)


@dataclass
class BranchSheet:
    """What the sections of one branch sheet share: where to write, what, and what is written."""

    book: Workbook
    sheet: Worksheet
    formats: Formats
    standard: Standard
    options: TemplateOptions
    branch: str
    raw: RawBranchInputs
    assessment: Assessment
    # Filled in by the sections, for the sections after them.
    score_cells: list[str] = field(default_factory=list)
    last_rule_row: int = FIRST_RULE_ROW
    total_row: int = 0
    veto_cells: list[str] = field(default_factory=list)
    veto_block: str = ""
    # Template version 2: the 自评 and checklist values, and where every name went.
    values: dict[str, object] = field(default_factory=dict)
    two: VersionTwoSheet | None = None
    cells: dict[str, CellRef] = field(default_factory=dict)
    signature_row: int = 0  # the last row of the page that is signed
    checklist_row: int = 0  # the first row of the checklist (printed on its own page)
    last_row: int = 0
    previous_row: int = 0  # the first row of last year's items (a page of their own), or 0

    @cached_property
    def widths(self) -> list[float]:
        """Column widths of this sheet: the layout's, with the 扣分说明 column widened as long
        notes need, so the signed part still fits one page at Excel's "1 page wide" scale."""
        widths = [width for _, width in COLUMNS]
        notes = {rule_id: str(n) for rule_id, n in self.raw.notes.items() if n}
        if not notes:
            return widths
        for note_width in range(int(widths[COL_NOTE]), int(MAX_NOTE_WIDTH) + 1, 2):
            widths[COL_NOTE] = float(note_width)
            scale = min(1.0, PRINTABLE_WIDTH / columns_points(widths))
            if self.signed_height(notes, note_width) * scale <= PRINTABLE_HEIGHT * 0.95:
                break
        return widths

    def signed_height(self, notes: dict[str, str], note_width: float) -> float:
        """The estimated height (points) of the signed part with notes in a column this wide."""
        height = SIGNED_PAGE_FIXED_HEIGHT
        for item in self.standard.items:
            rows = [
                max(
                    lines_needed(rule.wording, COLUMNS[COL_RULE][1]),
                    lines_needed(notes.get(rule.id, ""), note_width),
                    self.row_lines_for_hint.get(rule.id, 1),
                )
                * LINE_HEIGHT
                for rule in item.rules
            ]
            needed = lines_needed(item.indicators, COLUMNS[COL_INDICATORS][1]) * LINE_HEIGHT
            height += max(needed, sum(rows)) + 2 * len(rows)
        return height

    grade_row: int = 0

    @property
    def hint_rules(self) -> list[str]:
        """The rules that have a checklist hint cell."""
        checklist = self.standard.checklist
        return names.hint_rule_ids(checklist) if checklist is not None else []

    @cached_property
    def row_lines_for_hint(self) -> dict[str, float]:
        """Per rule with a checklist hint cell, the room (in lines of LINE_HEIGHT) its row keeps
        for the hint: the longest one missing entry gives, in the hint's 8-pt text. The row's
        height is fixed (the signed part prints on one page) and the cell holds a formula, so
        a hint that does not fit cannot be read at all, on screen or on paper. A section's
        "choose N" hint and several missing entries may still need more."""
        checklist = self.standard.checklist
        if checklist is None:
            return {}
        room: dict[str, float] = {}
        for rule_id in self.hint_rules:
            texts = single_hint_texts(checklist, rule_id) or [""]
            width = COLUMNS[COL_HINT][1] * HINT_CHARS_FACTOR
            lines = max(lines_needed(text, width) for text in texts)
            room[rule_id] = max(2.0, (lines * HINT_LINE_HEIGHT + 2) / LINE_HEIGHT)
        return room

    bonus_cell: str | None = None  # the counted 加分, when the standard has a bonus section

    @property
    def mode(self) -> FormulaMode:
        return self.options.formulas

    def define(self, name: str, row: int, col: int) -> None:
        """Define the sheet-scoped ``name`` for the cell at (row, col)."""
        # XlsxWriter only warns when it refuses a name; a sheet without its names would be
        # silently skipped by every reader, so a refusal is a bug to stop at.
        qsheet = quote_sheet(self.sheet.name)
        self.cells[name] = CellRef(self.sheet.name, row, col)
        if self.book.define_name(f"{qsheet}!{name}", f"={qsheet}!{cell(row, col, absolute=True)}"):
            raise RuntimeError(f"XlsxWriter refused the defined name {name} on {self.sheet.name!r}")

    def problem_short(self, field_name: str) -> str:
        """The short text of the engine's problem with ``field_name``, or ``""``."""
        problem = next(
            (p for p in self.assessment.problems if names.problem_name(p) == field_name), None
        )
        return problem.short if problem else ""

    def write_input(self, row: int, col: int, value: object) -> None:
        """An input cell holding ``value`` as typed (text as ``write`` types it), blank if none."""
        fmt_ = self.formats.deduction
        if value is None or value == "":
            self.sheet.write_blank(row, col, None, fmt_)
        elif isinstance(value, bool):
            self.sheet.write_boolean(row, col, value, fmt_)
        else:
            self.sheet.write(row, col, value, fmt_)


Section = Callable[[BranchSheet, int], int]


def veto_validation(standard: Standard, title: str) -> dict[str, Any]:
    """The validation of a veto cell: 是 or 否."""
    return {
        "validate": "list",
        "source": ["是", "否"],
        "input_title": title[:32],
        "input_message": f"填“是”或“否”，空白视为“否”。有此情形的直接定为“{standard.veto_grade}”。",
        "error_title": "否决情形输入有误",
        "error_message": "只能填“是”或“否”（空白视为“否”）。",
        "error_type": "stop",
    }


def deduction_validation(standard: Standard, rule: Rule, cell_: str) -> dict[str, Any]:
    """The validation of a deduction cell: the rule's allowed values."""
    allowed = f"可填 {rule.allowed_text}，空白视为 0。"
    if rule.kind == "range":
        allowed += f"最多 {standard.max_decimal_places} 位小数。"
    return {
        "validate": "custom",
        "value": "=" + native_rule_valid(rule, cell_, standard.max_decimal_places),
        "ignore_blank": True,
        "input_title": f"规则 {rule.id} 扣分"[:32],
        "input_message": f"{rule.wording}。{allowed}"[:255],
        "error_title": "扣分输入有误",
        "error_message": f"规则 {rule.id}：{allowed}"[:255],
        "error_type": "stop",
    }


def note_capacity(row_height: float, note_width: float) -> int:
    """About how many Chinese characters a 扣分说明 cell shows (and prints) in a row of
    ``row_height`` points: the row's height is fixed, so a longer text is cut off."""
    lines = max(1, int(row_height // LINE_HEIGHT))
    return lines * max(1, int((note_width - 1.5) // 2))


def note_validation(ctx: BranchSheet, row_height: float) -> dict[str, Any]:
    """The 扣分说明 cell's prompt, and a warning (the text is kept if the user says so) when
    the text is longer than the cell can show: the signed page prints what the cell shows."""
    capacity = note_capacity(row_height, ctx.widths[COL_NOTE])
    return {
        "validate": "length",
        "criteria": "<=",
        "value": capacity,
        "ignore_blank": True,
        "input_title": "扣分说明",
        "input_message": f"简要写明扣分理由。本格约可显示 {capacity} 个字，超出部分在表中和打印时看不到；"
        "详细情况可另附说明材料。",
        "error_title": "扣分说明超出本格",
        "error_message": f"本格约可显示 {capacity} 个字，超出部分在表中和打印时看不到。"
        "可缩短说明，或另附说明材料；仍要保留请选“是”。",
        "error_type": "warning",
    }


def self_deduction_validation(standard: Standard, rule: Rule, cell_: str) -> dict[str, Any]:
    """The validation of a 自评扣分 cell: the rule's allowed values, as for the committee."""
    validation = deduction_validation(standard, rule, cell_)
    validation["input_title"] = f"规则 {rule.id} 自评扣分"[:32]
    validation["error_title"] = "自评扣分输入有误"
    return validation


def write_title(ctx: BranchSheet, row: int) -> int:
    """Column widths, the title, and the 支部名称/考评年度/考评人/考评日期 lines."""
    sheet, formats = ctx.sheet, ctx.formats
    for col, width in enumerate(ctx.widths):
        sheet.set_column(col, col, width)
    sheet.merge_range(
        row, 0, row, LAST_COL, ctx.standard.sheet_title_for(ctx.options.year), formats.title
    )
    sheet.set_row(row, 27)
    sheet.write(row + 1, COL_ITEM, "支部名称", formats.label)
    sheet.merge_range(row + 1, COL_INDICATORS, row + 1, COL_RULE, ctx.branch, formats.field)
    ctx.define(names.BRANCH_NAME, row + 1, COL_INDICATORS)
    sheet.write(row + 1, COL_RANGE, "考评年度", formats.label)
    sheet.merge_range(row + 1, COL_DED, row + 1, COL_NOTE, ctx.options.year, formats.field)
    ctx.define(names.YEAR, row + 1, COL_DED)
    sheet.write(row + 2, COL_ITEM, "考评人", formats.label)
    assessor = ctx.options.assessor.get(ctx.branch, "")
    sheet.merge_range(row + 2, COL_INDICATORS, row + 2, COL_RULE, assessor, formats.field_input)
    ctx.define(names.ASSESSOR, row + 2, COL_INDICATORS)
    sheet.write(row + 2, COL_RANGE, "考评日期", formats.label)
    sheet.merge_range(row + 2, COL_DED, row + 2, COL_NOTE, "", formats.field_input)
    ctx.define(names.ASSESS_DATE, row + 2, COL_DED)
    sheet.set_row(row + 1, 18)
    sheet.set_row(row + 2, 18)
    return HEADER_ROW


def write_table_header(ctx: BranchSheet, row: int) -> int:
    """The table's column headers (the reader recognises a branch sheet by them)."""
    for col, (header, _) in enumerate(COLUMNS):
        ctx.sheet.write(row, col, header, ctx.formats.header)
    lines = max(lines_needed(h, w) for (h, _), w in zip(COLUMNS, ctx.widths, strict=True))
    ctx.sheet.set_row(row, lines * LINE_HEIGHT + 4)
    return FIRST_RULE_ROW


def write_deduction_cell(
    ctx: BranchSheet,
    row: int,
    col: int,
    value: object,
    name: str,
    validation: dict[str, Any],
) -> None:
    """A deduction input, the committee's (扣分) or the branch's own (自评扣分): ``value`` as
    given (text stays text, even one that looks like a formula; numbers as numbers; blank if
    none), its defined ``name`` and its ``validation``."""
    if isinstance(value, str) and value:
        ctx.sheet.write_string(row, col, value, ctx.formats.deduction)
    elif value is None or value == "" or isinstance(value, bool):
        ctx.write_input(row, col, value)
    else:
        ctx.sheet.write_number(row, col, float(value), ctx.formats.deduction)  # type: ignore[arg-type]
    ctx.define(name, row, col)
    ctx.sheet.data_validation(row, col, row, col, validation)


def write_rule_row(ctx: BranchSheet, row: int, rule: Rule) -> float:
    """One rule's row: wording, range, the deduction and note inputs, the check. Its height."""
    sheet, formats = ctx.sheet, ctx.formats
    ded_cell = cell(row, COL_DED)
    sheet.write(row, COL_RULE, rule.wording, formats.text)
    sheet.write(row, COL_RANGE, rule.range_label, formats.center)
    note = ctx.raw.notes.get(rule.id)
    if note:
        sheet.write_string(row, COL_NOTE, str(note), formats.note)
    else:
        sheet.write_blank(row, COL_NOTE, None, formats.note)
    ctx.define(names.note_name(rule), row, COL_NOTE)
    ctx.define(names.check_name(rule), row, COL_CHECK)
    write_deduction_cell(
        ctx,
        row,
        COL_SELF,
        ctx.values.get(names.self_deduction_name(rule)),
        names.self_deduction_name(rule),
        self_deduction_validation(ctx.standard, rule, cell(row, COL_SELF)),
    )
    # After the 自评 cell, so the validations stay in the sheet's order of version 2.
    write_deduction_cell(
        ctx,
        row,
        COL_DED,
        ctx.raw.deductions.get(rule.id),
        names.deduction_name(rule),
        deduction_validation(ctx.standard, rule, ded_cell),
    )
    sheet.write_blank(row, COL_HINT, None, formats.hint)
    if rule.id in ctx.hint_rules:
        ctx.define(names.hint_name_of(rule.id), row, COL_HINT)
    sheet.write_formula(
        row,
        COL_CHECK,
        check_formula(ctx.mode, ctx.standard, rule, ded_cell),
        formats.check,
        ctx.problem_short(names.deduction_name(rule)),
    )
    return (
        max(
            lines_needed(rule.wording, COLUMNS[COL_RULE][1]),
            lines_needed(str(note or ""), ctx.widths[COL_NOTE]),
            ctx.row_lines_for_hint.get(rule.id, 1),  # room for the hint
        )
        * LINE_HEIGHT
    )


def write_item(ctx: BranchSheet, first: int, item: Item, rule_heights: list[float]) -> None:
    """An item's merged heading, indicators and score (its subtotal) over its rule rows."""
    sheet, formats = ctx.sheet, ctx.formats
    last = first + len(item.rules) - 1
    # Heights: each rule row fits its own text; together they fit the item's indicators.
    indicator_height = lines_needed(item.indicators, COLUMNS[COL_INDICATORS][1]) * LINE_HEIGHT
    heading_height = lines_needed(item.heading, COLUMNS[COL_ITEM][1]) * LINE_HEIGHT
    needed = max(indicator_height, heading_height)
    extra = max(0.0, needed - sum(rule_heights)) / len(rule_heights)
    for offset, height in enumerate(rule_heights):
        sheet.set_row(first + offset, height + extra + 2)
        note_row = first + offset
        sheet.data_validation(
            note_row, COL_NOTE, note_row, COL_NOTE, note_validation(ctx, height + extra)
        )
    score = ctx.assessment.item_scores[item.number - 1]
    score_value: float | str = float(score) if score is not None else "输入有误"
    ded_cells = [cell(first + i, COL_DED) for i in range(len(item.rules))]
    score_formula = item_score_formula(
        ctx.mode, ctx.standard, item, ded_cells, ctx.standard.max_decimal_places
    )
    if first == last:
        sheet.write(first, COL_ITEM, item.heading, formats.item)
        sheet.write(first, COL_INDICATORS, item.indicators, formats.text)
    else:
        sheet.merge_range(first, COL_ITEM, last, COL_ITEM, item.heading, formats.item)
        sheet.merge_range(
            first, COL_INDICATORS, last, COL_INDICATORS, item.indicators, formats.text
        )
        sheet.merge_range(first, COL_SCORE, last, COL_SCORE, "", formats.score)
        sheet.merge_range(first, COL_SELF_SCORE, last, COL_SELF_SCORE, "", formats.score)
    # The 自评 score's formula and value come with the other version-2 cells.
    ctx.define(names.self_item_score_name(item.number), first, COL_SELF_SCORE)
    sheet.write_formula(first, COL_SCORE, score_formula, formats.score, score_value)
    ctx.define(names.item_score_name(item.number), first, COL_SCORE)
    ctx.score_cells.append(cell(first, COL_SCORE))


def write_items(ctx: BranchSheet, row: int) -> int:
    """The table: one row per rule, each item's cells merged over its rules."""
    for item in ctx.standard.items:
        first = row
        heights = [write_rule_row(ctx, first + i, rule) for i, rule in enumerate(item.rules)]
        row = first + len(item.rules)
        write_item(ctx, first, item, heights)
    ctx.last_rule_row = row - 1
    return row


def write_bonus(ctx: BranchSheet, row: int) -> int:
    """加分项 (only when the standard has a bonus section): one row per bonus rule with its 加分
    and 加分说明 inputs and 检查, and the counted bonus (capped) in the 项目得分 column."""
    bonus = ctx.standard.bonus
    if bonus is None:
        return row
    sheet, formats, standard = ctx.sheet, ctx.formats, ctx.standard
    first = row
    cells: list[str] = []
    problems = {names.problem_name(p): p.short for p in ctx.assessment.problems}
    heights: list[float] = []
    for rule in bonus.rules:
        award_cell = cell(row, COL_DED)
        cells.append(award_cell)
        sheet.write(row, COL_RULE, rule.wording, formats.text)
        sheet.write(row, COL_RANGE, rule.range_label, formats.center)
        value = ctx.raw.awards.get(rule.id)
        if isinstance(value, str) and value:
            sheet.write_string(row, COL_DED, value, formats.deduction)
        elif value is None or value == "" or isinstance(value, bool):
            ctx.write_input(row, COL_DED, value)
        else:
            sheet.write_number(row, COL_DED, float(value), formats.deduction)  # type: ignore[arg-type]
        note = ctx.raw.award_notes.get(rule.id)
        if note:
            sheet.write_string(row, COL_NOTE, str(note), formats.note)
        else:
            sheet.write_blank(row, COL_NOTE, None, formats.note)
        ctx.define(names.bonus_name(rule), row, COL_DED)
        ctx.define(names.bonus_note_name(rule), row, COL_NOTE)
        ctx.define(names.bonus_check_name(rule), row, COL_CHECK)
        sheet.write_formula(
            row,
            COL_CHECK,
            bonus_check_formula(standard, rule, award_cell),
            formats.check,
            problems.get(names.bonus_name(rule), ""),
        )
        validation = deduction_validation(standard, rule, award_cell)
        validation["input_title"] = f"加分规则 {rule.id}"[:32]
        validation["error_title"] = "加分输入有误"
        validation["error_message"] = validation["error_message"].replace("规则", "加分规则", 1)
        sheet.data_validation(row, COL_DED, row, COL_DED, validation)
        heights.append(lines_needed(rule.wording, COLUMNS[COL_RULE][1]) * LINE_HEIGHT)
        row += 1
    last = row - 1
    heading = f"{bonus.name}（最多{fmt(bonus.cap)}分）"
    needed = (
        max(
            lines_needed(heading, COLUMNS[COL_ITEM][1]),
            lines_needed(bonus.wording, COLUMNS[COL_INDICATORS][1]),
        )
        * LINE_HEIGHT
    )
    extra = max(0.0, needed - sum(heights)) / len(heights)
    for offset, height in enumerate(heights):
        sheet.set_row(first + offset, height + extra + 4)
    counted = ctx.assessment.bonus
    value_: float | str = float(counted) if counted is not None else INVALID
    formula = bonus_score_formula(standard, bonus.rules, cells)
    if first == last:
        sheet.write(first, COL_ITEM, heading, formats.item)
        sheet.write(first, COL_INDICATORS, bonus.wording, formats.text)
    else:
        sheet.merge_range(first, COL_ITEM, last, COL_ITEM, heading, formats.item)
        sheet.merge_range(first, COL_INDICATORS, last, COL_INDICATORS, bonus.wording, formats.text)
        sheet.merge_range(first, COL_SCORE, last, COL_SCORE, "", formats.score)
    sheet.write_formula(first, COL_SCORE, formula, formats.score, value_)
    ctx.define(names.BONUS_SCORE, first, COL_SCORE)
    ctx.bonus_cell = cell(first, COL_SCORE)
    return row


def write_total(ctx: BranchSheet, row: int) -> int:
    """合计得分: the sum of the item scores."""
    sheet, formats, standard = ctx.sheet, ctx.formats, ctx.standard
    ctx.total_row = row
    label = f"合计得分（满分{fmt(standard.total_points)}分）"
    if standard.bonus is not None:
        label = f"合计得分（满分{fmt(standard.total_points)}分，另加{standard.bonus.name}）"
    sheet.merge_range(row, 0, row, COL_NOTE, label, formats.total_label)
    score_block = f"{cell(FIRST_RULE_ROW, COL_SCORE)}:{cell(ctx.last_rule_row, COL_SCORE)}"
    formula = (
        total_formula(ctx.mode, standard, score_block, ctx.score_cells)
        if ctx.bonus_cell is None
        else total_with_bonus_formula(standard, ctx.score_cells, ctx.bonus_cell)
    )
    sheet.write_formula(
        row, COL_SCORE, formula, formats.score, decimal_or_text(ctx.assessment.total_text)
    )
    sheet.merge_range(row, COL_CHECK, row, COL_HINT, "", formats.center)
    ctx.define(names.TOTAL_SCORE, row, COL_SCORE)
    sheet.write_blank(row, COL_SELF_SCORE, None, formats.score)
    ctx.define(names.SELF_TOTAL_SCORE, row, COL_SELF_SCORE)
    sheet.set_row(row, 19)
    return row + 1


def write_vetoes(ctx: BranchSheet, row: int) -> int:
    """否决情形: the intro line, then one 是/否 row per veto."""
    sheet, formats, standard = ctx.sheet, ctx.formats, ctx.standard
    intro = "否决情形：" + standard.veto_intro + "（填“是”或“否”，空白视为“否”）"
    sheet.merge_range(row, 0, row, LAST_COL, intro, formats.text)
    sheet.set_row(row, lines_needed(intro, sum(ctx.widths)) * LINE_HEIGHT + 4)
    first_veto_row = row + 1
    for number, wording in enumerate(standard.vetoes, start=1):
        row += 1
        veto_cell = cell(row, COL_DED)
        ctx.veto_cells.append(veto_cell)
        sheet.write(row, COL_ITEM, f"否决情形（{number}）", formats.center)
        sheet.merge_range(row, COL_INDICATORS, row, COL_RANGE, wording, formats.text)
        raw_vetoes = ctx.raw.vetoes
        ctx.write_input(row, COL_DED, raw_vetoes[number - 1] if number <= len(raw_vetoes) else None)
        sheet.merge_range(row, COL_NOTE, row, COL_SELF_SCORE, "", formats.center)
        own = ctx.values.get(names.self_veto_name(number))
        ctx.write_input(row, COL_SELF, own)
        ctx.define(names.self_veto_name(number), row, COL_SELF)
        sheet.data_validation(
            row,
            COL_SELF,
            row,
            COL_SELF,
            veto_validation(standard, f"否决情形（{number}）自评"),
        )
        sheet.write_blank(row, COL_HINT, None, formats.center)
        sheet.write_formula(
            row,
            COL_CHECK,
            veto_check_formula(ctx.mode, veto_cell),
            formats.check,
            ctx.problem_short(names.veto_name(number)),
        )
        sheet.data_validation(
            row, COL_DED, row, COL_DED, veto_validation(standard, f"否决情形（{number}）")
        )
        ctx.define(names.veto_name(number), row, COL_DED)
        ctx.define(names.veto_check_name(number), row, COL_CHECK)
        sheet.set_row(row, 17)
    ctx.veto_block = f"{cell(first_veto_row, COL_DED)}:{cell(row, COL_DED)}"
    return row + 1


def write_grade(ctx: BranchSheet, row: int) -> int:
    """定级: the bands, and the grade from the total and the vetoes."""
    sheet, formats, standard = ctx.sheet, ctx.formats, ctx.standard
    bands = "，".join(g.wording for g in standard.grades)
    label = f"定级（{bands}；有否决情形之一的直接定为“{standard.veto_grade}”）"
    sheet.merge_range(row, 0, row, COL_NOTE, label, formats.total_label)
    sheet.write_blank(row, COL_SELF_SCORE, None, formats.grade)
    ctx.define(names.SELF_GRADE, row, COL_SELF_SCORE)
    sheet.merge_range(row, COL_CHECK, row, COL_HINT, "", formats.center)
    sheet.write_formula(
        row,
        COL_SCORE,
        grade_formula(
            ctx.mode, standard, cell(ctx.total_row, COL_SCORE), ctx.veto_block, ctx.veto_cells
        ),
        formats.grade,
        ctx.assessment.grade_text,
    )
    ctx.define(names.GRADE, row, COL_SCORE)
    ctx.grade_row = row
    sheet.set_row(row, 23)
    return row + 1


def write_notes(ctx: BranchSheet, row: int) -> int:
    """注: the standard's notes under the table."""
    standard = ctx.standard
    note_text = f"注：（1）{standard.note_1}（2）{standard.note_2}"
    ctx.sheet.merge_range(row, 0, row, LAST_COL, note_text, ctx.formats.notes)
    total_width = sum(ctx.widths)
    ctx.sheet.set_row(row, lines_needed(note_text, total_width) * 14 + 8)
    return row + 1


def write_signatures(ctx: BranchSheet, row: int) -> int:
    """The signature line: 考评人, 支部书记, 日期."""
    sheet, formats = ctx.sheet, ctx.formats
    sheet.merge_range(row, 0, row, COL_INDICATORS, "支部书记（自评，签字）：", formats.signature)
    sheet.merge_range(row, COL_RULE, row, COL_NOTE, "考评人（签字）：", formats.signature)
    sheet.merge_range(row, COL_SCORE, row, COL_HINT, "日期：    年  月  日", formats.signature)
    sheet.set_row(row, 26)
    ctx.signature_row = row
    return row + 1


def write_checklist(ctx: BranchSheet, row: int) -> int:
    """The 规范化建设自查表 under the signatures, on a page of its own: per section its entries,
    each with a 是/否 answer and a note, and first whether the branch is of a scope (分会支部)."""
    checklist = ctx.standard.checklist
    if checklist is None:
        return row
    sheet, formats = ctx.sheet, ctx.formats
    row += 1  # a blank row between the signatures and the checklist
    ctx.checklist_row = row
    sheet.merge_range(row, 0, row, LAST_COL, checklist.title, formats.title)
    sheet.set_row(row, 32)
    row += 1
    # The checklist's source is the standard's document (for Anji, section 三 of the notice
    # 〔2012〕6号), not a part of the scoring table; no section number is assumed.
    document = ctx.standard.document
    basis = f"依据{document}文件" if document else f"依据《{ctx.standard.title}》"
    intro = (
        f"{basis}。每条填“{checklist.yes}”或“{checklist.no}”，"
        "可加说明；支部自查填写，考评组核对时可更正。缺项在考评表对应评分办法旁显示提示，"
        "提示不计分，扣分以考评组填写的“考评扣分”为准。"
    )
    sheet.merge_range(row, 0, row, LAST_COL, intro, formats.notes)
    sheet.set_row(row, lines_needed(intro, sum(ctx.widths)) * LINE_HEIGHT + 4)
    row += 1
    for number, scope in enumerate(checklist.scopes, start=1):
        sheet.merge_range(row, 0, row, COL_RANGE, f"本支部是否为{scope}", formats.total_label)
        name = names.checklist_scope_name(number)
        ctx.write_input(row, COL_DED, ctx.values.get(name))
        ctx.define(name, row, COL_DED)
        sheet.data_validation(
            row, COL_DED, row, COL_DED, checklist_validation(checklist, f"是否为{scope}")
        )
        scoped = sum(1 for e in checklist.entries if e.scope == scope)
        sheet.merge_range(
            row,
            COL_SELF,
            row,
            LAST_COL,
            f"填“{checklist.yes}”时，标明“仅{scope}”的 {scoped} 条才计入；空白视为“{checklist.no}”",
            formats.text,
        )
        sheet.set_row(row, 20)
        row += 1
    sheet.write(row, COL_ITEM, "部分", formats.header)
    sheet.merge_range(row, COL_INDICATORS, row, COL_RANGE, "内容", formats.header)
    sheet.write(row, COL_DED, f"{checklist.yes}/{checklist.no}", formats.header)
    sheet.merge_range(row, COL_SELF, row, LAST_COL, "说明", formats.header)
    sheet.set_row(row, 20)
    row += 1
    for section in checklist.sections:
        first = row
        for entry in section.entries:
            text = entry.label + (f"（仅{entry.scope}）" if entry.scope else "")
            sheet.merge_range(row, COL_INDICATORS, row, COL_RANGE, text, formats.text)
            answer, note = names.checklist_name(entry), names.checklist_note_name(entry)
            ctx.write_input(row, COL_DED, ctx.values.get(answer))
            ctx.define(answer, row, COL_DED)
            sheet.data_validation(
                row, COL_DED, row, COL_DED, checklist_validation(checklist, entry.label)
            )
            value = ctx.values.get(note)
            sheet.merge_range(
                row, COL_SELF, row, LAST_COL, "" if value is None else str(value), formats.note
            )
            ctx.define(note, row, COL_SELF)
            sheet.set_row(
                row, lines_needed(text, sum(w for _, w in COLUMNS[1:4])) * LINE_HEIGHT + 3
            )
            row += 1
        heading = f"{section.number}. {section.name}"
        if section.choice is not None:
            heading += f"（{section.choice.text}）"
        if row - 1 > first:
            sheet.merge_range(first, COL_ITEM, row - 1, COL_ITEM, heading, formats.item)
        else:
            sheet.write(first, COL_ITEM, heading, formats.item)
        needed = lines_needed(heading, COLUMNS[COL_ITEM][1]) * LINE_HEIGHT + 3
        rows = row - first
        height = max(needed / rows, LINE_HEIGHT + 3)
        if needed > rows * (LINE_HEIGHT + 3):
            for offset in range(rows):
                sheet.set_row(first + offset, height)
    return row


def checklist_validation(checklist: Checklist, title: str) -> dict[str, Any]:
    """The validation of a checklist answer: 是 or 否 (blank: not answered)."""
    return {
        "validate": "list",
        "source": [checklist.yes, checklist.no],
        "input_title": title[:32],
        "input_message": f"填“{checklist.yes}”或“{checklist.no}”。"[:255],
        "error_title": "自查表输入有误",
        "error_message": f"只能填“{checklist.yes}”或“{checklist.no}”（可留空）。",
        "error_type": "stop",
    }


def write_previous_items(ctx: BranchSheet, row: int) -> int:
    """Last year's rectification items with 是否已整改 (``template --previous``), on a page of
    their own after the checklist; nothing for a branch without them."""
    items = ctx.options.previous_items.get(ctx.branch)
    if items is None:
        return row
    from workbook.outputs.previous_items import write_previous_items as write_items

    row += 1
    ctx.previous_row = row
    return write_items(
        ctx.book, ctx.sheet, ctx.standard, row, ctx.widths, items, BODY_FONT, HEADER_FONT
    )


def write_version_two_cells(ctx: BranchSheet, row: int) -> int:
    """The computed cells of version 2 (自评 scores, total and grade, the 检查 cells of both
    columns, the checklist hints): the formulas ``recalc`` restores, with the engine's values."""
    assert ctx.two is not None
    formulas = version_two_formulas(ctx.standard, ctx.mode, ctx.cells)
    values = version_two_outputs(ctx.standard, ctx.assessment, ctx.two)
    formats = ctx.formats
    for name, formula in formulas.items():
        ref = ctx.cells[name]
        if name.startswith("hint_"):
            fmt_ = formats.hint
        elif name == names.SELF_GRADE:
            fmt_ = formats.grade
        elif name.startswith(("check_", "veto_check_")):
            fmt_ = formats.check
        else:
            fmt_ = formats.score
        ctx.sheet.write_formula(ref.row, ref.col, formula, fmt_, decimal_or_text(values[name]))
    return row


def write_print_setup(ctx: BranchSheet, row: int) -> int:
    """Printing: A4 landscape, the signed page (title to signatures) on one page and the
    checklist on the next, at one scale that fits both; panes and protection."""
    sheet = ctx.sheet
    ctx.last_row = row - 1
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)  # one page wide, in every program's own font metrics
    breaks = [r for r in (ctx.checklist_row, ctx.previous_row) if r]
    if breaks:
        sheet.set_h_pagebreaks(breaks)
    previous = ctx.options.previous_items.get(ctx.branch)
    if previous is not None and previous.items:
        # Last year's items may run to a second page: their title and column headers repeat
        # there (Excel and LibreOffice repeat print titles from the page they first appear on).
        sheet.repeat_rows(ctx.previous_row, ctx.previous_row + 1)
    sheet.set_margins(
        left=PAGE_SIDE_MARGIN,
        right=PAGE_SIDE_MARGIN,
        top=PAGE_TOP_MARGIN,
        bottom=PAGE_BOTTOM_MARGIN,
    )
    sheet.center_horizontally()
    sheet.set_footer(
        header_footer(f'&C&"{BODY_FONT}"&9', ctx.branch, "　第 &P 页，共 &N 页"), {"margin": 0.2}
    )
    sheet.print_area(0, 0, row - 1, LAST_COL)
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
    return row


# The sections of a branch sheet, top to bottom; the print setup comes last (it needs the rows).
SECTIONS: tuple[Section, ...] = (
    write_title,
    write_table_header,
    write_items,
    write_bonus,
    write_total,
    write_vetoes,
    write_grade,
    write_notes,
    write_signatures,
    write_checklist,
    write_previous_items,
    write_version_two_cells,
    write_print_setup,
    write_survey_tally,  # below the print area (issue 9)
)


def write_branch_sheet(
    book: Workbook,
    sheet: Worksheet,
    formats: Formats,
    standard: Standard,
    branch: str,
    options: TemplateOptions,
) -> None:
    """Write one branch sheet in the official table layout, with names, validation and protection."""
    raw = options.inputs.get(branch, RawBranchInputs({}))
    own = options.self_inputs.get(branch, RawBranchInputs({}))
    values: dict[str, object] = dict(options.checklists.get(branch, {}))
    for rule in standard.rules:
        values[names.self_deduction_name(rule)] = own.deductions.get(rule.id)
    for number in range(1, len(standard.vetoes) + 1):
        values[names.self_veto_name(number)] = (
            own.vetoes[number - 1] if number <= len(own.vetoes) else None
        )
    ctx = BranchSheet(
        book, sheet, formats, standard, options, branch, raw, assess_branch(standard, raw)
    )
    ctx.values = values
    ctx.two = read_version_two(standard, values)
    row = 0
    for section in SECTIONS:
        row = section(ctx, row)
