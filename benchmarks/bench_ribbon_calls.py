"""Benchmark: COM round trips of the ribbon's recalculation on a 100-sheet workbook.

Counts what ``xlplugin.excel_book`` costs in Excel, through ``tests/support/recording_excel.py``, which
charges every xlwings call the COM round trips xlwings 0.37.8 makes for it on Windows (read from
its source; Excel itself cannot run here). Reports, for a filled ``xlwings`` template with
``--branches`` branch sheets (82 defined names each), every 10th branch with a mistake:

- the round trips of the whole button press, and per branch sheet;
- the saved workbook (names read from its file), the unsaved one (from a ``SaveCopyAs``
  copy) and one where no copy can be written (one pass over ``book.api.Names``: Item, Name,
  RefersTo per name);
- what finding the names cost the old way, iterating xlwings' ``book.names`` (four per name).

Usage::

    python benchmarks/bench_ribbon_calls.py [--branches 100]

Measured (100 branch sheets, 8,200 names, 10 with a mistake; recording stand-in): saved 2,310
round trips (23 per sheet), unsaved 2,311 (names from the copy), no copy possible 27,120 (the
names pass is 24,602 of them); finding the names the old way, through xlwings' ``book.names``,
cost 32,802 alone.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # for tests/support


def make_workbook(path: Path, branches: int) -> Path:
    from workbook.core.scoring import RawBranchInputs
    from workbook.outputs.template import TemplateOptions, write_template

    names = [f"第{i + 1:03d}支部" for i in range(branches)]
    inputs = {}
    for index, name in enumerate(names):
        deductions: dict[str, object] = {"7.1": index % 26, "1.2": 2}
        if index % 10 == 9:
            deductions["3.1"] = 7  # beyond the rule's range: one mark and note
        inputs[name] = RawBranchInputs(deductions=deductions)
    write_template(path, TemplateOptions(branches=names, inputs=inputs))
    return path


def press(path: Path, saved: bool, copy: bool = True) -> tuple[int, int]:
    """(round trips of the whole press, round trips spent finding the names)."""
    from xlplugin.excel_book import recalc_excel_book

    from support.recording_excel import RecordingExcel

    excel = RecordingExcel.from_file(path, saved=saved)
    if not copy:
        excel.fail_on.add("SaveCopyAs")
    recalc_excel_book(excel.book, platform="win32")
    names = sum(1 for call, _ in excel.trips if call.startswith(("api.Name", "book.names")))
    return excel.round_trips, names


def old_names_cost(path: Path) -> int:
    from support.recording_excel import RecordingExcel

    excel = RecordingExcel.from_file(path)
    for name in excel.book.names:
        _ = (name.name, name.refers_to)
    return excel.round_trips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = make_workbook(Path(folder) / "bench.xlsx", args.branches)
        saved, saved_names = press(path, saved=True)
        unsaved, unsaved_names = press(path, saved=False)
        no_copy, no_copy_names = press(path, saved=False, copy=False)
        old = old_names_cost(path)
    n = args.branches
    print(f"branch sheets: {n}")
    print(
        f"saved workbook:   {saved:6d} round trips ({saved / n:.1f} per sheet; names {saved_names})"
    )
    print(
        f"unsaved workbook: {unsaved:6d} round trips ({unsaved / n:.1f} per sheet;"
        f" names {unsaved_names}, read from a SaveCopyAs copy)"
    )
    print(
        f"no copy possible: {no_copy:6d} round trips ({no_copy / n:.1f} per sheet;"
        f" names {no_copy_names}, one pass over book.api.Names)"
    )
    print(f"names through xlwings' book.names (before): {old} round trips")


if __name__ == "__main__":
    main()
