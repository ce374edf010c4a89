"""The branch assessment template: one sheet per branch in the official table layout.

Written with XlsxWriter. Every computed cell is a formula (``xlwings`` UDFs or ``native``
built-ins) carrying a cached value computed by the engine, so the file shows the right numbers
before any recalculation. The same arguments give a byte-identical file.

Modules: ``options`` (what a template holds), ``formats`` (cell formats), ``branch_sheet`` (a
branch sheet, section by section), ``instructions`` (填表说明) and ``book`` (the workbook).
"""

from workbook.core.layout import (
    COL_CHECK,
    COL_DED,
    COL_INDICATORS,
    COL_ITEM,
    COL_NOTE,
    COL_RANGE,
    COL_RULE,
    COL_SCORE,
    COLUMNS,
    FIRST_RULE_ROW,
    HEADER_ROW,
    INPUT_FILL,
    LAST_COL,
    LINE_HEIGHT,
    lines_needed,
    text_width,
)
from workbook.outputs.template.book import (
    DEFAULT_TEMPLATE,
    write_template,
)
from workbook.outputs.template.branch_sheet import SECTIONS, BranchSheet, write_branch_sheet
from workbook.outputs.template.formats import decimal_or_text
from workbook.outputs.template.instructions import INSTRUCTIONS_SHEET, write_instructions_sheet
from workbook.outputs.template.options import (
    DEFAULT_TEMPLATE_YEAR,
    DEMO_BRANCHES_FOR_TEMPLATE,
    TemplateOptions,
)

__all__ = [
    "COLUMNS",
    "COL_CHECK",
    "COL_DED",
    "COL_INDICATORS",
    "COL_ITEM",
    "COL_NOTE",
    "COL_RANGE",
    "COL_RULE",
    "COL_SCORE",
    "DEFAULT_TEMPLATE",
    "DEFAULT_TEMPLATE_YEAR",
    "DEMO_BRANCHES_FOR_TEMPLATE",
    "FIRST_RULE_ROW",
    "HEADER_ROW",
    "INPUT_FILL",
    "INSTRUCTIONS_SHEET",
    "LAST_COL",
    "LINE_HEIGHT",
    "SECTIONS",
    "BranchSheet",
    "TemplateOptions",
    "decimal_or_text",
    "lines_needed",
    "text_width",
    "write_branch_sheet",
    "write_instructions_sheet",
    "write_template",
]
