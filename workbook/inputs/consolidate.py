"""Consolidation: read every filled branch workbook, recompute, check, rank.

The core is :func:`consolidate`: paths in, a :class:`Consolidation` out (branches with their
recomputed results and ranks, every problem found, the source files). It never writes anything;
``summary.py`` turns a consolidation into the summary workbook and :func:`to_json` into the JSON
report. Cached values in the inputs are never trusted: every score is recomputed with the engine
from the input cells, and a cached score that disagrees is reported as a warning.
"""

from __future__ import annotations

import copyreg
import datetime as _dt
import hashlib
import json
import math
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from workbook.core import names
from workbook.core.scoring import PENDING, Assessment, BranchResult, assess_branch
from workbook.core.standard import DEFAULT_STANDARD_ID, Standard, fmt, load_standard
from workbook.errors import PackageTooLargeError, WorkbookReadError, describe_os_error
from workbook.inputs.reader import WORKBOOK_SUFFIXES, BranchSheet, read_branch_workbook
from workbook.inputs.sheet_contract import (
    contract_problems,
    formula_warnings,
    lookalike_problem,
    stray_inputs,
    unusable_cell_problems,
    year_problem,
)
from workbook.xlsx.cells import CellError, UncachedFormula
from workbook.xlsx.properties import OLE2_MAGIC, ZIP_MAGIC, TemplateIdentity

# Custom document property that marks a workbook as a summary written by this tool; such files
# are skipped when a folder is scanned (a summary saved into the input folder is not an input).
PROP_SUMMARY = "kp_summary"
LOCK_FILE_PREFIX = "~$"
JSON_FORMAT_VERSION = 1
_TOLERANCE = Decimal("0.000001")

ProgressCallback = Callable[[int, int, Path], None]  # (done, total, file just read)


@dataclass(frozen=True)
class Problem:
    """Something wrong with the inputs: where it is (file, sheet, cell) and what, in Chinese."""

    file: str
    sheet: str | None
    cell: str | None  # A1 address within ``sheet``
    message: str

    @property
    def place(self) -> str:
        """``文件 X，第一支部!E5`` style location for messages."""
        if self.sheet and self.cell:
            return f"{self.file}，{self.sheet}!{self.cell}"
        if self.sheet:
            return f"{self.file}，工作表“{self.sheet}”"
        return self.file

    def text(self) -> str:
        """One line for the terminal: the place, then the message."""
        return f"{self.place}：{self.message}"

    def as_json(self) -> dict[str, Any]:
        """The problem as the JSON report writes it."""
        return {"file": self.file, "sheet": self.sheet, "cell": self.cell, "message": self.message}


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

    @property
    def ok(self) -> bool:
        """True when nothing stops the summary from being final."""
        return not self.errors

    @property
    def scored(self) -> list[BranchEntry]:
        """Branches with a result (all of them unless this is a draft with invalid inputs)."""
        return [entry for entry in self.branches if entry.result is not None]


def find_workbooks(
    inputs: Sequence[str | Path], exclude: Iterable[Path] = ()
) -> tuple[list[tuple[Path, str]], list[Problem]]:
    """Expand files and folders into workbook paths (with their display names).

    Folders are searched recursively for ``.xlsx``/``.xlsm``. Every other file found is
    reported (``skipped_file_problem``): a spreadsheet in another format is an error, since the
    summary would miss it. Hidden files and folders (names starting with ``.``) and paths in
    ``exclude`` (the outputs being written) are passed over; an Excel lock file (``~$*``) is
    passed over with a warning (see ``find_inputs``). A path given twice is read once.
    """
    files, errors, _ = find_inputs(inputs, exclude)
    return files, errors


def find_inputs(
    inputs: Sequence[str | Path], exclude: Iterable[Path] = ()
) -> tuple[list[tuple[Path, str]], list[Problem], list[Problem]]:
    """``find_workbooks`` with its warnings: (workbooks, errors, warnings)."""
    excluded = {_resolved(path) for path in exclude}
    found: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    errors: list[Problem] = []
    warnings: list[Problem] = []

    def add(path: Path) -> None:
        key = _resolved(path)
        if key in seen or key in excluded:
            return
        seen.add(key)
        found.append((path, str(path)))

    def other(path: Path, named: bool = False) -> None:
        if _resolved(path) in excluded:
            return
        problem, is_error = skipped_file_problem(path)
        # A file the user named is an input whatever it is (only a lock file is no input).
        is_error = is_error or (named and not path.name.startswith(LOCK_FILE_PREFIX))
        (errors if is_error else warnings).append(problem)

    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            unreadable: list[OSError] = []
            candidates = sorted(_folder_files(path, unreadable.append))
            for error in unreadable:
                where = error.filename or path
                if isinstance(where, bytes):
                    where = os.fsdecode(where)
                errors.append(
                    Problem(str(where), None, None, f"无法读取文件夹：{describe_os_error(error)}")
                )
            for candidate in candidates:
                if candidate.is_symlink() and not candidate.exists():
                    if _resolved(candidate) not in excluded:
                        errors.append(
                            Problem(
                                str(candidate), None, None, "符号链接指向的文件不存在，无法读取"
                            )
                        )
                    continue
                if candidate.suffix.lower() in WORKBOOK_SUFFIXES and not candidate.name.startswith(
                    LOCK_FILE_PREFIX
                ):
                    add(candidate)
                else:
                    other(candidate)
        elif path.is_file():
            if path.suffix.lower() in WORKBOOK_SUFFIXES and not path.name.startswith(
                LOCK_FILE_PREFIX
            ):
                add(path)
            else:
                other(path, named=True)
        else:
            errors.append(Problem(str(path), None, None, "文件或文件夹不存在"))
    return found, errors, warnings


def _folder_files(folder: Path, onerror: Callable[[OSError], None]) -> Iterator[Path]:
    """Every regular file under ``folder`` (and every dangling symbolic link, which the caller
    reports), hidden files and folders left out; a folder that cannot be read goes to
    ``onerror`` and the walk goes on."""
    for root, folders, files in os.walk(folder, onerror=onerror):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for name in files:
            path = Path(root, name)
            if name.startswith("."):
                continue
            if path.is_file() or (path.is_symlink() and not path.exists()):
                yield path


# Spreadsheet formats this tool does not read: a branch's results in one of them would be
# missing from the summary, so they are errors. Any other file is only mentioned.
SPREADSHEET_SUFFIXES = {
    ".xls": "旧版 Excel 格式（.xls）",
    ".xlsb": "Excel 二进制格式（.xlsb）",
    ".xlt": "旧版 Excel 模板（.xlt）",
    ".xltx": "Excel 模板（.xltx）",
    ".xltm": "Excel 模板（.xltm）",
    ".et": "WPS 表格格式（.et）",
    ".ett": "WPS 表格模板（.ett）",
    ".ods": "OpenDocument 表格（.ods）",
    ".fods": "OpenDocument 表格（.fods）",
    ".csv": "CSV 文本（.csv）",
    ".tsv": "制表符分隔文本（.tsv）",
    ".numbers": "Numbers 表格（.numbers）",
    ".wps": "WPS 文档（.wps）",
    ".xml": "XML 表格（.xml）",
}
SAVE_AS_XLSX = "请在 Excel 或 WPS 中打开并另存为 .xlsx（Excel 工作簿）后重新汇总"


def skipped_file_problem(path: Path) -> tuple[Problem, bool]:
    """What to say about a file found among the inputs that is not read, and whether it is an
    error (a spreadsheet the summary would miss) rather than a warning."""
    name = path.name
    if name.startswith(LOCK_FILE_PREFIX):
        return (
            Problem(
                str(path),
                None,
                None,
                "是 Excel/WPS 打开工作簿时留下的临时文件，已跳过；若对应的工作簿仍在 Excel 或 WPS 中打开，"
                "请先保存并关闭，再重新汇总",
            ),
            False,
        )
    kind = SPREADSHEET_SUFFIXES.get(path.suffix.lower())
    if kind is None and _looks_like_spreadsheet(path):
        kind = f"表格文件（扩展名为“{path.suffix or '无'}”）"
    if kind is not None:
        return (
            Problem(
                str(path),
                None,
                None,
                f"是{kind}，本工具只读取 .xlsx 和 .xlsm，未汇总；{SAVE_AS_XLSX}",
            ),
            True,
        )
    return (
        Problem(str(path), None, None, "不是 Excel 工作簿（应为 .xlsx 或 .xlsm 文件），未汇总"),
        False,
    )


def _looks_like_spreadsheet(path: Path) -> bool:
    """True for a zip package or compound file (an Excel/WPS/ODF file under another name)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError:
        return False
    return head.startswith(ZIP_MAGIC) or head.startswith(OLE2_MAGIC)


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


# A filled workbook is tens of KiB and is read into memory whole; a larger file found in an
# input folder (anything saved as .xlsx) is hashed piece by piece and parsed from disk.
_WHOLE_FILE_LIMIT = 32 << 20


def _read_source(path: Path) -> tuple[bytes | None, str, int, _dt.datetime]:
    """The file's bytes, their SHA-256, size and modification time (local, to the second).

    Up to ``_WHOLE_FILE_LIMIT`` the bytes are returned, so the workbook is parsed from exactly
    the bytes the digest describes, without reading the file again; above it they are None.
    """
    data: bytes | None = None
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        stat = os.fstat(handle.fileno())
        if stat.st_size <= _WHOLE_FILE_LIMIT:
            data = handle.read()
            digest.update(data)
            size = len(data)
        else:
            size = 0
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    modified = _dt.datetime.fromtimestamp(int(stat.st_mtime))
    return data, digest.hexdigest(), size, modified


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
                display,
                sheet.sheet,
                ref.a1 if ref else name,
                f"{what}单元格显示“{shown}”，按输入重新计算应为“{right}”"
                "（公式可能被改写或未重新计算；汇总以重新计算的结果为准）",
            )
        )
    return warnings


def _input_problems(sheet: BranchSheet, assessment: Assessment, display: str) -> list[Problem]:
    """The branch's invalid inputs located in its file and sheet.

    The engine's messages already name the rule (or veto condition) and the allowed values.
    """
    problems: list[Problem] = []
    for problem in assessment.problems:
        ref = sheet.cells.get(problem.field)
        cell = ref.a1 if ref else problem.field
        problems.append(Problem(display, sheet.sheet, cell, problem.message))
    return problems


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


# Below this many files, reading in worker processes costs more than it saves.
PARALLEL_MIN_FILES = 64
_MIN_CHUNK_FILES = 16
_MAX_CHUNK_FILES = 64


def consolidate(
    inputs: Sequence[str | Path],
    *,
    standard_id: str = DEFAULT_STANDARD_ID,
    exclude: Iterable[Path] = (),
    progress: ProgressCallback | None = None,
    workers: int | None = None,
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

    Raises:
        StandardFileError: the standard itself cannot be loaded.
    """
    standard = load_standard(standard_id)
    files, errors, warnings = find_inputs(inputs, exclude)
    sources: list[SourceFile] = []
    entries: list[BranchEntry] = []
    first_place: dict[str, str] = {}
    years: dict[str, str | None] = {}  # file display -> year

    done = 0
    for report in _read_all(standard_id, files, workers):
        errors.extend(report.errors)
        warnings.extend(report.warnings)
        kept: list[str] = []  # this file's branch sheets in the summary
        for found in report.branches:
            if found.entry.branch in first_place:
                # Left out of the summary, but its own problems are still worth fixing now.
                errors.append(found.duplicate(first_place[found.entry.branch]))
                errors.extend(found.problems)
                continue
            first_place[found.entry.branch] = found.place
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

    year = _common_year(years, errors)
    if not entries:
        where = "、".join(str(p) for p in inputs) or "（未指定）"
        what = "没有找到任何工作簿" if not files else "没有找到任何可汇总的支部工作表"
        errors.append(Problem(where, None, None, f"{what}（.xlsx 或 .xlsm，且含支部工作表）"))
    return Consolidation(
        standard=standard,
        year=year,
        branches=assign_ranks(entries),
        errors=errors,
        warnings=warnings,
        sources=sources,
    )


@dataclass
class _FoundBranch:
    """A branch sheet as read from one file, before duplicates across files are known."""

    entry: BranchEntry
    place: str  # "file，sheet!cell" of its branch_name
    cell: str
    problems: list[Problem]
    warnings: list[Problem]

    def duplicate(self, first: str) -> Problem:
        return Problem(
            self.entry.file,
            self.entry.sheet,
            self.cell,
            f"支部“{self.entry.branch}”重复：已在 {first} 出现；同一支部只能汇总一次",
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


def _read_all(
    standard_id: str, files: list[tuple[Path, str]], workers: int | None
) -> Iterator[_FileReport]:
    """File reports in file order, read here or in worker processes."""
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if len(files) >= PARALLEL_MIN_FILES else 1
    if workers <= 1:
        standard = load_standard(standard_id)
        for path, display in files:
            yield read_file(standard, path, display)
        return
    size = _chunk_size(len(files), workers)
    starts = range(0, len(files), size)
    # Each worker gets the file list once, when it starts; a task is then just where its
    # chunk starts and ends in that list.
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_start_worker, initargs=(standard_id, files)
    ) as pool:
        for reports in pool.map(_read_chunk, starts, [start + size for start in starts]):
            yield from reports


def _chunk_size(files: int, workers: int) -> int:
    """Files a worker reads per task: about eight tasks a worker, 16 to 64 files each.

    Every task costs the main process a message to send and one to receive, so tasks should
    be large; but while the last task runs the other workers idle, so not too large.
    """
    return max(_MIN_CHUNK_FILES, min(_MAX_CHUNK_FILES, math.ceil(files / (workers * 8))))


# What a worker process reads: the standard and every input file (set when it starts).
_worker_job: tuple[Standard, list[tuple[Path, str]]] | None = None


def _start_worker(standard_id: str, files: list[tuple[Path, str]]) -> None:
    """In a new worker process: remember the job (the standard is loaded once per process)."""
    global _worker_job
    _worker_job = (load_standard(standard_id), files)


def _read_chunk(start: int, stop: int) -> list[_FileReport]:
    """In a worker process: reports on ``files[start:stop]`` of the job."""
    assert _worker_job is not None, "not a worker process started by _start_worker"
    standard, files = _worker_job
    return [read_file(standard, path, display) for path, display in files[start:stop]]


def _pickle_standard(standard: Standard) -> tuple[Callable[[str], Standard], tuple[str]]:
    return load_standard, (standard.id,)


# Results come back from worker processes by pickle: send a standard as its id (load_standard
# is cached), not as a full copy with every item and rule.
copyreg.pickle(Standard, _pickle_standard)


def read_file(standard: Standard, path: Path, display: str) -> _FileReport:
    """Read, check and assess one workbook on its own (no cross-file checks)."""
    report = _FileReport(path, display)
    try:
        data, sha, size, modified = _read_source(path)
    except OSError as error:
        report.errors.append(Problem(display, None, None, f"无法读取：{describe_os_error(error)}"))
        return report
    try:
        # One pass over the package: identity (custom properties) and branch sheets together.
        book = read_branch_workbook(path, data=data, standard=standard)
    except PackageTooLargeError as error:
        report.errors.append(Problem(display, None, None, error.reason))
        return report
    except WorkbookReadError as error:
        message = str(error)
        if message.startswith(path.name + " "):  # the file is named in the place already
            message = message[len(path.name) + 1 :].removeprefix("的 ")
        report.errors.append(Problem(display, None, None, message))
        return report
    info = book.info
    if info.properties.get(PROP_SUMMARY):
        report.warnings.append(
            Problem(display, None, None, "这是汇总表，不是支部考评定级表，已跳过")
        )
        return report
    identity = TemplateIdentity.of(info.properties)
    mismatch = identity.mismatch(standard.id)
    if mismatch is not None:
        report.errors.append(Problem(display, None, None, mismatch))
        return report
    year_text_problem = identity.year_problem()
    if year_text_problem is not None:
        report.errors.append(Problem(display, None, None, year_text_problem))
        return report
    for sheet_name in book.lookalikes:
        report.errors.append(Problem(display, sheet_name, None, lookalike_problem().message))
    if not book.sheets:
        report.errors.append(
            Problem(display, None, None, "没有任何支部工作表（未找到 branch_name 名称）")
        )
    year_values: list[str | None] = [identity.year]
    for sheet in book.sheets:
        broken = contract_problems(sheet.sheet, sheet.names, standard)
        if broken:
            report.errors += [Problem(display, sheet.sheet, p.cell, p.message) for p in broken]
            continue
        sheet_problems = stray_inputs(sheet.sheet, sheet.cells, sheet.filled)
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
        assessor = sheet.values.get(names.ASSESSOR)
        report.branches.append(
            _FoundBranch(
                entry=BranchEntry(
                    branch=sheet.branch_name,
                    file=display,
                    sheet=sheet.sheet,
                    assessment=assessment,
                    assessor=str(assessor).strip() if isinstance(assessor, str) else "",
                ),
                place=f"{display}，{sheet.label(names.BRANCH_NAME)}",
                cell=sheet.cells[names.BRANCH_NAME].a1,
                problems=[Problem(display, sheet.sheet, p.cell, p.message) for p in sheet_problems]
                + _input_problems(sheet, assessment, display),
                warnings=[
                    Problem(display, sheet.sheet, w.cell, w.message)
                    for w in formula_warnings(sheet.cells, sheet.formulas, sheet.values)
                ]
                + _blank_branch_name(sheet, display)
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


def _blank_branch_name(sheet: BranchSheet, display: str) -> list[Problem]:
    """A warning when the 支部名称 cell is blank and the sheet name stands in for it."""
    value = sheet.values.get(names.BRANCH_NAME)
    if isinstance(value, CellError | UncachedFormula):
        return []  # an error already (``unusable_cell_problems``)
    if value is not None and (not isinstance(value, str) or value.strip()):
        return []
    return [
        Problem(
            display,
            sheet.sheet,
            sheet.cells[names.BRANCH_NAME].a1,
            f"支部名称单元格为空，已按工作表名称“{sheet.sheet}”汇总；建议填写支部全称",
        )
    ]


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
                    display,
                    None,
                    None,
                    f"考评年度为 {value}，与其他文件的 {year_text} 年度不同；一次只能汇总同一年度",
                )
            )
    try:
        return int(year_text)
    except ValueError:
        return None


def json_number(value: Decimal) -> int | float:
    """A Decimal as a JSON number with exactly its digits: 90 -> 90, 89.5 -> 89.5.

    Values have at most a few decimal places, so the float's shortest repr (what ``json``
    writes) is exactly the Decimal's digits.
    """
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    assert Decimal(repr(number)) == value.normalize(), value
    return number


def branch_json(entry: BranchEntry) -> dict[str, Any]:
    """One branch as the JSON report writes it."""
    result = entry.result
    if result is None:
        scores: list[int | float | None] = [
            None if s is None else json_number(s) for s in entry.assessment.item_scores
        ]
        return {
            "branch": entry.branch,
            "file": entry.file,
            "sheet": entry.sheet,
            "item_scores": scores,
            "total": None,
            "grade": PENDING,
            "vetoes": [],
            "rank": None,
            "deductions": [],
            "capped_items": [],
        }
    return {
        "branch": entry.branch,
        "file": entry.file,
        "sheet": entry.sheet,
        "item_scores": [json_number(s) for s in result.item_scores],
        "total": json_number(result.total),
        "grade": result.grade,
        "vetoes": list(result.vetoes),
        "rank": entry.rank,
        "deductions": [
            {"rule": d.rule.id, "points": json_number(d.points), "note": d.note}
            for d in result.deductions
        ],
        "capped_items": [item.item.number for item in result.items if item.capped],
    }


def to_json(consolidation: Consolidation) -> dict[str, Any]:
    """The JSON report (see docs/consolidation.md for the contract)."""
    return {
        "format": JSON_FORMAT_VERSION,
        "standard": consolidation.standard.id,
        "year": consolidation.year,
        "final": consolidation.ok,
        "branches": [branch_json(entry) for entry in consolidation.branches],
        "errors": [problem.as_json() for problem in consolidation.errors],
        "warnings": [problem.as_json() for problem in consolidation.warnings],
    }


def json_text(consolidation: Consolidation) -> str:
    """The JSON report as UTF-8 text (Chinese unescaped, stable key order, trailing newline)."""
    return json.dumps(to_json(consolidation), ensure_ascii=False, indent=2) + "\n"
