"""An XlsxWriter worksheet that writes any user text safely (see ``cell_text``).

XlsxWriter escapes control characters in shared strings as ``_xHHHH_`` itself, but writes
U+FFFE, U+FFFF and lone surrogates as they are (invalid XML), and cuts text longer than a cell
holds with an English warning. ``SafeTextWorksheet`` passes every string it writes through
``visible_text`` and ``fit_cell`` first and counts the cells it cut.
"""

from __future__ import annotations

from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from workbook.xlsx.text import fit_cell, visible_text


class SafeTextWorksheet(Worksheet):
    """A worksheet whose ``write_string`` and ``merge_range`` make text safe and fit."""

    truncated = 0  # cells whose text was cut (an instance attribute once one is)

    def _safe(self, text: str) -> str:
        fitted, cut = fit_cell(visible_text(text))
        if cut:
            self.truncated += 1
        return fitted

    def write_string(
        self, row: int, col: int, string: str, cell_format: Format | None = None
    ) -> Any:
        return super().write_string(row, col, self._safe(string), cell_format)

    def merge_range(
        self,
        first_row: int,
        first_col: int,
        last_row: int,
        last_col: int,
        data: Any,
        cell_format: Format | None = None,
    ) -> Any:
        if isinstance(data, str):
            data = self._safe(data)
        return super().merge_range(first_row, first_col, last_row, last_col, data, cell_format)
