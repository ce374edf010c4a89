"""branch-assessment core: the standard, the scoring engine and all workbook I/O.

This package never imports xlwings; the Excel plug-in lives in ``xlplugin``. The version is the
installed package's (``importlib.metadata``), never a second copy kept by hand.
"""

from __future__ import annotations


def __getattr__(name: str) -> str:
    if name == "__version__":
        from importlib.metadata import version

        return version("branch-assessment")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
