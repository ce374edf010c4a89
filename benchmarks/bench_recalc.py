"""Benchmark: ``recalc`` of a 100-branch workbook.

Prints the time of a full recalculation (``workbook.recalc.recalc_file``: read the package and
the input cells, score every branch, patch cached values and marks, write 总览, save atomically)
against a baseline measured in the same run: reading (decompressing) every part of the same
package and writing (compressing) every part to a new file, with zipfile and no computation.
Recalculation copies the parts it does not change still compressed, so it does less zip work
than the baseline for those. Target: within 2x.

Measured on a shared 2-core machine (CPython 3.11, 100 branches, 15 runs): baseline 45.4 ms,
recalc 98.5 ms, 2.17x (min); before reading the inputs from the sheets' XML and copying
unchanged parts it was about 200 ms, 4.2x.

Usage::

    python benchmarks/bench_recalc.py [--branches 100] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path


def make_workbook(path: Path, branches: int) -> Path:
    """A filled xlwings template: deductions, a few vetoes, every 10th branch with a mistake."""
    from workbook.scoring import RawBranchInputs
    from workbook.template import TemplateOptions, write_template

    names = [f"第{i + 1:03d}支部" for i in range(branches)]
    inputs = {}
    for index, name in enumerate(names):
        deductions: dict[str, object] = {"7.1": index % 26, "1.2": 2}
        if index % 3 == 0:
            deductions["2.1"] = 3
        if index % 10 == 0:
            deductions["1.3"] = 5  # invalid: 0 or 1-2
        vetoes = ["是"] if index % 25 == 0 else []
        inputs[name] = RawBranchInputs(deductions=deductions, vetoes=vetoes)
    write_template(path, TemplateOptions(branches=names, formulas="xlwings", inputs=inputs))
    return path


def timed_in_turn(repeat: int, *actions: Callable[[], object]) -> list[tuple[float, float]]:
    """(minimum, median) wall time of ``repeat`` runs of each action.

    The actions run in turn, so a change in the machine's load affects them alike.
    """
    times: list[list[float]] = [[] for _ in actions]
    for _ in range(repeat):
        for action, action_times in zip(actions, times, strict=True):
            start = time.perf_counter()
            action()
            action_times.append(time.perf_counter() - start)
    return [(min(t), statistics.median(t)) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--branches", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from workbook.atomic import atomic_output
    from workbook.recalc import recalc_file

    with tempfile.TemporaryDirectory() as folder:
        source = make_workbook(Path(folder) / "book.xlsx", args.branches)
        baseline_out = Path(folder) / "baseline.xlsx"
        recalc_out = Path(folder) / "recalc.xlsx"

        def baseline() -> None:
            with zipfile.ZipFile(source) as original:
                parts = [(info, original.read(info)) for info in original.infolist()]
            with (
                atomic_output(baseline_out) as temp,
                zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as copy,
            ):
                for info, data in parts:
                    copy.writestr(info, data, info.compress_type)

        def recalc() -> None:
            report = recalc_file(source, recalc_out)
            assert len(report.branches) == args.branches

        recalc()  # warm-up: imports, the standard
        baseline()
        (base_min, base_median), (calc_min, calc_median) = timed_in_turn(
            args.repeat, baseline, recalc
        )
        size = source.stat().st_size

    print(f"recalc of {args.branches} branch sheets ({args.repeat} runs each), {size} bytes")
    print(
        f"  baseline (read + rewrite the package): min {base_min * 1000:8.1f} ms  median {base_median * 1000:8.1f} ms"
    )
    print(
        f"  recalc                                 : min {calc_min * 1000:8.1f} ms  median {calc_median * 1000:8.1f} ms"
    )
    print(
        f"  ratio recalc / baseline: {calc_min / base_min:.2f}x (min)  {calc_median / base_median:.2f}x (median)  target <= 2x"
    )


if __name__ == "__main__":
    main()
