"""branch-assessment core: the standard, the scoring engine and all workbook I/O.

This package never imports xlwings; the Excel plug-in lives in ``xlplugin``.
"""

__version__ = "0.1.0"
