"""Recalculation of a filled workbook: one logic over a small book interface, two places.

``recalculate(book)`` reads every branch sheet (one bulk read each), validates and scores it
with the engine, and tells the book what to write: the computed cells, the marks on invalid
input cells (and which old marks to clear), and one 总览 row per branch. Two books implement
the interface: ``outputs.file_book.XlsxFileBook`` (the package on disk, edited surgically, for the
``recalc`` command) and ``xlplugin.excel_book.ExcelBook`` (live Excel through xlwings, for the
ribbon button). This module never imports xlwings.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from workbook.core import names
from workbook.core.cells import CellRef, normalise, unwrap_formulas
from workbook.core.problems import Problem
from workbook.core.scoring import INVALID, Assessment, RawBranchInputs, assess_branch
from workbook.core.self_sheet import read_version_two, version_two_formulas, version_two_outputs
from workbook.core.standard import DEFAULT_STANDARD_ID, Standard, load_standard
from workbook.core.survey import raw_survey, survey_cells
from workbook.core.tomlvalues import fmt
from workbook.errors import TemplateMismatchError
from workbook.inputs.sheet_contract import (
    LOOKALIKE_ROWS,
    contract_problems,
    formula_warnings,
    hidden_by_merge,
    input_area,
    lookalike_problem,
    looks_like_branch_sheet,
    stray_inputs,
    unusable_cell_problems,
    year_problem,
)
from workbook.xlsx.cells import MergedRange
from workbook.xlsx.properties import TemplateIdentity

__all__ = [
    "OVERVIEW_SHEET",
    "BranchOutcome",
    "BranchSheetNames",
    "CellValue",
    "ContractNames",
    "Overview",
    "RecalcBook",
    "RecalcReport",
    "SheetUpdate",
    "block_bounds",
    "computed_formulas",
    "free_sheet_title",
    "overview",
    "recalculate",
    "same_formula",
    "sheet_update",
    "survey_output_values",
    "values_in_block",
    "version_two_inputs",
    "written_formula",
]

OVERVIEW_SHEET = "总览"

CellValue = Decimal | str | None


@dataclass(frozen=True)
class BranchSheetNames:
    """A branch sheet and where its contract names point.

    ``cells`` are the names that point to a cell of the sheet; ``names`` every name scoped to
    the sheet as the workbook has it (a cell of another sheet, or None for a reference that is
    no single cell), for the contract check; None when the book knows only ``cells``.
    """

    sheet: str
    cells: Mapping[str, CellRef]
    names: Mapping[str, CellRef | None] | None = None


@dataclass(frozen=True)
class SheetUpdate:
    """What recalculation writes to one branch sheet.

    ``outputs`` are the computed cells (item scores, total, grade, 检查 cells) by name;
    ``marks`` are invalid input cells with the note to show; ``unmarks`` are the valid input
    cells, whose old marks (if any) are cleared.
    """

    sheet: str
    outputs: Mapping[str, tuple[CellRef, CellValue]]
    marks: Mapping[CellRef, str]
    unmarks: Sequence[CellRef]


@dataclass(frozen=True)
class Overview:
    """The 总览 sheet: a header row and one row per branch."""

    header: list[str]
    rows: list[list[CellValue]]
    widths: list[float]

    @property
    def wrapped(self) -> list[int]:
        """The 0-based columns of text that may be long, printed wrapped: 支部名称 and 工作表 (a
        long branch name was cut off at the column's edge), 输入检查 and 扣分情况 (the last two)."""
        return [1, 2, len(self.header) - 2, len(self.header) - 1]


class RecalcBook(Protocol):
    """What recalculation needs from a workbook, live in Excel or as a file."""

    def properties(self) -> Mapping[str, object] | None:
        """The custom document properties (``kp_standard``, ``kp_template_version``,
        ``kp_year`` at least, where the workbook has them); None where the book cannot read
        them (Excel for Mac), so the template identity goes unchecked."""
        ...

    def sheet_names(self) -> list[str]:
        """Every sheet, in tab order."""
        ...

    def branch_sheets(self) -> list[BranchSheetNames]:
        """Every sheet with a name of the contract, in tab order, with its names."""
        ...

    def read_block(self, sheet: str, first: CellRef, last: CellRef) -> list[list[object]]:
        """The values of a block of cells of any sheet, in one read (rows may be short)."""
        ...

    def read_cells(self, entry: BranchSheetNames, wanted: Sequence[str]) -> dict[str, object]:
        """The values of the named cells ``wanted`` of a branch sheet, in one read.

        Blank cells are None; an error value is ``CellError`` (or its text, which
        ``cells.normalise`` turns into one), a formula without a result ``UncachedFormula``
        and a formula with one ``FormulaValue``. A book may read more of the sheet in the same
        read (Excel reads the block that holds all the sheet's named cells).
        """
        ...

    def merged_ranges(self, sheet: str) -> Sequence[MergedRange]:
        """The merged ranges of a branch sheet whose cells ``read_cells`` has read (empty where
        the book cannot tell: Excel clears the hidden cells when it merges)."""
        ...

    def write_sheet(self, update: SheetUpdate) -> None:
        """Write computed cells and marks of one branch sheet."""
        ...

    def write_overview(self, overview: Overview) -> None:
        """Create or refresh the 总览 sheet."""
        ...


@dataclass(frozen=True)
class BranchOutcome:
    """The result of recalculating one branch sheet."""

    sheet: str
    branch: str
    assessment: Assessment
    problems: tuple[Problem, ...]  # located by sheet and cell (``第一支部!E6：…``)
    warnings: tuple[str, ...] = ()  # ``sheet!cell：message`` of input cells read from formulas
    own: tuple[CellValue, CellValue] | None = None  # 自评得分, 自评等级 (template version 2)


@dataclass(frozen=True)
class RecalcReport:
    """What a recalculation did.

    ``sheet_problems`` are problems outside the input cells that leave a sheet's result
    incomplete or out of the recalculation (a copied sheet without names, a number in an
    inserted row, another year): ``sheet!cell：message`` (or ``工作表“…”：message``).
    """

    standard: Standard
    branches: tuple[BranchOutcome, ...] = field(default_factory=tuple)
    notices: tuple[str, ...] = ()  # what the user should know about the file written
    sheet_problems: tuple[str, ...] = ()

    @property
    def warnings(self) -> list[str]:
        """Every warning of every branch, in sheet order."""
        return [w for outcome in self.branches for w in outcome.warnings]

    @property
    def problems(self) -> list[Problem]:
        """Every input problem of every branch, in sheet order."""
        return [p for outcome in self.branches for p in outcome.problems]

    @property
    def invalid_branches(self) -> list[BranchOutcome]:
        """The branches that show 待修正."""
        return [b for b in self.branches if b.problems]

    def summary(self) -> str:
        """One Chinese sentence: how many branches, how many problems, where."""
        count = len(self.branches)
        problems = self.problems
        if not problems and self.sheet_problems:
            return f"已重新计算 {count} 个支部，另有 {len(self.sheet_problems)} 处问题未计分。"
        if not problems:
            return f"已重新计算 {count} 个支部，全部输入有效。"
        where = "、".join(b.sheet for b in self.invalid_branches)
        return (
            f"已重新计算 {count} 个支部：{count - len(self.invalid_branches)} 个有效，"
            f"{len(self.invalid_branches)} 个待修正（{where}），共 {len(problems)} 处输入有误。"
        )


def block_bounds(cells: Mapping[str, CellRef]) -> tuple[CellRef, CellRef]:
    """The first and the last cell of the smallest block that holds all of ``cells``."""
    refs = list(cells.values())
    sheet = refs[0].sheet
    first = CellRef(sheet, min(r.row for r in refs), min(r.col for r in refs))
    last = CellRef(sheet, max(r.row for r in refs), max(r.col for r in refs))
    return first, last


def values_in_block(
    block: Sequence[Sequence[object]],
    first: CellRef,
    cells: Mapping[str, CellRef],
    wanted: Sequence[str],
) -> dict[str, object]:
    """The values of the named cells ``wanted`` in ``block``, a block read from cell ``first``."""
    values: dict[str, object] = {}
    for name in wanted:
        ref = cells[name]
        row = block[ref.row - first.row] if ref.row - first.row < len(block) else []
        offset = ref.col - first.col
        values[name] = row[offset] if offset < len(row) else None
    return values


@dataclass(frozen=True)
class ContractNames:
    """The names recalculation reads and writes on every branch sheet of one standard."""

    required: tuple[str, ...]
    inputs: tuple[str, ...]  # every input cell, branch_name first
    rule_inputs: tuple[tuple[str, str, str], ...]  # (rule id, 扣分 name, 扣分说明 name)
    vetoes: tuple[str, ...]  # one per veto condition, in order
    item_scores: tuple[str, ...]  # one per item, in order
    checks: tuple[tuple[str, str], ...]  # (input name, the name of its 检查 cell)
    survey_inputs: tuple[str, ...] = ()  # the 群众测评 tally's count cells
    survey_outputs: tuple[str, ...] = ()  # its computed cells
    standard: Standard | None = None
    bonus_inputs: tuple[tuple[str, str, str], ...] = ()  # (bonus rule id, 加分 name, 说明 name)

    @classmethod
    def of(cls, standard: Standard) -> ContractNames:
        """The names of ``standard``'s contract (worked out once, not for every sheet)."""
        veto_numbers = range(1, len(standard.vetoes) + 1)
        bonus_rules = standard.bonus.rules if standard.bonus is not None else ()
        return cls(
            required=tuple(names.required_names(standard)),
            inputs=tuple(names.input_names(standard)),
            rule_inputs=tuple(
                (r.id, names.deduction_name(r), names.note_name(r)) for r in standard.rules
            ),
            vetoes=tuple(names.veto_name(n) for n in veto_numbers),
            item_scores=tuple(names.item_score_name(item.number) for item in standard.items),
            checks=tuple((names.deduction_name(r), names.check_name(r)) for r in standard.rules)
            + tuple((names.veto_name(n), names.veto_check_name(n)) for n in veto_numbers)
            + tuple((names.bonus_name(r), names.bonus_check_name(r)) for r in bonus_rules),
            survey_inputs=tuple(names.survey_input_names(standard)),
            survey_outputs=tuple(names.survey_output_names(standard)),
            standard=standard,
            bonus_inputs=tuple(
                (r.id, names.bonus_name(r), names.bonus_note_name(r)) for r in bonus_rules
            ),
        )


def version_two_inputs(standard: Standard) -> tuple[str, ...]:
    """The input names template version 2 adds: 自评 and checklist answers (not the notes)."""
    result = names.self_input_names(standard)
    checklist = standard.checklist
    if checklist is not None:
        result += [names.checklist_scope_name(n) for n in range(1, len(checklist.scopes) + 1)]
        result += [names.checklist_name(e) for e in checklist.entries]
    return tuple(result)


def _raw_inputs(
    contract: ContractNames, values: Mapping[str, object], standard: Standard | None = None
) -> RawBranchInputs:
    return RawBranchInputs(
        deductions={rule_id: values.get(name) for rule_id, name, _ in contract.rule_inputs},
        notes={rule_id: values.get(name) for rule_id, _, name in contract.rule_inputs},
        vetoes=[values.get(name) for name in contract.vetoes],
        survey=raw_survey(standard, values) if standard is not None else None,
        awards={rule_id: values.get(name) for rule_id, name, _ in contract.bonus_inputs},
        award_notes={rule_id: values.get(name) for rule_id, _, name in contract.bonus_inputs},
    )


def survey_output_values(contract: ContractNames, assessment: Assessment) -> dict[str, CellValue]:
    """The computed tally cells of an assessed branch (none on a standard without a survey)."""
    if contract.standard is None or not contract.survey_outputs:
        return {}
    values = survey_cells(contract.standard, assessment.survey, assessment.survey_outcome)
    return {
        name: Decimal(repr(v)) if isinstance(v, float) else Decimal(v) if isinstance(v, int) else v
        for name, v in values.items()
    }


def _at_input_cell(problem: Problem, cells: Mapping[str, CellRef]) -> Problem:
    """The engine's problem located at the input cell it is about (``第一支部!E6``)."""
    ref = cells[names.problem_name(problem) or ""]
    return problem.at(sheet=ref.sheet, cell=ref.a1)


def sheet_update(
    contract: ContractNames,
    entry: BranchSheetNames,
    assessment: Assessment,
    version_two: tuple[Mapping[str, CellValue], Sequence[Problem], Sequence[str]] | None = None,
) -> SheetUpdate:
    """The cells to write for one assessed branch sheet (a pure function of the assessment).

    ``version_two`` (template version 2): the computed cells it adds or changes, the problems
    of its inputs (自评, checklist) and the names of those inputs.
    """
    cells = entry.cells
    outputs: dict[str, tuple[CellRef, CellValue]] = {}
    for name, score in zip(contract.item_scores, assessment.item_scores, strict=True):
        outputs[name] = (cells[name], score if score is not None else INVALID)
    if contract.bonus_inputs:
        bonus = assessment.bonus
        outputs[names.BONUS_SCORE] = (cells[names.BONUS_SCORE], INVALID if bonus is None else bonus)
    outputs[names.TOTAL_SCORE] = (cells[names.TOTAL_SCORE], assessment.total_text)
    outputs[names.GRADE] = (cells[names.GRADE], assessment.grade_text)
    by_field = {names.problem_name(p): p for p in assessment.problems}
    marks: dict[CellRef, str] = {}
    unmarks: list[CellRef] = []
    for name, value in survey_output_values(contract, assessment).items():
        if name in cells:
            outputs[name] = (cells[name], value)
    notes = tuple(note for _, _, note in contract.rule_inputs)
    for name in contract.survey_inputs + notes:
        if name not in cells:
            continue
        problem = by_field.get(name)
        if problem:
            marks[cells[name]] = problem.message
        else:
            unmarks.append(cells[name])
    for input_name, check_name in contract.checks:
        problem = by_field.get(input_name)
        if check_name in cells:
            outputs[check_name] = (cells[check_name], problem.short if problem else "")
        if problem:
            marks[cells[input_name]] = problem.message
        else:
            unmarks.append(cells[input_name])
    if version_two is not None:
        extra, problems, inputs = version_two
        outputs.update({n: (cells[n], value) for n, value in extra.items() if n in cells})
        wrong = {names.problem_name(p): p for p in problems}
        for name in inputs:
            if name not in cells:
                continue
            if name in wrong:
                marks[cells[name]] = wrong[name].message
            else:
                unmarks.append(cells[name])
    return SheetUpdate(entry.sheet, outputs, marks, unmarks)


def overview(standard: Standard, outcomes: Sequence[BranchOutcome]) -> Overview:
    """The 总览 sheet: one row per branch with scores, grade and the reasons; the counted 加分
    when the standard has a bonus section, and the 自评 total and grade of version-2 sheets (as
    in consolidate's summary)."""
    bonus = standard.bonus
    with_own = any(outcome.own is not None for outcome in outcomes)
    header = (
        ["序号", "支部名称", "工作表"]
        + [item.heading for item in standard.items]
        + ([f"{bonus.name}（最多{fmt(bonus.cap)}分）"] if bonus is not None else [])
        + ["合计得分", "定级"]
        + (["自评得分", "自评等级"] if with_own else [])
        + ["输入检查", "扣分情况"]
    )
    rows: list[list[CellValue]] = []
    for number, outcome in enumerate(outcomes, start=1):
        assessment = outcome.assessment
        scores: list[CellValue] = [s if s is not None else INVALID for s in assessment.item_scores]
        if outcome.problems:
            # Each problem in the few words of its 检查 cell: the whole messages (rule, value,
            # allowed values; in the cells' notes and the command's output) did not fit the
            # column, and a printed 总览 cut them off after two or three.
            check = (
                f"有 {len(outcome.problems)} 处输入有误："
                + "；".join(_short_problem(p) for p in outcome.problems)
                + "（详见各单元格的批注）"
            )
            reasons = "待修正"
        else:
            check = "输入有效"
            lines = assessment.result.reasons() if assessment.result else []
            reasons = "；".join(lines) if lines else "无扣分"
        row: list[CellValue] = [Decimal(number), outcome.branch, outcome.sheet]
        row += scores
        if bonus is not None:
            row.append(INVALID if assessment.bonus is None else assessment.bonus)
        row += [assessment.total_text, assessment.grade_text]
        if with_own:
            row += list(outcome.own) if outcome.own is not None else [None, None]
        row += [check, reasons]
        rows.append(row)
    # About 150 characters wide: one A4 landscape page wide at a readable scale (the two
    # text columns wrap; narrower when the 自评 columns take their room).
    widths = (
        [4.5, 16.0, 12.0]
        + [7.0] * (len(standard.items) + (bonus is not None))
        + [7.0, 6.0]
        + ([7.0, 6.0] if with_own else [])
        + ([16.0, 32.0] if with_own else [18.0, 40.0])
    )
    return Overview(header, rows, widths)


def _short_problem(problem: Problem) -> str:
    """``E6 输入有误：应为0或1～3``: the cell and its 检查 text (the message without one)."""
    text = problem.short or problem.message
    return f"{problem.cell} {text}" if problem.cell else text


def computed_formulas(
    standard: Standard, mode: str, cells: Mapping[str, CellRef]
) -> dict[str, str]:
    """The formula (with "=") of every computed cell of a branch sheet, by name, as the
    template writes it in formula ``mode`` (``formulas``' functions, the cells from the
    sheet's names): what a cell whose formula was overwritten gets back."""
    from workbook.core import formulas

    if mode not in formulas.FORMULA_MODES:
        return {}
    kind: formulas.FormulaMode = mode
    places = standard.max_decimal_places
    result: dict[str, str] = {}
    ded_rows: list[int] = []
    for item in standard.items:
        refs = [cells[names.deduction_name(rule)] for rule in item.rules]
        ded_rows += [ref.row for ref in refs]
        score = names.item_score_name(item.number)
        result[score] = formulas.item_score_formula(
            kind, standard, item, [ref.a1 for ref in refs], places
        )
        for rule, ref in zip(item.rules, refs, strict=True):
            result[names.check_name(rule)] = formulas.check_formula(kind, standard, rule, ref.a1)
    first_score = cells[names.item_score_name(standard.items[0].number)]
    score_block = (
        f"{first_score.a1}:{CellRef(first_score.sheet, max(ded_rows), first_score.col).a1}"
    )
    score_cells = [cells[names.item_score_name(item.number)].a1 for item in standard.items]
    total = cells[names.TOTAL_SCORE].a1
    result[names.TOTAL_SCORE] = formulas.total_formula(kind, standard, score_block, score_cells)
    if standard.bonus is not None:
        award_cells = [cells[names.bonus_name(rule)].a1 for rule in standard.bonus.rules]
        for rule, cell in zip(standard.bonus.rules, award_cells, strict=True):
            result[names.bonus_check_name(rule)] = formulas.bonus_check_formula(
                standard, rule, cell
            )
        bonus_cell = cells[names.BONUS_SCORE].a1
        result[names.BONUS_SCORE] = formulas.bonus_score_formula(
            standard, standard.bonus.rules, award_cells
        )
        result[names.TOTAL_SCORE] = formulas.total_with_bonus_formula(
            standard, score_cells, bonus_cell
        )
    veto_cells = [cells[names.veto_name(n)].a1 for n in range(1, len(standard.vetoes) + 1)]
    for number, cell in enumerate(veto_cells, start=1):
        result[names.veto_check_name(number)] = formulas.veto_check_formula(kind, cell)
    veto_block = f"{veto_cells[0]}:{veto_cells[-1]}" if veto_cells else ""
    result[names.GRADE] = formulas.grade_formula(kind, standard, total, veto_block, veto_cells)
    if names.SELF_TOTAL_SCORE in cells:
        result.update(version_two_formulas(standard, kind, cells))
    survey = standard.survey
    if survey is not None and all(n in cells for n in names.survey_output_names(standard)):
        tally = formulas.survey_cells_by_name(standard, lambda name: cells[name].a1)
        result |= formulas.survey_formulas_by_name(kind, standard, tally)
        item = standard.item(standard.rule(survey.rule_id).item_number)
        survey_refs = [cells[names.deduction_name(rule)].a1 for rule in item.rules]
        result[names.item_score_name(item.number)] = formulas.survey_item_score_formula(
            kind, standard, item, survey_refs, places, tally
        )
        if survey.ceilings:
            result[names.GRADE] = formulas.ceiling_grade_formula(
                kind, standard, total, veto_block, veto_cells, tally
            )
    return result


def recalculate(
    book: RecalcBook, progress: Callable[[int, int], None] | None = None
) -> RecalcReport:
    """Recalculate every branch sheet of ``book`` and refresh its 总览 sheet.

    The template identity and every sheet's names are checked against the contract before
    anything is written, exactly as ``consolidate`` checks them, so a workbook that is not a
    branch assessment workbook of this template is left untouched. ``progress`` is called with
    (sheets done, sheets in all) before each branch sheet (the ribbon shows it in Excel).

    Raises:
        TemplateMismatchError: another template or standard, no branch sheet, or a sheet whose
            names break the contract (each problem named by sheet and cell).
        StandardFileError: the workbook names a standard this tool does not have.
    """
    properties = book.properties()
    identity = TemplateIdentity.of(properties or {})
    standard = load_standard(identity.standard or DEFAULT_STANDARD_ID)
    mismatch = (
        identity.mismatch(standard.id, standard.content_hash) if properties is not None else None
    )
    if mismatch is not None:
        raise TemplateMismatchError(mismatch)
    if identity.year_problem() is not None:
        raise TemplateMismatchError(identity.year_problem())
    entries = book.branch_sheets()
    if not entries:
        raise TemplateMismatchError(
            "工作簿中没有支部工作表（找不到名称 branch_name），不是考评定级表"
        )
    contract = ContractNames.of(standard)
    broken = [
        _sheet_problem_text(entry.sheet, problem)
        for entry in entries
        for problem in contract_problems(
            entry.sheet,
            entry.names if entry.names is not None else entry.cells,
            standard,
            identity.version,
        )
    ]
    if broken:
        raise TemplateMismatchError(
            f"{len(broken)} 处工作表结构问题，未重新计算（文件未改动）：" + "；".join(broken)
        )
    branch_names = {entry.sheet for entry in entries}
    sheet_problems = [
        _sheet_problem_text(sheet, lookalike_problem())
        for sheet in book.sheet_names()
        if sheet not in branch_names
        and looks_like_branch_sheet(
            book.read_block(sheet, CellRef(sheet, 0, 0), CellRef(sheet, LOOKALIKE_ROWS - 1, 11))
        )
    ]
    outcomes: list[BranchOutcome] = []
    first_places: dict[str, str] = {}  # branch name -> the 支部名称 cell it was first read in
    wanted = (*contract.inputs, names.YEAR, names.ASSESSOR)
    two_inputs = version_two_inputs(standard)
    for done, entry in enumerate(entries):
        if progress is not None:
            progress(done, len(entries))
        two = names.SELF_TOTAL_SCORE in entry.cells  # template version 2
        present = [n for n in wanted + (two_inputs if two else ()) if n in entry.cells]
        read = {
            name: normalise(value, error_strings=True)
            for name, value in book.read_cells(entry, present).items()
        }
        # The input area lies inside the block of the sheet's named cells, which the Excel
        # adapter has just read: it answers this from that read.
        area = input_area(entry.cells, standard)
        strays: list[Problem] = []
        if area is not None:
            column, first_row, last_row = area
            block = book.read_block(
                entry.sheet,
                CellRef(entry.sheet, first_row, column),
                CellRef(entry.sheet, last_row, column),
            )
            filled = [
                (first_row + offset, column)
                for offset, row in enumerate(block)
                if row and normalise(row[0]) is not None
            ]
            strays = stray_inputs(entry.sheet, entry.cells, filled)
        values, formulas = unwrap_formulas(read)
        problems_here = list(strays)
        problems_here += hidden_by_merge(entry.cells, values, book.merged_ranges(entry.sheet))
        problems_here += unusable_cell_problems(
            entry.cells, values, (names.BRANCH_NAME, names.ASSESSOR)
        )
        year = year_problem(
            entry.sheet, entry.cells.get(names.YEAR), values.get(names.YEAR), identity.year
        )
        if year is not None:
            problems_here.append(year)
        sheet_problems += [_sheet_problem_text(entry.sheet, p) for p in problems_here]
        assessment = assess_branch(standard, _raw_inputs(contract, values, standard))
        branch_value = values.get(names.BRANCH_NAME)
        branch = str(branch_value).strip() if isinstance(branch_value, str | int | float) else ""
        branch_cell = entry.cells.get(names.BRANCH_NAME)
        if branch and branch_cell is not None:
            # consolidate's message: a copied sheet (移动或复制) keeps the 支部名称 of its original.
            first = first_places.setdefault(branch, branch_cell.label)
            if first != branch_cell.label:
                sheet_problems.append(
                    _sheet_problem_text(
                        entry.sheet,
                        Problem(
                            f"支部“{branch}”重复：已在 {first} 出现；同一支部只能汇总一次",
                            cell=branch_cell.a1,
                        ),
                    )
                )
        update: tuple[Mapping[str, CellValue], Sequence[Problem], Sequence[str]] | None
        input_problems = list(assessment.problems)
        update = None
        if two:
            sheet_two = read_version_two(standard, values)
            input_problems += sheet_two.problems
            update = (
                version_two_outputs(standard, assessment, sheet_two),
                sheet_two.problems,
                two_inputs,
            )
        problems = tuple(
            _at_input_cell(p, entry.cells)
            for p in input_problems
            if names.problem_name(p) in entry.cells
        )
        warnings = tuple(
            _sheet_problem_text(entry.sheet, w)
            for w in formula_warnings(entry.cells, formulas, values)
        ) + tuple(
            str(_at_input_cell(n, entry.cells))
            for n in assessment.notices
            if names.problem_name(n) in entry.cells
        )
        book.write_sheet(sheet_update(contract, entry, assessment, update))
        own = None
        if update is not None:
            own = (update[0].get(names.SELF_TOTAL_SCORE), update[0].get(names.SELF_GRADE))
        outcomes.append(
            BranchOutcome(entry.sheet, branch or entry.sheet, assessment, problems, warnings, own)
        )
    book.write_overview(overview(standard, outcomes))
    return RecalcReport(standard, tuple(outcomes), sheet_problems=tuple(sheet_problems))


def _sheet_problem_text(sheet: str, problem: Problem) -> str:
    """``第一支部!E8：message``, or ``工作表“第一支部”：message`` for the whole sheet."""
    return problem.at(sheet=sheet).text()


_FORMULA_ELEMENT = re.compile(r"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_STRING_LITERAL = re.compile(r'("(?:[^"]|"")*")')
_NOT_OWN_FORMULA = re.compile(r"""\bt\s*=\s*["'](?:shared|array|dataTable)""")
_BLANKS = re.compile(r"\s+")


@functools.lru_cache(maxsize=8192)
def written_formula(element: str) -> str | None:
    """The formula text of a cell element; None for a shared or array formula (its text is
    not the cell's own) or a cell without one. (Cached: branch sheets are copies of one
    template, so the same element comes back on every sheet.)"""
    match = _FORMULA_ELEMENT.search(element)
    if match is None or _NOT_OWN_FORMULA.search(match[1]):
        return None
    return html.unescape(match[2] or "")


@functools.lru_cache(maxsize=8192)
def _formula_key(formula: str) -> str:
    """A formula without what ``same_formula`` ignores (cached, like ``written_formula``)."""
    pieces = _STRING_LITERAL.split(formula.strip().removeprefix("="))
    return "".join(
        piece if index % 2 else _plain_key(_BLANKS.sub("", piece).replace("$", "").upper())
        for index, piece in enumerate(pieces)
    )


# How LibreOffice and Gnumeric write back what Excel and our templates write: TRUE() and
# FALSE() for TRUE and FALSE, E25 for the range E25:E25, and number literals in another form
# (0.000000001 or 9.99999999999999999981E-10 for 1E-9). A number here is not part of a name or a cell
# reference (E5, LOG10), nor of a quoted sheet name ('第0001支部'!A1).
_LOGICAL_CALL = re.compile(r"\b(TRUE|FALSE)\(\)")
_SHEET_NAME = re.compile(r"('(?:[^']|'')*')")
_ONE_CELL_RANGE = re.compile(r"(?<![A-Z0-9_.])([A-Z]{1,3}[0-9]+):\1(?![A-Z0-9_.(])")
_NUMBER = re.compile(r"(?<![A-Z0-9_.])(?:\d+\.?\d*|\.\d+)(?:E[+-]?\d+)?(?![A-Z0-9_.(])")


def _plain_key(text: str) -> str:
    """``_formula_key`` of formula text outside string literals (upper case, no blanks)."""
    text = _LOGICAL_CALL.sub(r"\1", text.replace("_XLFN.", ""))
    text = _ONE_CELL_RANGE.sub(r"\1", text)
    pieces = _SHEET_NAME.split(text)
    return "".join(
        piece if index % 2 else _NUMBER.sub(_number_key, piece)
        for index, piece in enumerate(pieces)
    )


def _number_key(match: re.Match[str]) -> str:
    """A number literal as the double a spreadsheet keeps of it."""
    return repr(float(match[0]))


def same_formula(written: str, expected: str) -> bool:
    """True if two formulas differ at most harmlessly: a leading "=", the case of names,
    "$" signs, blanks, Excel's "_xlfn." prefixes, TRUE() for TRUE and the way a number is
    written (1E-9, 0.000000001), as LibreOffice and Gnumeric write formulas back (text in
    quotes is compared as is)."""
    return written == expected or _formula_key(written) == _formula_key(expected)


def free_sheet_title(title: str, taken: Iterable[str]) -> str:
    """``title``, or ``title(2)``, ``title(3)`` … : the first no sheet has (compared without
    case, as Excel does)."""
    used = {t.casefold() for t in taken}
    if title.casefold() not in used:
        return title
    number = 2
    while f"{title}({number})".casefold() in used:
        number += 1
    return f"{title}({number})"
