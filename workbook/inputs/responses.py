"""Respondent-level 群众测评 answers (an online survey's export): read, matched, tallied.

One row per respondent: a column naming the branch, one column per question holding the
answer text. ``.xlsx`` (the first sheet) or ``.csv`` (UTF-8 with or without a BOM, UTF-16 with
a BOM, or GBK/GB18030 as Chinese Excel saves it). Columns are found by their header text;
every problem with the rows is listed at once by row number.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from workbook.core.standard_sections import Survey
from workbook.errors import BranchAssessError, WorkbookReadError, describe_os_error
from workbook.inputs.text_file import read_at_most
from workbook.xlsx.cells import describe
from workbook.xlsx.properties import read_head, unreadable_reason
from workbook.xlsx.zip_package import check_package

BRANCH_HEADERS = ("支部", "支部名称", "所在支部", "测评对象", "被测评支部", "支部（党员服务中心）")


class ResponsesError(BranchAssessError):
    """The responses cannot be imported; ``problems`` lists every reason (Chinese)."""

    def __init__(self, problems: list[str], path: Path) -> None:
        super().__init__(f"{path.name}：共 {len(problems)} 处问题，未导入任何数据")
        self.problems = problems


def normal(text: object) -> str:
    """Header or cell text compared loosely: NFKC (full-width to half-width), no blanks."""
    return re.sub(
        r"\s+", "", unicodedata.normalize("NFKC", describe(text) if text is not None else "")
    )


# The largest responses file read (a workbook's own package limits apply after that).
RESPONSES_LIMIT = 100 << 20


def read_rows(path: Path) -> list[list[object]]:
    """Every row of the responses file (the first sheet of an ``.xlsx``).

    Raises:
        WorkbookReadError: unreadable, empty, not text in a known encoding, another format.
    """
    suffix = path.suffix.lower()
    try:
        read = read_at_most(path, RESPONSES_LIMIT)
    except OSError as error:
        raise WorkbookReadError(f"无法读取 {path}：{describe_os_error(error)}") from None
    if read is None:
        raise WorkbookReadError(
            f"{path.name} 超过 {RESPONSES_LIMIT >> 20} MiB，不像测评答卷文件；"
            "请给出一行一份答卷的 .xlsx 或 .csv 文件"
        )
    data = read
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(path, data)
    if suffix not in (".csv", ".txt"):
        raise WorkbookReadError(
            f"{path.name}：不支持的文件类型 {suffix or '（无扩展名）'}；请给出 .xlsx 或 .csv 文件"
        )
    text = _decode(path, data)
    if not text.strip():
        raise WorkbookReadError(f"{path.name} 是空文件，没有任何测评数据")
    sample = text[:4096]
    # The first line with a separator: a title line above the header has none.
    lines = sample.splitlines()
    first_line = next((line for line in lines if any(d in line for d in ",\t;")), "")
    delimiter = max((",", "\t", ";"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [list(row) for row in reader]
    except csv.Error as error:
        reason = str(error)
        if "field larger than field limit" in reason:
            reason = f"有一格的文字超过 {csv.field_size_limit()} 个字符"
        elif "NUL" in reason:
            reason = "含有空字符（NUL），不是文本"
        raise WorkbookReadError(
            f"{path.name} 第 {reader.line_num} 行无法按 CSV 读取：{reason}；"
            "请确认它是导出的答卷文件（每行一份答卷）"
        ) from None


def _decode(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise WorkbookReadError(
            f"{path.name} 不是 UTF-8 或 GBK 编码的文本；请在 Excel 中另存为“CSV UTF-8”或 .xlsx"
        ) from None


def _xlsx_rows(path: Path, data: bytes) -> list[list[object]]:
    import python_calamine

    if not data:
        raise WorkbookReadError(f"{path.name} 是空文件，没有任何测评数据")
    # The size limits every command keeps (a crafted file decompressing to gigabytes), checked
    # before python-calamine inflates anything; a file that is no zip is left to it to name.
    with contextlib.suppress(zipfile.BadZipFile), zipfile.ZipFile(io.BytesIO(data)) as archive:
        check_package(archive, path.name, verify=True)
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception:  # calamine raises plain errors for files it cannot read
        # Its English text ("Cannot detect file format") tells a user nothing: say what it is.
        reason = unreadable_reason(path, read_head(path, data))
        if "是文本文件（如 CSV）" in reason:
            # Answers exported as CSV under an .xlsx name: this command reads CSV as it is.
            reason = (
                "不是 Excel 工作簿，而是文本文件（如 CSV）；"
                f"如果是导出的 CSV 答卷，把扩展名改为 .csv（{path.stem}.csv）后重新导入即可"
            )
        raise WorkbookReadError(f"{path.name} {reason}") from None
    return [list(row) for row in rows]


HEADER_SEARCH_ROWS = 10  # rows that are not empty, searched for the header row


def _looks_like_header(
    row: Sequence[object],
    survey: Survey,
    branch_header: str | None,
    question_headers: Mapping[int, str],
) -> bool:
    """Whether ``row`` holds the branch column's header or a question's (as ``find_columns``
    would find them)."""
    cells = {normal(v) for v in row} - {""}
    branch = {normal(branch_header)} if branch_header else {normal(b) for b in BRANCH_HEADERS}
    if cells & branch or cells & {normal(h) for h in question_headers.values()}:
        return True
    for number, question in enumerate(survey.questions, start=1):
        target = normal(question)
        if any(target in cell for cell in cells) or f"第{number}题" in cells:
            return True
    return False


@dataclass
class Columns:
    """Which column holds what: the branch, and each question (0-based indexes)."""

    branch: int
    questions: list[int]
    header_row: int  # 0-based


def find_columns(
    rows: Sequence[Sequence[object]],
    survey: Survey,
    path: Path,
    branch_header: str | None = None,
    question_headers: Mapping[int, str] | None = None,
) -> Columns:
    """The header row and the columns, by header text.

    The header row is the first row (of the first ``HEADER_SEARCH_ROWS`` that are not empty)
    holding a header the defaults or the options name; rows above it are a title (a merged
    “2026年群众测评结果” line). Without such a row it is the first row that is not empty.

    Raises:
        ResponsesError: no header, a column not found or found twice.
    """
    question_headers = dict(question_headers or {})
    filled = [i for i, row in enumerate(rows) if any(normal(v) for v in row)]
    if not filled:
        raise WorkbookReadError(f"{path.name} 没有任何内容（连表头也没有）")
    header_index = next(
        (
            i
            for i in filled[:HEADER_SEARCH_ROWS]
            if _looks_like_header(rows[i], survey, branch_header, question_headers)
        ),
        filled[0],
    )
    header = [normal(v) for v in rows[header_index]]
    shown = "、".join(f"“{describe(v)}”" for v in rows[header_index] if normal(v)) or "（空）"
    problems: list[str] = []
    for number in question_headers:
        if not 1 <= number <= len(survey.questions):
            problems.append(
                f"--question-column 的题号 {number} 无效：测评共 {len(survey.questions)} 题"
            )

    def by_text(text: str, what: str, option: str) -> int | None:
        matches = [i for i, h in enumerate(header) if h == normal(text)]
        if not matches:
            problems.append(
                f"找不到表头为“{text}”的列（{what}，{option}）；第 {header_index + 1} 行的表头为：{shown}"
            )
            return None
        return matches[0]

    if branch_header is not None:
        branch = by_text(branch_header, "支部列", "--branch-column")
    else:
        exact = [i for i, h in enumerate(header) if h in {normal(b) for b in BRANCH_HEADERS}]
        loose = [i for i, h in enumerate(header) if "支部" in h]
        candidates = exact or loose
        branch = candidates[0] if len(candidates) == 1 else None
        if branch is None:
            why = "有多列" if candidates else "没有"
            problems.append(
                f"{why}表头含“支部”的列，无法确定哪一列是支部名称；请用 --branch-column 指定表头"
                f"（第 {header_index + 1} 行的表头为：{shown}）"
            )
    questions: list[int] = []
    for number, question in enumerate(survey.questions, start=1):
        if number in question_headers:
            found = by_text(
                question_headers[number], f"第{number}题", f"--question-column {number}=表头"
            )
        else:
            target = normal(question)
            short = {f"第{number}题", f"Q{number}", f"q{number}", f"题{number}", str(number)}
            matches = [i for i, h in enumerate(header) if target in h or h in short]
            found = matches[0] if len(matches) == 1 else None
            if found is None:
                why = "有多列" if matches else "找不到"
                problems.append(
                    f"{why}第{number}题“{question}”的列（表头应含题目原文，或为“第{number}题”）；"
                    f"请用 --question-column {number}=表头 指定（第 {header_index + 1} 行的表头为：{shown}）"
                )
        if found is not None:
            questions.append(found)
    if not problems:
        problems += _shared_columns(branch, questions, rows[header_index], header_index)
    if problems:
        raise ResponsesError(problems, path)
    assert branch is not None
    return Columns(branch, questions, header_index)


def _shared_columns(
    branch: int | None, questions: list[int], header: Sequence[object], header_index: int
) -> list[str]:
    """One column read for two purposes (two --question-column options naming one header, or
    a question given the branch column) would count one answer twice: a problem each."""
    users: dict[int, list[str]] = {}
    if branch is not None:
        users.setdefault(branch, []).append("支部名称")
    for number, index in enumerate(questions, start=1):
        users.setdefault(index, []).append(f"第{number}题")
    return [
        f"{'和'.join(what)}都取自第 {header_index + 1} 行表头为“{describe(header[index])}”的同一列；"
        "每一项应是单独的一列，请用 --branch-column、--question-column 题号=表头 分别指定"
        for index, what in users.items()
        if len(what) > 1
    ]


@dataclass
class BranchTally:
    """The ballots of one branch: how many respondents, each question's answer counts."""

    returned: int = 0
    counts: list[dict[str, int]] = field(default_factory=list)


def tally_rows(
    rows: Sequence[Sequence[object]],
    columns: Columns,
    survey: Survey,
    branches: Sequence[str],
    path: Path,
) -> dict[str, BranchTally]:
    """Tally the respondents by branch (in ``branches``' order).

    A respondent's blank answer to a question is not counted (returned still counts the
    ballot). An empty row, an unknown branch, an unknown answer: all listed at once.

    Raises:
        ResponsesError: any problem with the rows.
    """
    answers = {normal(a.text): a.text for a in survey.answers}
    known = {normal(b): b for b in branches}
    tallies: dict[str, BranchTally] = {}
    problems: list[str] = []
    data = list(rows[columns.header_row + 1 :])
    while data and not any(normal(v) for v in data[-1]):
        data.pop()  # trailing blank lines are no rows
    if not data:
        raise ResponsesError(
            [f"只有表头，没有任何答卷（第 {columns.header_row + 1} 行之后为空）"], path
        )

    def cell(row: Sequence[object], index: int) -> object:
        return row[index] if index < len(row) else None

    for offset, row in enumerate(data):
        number = columns.header_row + 2 + offset  # 1-based row number as the file shows it
        if not any(normal(v) for v in row):
            problems.append(f"第 {number} 行：空行（每行应为一份答卷）")
            continue
        raw_branch = cell(row, columns.branch)
        branch = known.get(normal(raw_branch))
        if branch is None:
            text = describe(raw_branch) if normal(raw_branch) else ""
            problems.append(
                f"第 {number} 行：支部“{text}”不在考评表中"
                f"（考评表中的支部：{'、'.join(branches[:10])}{'等' if len(branches) > 10 else ''}）"
                if text
                else f"第 {number} 行：未填写支部"
            )
        row_counts: list[str | None] = []
        for q, index in enumerate(columns.questions, start=1):
            value = cell(row, index)
            if not normal(value):
                row_counts.append(None)
                continue
            answer = answers.get(normal(value))
            if answer is None:
                problems.append(
                    f"第 {number} 行第{q}题：答案“{describe(value)}”无效；"
                    f"应为：{'、'.join(a.text for a in survey.answers)}（或空白）"
                )
            row_counts.append(answer)
        if branch is None or problems:
            continue
        tally = tallies.setdefault(
            branch,
            BranchTally(
                0, [dict.fromkeys((a.text for a in survey.answers), 0) for _ in survey.questions]
            ),
        )
        tally.returned += 1
        for q, answer in enumerate(row_counts):
            if answer is not None:
                tally.counts[q][answer] += 1
    if problems:
        raise ResponsesError(problems, path)
    return {b: tallies[b] for b in branches if b in tallies}
