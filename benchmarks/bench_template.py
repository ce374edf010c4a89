"""Benchmark: ``template`` for 500 branches against XlsxWriter writing the same cells with no logic.

Both runs happen in this process, alternating, so machine noise hits both alike; the ratio of the
medians is what we quote (target: within 1.5x).

    python benchmarks/bench_template.py [--branches 500] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import openpyxl
import xlsxwriter

from workbook.template import TemplateOptions, write_template


def capture_cells(path: Path) -> list[tuple[str, list[tuple[int, int, object]]]]:
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


def write_plain(path: Path, sheets: list[tuple[str, list[tuple[int, int, object]]]]) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--branches", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    branches = [f"测试分会第{n:03d}支部" for n in range(1, args.branches + 1)]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        options = TemplateOptions(branches, year=2026, formulas="native")
        write_template(out / "warm.xlsx", options)
        sheets = capture_cells(out / "warm.xlsx")
        ours, plain = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            write_template(out / "ours.xlsx", options)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            write_plain(out / "plain.xlsx", sheets)
            plain.append(time.perf_counter() - start)
    ours_median, plain_median = statistics.median(ours), statistics.median(plain)
    print(f"branches: {args.branches}, repeats: {args.repeat}")
    print(f"template (ours):        median {ours_median:.2f} s")
    print(f"XlsxWriter, same cells: median {plain_median:.2f} s")
    print(f"ratio: {ours_median / plain_median:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
