"""The summary workbook for the county organization department (县委组织部).

Written with XlsxWriter from a :class:`~workbook.inputs.consolidate.Consolidation`: values only (no
formulas, no UDFs), every text taken from an input written as text, print-ready sheets
(A4 landscape, one page wide, header rows repeated). The same consolidation gives a
byte-identical file (fixed document dates).

Modules: ``writer`` (sheet names, formats, the shared ``SheetWriter``), one module per sheet
(``overview`` 汇总, ``grades`` 等级分布, ``losses`` 失分分析, ``details`` 扣分明细, ``vetoes``
否决情形, ``sources`` 来源, ``problems`` 待修正项) and ``book`` (``write_summary`` and the ordered
``SHEETS``).
"""

from workbook.outputs.summary.book import SHEETS, write_summary
from workbook.outputs.summary.overview import main_deductions
from workbook.outputs.summary.writer import (
    DETAIL_SHEET,
    DRAFT_MARK,
    GRADES_SHEET,
    LOSS_SHEET,
    PROBLEMS_SHEET,
    SOURCES_SHEET,
    SUMMARY_SHEET,
    VETO_SHEET,
    SheetWriter,
    average,
    columns_pixels,
    share,
    summary_title,
)

__all__ = [
    "DETAIL_SHEET",
    "DRAFT_MARK",
    "GRADES_SHEET",
    "LOSS_SHEET",
    "PROBLEMS_SHEET",
    "SHEETS",
    "SOURCES_SHEET",
    "SUMMARY_SHEET",
    "VETO_SHEET",
    "SheetWriter",
    "average",
    "columns_pixels",
    "main_deductions",
    "share",
    "summary_title",
    "write_summary",
]
