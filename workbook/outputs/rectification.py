"""The rectification list (整改清单): a sheet of the summary, and one workbook per branch.

For every branch, in the order of the branch list: every counted deduction (rule, points, the
assessor's note) and every checklist entry answered 否 (see
:func:`workbook.core.rectification.rectification_items`), with empty 整改措施 / 责任人 /
完成时限 columns for the branch to fill in. Print-ready: A4 landscape, one page wide, the
header row repeated on every page.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbook.core.checklist import ChecklistReport
from workbook.core.layout import lines_needed
from workbook.core.names import PROP_RECTIFICATION
from workbook.core.rectification import RectificationItem, rectification_items
from workbook.core.standard import fmt
from workbook.inputs.consolidate import BranchEntry, Consolidation
from workbook.outputs.publication_sheet import branches_in_list_order

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

    from workbook.outputs.summary.writer import SheetWriter as _SheetWriter

RECTIFICATION_SHEET = "整改清单"
KIND_TEXT = {"deduction": "扣分", "veto": "否决情形", "checklist": "自查未达标"}
NOTHING_TO_RECTIFY = "无扣分项、无未达标的自查项目"
PENDING_TEXT = "输入有误，待修正（见“待修正项”），整改内容待定"
EMPTY_COLUMNS = ("整改措施", "责任人", "完成时限")
SIGNATURES = "支部书记（签字）：　　　　　　　　　　　　考评组（签字）：　　　　　　　　　　　　日期：　　　　年　　月　　日"
FILE_NAME = "{year}整改清单（{branch}）.xlsx"
_MAX_NAME_BYTES = 240  # below the 255-byte limit of a file name, room for “（2）”


def branch_items(entry: BranchEntry) -> tuple[RectificationItem, ...] | None:
    """The rectification lines of one branch (None while its inputs are invalid)."""
    if entry.result is None:
        return None
    return rectification_items(entry.result, branch_checklist(entry))


def branch_checklist(entry: BranchEntry) -> ChecklistReport | None:
    """The branch's checklist report, once consolidation reads checklists (issue 10, part 2)."""
    report = getattr(entry, "checklist", None)
    return report if isinstance(report, ChecklistReport) else None


def _columns(with_branch: bool) -> list[tuple[str, float]]:
    columns: list[tuple[str, float]] = [("支部名称", 14)] if with_branch else []
    columns += [
        ("序号", 5),
        ("类别", 7),
        ("规则或条目", 7),
        ("评分办法或自查内容（原文）", 28 if with_branch else 32),
        ("扣分", 6),
        ("扣分说明或所属部分", 22 if with_branch else 26),
        ("整改措施", 26 if with_branch else 30),
        ("责任人", 8),
        ("完成时限", 10),
    ]
    return columns


def _item_values(number: int, item: RectificationItem) -> list[Any]:
    points: Decimal | None = item.points
    return [number, KIND_TEXT[item.kind], item.key, item.text, points, item.note, None, None, None]


def _write_rows(
    w: _SheetWriter,
    sheet: Worksheet,
    row: int,
    entries: Sequence[BranchEntry],
    columns: Sequence[tuple[str, float]],
    with_branch: bool,
) -> int:
    widths = [width for _, width in columns]
    last = len(columns) - 1
    offset = 1 if with_branch else 0
    for entry in entries:
        items = branch_items(entry)
        first = row
        if not items:
            text = PENDING_TEXT if items is None else NOTHING_TO_RECTIFY
            fmt_ = w.formats.pending if items is None else w.formats.text
            sheet.merge_range(row, offset, row, last, text, fmt_)
            sheet.set_row(row, max(20.0, lines_needed(text, sum(widths[offset:])) * 14 + 4))
            row += 1
        else:
            for number, item in enumerate(items, start=1):
                values = ([entry.branch] if with_branch else []) + _item_values(number, item)
                # The row's height is set below (text_row's lines: those of its texts).
                lines = w.text_row(sheet, row, values, widths, fit=False)
                if item.points is not None:
                    sheet.write_string(row, offset + 4, fmt(item.points), w.formats.center)
                for col in (offset, offset + 1, offset + 2):
                    value = values[col]
                    if isinstance(value, str):
                        sheet.write_string(row, col, value, w.formats.center)
                # Room to write by hand in the empty columns.
                sheet.set_row(row, max(36.0, lines * 14 + 4))
                row += 1
        if with_branch and row - first > 1:
            sheet.merge_range(first, 0, row - 1, 0, entry.branch, w.formats.center)
        elif with_branch:
            sheet.write_string(first, 0, entry.branch, w.formats.center)
    return row


def write_rectification_sheet(w: _SheetWriter) -> None:
    """Add the 整改清单 sheet of the summary: every branch, in the order of the branch list."""
    columns = _columns(with_branch=True)
    sheet, row = w.start(RECTIFICATION_SHEET, "整改清单", columns)
    row = _write_rows(w, sheet, row, branches_in_list_order(w.c), columns, True)
    row = _notes(w, sheet, row + 1, columns)
    sheet.print_area(0, 0, row - 1, len(columns) - 1)


def _notes(
    w: _SheetWriter, sheet: Worksheet, row: int, columns: Sequence[tuple[str, float]]
) -> int:
    text = (
        "说明：扣分项按考评组的扣分和扣分说明列出；“自查未达标”为规范化建设自查表中答“否”的项目。"
        "整改措施、责任人、完成时限由支部填写，整改情况在下一年度考评时核对。"
    )
    total = sum(width for _, width in columns)
    sheet.merge_range(row, 0, row, len(columns) - 1, text, w.formats.note)
    sheet.set_row(row, lines_needed(text, total) * 12 + 6)
    return row + 1


@dataclass(frozen=True)
class RectificationFile:
    """One branch's rectification workbook."""

    branch: str
    path: Path


def safe_file_name(text: str) -> str:
    """``text`` as a file name on Windows, macOS and Linux: no ``<>:"/\\|?*`` or control
    characters (each becomes ``_``), no leading dot, no trailing dot or space, NFC."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r'[<>:"/\\|?*\x00-\x1f\x7f]', "_", text)
    text = text.strip().lstrip(".").rstrip(". ")
    return text or "_"


def _fit_bytes(text: str, limit: int) -> str:
    while len(text.encode("utf-8")) > limit:
        text = text[:-1]
    return text


def rectification_files(consolidation: Consolidation, folder: Path) -> list[RectificationFile]:
    """The file of each branch in ``folder``, in the order of the branch list; names made safe
    and unique (case-insensitively, as on Windows and macOS)."""
    year = f"{consolidation.year}年度" if consolidation.year else ""
    taken: set[str] = set()
    files: list[RectificationFile] = []
    for entry in branches_in_list_order(consolidation):
        fixed = len(FILE_NAME.format(year=year, branch="").encode("utf-8"))
        branch = _fit_bytes(safe_file_name(entry.branch), _MAX_NAME_BYTES - fixed)
        name = FILE_NAME.format(year=year, branch=branch)
        number = 2
        while name.casefold() in taken:
            name = FILE_NAME.format(year=year, branch=f"{branch}（{number}）")
            number += 1
        taken.add(name.casefold())
        files.append(RectificationFile(entry.branch, folder / name))
    return files


def write_rectification_books(
    consolidation: Consolidation, folder: str | Path, *, draft: bool = False
) -> list[RectificationFile]:
    """Write one printable rectification workbook per branch into ``folder`` (each atomically).

    The caller checks first that no file would replace an assessment workbook
    (``workbook.atomic.refuse_replacing``).
    """
    import xlsxwriter

    from workbook.atomic import atomic_output, ensure_folder
    from workbook.core import names
    from workbook.outputs.summary.writer import DRAFT_MARK, summary_title
    from workbook.outputs.summary.writer import Formats as _Formats
    from workbook.outputs.summary.writer import SheetWriter as _SheetWriter

    target = ensure_folder(folder)
    files = rectification_files(consolidation, target)
    by_branch = {entry.branch: entry for entry in consolidation.branches}
    standard = consolidation.standard
    for file in files:
        entry = by_branch[file.branch]
        with atomic_output(file.path) as temp:
            book = xlsxwriter.Workbook(
                str(temp),
                {
                    "strings_to_numbers": False,
                    "strings_to_formulas": False,
                    "strings_to_urls": False,
                },
            )
            year = f"{consolidation.year}年度" if consolidation.year else ""
            title = f"{year}{entry.branch}规范化建设整改清单"
            book.set_properties(
                {
                    "title": title,
                    "subject": summary_title(standard, consolidation.year),
                    "author": standard.issuer,
                    "company": standard.association,
                    "created": _created(consolidation.year),
                }
            )
            # Marked as an output of consolidate: skipped as an input, replaced without --overwrite.
            book.set_custom_property(names.PROP_SUMMARY, "1")
            book.set_custom_property(PROP_RECTIFICATION, "1")
            book.set_custom_property(names.PROP_YEAR, str(consolidation.year or ""))
            writer = _SheetWriter(book, _Formats(book), consolidation, draft)
            columns = _columns(with_branch=False)
            writer.title = f"{DRAFT_MARK}　{title}" if draft else title
            sheet, row = writer.start(RECTIFICATION_SHEET, "", columns)
            row = _write_rows(writer, sheet, row, [entry], columns, False)
            row = _notes(writer, sheet, row + 1, columns)
            sheet.set_row(row, 12)
            sheet.merge_range(
                row + 1, 0, row + 1, len(columns) - 1, SIGNATURES, writer.formats.note
            )
            sheet.set_row(row + 1, 30)
            sheet.print_area(0, 0, row + 1, len(columns) - 1)
            book.close()
    return files


def _created(year: int | None) -> Any:
    import datetime as _dt

    return _dt.datetime(year or 2000, 12, 31, tzinfo=_dt.UTC)
