"""The template workbook: properties, the 填表说明 sheet and one sheet per branch."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import xlsxwriter

from workbook.atomic import atomic_output
from workbook.core import names
from workbook.core.standard import load_standard
from workbook.inputs.branches import check_branch_names, legal_sheet_names
from workbook.outputs.template.branch_sheet import write_branch_sheet
from workbook.outputs.template.formats import Formats, FormulaCachingWorksheet
from workbook.outputs.template.instructions import INSTRUCTIONS_SHEET, write_instructions_sheet
from workbook.outputs.template.options import TemplateOptions


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
                "title": standard.sheet_title_for(options.year),
                "subject": standard.title,
                "author": standard.issuer,
                "company": standard.association,
                "created": created,
                "comments": f"由 branch-assess 生成；标准 {standard.id}，模板版本 {names.TEMPLATE_VERSION}",
            }
        )
        book.set_custom_property(names.PROP_STANDARD, standard.id)
        book.set_custom_property(names.PROP_STANDARD_HASH, standard.content_hash)
        book.set_custom_property(names.PROP_TEMPLATE_VERSION, names.TEMPLATE_VERSION)
        book.set_custom_property(names.PROP_YEAR, str(options.year))
        book.set_custom_property(names.PROP_FORMULAS, options.formulas)
        formats = Formats(book)
        prepared_formulas: dict[tuple[str, bool, bool], str] = {}
        write_instructions_sheet(book.add_worksheet(INSTRUCTIONS_SHEET), formats, standard, options)
        for branch, sheet_name in zip(branches, legal_sheet_names(branches), strict=True):
            sheet = book.add_worksheet(sheet_name, worksheet_class=FormulaCachingWorksheet)
            sheet._prepared = prepared_formulas
            write_branch_sheet(book, sheet, formats, standard, branch, options)
        book.worksheets()[1 if len(book.worksheets()) > 1 else 0].activate()
        book.close()
    return path


# In a clone: the repository's templates/ file; in an installed wheel: the same file, packaged as
# workbook/templates/ (pyproject.toml).
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # workbook/
_PACKAGED_TEMPLATE = _PACKAGE_ROOT / "templates" / "assessment_template.xlsx"
DEFAULT_TEMPLATE = (
    _PACKAGED_TEMPLATE
    if _PACKAGED_TEMPLATE.is_file()
    else _PACKAGE_ROOT.parent / "templates" / "assessment_template.xlsx"
)
