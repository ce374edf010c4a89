"""Consolidation: read every filled branch workbook, recompute, check, rank.

The core is :func:`consolidate`: paths in, a :class:`Consolidation` out (branches with their
recomputed results and ranks, every problem found, the source files). It never writes anything;
``outputs/summary.py`` turns a consolidation into the summary workbook and
``outputs/json_report.py`` into the JSON report. Finding the input files is ``files.py``; reading
many of them in worker processes is ``workers.py``. Cached values in the inputs are never trusted: every score is recomputed with the engine
from the input cells, and a cached score that disagrees is reported as a warning.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

from workbook.core import names
from workbook.core.assessors import (
    DEFAULT_SPREAD_THRESHOLD,
    AssessorResult,
    CombinedResult,
    Method,
    combine_assessors,
)
from workbook.core.cells import CellError, UncachedFormula
from workbook.core.checklist import ChecklistReport
from workbook.core.problems import Problem
from workbook.core.scoring import (
    PENDING,
    Assessment,
    BranchResult,
    ItemResult,
    assess_branch,
)
from workbook.core.self_assessment import (
    DEFAULT_SELF_THRESHOLD,
    SelfAssessment,
    SelfComparison,
    compare_self,
)
from workbook.core.self_sheet import read_version_two
from workbook.core.standard import DEFAULT_STANDARD_ID, Standard, fmt, load_standard
from workbook.errors import (
    AssessorConflictError,
    PackageTooLargeError,
    WorkbookReadError,
    describe_os_error,
)
from workbook.inputs.files import find_inputs, read_source
from workbook.inputs.reader import BranchSheet, read_branch_workbook
from workbook.inputs.sheet_contract import (
    contract_problems,
    formula_warnings,
    hidden_by_merge,
    lookalike_problem,
    stray_inputs,
    unusable_cell_problems,
    year_problem,
)
from workbook.inputs.workers import read_all
from workbook.xlsx.properties import TemplateIdentity

__all__ = [
    "BranchEntry",
    "Consolidation",
    "Problem",
    "ProgressCallback",
    "SourceFile",
    "assign_ranks",
    "consolidate",
    "read_file",
    "stale_cached_values",
]

_TOLERANCE = Decimal("0.000001")

ProgressCallback = Callable[[int, int, Path], None]  # (done, total, file just read)


@dataclass
class BranchEntry:
    """One branch sheet found in the inputs, with its recomputed assessment and rank."""

    branch: str
    file: str
    sheet: str
    assessment: Assessment
    assessor: str = ""
    rank: int | None = None
    order: int = 0  # discovery order: files sorted by path, sheets in workbook order
    # Template version 2: the branch's 自评 and its checklist (None for a version-1 sheet).
    own: SelfAssessment | None = None
    checklist: ChecklistReport | None = None

    def self_comparison(self, threshold: Decimal) -> SelfComparison | None:
        """The 自评 against the committee's, when both are complete and valid."""
        if self.own is None or self.own.result is None or self.result is None:
            return None
        return compare_self(self.own.result, self.result, threshold)

    cells: dict[str, str] = field(default_factory=dict)  # assessor and veto names -> A1
    # Several assessors (consolidate --assessors): the combination and each assessor's entry.
    combined: CombinedResult | None = None
    members: list[BranchEntry] = field(default_factory=list)

    @property
    def result(self) -> BranchResult | None:
        """The scores, or None while the branch has invalid inputs (drafts only)."""
        return self.assessment.result

    @property
    def vetoed(self) -> bool:
        """True if a veto condition applies."""
        return bool(self.result and self.result.vetoes)

    @property
    def total_text(self) -> str:
        """The total for display, or 待修正."""
        return fmt(self.result.total) if self.result else PENDING

    @property
    def grade_text(self) -> str:
        """The grade, or 待修正."""
        return self.assessment.grade_text


@dataclass(frozen=True)
class SourceFile:
    """One input workbook as read: identity and what was taken from it."""

    path: Path
    display: str
    sha256: str
    size: int
    modified: _dt.datetime  # local time, to the second
    sheets: tuple[str, ...]  # branch sheets read
    template_version: str | None
    standard_id: str | None
    year: str | None


@dataclass
class Consolidation:
    """Everything the summary, the JSON report and the terminal output need."""

    standard: Standard
    year: int | None
    branches: list[BranchEntry] = field(default_factory=list)  # sorted by rank
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    sources: list[SourceFile] = field(default_factory=list)
    # 自评偏高 when a branch's 自评 total is above the committee's by more than this.
    self_threshold: Decimal = DEFAULT_SELF_THRESHOLD

    @property
    def ok(self) -> bool:
        """True when nothing stops the summary from being final."""
        return not self.errors

    @property
    def scored(self) -> list[BranchEntry]:
        """Branches with a result (all of them unless this is a draft with invalid inputs)."""
        return [entry for entry in self.branches if entry.result is not None]


def _year_text(raw: object) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    text = str(raw).strip()
    return text or None


def _cached_number(raw: object) -> Decimal | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    if isinstance(raw, float) and not math.isfinite(raw):
        return None
    try:
        return Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    except InvalidOperation:
        return None


def stale_cached_values(
    standard: Standard, sheet: BranchSheet, result: BranchResult, display: str
) -> list[Problem]:
    """Warnings for cached scores that differ from the recomputed ones (a formula was overwritten).

    A blank cache (a file saved by a program that does not calculate) is not reported.
    """
    expected: list[tuple[str, Decimal | str, str]] = [
        (names.item_score_name(item.number), score, f"第{item.number}项“{item.name}”得分")
        for item, score in zip(standard.items, result.item_scores, strict=True)
    ]
    expected.append((names.TOTAL_SCORE, result.total, "合计得分"))
    expected.append((names.GRADE, result.grade, "定级"))
    warnings: list[Problem] = []
    for name, value, what in expected:
        raw = sheet.values.get(name)
        if raw is None or isinstance(raw, CellError | UncachedFormula):
            continue  # not calculated (e.g. #NAME? where the add-in is missing)
        if isinstance(value, Decimal):
            cached = _cached_number(raw)
            # Excel's binary arithmetic may leave 17.649999999999999 for 17.65.
            if cached is not None and abs(cached - value) < _TOLERANCE:
                continue
            shown = fmt(cached) if cached is not None else str(raw)
            right = fmt(value)
        else:
            if str(raw).strip() == value:
                continue
            shown, right = str(raw), value
        ref = sheet.cells.get(name)
        warnings.append(
            Problem(
                f"{what}单元格显示“{shown}”，按输入重新计算应为“{right}”"
                "（公式可能被改写或未重新计算；汇总以重新计算的结果为准）",
                file=display,
                sheet=sheet.sheet,
                cell=ref.a1 if ref else name,
            )
        )
    return warnings


def _input_problems(sheet: BranchSheet, assessment: Assessment, display: str) -> list[Problem]:
    """The branch's invalid inputs located in its file and sheet.

    The engine's messages already name the rule (or veto condition) and the allowed values.
    """
    problems: list[Problem] = []
    for problem in assessment.problems:
        name = names.problem_name(problem) or ""
        ref = sheet.cells.get(name)
        problems.append(problem.at(file=display, sheet=sheet.sheet, cell=ref.a1 if ref else name))
    return problems


def _located(sheet: BranchSheet, problems: Sequence[Problem], display: str) -> list[Problem]:
    """Problems of named input cells located in the file and sheet."""
    located = []
    for problem in problems:
        name = names.problem_name(problem) or ""
        ref = sheet.cells.get(name)
        located.append(problem.at(file=display, sheet=sheet.sheet, cell=ref.a1 if ref else name))
    return located


def assign_ranks(entries: list[BranchEntry]) -> list[BranchEntry]:
    """Rank and sort branches; returns them in rank order.

    Branches without a veto are ranked by total, highest first; equal totals share a rank and
    the next rank skips (1, 2, 2, 4). Vetoed branches are 较差 whatever their score, so they rank
    after every branch without a veto, among themselves by their score before the veto, the
    numbering continuing. Branches with invalid inputs (drafts only) get no rank and come last.
    Ties keep discovery order (files sorted by path, sheets in workbook order).
    """
    clean = sorted(
        (e for e in entries if e.result is not None and not e.vetoed),
        key=lambda e: (-e.result.total, e.order),  # type: ignore[union-attr]
    )
    vetoed = sorted(
        (e for e in entries if e.vetoed),
        key=lambda e: (-e.result.total, e.order),  # type: ignore[union-attr]
    )
    pending = sorted((e for e in entries if e.result is None), key=lambda e: e.order)
    position = 0
    for group in (clean, vetoed):
        previous: Decimal | None = None
        rank = 0
        for entry in group:
            position += 1
            assert entry.result is not None
            if entry.result.total != previous:
                rank = position
                previous = entry.result.total
            entry.rank = rank
    for entry in pending:
        entry.rank = None
    return clean + vetoed + pending


def consolidate(
    inputs: Sequence[str | Path],
    *,
    standard_id: str = DEFAULT_STANDARD_ID,
    exclude: Iterable[Path] = (),
    progress: ProgressCallback | None = None,
    workers: int | None = None,
    self_threshold: Decimal = DEFAULT_SELF_THRESHOLD,
    assessors: Method | None = None,
    spread_threshold: Decimal = DEFAULT_SPREAD_THRESHOLD,
) -> Consolidation:
    """Read, recompute, check and rank every branch sheet in ``inputs`` (files or folders).

    Inputs are only read. Every problem is collected; nothing is raised for bad inputs.
    Files are read in worker processes when there are many of them; the result is the same,
    in the same order, either way.

    Args:
        inputs: workbook files and folders (searched recursively).
        standard_id: the standard every workbook must have been made for.
        exclude: paths never read as inputs (the summary being written).
        progress: called after each file with (files done, files in all, that file).
        workers: worker processes (default: the CPU count, up to 8, for 64 files or more;
            1 reads everything in this process).
        self_threshold: 自评偏高 above this many points (template version 2).
        assessors: combine the sheets of one branch filled by several assessors (by their
            考评人 cell) with this method; None: the same branch twice is an error.
        spread_threshold: with ``assessors``, a spread of totals above this is flagged.

    Raises:
        StandardFileError: the standard itself cannot be loaded.
    """
    standard = load_standard(standard_id)
    files, errors, warnings = find_inputs(inputs, exclude)
    sources: list[SourceFile] = []
    entries: list[BranchEntry] = []
    first_place: dict[str, str] = {}
    first_assessor: dict[str, str] = {}  # the 考评人 of each branch's first sheet
    years: dict[str, str | None] = {}  # file display -> year
    groups: dict[str, list[BranchEntry]] = {}  # with ``assessors``: a branch's sheets

    done = 0
    for report in read_all(read_file, standard_id, files, workers):
        errors.extend(report.errors)
        warnings.extend(report.warnings)
        kept: list[str] = []  # this file's branch sheets in the summary
        for found in report.branches:
            if assessors is not None:
                errors.extend(found.problems)
                warnings.extend(found.warnings)
                groups.setdefault(found.entry.branch, []).append(found.entry)
                kept.append(found.entry.sheet)
                continue
            if found.entry.branch in first_place:
                # Left out of the summary, but its own problems are still worth fixing now.
                errors.append(
                    found.duplicate(
                        first_place[found.entry.branch], first_assessor[found.entry.branch]
                    )
                )
                errors.extend(found.problems)
                continue
            first_place[found.entry.branch] = found.place
            first_assessor[found.entry.branch] = found.entry.assessor
            errors.extend(found.problems)
            warnings.extend(found.warnings)
            found.entry.order = len(entries)
            entries.append(found.entry)
            kept.append(found.entry.sheet)
        if report.source is not None:
            source = report.source
            if len(kept) < len(source.sheets):  # a branch sheet left out as a duplicate
                source = replace(source, sheets=tuple(s for s in source.sheets if s in kept))
            sources.append(source)
            years[report.display] = report.year
        done += 1
        if progress is not None:
            progress(done, len(files), report.path)

    for members in groups.values():
        entry = combine_entries(members, assessors or "mean", spread_threshold, errors, warnings)
        entry.order = len(entries)
        entries.append(entry)
    year = _common_year(years, errors)
    if not entries and not errors:  # else each input is named by its problem already
        where = "、".join(str(p) for p in inputs) or "（未指定）"
        what = "没有找到任何工作簿" if not files else "没有找到任何可汇总的支部工作表"
        errors.append(Problem(f"{what}（.xlsx 或 .xlsm，且含支部工作表）", file=where))
    return Consolidation(
        standard=standard,
        year=year,
        branches=assign_ranks(entries),
        errors=errors,
        warnings=warnings,
        sources=sources,
        self_threshold=self_threshold,
    )


def combine_entries(
    members: list[BranchEntry],
    method: Method,
    threshold: Decimal,
    errors: list[Problem],
    warnings: list[Problem] | None = None,
) -> BranchEntry:
    """One branch's sheets by several assessors as one entry (``consolidate --assessors``).

    A single sheet stays as it is. Sheets with invalid inputs cannot be combined (their
    problems are errors already), nor can assessors who disagree on a veto or are not told
    apart (errors naming the files and cells): the branch then stands in the draft as 待修正,
    without scores or rank, never with one assessor's result as if it were the branch's.
    """
    if len(members) == 1:
        return members[0]
    first = members[0]

    def pending() -> BranchEntry:
        items = tuple(None for _ in first.assessment.item_scores)
        problem = Problem(
            "多人考评的考评表有待修正项，无法合并计分", file=first.file, sheet=first.sheet
        )
        return replace(first, assessment=Assessment(None, (problem,), items), members=members)

    if any(m.result is None for m in members):
        return pending()
    results = [
        AssessorResult(m.assessor, m.result, f"{m.file}，{m.sheet}")
        for m in members
        if m.result is not None
    ]
    try:
        combined = combine_assessors(results, method, threshold)
    except AssessorConflictError as conflict:
        by_source = {f"{m.file}，{m.sheet}": m for m in members}
        for problem in conflict.problems:
            name = names.problem_name(problem) or names.ASSESSOR
            involved = [by_source[source] for source in problem.sources]
            cells = "、".join(f"{m.file}，{m.sheet}!{m.cells.get(name, name)}" for m in involved)
            where = involved[0]
            errors.append(
                Problem(
                    f"{problem.message}（单元格：{cells}）",
                    file=where.file,
                    sheet=where.sheet,
                    cell=where.cells.get(name),
                )
            )
        return pending()
    standard = combined.standard
    items = tuple(
        ItemResult(item, combined.mean_deductions(item.number), item.points - score, score)
        for item, score in zip(standard.items, combined.item_scores, strict=True)
    )
    result = BranchResult(
        standard, items, combined.total, combined.score_grade, combined.vetoes, combined.grade
    )
    files = list(dict.fromkeys(m.file for m in members))
    # The 自评 and the 自查表 are the branch's own, the same in every assessor's copy: the first
    # sheet that has them gives them (a 提示 where another copy differs).
    own = next((m.own for m in members if m.own is not None), None)
    checklist = next((m.checklist for m in members if m.checklist is not None), None)
    differing = (
        ("自评", own, [m for m in members if m.own is not None and m.own != own]),
        (
            "自查表",
            checklist,
            [m for m in members if m.checklist is not None and m.checklist != checklist],
        ),
    )
    for what, mine, others in differing:
        if others and warnings is not None:
            giver = next(m for m in members if mine in (m.own, m.checklist))
            warnings.append(
                Problem(
                    f"支部“{first.branch}”的{what}在各考评人的考评表中不一致："
                    f"{'、'.join(f'{m.file}，{m.sheet}' for m in others)} 与 {giver.file}，{giver.sheet} "
                    f"不同；汇总采用后者",
                    file=giver.file,
                    sheet=giver.sheet,
                )
            )
    return BranchEntry(
        branch=first.branch,
        file="、".join(files),
        sheet="、".join(dict.fromkeys(m.sheet for m in members)),
        assessment=Assessment(result, (), combined.item_scores),
        assessor="、".join(m.assessor for m in members),
        own=own,
        checklist=checklist,
        cells=first.cells,
        combined=combined,
        members=members,
    )


@dataclass
class _FoundBranch:
    """A branch sheet as read from one file, before duplicates across files are known."""

    entry: BranchEntry
    place: str  # "file，sheet!cell" of its branch_name
    cell: str
    problems: list[Problem]
    warnings: list[Problem]

    def duplicate(self, first: str, first_assessor: str = "") -> Problem:
        # Two assessors' sheets of one branch: the user may not know --assessors exists.
        mine, theirs = self.entry.assessor.strip(), first_assessor.strip()
        hint = (
            f"；两份的考评人不同（{theirs}、{mine}），若是多人分别考评同一支部，"
            "请加 --assessors mean（或 trimmed）合并计分"
            if mine and theirs and mine != theirs
            else ""
        )
        return Problem(
            f"支部“{self.entry.branch}”重复：已在 {first} 出现；同一支部只能汇总一次{hint}",
            file=self.entry.file,
            sheet=self.entry.sheet,
            cell=self.cell,
        )


@dataclass
class _FileReport:
    """Everything read from one file; built without looking at any other file."""

    path: Path
    display: str
    source: SourceFile | None = None
    year: str | None = None
    branches: list[_FoundBranch] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


# A branch sheet hidden in the workbook counts like any other; the user may not know it is there.
HIDDEN_SHEET = (
    "此支部工作表已隐藏（不在工作表标签中显示），仍计入汇总；"
    "如该支部已撤销或不参加本年度考评，请删除此工作表后再汇总"
)


def read_file(standard: Standard, path: Path, display: str) -> _FileReport:
    """Read, check and assess one workbook on its own (no cross-file checks)."""
    report = _FileReport(path, display)
    try:
        data, sha, size, modified = read_source(path)
    except OSError as error:
        report.errors.append(Problem(f"无法读取：{describe_os_error(error)}", file=display))
        return report
    try:
        # One pass over the package: identity (custom properties) and branch sheets together.
        book = read_branch_workbook(path, data=data, standard=standard)
    except PackageTooLargeError as error:
        report.errors.append(Problem(error.reason, file=display))
        return report
    except WorkbookReadError as error:
        message = str(error)
        if message.startswith(path.name + " "):  # the file is named in the place already
            message = message[len(path.name) + 1 :].removeprefix("的 ")
        report.errors.append(Problem(message, file=display))
        return report
    info = book.info
    if info.properties.get(names.PROP_SUMMARY):
        kind = (
            "整改清单"
            if info.properties.get(names.PROP_RECTIFICATION)
            else "历年对比"
            if info.properties.get(names.PROP_HISTORY)
            else "汇总表"
        )
        report.warnings.append(Problem(f"这是{kind}，不是支部考评定级表，已跳过", file=display))
        return report
    identity = TemplateIdentity.of(info.properties)
    mismatch = identity.mismatch(standard.id, standard.content_hash)
    if mismatch is not None:
        report.errors.append(Problem(mismatch, file=display))
        return report
    year_text_problem = identity.year_problem()
    if year_text_problem is not None:
        report.errors.append(Problem(year_text_problem, file=display))
        return report
    for sheet_name in book.lookalikes:
        report.errors.append(Problem(lookalike_problem().message, file=display, sheet=sheet_name))
    if not book.sheets:
        report.errors.append(Problem("没有任何支部工作表（未找到 branch_name 名称）", file=display))
    year_values: list[str | None] = [identity.year]
    for sheet in book.sheets:
        if sheet.sheet in info.hidden_sheets:
            report.warnings.append(Problem(HIDDEN_SHEET, file=display, sheet=sheet.sheet))
        broken = contract_problems(sheet.sheet, sheet.names, standard, identity.version)
        if broken:
            report.errors += [
                Problem(p.message, file=display, sheet=sheet.sheet, cell=p.cell) for p in broken
            ]
            continue
        sheet_problems = stray_inputs(sheet.sheet, sheet.cells, sheet.filled)
        sheet_problems += hidden_by_merge(sheet.cells, sheet.values, sheet.merges)
        sheet_problems += unusable_cell_problems(
            sheet.cells, sheet.values, (names.BRANCH_NAME, names.ASSESSOR)
        )
        year_value = sheet.values.get(names.YEAR)
        year = year_problem(sheet.sheet, sheet.cells.get(names.YEAR), year_value, identity.year)
        if year is not None:
            sheet_problems.append(year)
        elif identity.year is None:
            year_values.append(_year_text(year_value))
        assessment = assess_branch(standard, sheet.raw_inputs(standard))
        two = (
            read_version_two(standard, sheet.values)
            if names.SELF_TOTAL_SCORE in sheet.cells
            else None
        )
        assessor = sheet.values.get(names.ASSESSOR)
        report.branches.append(
            _FoundBranch(
                entry=BranchEntry(
                    branch=sheet.branch_name,
                    file=display,
                    sheet=sheet.sheet,
                    assessment=assessment,
                    assessor=str(assessor).strip() if isinstance(assessor, str) else "",
                    own=two.own if two is not None else None,
                    checklist=two.checklist if two is not None else None,
                    cells={
                        name: sheet.cells[name].a1
                        for name in (names.ASSESSOR, *sheet_veto_names(standard))
                        if name in sheet.cells
                    },
                ),
                place=f"{display}，{sheet.label(names.BRANCH_NAME)}",
                cell=sheet.cells[names.BRANCH_NAME].a1,
                problems=[
                    Problem(p.message, file=display, sheet=sheet.sheet, cell=p.cell)
                    for p in sheet_problems
                ]
                + _input_problems(sheet, assessment, display)
                + (_located(sheet, two.problems, display) if two is not None else []),
                warnings=[
                    Problem(w.message, file=display, sheet=sheet.sheet, cell=w.cell)
                    for w in formula_warnings(sheet.cells, sheet.formulas, sheet.values)
                ]
                + _blank_branch_name(sheet, display)
                + _nothing_filled(standard, sheet, assessment, display)
                + [
                    n.at(
                        file=display,
                        sheet=sheet.sheet,
                        cell=sheet.label(names.problem_name(n) or "").partition("!")[2],
                    )
                    for n in assessment.notices
                ]
                + (
                    stale_cached_values(standard, sheet, assessment.result, display)
                    if assessment.result is not None
                    else []
                ),
            )
        )
    report.year = next((y for y in year_values if y), None)
    report.source = SourceFile(
        path=path,
        display=display,
        sha256=sha,
        size=size,
        modified=modified,
        sheets=tuple(found.entry.sheet for found in report.branches),
        template_version=identity.version,
        standard_id=identity.standard,
        year=book.year,
    )
    return report


def sheet_veto_names(standard: Standard) -> list[str]:
    """The veto input names of a standard's branch sheet."""
    return [names.veto_name(n) for n in range(1, len(standard.vetoes) + 1)]


def _blank_branch_name(sheet: BranchSheet, display: str) -> list[Problem]:
    """A warning when the 支部名称 cell is blank and the sheet name stands in for it."""
    value = sheet.values.get(names.BRANCH_NAME)
    if isinstance(value, CellError | UncachedFormula):
        return []  # an error already (``unusable_cell_problems``)
    if value is not None and (not isinstance(value, str) or value.strip()):
        return []
    return [
        Problem(
            f"支部名称单元格为空，已按工作表名称“{sheet.sheet}”汇总；建议填写支部全称",
            file=display,
            sheet=sheet.sheet,
            cell=sheet.cells[names.BRANCH_NAME].a1,
        )
    ]


def _nothing_filled(
    standard: Standard, sheet: BranchSheet, assessment: Assessment, display: str
) -> list[Problem]:
    """A warning when every input of the committee's assessment is blank: a template sent back
    unfilled would otherwise count as full marks without a word. (A branch with nothing to
    deduct whose assessor left the vetoes blank gets it too: blank is 否, so it only asks.)"""
    result = assessment.result
    if result is None:
        return []
    inputs = [name for name in names.input_names(standard) if name != names.BRANCH_NAME]
    if any(not _blank(sheet.values.get(name)) for name in inputs if name in sheet.cells):
        return []
    parts = ["扣分", "扣分说明", "否决情形"]
    parts += ["加分"] if standard.bonus is not None else []
    parts += ["群众测评"] if standard.survey is not None else []
    listed = "、".join(parts[:-1]) + "和" + parts[-1]
    return [
        Problem(
            f"考评内容全部空白（{listed}均未填写），已按 {fmt(result.total)} 分、"
            f"等级“{result.grade}”汇总；如确无扣分可不理会，尚未考评的请填写后重新汇总",
            file=display,
            sheet=sheet.sheet,
        )
    ]


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _common_year(years: dict[str, str | None], errors: list[Problem]) -> int | None:
    """The assessment year most files carry; files of another year are errors."""
    known = {display: y for display, y in years.items() if y}
    if not known:
        return None
    counts = Counter(known.values())
    year_text = max(counts, key=lambda y: (counts[y], y))
    for display, value in known.items():
        if value != year_text:
            errors.append(
                Problem(
                    f"考评年度为 {value}，与其他文件的 {year_text} 年度不同；一次只能汇总同一年度",
                    file=display,
                )
            )
    try:
        return int(year_text)
    except ValueError:
        return None
