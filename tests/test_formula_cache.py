"""The template's formula cache: an override of XlsxWriter's ``Worksheet._prepare_formula``.

The override only saves time (each distinct formula text is prepared once per workbook), so a
change in XlsxWriter that stopped calling it would pass every other test unnoticed. These tests
fail then: the cache must fill, and the XML written through it must be XlsxWriter's own.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from workbook.outputs.template.formats import FormulaCachingWorksheet

# A future function (written as _xlfn.IFS by XlsxWriter's preparation), a plain one, and a
# validation formula: every path by which the template's formulas reach the XML.
FORMULAS = ["=IFS(A1>0,1,TRUE,0)", "=SUM(A1:A3)", "=IFS(A1>0,1,TRUE,0)"]
VALIDATION = "=AND(ISNUMBER(A1),A1>=0)"


def write_book(path: Path, worksheet_class: type[Worksheet]) -> Worksheet:
    book = xlsxwriter.Workbook(str(path), {"use_future_functions": True})
    sheet = book.add_worksheet("表", worksheet_class=worksheet_class)
    if isinstance(sheet, FormulaCachingWorksheet):
        sheet._prepared = {}
    for row, formula in enumerate(FORMULAS):
        sheet.write_formula(row, 1, formula, None, 0)
        sheet.write_formula(row, 2, formula, None, 0)
    sheet.data_validation(0, 0, 9, 0, {"validate": "custom", "value": VALIDATION})
    book.close()
    return sheet


def sheet_xml(path: Path) -> bytes:
    with zipfile.ZipFile(path) as package:
        return package.read("xl/worksheets/sheet1.xml")


def test_xlsxwriter_prepares_formulas_through_the_override(tmp_path: Path) -> None:
    sheet = write_book(tmp_path / "cached.xlsx", FormulaCachingWorksheet)
    assert isinstance(sheet, FormulaCachingWorksheet)
    # Each distinct formula prepared once (cells: not expanded; validation: expanded), to what
    # XlsxWriter makes of it.
    assert sheet._prepared == {
        ("=IFS(A1>0,1,TRUE,0)", False, True): "_xlfn.IFS(A1>0,1,TRUE,0)",
        ("=SUM(A1:A3)", False, True): "SUM(A1:A3)",
        (VALIDATION, True, True): "AND(ISNUMBER(A1),A1>=0)",
    }


def test_the_cached_xml_is_xlsxwriters_own(tmp_path: Path) -> None:
    write_book(tmp_path / "cached.xlsx", FormulaCachingWorksheet)
    write_book(tmp_path / "plain.xlsx", Worksheet)
    cached = sheet_xml(tmp_path / "cached.xlsx")
    assert cached == sheet_xml(tmp_path / "plain.xlsx")
    assert cached.count(b"<f>_xlfn.IFS(A1&gt;0,1,TRUE,0)</f>") == 4
    assert b"AND(ISNUMBER(A1),A1&gt;=0)" in cached
