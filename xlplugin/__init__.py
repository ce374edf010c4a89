"""The Excel plug-in: xlwings UDFs, the ribbon's ``main()`` and the add-in. Only place that imports xlwings.

Importing this package needs no xlwings; ``main`` imports it when the ribbon button runs.
"""

from __future__ import annotations


def main() -> None:
    """The 重新计算等级 button: recalculate every branch sheet of the active workbook.

    The ribbon add-in (``xlplugin.xlam``) runs ``import xlplugin; xlplugin.main()``.
    """
    import xlwings as xw

    from .excel_book import recalc_excel_book

    recalc_excel_book(xw.Book.caller())
