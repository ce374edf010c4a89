"""Benchmark: ``branch-assess template`` for 1,000 branches against plain XlsxWriter.

The baseline writes the same cells (values and formulas, taken from a generated template) with
XlsxWriter and no logic: no formats, names, validation or protection.

* whole command (what we quote): ``branch-assess template --branches-file NAMES -o OUT`` in the
  default (``xlwings``) formula mode, as a user runs it, a fresh process from start to exit,
  against a fresh ``python -c`` process writing the same cells; the median of --pairs
  alternated pairs (target: within 1.5x). The baseline loads its cell list from a pickle first;
  it reports that time and it is subtracted from its total;
* in process: ``write_template`` in the default mode (and the ``native`` mode) against the same
  cells written with XlsxWriter in this process; medians, taking turns.

Usage::

    python benchmarks/bench_template.py [--branches 1000 | --quick] [--pairs 5]
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import tempfile
import time
from pathlib import Path
from typing import Literal

import openpyxl
import xlsxwriter
from whole_command import (
    Run,
    alternate,
    entry_point,
    machine_note,
    python_script,
    report,
    run_process,
)

from workbook.outputs.template import TemplateOptions, write_template

Cells = list[tuple[str, list[tuple[int, int, object]]]]

# The whole-process baseline: load the cell list, then write it with plain XlsxWriter.
# Its first line of output is the loading time, which is not part of the job.
BASELINE = r"""
import pickle, sys, time
started = time.perf_counter()
with open(sys.argv[1], "rb") as f:
    sheets = pickle.load(f)
print(time.perf_counter() - started, flush=True)
import xlsxwriter
book = xlsxwriter.Workbook(sys.argv[2], {"strings_to_numbers": False, "strings_to_urls": False})
for title, cells in sheets:
    sheet = book.add_worksheet(title)
    for row, col, value in cells:
        if isinstance(value, str) and value.startswith("="):
            sheet.write_formula(row, col, value, None, 0)
        else:
            sheet.write(row, col, value)
book.close()
"""

YEAR = 2026


def capture_cells(path: Path) -> Cells:
    """Every cell of a generated template (values and formulas), to replay without logic."""
    book = openpyxl.load_workbook(path)
    sheets = []
    for sheet in book.worksheets:
        cells = [
            (cell.row - 1, cell.column - 1, cell.value)
            for row in sheet.iter_rows()
            for cell in row
            if cell.value is not None
        ]
        sheets.append((sheet.title, cells))
    return sheets


def write_plain(path: Path, sheets: Cells) -> None:
    """The baseline: the same cells written by XlsxWriter, no formats, names or validation."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_urls": False})
    for title, cells in sheets:
        sheet = book.add_worksheet(title)
        for row, col, value in cells:
            if isinstance(value, str) and value.startswith("="):
                sheet.write_formula(row, col, value, None, 0)
            else:
                sheet.write(row, col, value)
    book.close()


def whole_command(branches: list[str], out: Path, cells: Path, pairs: int) -> None:
    names = out / "支部名单.txt"
    names.write_text("\n".join(branches) + "\n", encoding="utf-8")
    command = [
        entry_point(),
        "template",
        "--branches-file",
        str(names),
        "--year",
        str(YEAR),
        "-o",
        str(out / "模板.xlsx"),
    ]
    target = out / "模板.xlsx"

    def run_command() -> Run:
        # A fresh output each time: template refuses to replace an assessment workbook
        # without --overwrite (and that check is not part of the job measured here).
        target.unlink(missing_ok=True)
        return run_process(command)

    result = alternate(
        run_command,
        lambda: run_process(python_script(BASELINE, cells, out / "plain-process.xlsx")),
        pairs,
        baseline_overhead=lambda run: float(run.stdout.split()[0]),
    )
    assert "公式方式 xlwings" in result.command[0].stdout, result.command[0].stdout
    loading = statistics.median(float(r.stdout.split()[0]) for r in result.baseline)
    report(
        f"branch-assess template, {len(branches)} branches, default (xlwings) mode "
        f"vs XlsxWriter writing the same cells (its {loading:.2f} s loading them subtracted)",
        result,
        1.5,
    )


def in_process(branches: list[str], out: Path, sheets: Cells, repeat: int) -> None:
    modes: tuple[Literal["xlwings", "native"], ...] = ("xlwings", "native")
    options = {mode: TemplateOptions(branches, year=YEAR, formulas=mode) for mode in modes}
    times: dict[str, list[float]] = {"plain": [], **{mode: [] for mode in modes}}
    runs = {
        "xlwings": lambda: write_template(out / "ours-xlwings.xlsx", options["xlwings"]),
        "plain": lambda: write_plain(out / "plain.xlsx", sheets),
        "native": lambda: write_template(out / "ours-native.xlsx", options["native"]),
    }
    for _ in range(repeat):
        for label, run in runs.items():
            start = time.perf_counter()
            run()
            times[label].append(time.perf_counter() - start)
    median = {label: statistics.median(values) for label, values in times.items()}
    print(f"in process, medians of {repeat} rounds:")
    print(f"  XlsxWriter, same cells (default mode's): {median['plain']:6.2f} s")
    for mode in modes:
        label = "default" if mode == "xlwings" else "portable"
        print(
            f"  write_template, {mode} ({label}):{' ' * (17 - len(mode) - len(label))}"
            f"{median[mode]:6.2f} s  ratio {median[mode] / median['plain']:.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="100 branches")
    parser.add_argument("--pairs", type=int, default=5, help="alternated pairs (at least 5)")
    args = parser.parse_args()
    count = 100 if args.quick else args.branches
    branches = [f"测试分会第{n:04d}支部" for n in range(1, count + 1)]
    print(f"template of {count} branches; {machine_note()}")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        write_template(out / "warm.xlsx", TemplateOptions(branches, year=YEAR))
        sheets = capture_cells(out / "warm.xlsx")
        cells = out / "cells.pickle"
        cells.write_bytes(pickle.dumps(sheets, protocol=pickle.HIGHEST_PROTOCOL))
        whole_command(branches, out, cells, args.pairs)
        in_process(branches, out, sheets, args.pairs)


if __name__ == "__main__":
    main()
