"""The summary workbook: its properties and its sheets, in order."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from pathlib import Path

import xlsxwriter

from workbook.atomic import atomic_output
from workbook.core import names
from workbook.core.workdays import PublicationTexts, undated_publication_texts
from workbook.core.year_over_year import YearComparison
from workbook.inputs.consolidate import Consolidation
from workbook.inputs.previous_year import PreviousYear
from workbook.outputs.publication_sheet import write_publication_sheet
from workbook.outputs.rectification import write_rectification_sheet
from workbook.outputs.summary.checklist import write_checklist_sheet
from workbook.outputs.summary.details import write_detail_sheet
from workbook.outputs.summary.grades import write_grades_sheet
from workbook.outputs.summary.losses import write_loss_sheet
from workbook.outputs.summary.overview import write_summary_sheet
from workbook.outputs.summary.problems import write_problems_sheet
from workbook.outputs.summary.self_compare import write_self_sheet
from workbook.outputs.summary.sources import write_sources_sheet
from workbook.outputs.summary.survey import write_assessors_sheet, write_survey_sheet
from workbook.outputs.summary.vetoes import write_veto_sheet
from workbook.outputs.summary.writer import (
    Formats,
    SheetWriter,
    summary_title,
)
from workbook.outputs.year_sheet import write_year_sheet

# The sheets of the summary, in order. A sheet writer adds its sheet (or nothing, when it has
# nothing to show); a new sheet is a new module and one entry here.
SHEETS: tuple[Callable[[SheetWriter], None], ...] = (
    write_summary_sheet,
    write_grades_sheet,
    write_loss_sheet,
    write_detail_sheet,
    write_veto_sheet,
    write_self_sheet,
    write_checklist_sheet,
    write_sources_sheet,
    write_survey_sheet,  # 群众测评, when a branch has a tally (issue 9)
    write_assessors_sheet,  # 多人考评, with consolidate --assessors (issue 9)
    write_problems_sheet,
)


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
        comparison: last year's comparison (``--previous``): 汇总's 上年 columns and 年度对比.
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
        book.set_custom_property(names.PROP_STANDARD_HASH, standard.content_hash)
        book.set_custom_property(names.PROP_YEAR, str(consolidation.year or ""))
        book.set_custom_property("kp_draft", "1" if draft else "0")
        formats = Formats(book)
        writer = SheetWriter(book, formats, consolidation, draft)
        write_summary_sheet(writer, comparison[0] if comparison else None)
        for write_sheet in SHEETS[1:-4]:
            write_sheet(writer)
        # The cycle's sheets (issue 10): 整改清单, 公示, 年度对比.
        write_rectification_sheet(writer)
        if publication is None and standard.publication is not None:
            publication = undated_publication_texts(
                standard.publication, consolidation.year or "    "
            )
        if publication is not None:
            write_publication_sheet(writer, publication)
        if comparison is not None:
            write_year_sheet(writer, *comparison)
        for write_sheet in SHEETS[-4:]:
            write_sheet(writer)
        book.worksheets()[0].activate()
        book.close()
    truncated = sum(getattr(sheet, "truncated", 0) for sheet in book.worksheets())
    if truncated and notices is not None:
        notices.append(
            f"汇总表中有 {truncated} 个单元格的文字超过 Excel 单元格上限 32767 个字符，"
            "已截断（以“…（已截断）”结尾）；完整内容见 JSON"
        )
    return path
