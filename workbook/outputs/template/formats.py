"""The cell formats of a template workbook and the formula-caching worksheet class."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook

from workbook.core.layout import (
    BODY_FONT,
    CHECK_COLOR,
    HEADER_FILL,
    HEADER_FONT,
    INPUT_FILL,
    TITLE_FONT,
)
from workbook.xlsx.safe_text import SafeTextWorksheet


def cell(row: int, col: int, absolute: bool = False) -> str:
    """The A1 address of a zero-based (row, col), optionally absolute (``$A$1``)."""
    return str(xl_rowcol_to_cell(row, col, row_abs=absolute, col_abs=absolute))


def decimal_or_text(value: Decimal | str) -> float | str:
    """A cached value for a formula cell: a float for scores, text otherwise."""
    return float(value) if isinstance(value, Decimal) else value


class Formats:
    """The formats of a template workbook, created once per workbook."""

    def __init__(self, book: Workbook) -> None:
        base = {"font_name": BODY_FONT, "font_size": 11, "valign": "vcenter", "text_wrap": True}
        boxed = {**base, "border": 1}
        self.title = book.add_format(
            {"font_name": TITLE_FONT, "font_size": 18, "align": "center", "valign": "vcenter"}
        )
        self.subtitle = book.add_format({**base, "font_size": 10, "align": "center"})
        self.label = book.add_format({**base, "bold": True, "align": "right"})
        self.field = book.add_format({**base, "bottom": 1, "align": "left"})
        self.field_input = book.add_format(
            {**base, "bottom": 1, "locked": False, "bg_color": INPUT_FILL}
        )
        self.header = book.add_format(
            {**boxed, "font_name": HEADER_FONT, "align": "center", "bg_color": HEADER_FILL}
        )
        self.item = book.add_format({**boxed, "align": "center", "bold": True})
        self.text = book.add_format({**boxed, "align": "left"})
        self.center = book.add_format({**boxed, "align": "center"})
        self.deduction = book.add_format(
            {**boxed, "align": "center", "locked": False, "bg_color": INPUT_FILL}
        )
        self.note = book.add_format(
            {**boxed, "align": "left", "locked": False, "bg_color": INPUT_FILL}
        )
        self.score = book.add_format({**boxed, "align": "center", "bold": True})
        self.check = book.add_format(
            {**boxed, "align": "left", "font_size": 9, "font_color": CHECK_COLOR}
        )
        self.total_label = book.add_format(
            {**boxed, "align": "center", "bold": True, "font_name": HEADER_FONT}
        )
        self.grade = book.add_format(
            {**boxed, "align": "center", "bold": True, "font_name": HEADER_FONT, "font_size": 14}
        )
        self.hint = book.add_format(
            {**boxed, "align": "left", "valign": "top", "font_size": 8, "font_color": "#1F4E79"}
        )
        self.notes = book.add_format({**base, "align": "left", "valign": "top", "font_size": 10})
        self.signature = book.add_format({**base, "align": "left"})
        self.plain = book.add_format({**base, "align": "left", "valign": "top"})
        self.plain_bold = book.add_format(
            {**base, "align": "left", "bold": True, "font_name": HEADER_FONT}
        )


class FormulaCachingWorksheet(SafeTextWorksheet):
    """A worksheet that prepares each distinct formula text once.

    XlsxWriter rewrites every formula (and validation formula) with ~30-80 regular expressions
    for future functions. Branch sheets repeat the same formulas at the same cells, so caching
    that step per workbook makes a 500-branch template about twice as fast. Should XlsxWriter
    ever drop ``_prepare_formula``, this override is simply unused.
    """

    _prepared: dict[tuple[str, bool, bool], str]

    def __init__(self) -> None:
        super().__init__()
        self.heights: dict[int, float] = {}  # row -> height in points, as set

    def set_row(self, row: int, height: float | None = None, *args: Any, **kwargs: Any) -> Any:
        """``Worksheet.set_row``, remembering each height (the print scale is fitted to them)."""
        if height is not None:
            self.heights[row] = height
        return super().set_row(row, height, *args, **kwargs)

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        key = (formula, expand_future_functions, bool(self.use_future_functions))
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = super()._prepare_formula(formula, expand_future_functions)
            self._prepared[key] = prepared
        return prepared
