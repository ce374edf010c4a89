"""The printable 测评票 (群众测评 ballot): one A4 portrait sheet per branch, anonymous.

Written with XlsxWriter from the standard's ``[survey]`` section: a title, how to fill it in,
one row per question with a tick box under each answer, and lines for comments. Each sheet is
set to print on exactly one A4 page (``fit_to_pages(1, 1)``).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from pathlib import Path

import xlsxwriter

from workbook.atomic import atomic_output
from workbook.core.standard import DEFAULT_STANDARD_ID, load_standard
from workbook.core.standard_sections import Survey
from workbook.errors import StandardFileError
from workbook.inputs.branches import check_branch_names, legal_sheet_names
from workbook.xlsx.safe_text import SafeTextWorksheet
from workbook.xlsx.text import header_footer

BOX = "□"
BODY_FONT = "仿宋"
TITLE_FONT = "黑体"
COMMENT_LINES = 6


def survey_of(standard_id: str) -> Survey:
    """The ``[survey]`` section of a standard.

    Raises:
        StandardFileError: the standard has none.
    """
    standard = load_standard(standard_id)
    if standard.survey is None:
        raise StandardFileError(
            f"考评标准 {standard.id} 没有 [survey]（群众测评）部分，无法生成测评票"
        )
    return standard.survey


def write_ballots(
    path: str | Path,
    branches: Sequence[str],
    standard_id: str = DEFAULT_STANDARD_ID,
    year: int | None = None,
) -> Path:
    """Write the ballot workbook (one sheet per branch) to ``path`` atomically.

    Raises:
        BranchListError: a branch name is empty or repeated.
        StandardFileError: the standard cannot be loaded or has no survey.
    """
    names = check_branch_names(branches)
    survey = survey_of(standard_id)
    year = year or _dt.date.today().year
    path = Path(path)
    with atomic_output(path) as temp:
        book = xlsxwriter.Workbook(str(temp), {"strings_to_numbers": False})
        book.set_properties(
            {
                "title": f"{year}年度{survey.name}票",
                "created": _dt.datetime(year, 1, 1, tzinfo=_dt.UTC),
                "comments": "由 branch-assess 生成",
            }
        )
        base = {"font_name": BODY_FONT, "font_size": 12, "valign": "vcenter", "text_wrap": True}
        title = book.add_format(
            {**base, "font_name": TITLE_FONT, "font_size": 20, "align": "center"}
        )
        plain = book.add_format({**base, "align": "left"})
        header = book.add_format(
            {**base, "font_name": TITLE_FONT, "border": 1, "align": "center", "bg_color": "#F2F2F2"}
        )
        cell = book.add_format({**base, "border": 1, "align": "left"})
        number = book.add_format({**base, "border": 1, "align": "center"})
        box = book.add_format({**base, "border": 1, "align": "center", "font_size": 20})
        line = book.add_format({**base, "bottom": 1})
        answers = [a.text for a in survey.answers]
        last = 1 + len(answers)
        for branch, sheet_name in zip(names, legal_sheet_names(names), strict=True):
            sheet = book.add_worksheet(sheet_name, worksheet_class=SafeTextWorksheet)
            sheet.set_column(0, 0, 6)
            sheet.set_column(1, 1, 44)
            sheet.set_column(2, last, 10)
            sheet.merge_range(0, 0, 0, last, f"{year}年度{survey.name}票", title)
            sheet.set_row(0, 40)
            sheet.merge_range(1, 0, 1, last, f"测评对象：{branch}", plain)
            sheet.set_row(1, 30)
            sheet.merge_range(
                2,
                0,
                2,
                last,
                f"本票不记名。请在每题您选择的答案下的“{BOX}”内打“√”，每题只选一项；"
                "不了解情况的请选“不了解”。",
                plain,
            )
            sheet.set_row(2, 48)
            sheet.write(3, 0, "序号", header)
            sheet.write(3, 1, "测评内容", header)
            for col, text in enumerate(answers, start=2):
                sheet.write(3, col, text, header)
            sheet.set_row(3, 30)
            row = 4
            for n, question in enumerate(survey.questions, start=1):
                sheet.write(row, 0, n, number)
                sheet.write(row, 1, question, cell)
                for col in range(2, last + 1):
                    sheet.write(row, col, BOX, box)
                sheet.set_row(row, 56)
                row += 1
            row += 1
            sheet.merge_range(row, 0, row, last, "意见和建议：", plain)
            sheet.set_row(row, 30)
            for _ in range(COMMENT_LINES):
                row += 1
                sheet.merge_range(row, 0, row, last, "", line)
                sheet.set_row(row, 30)
            row += 2
            sheet.merge_range(row, 0, row, last, "谢谢您的参与！请将测评票投入票箱。", plain)
            sheet.set_portrait()
            sheet.set_paper(9)
            sheet.fit_to_pages(1, 1)
            sheet.set_margins(left=0.7, right=0.7, top=0.8, bottom=0.8)
            sheet.center_horizontally()
            sheet.print_area(0, 0, row, last)
            sheet.set_footer(header_footer(f'&C&"{BODY_FONT}"&10', branch, ""))
        book.close()
    return path
