"""Benchmark: ``branch-assess recalc`` of a 1,000-branch workbook.

Prints ratios against a baseline measured in the same run: reading (decompressing) every part
of the same package and writing (compressing) every part to a new file, with zipfile and no
computation. Recalculation copies the parts it does not change still compressed, so it does
less zip work than the baseline for those.

* whole command (what we quote): ``branch-assess recalc BOOK -o OUT`` as a user runs it, a
  fresh process from start to exit, against a fresh ``python -c`` process doing the baseline;
  the median of --pairs alternated pairs (target: within 2x), with the peak RSS of both
  processes next to the size of the package's largest part (target: peak memory bounded by
  the largest part, not by the package);
* in process: ``workbook.outputs.file_book.recalc_file`` against the same baseline in this process;
  medians, taking turns.

The workbook is the default (``xlwings``) template, filled: deductions, a few vetoes and, in
every 10th branch, an invalid input, so the command exits with 1 after marking it.

Usage::

    python benchmarks/bench_recalc.py [--branches 1000 | --quick] [--pairs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from whole_command import alternate, entry_point, machine_note, python_script, report, run_process

# The whole-process baseline: read every part, write every part to a temporary file, move it.
BASELINE = r"""
import os, sys, tempfile, zipfile
source, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(source) as original:
    parts = [(info, original.read(info)) for info in original.infolist()]
handle, temp = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".tmp")
os.close(handle)
with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as copy:
    for info, data in parts:
        copy.writestr(info, data, info.compress_type)
os.replace(temp, target)
"""

# Peak RSS of an interpreter that imports what the command imports and exits.
IMPORTS_ONLY = "import workbook.cli.main, workbook.outputs.recalc"


def make_workbook(path: Path, branches: int) -> Path:
    """A filled xlwings template: deductions, a few vetoes, every 10th branch with a mistake."""
    from workbook.core.scoring import RawBranchInputs
    from workbook.outputs.template import TemplateOptions, write_template

    names = [f"第{i + 1:04d}支部" for i in range(branches)]
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


def timed_in_turn(repeat: int, *actions: Callable[[], object]) -> list[float]:
    """Median wall time of ``repeat`` runs of each action, the actions taking turns."""
    times: list[list[float]] = [[] for _ in actions]
    for _ in range(repeat):
        for action, action_times in zip(actions, times, strict=True):
            start = time.perf_counter()
            action()
            action_times.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def package_sizes(path: Path) -> tuple[float, float, float]:
    """(on disk, all parts uncompressed, largest part uncompressed), in MiB."""
    with zipfile.ZipFile(path) as package:
        sizes = [info.file_size for info in package.infolist()]
    mib = 1024 * 1024
    return path.stat().st_size / mib, sum(sizes) / mib, max(sizes) / mib


def whole_command(source: Path, folder: Path, branches: int, pairs: int) -> None:
    recalc_out = folder / "recalc.xlsx"
    baseline_out = folder / "baseline.xlsx"
    command = [entry_point(), "recalc", str(source), "-o", str(recalc_out)]
    invalid = (branches + 9) // 10
    result = alternate(
        lambda: run_process(command, expect=1 if invalid else 0),
        lambda: run_process(python_script(BASELINE, source, baseline_out)),
        pairs,
    )
    assert f"{branches} 个支部" in result.command[0].stdout, result.command[0].stdout
    report(
        f"branch-assess recalc of {branches} branch sheets vs reading and rewriting the package",
        result,
        2.0,
    )
    imports = run_process(python_script(IMPORTS_ONLY))
    on_disk, unpacked, largest = package_sizes(source)
    print(
        f"  peak RSS (median): command {statistics.median(r.peak_mib for r in result.command):.1f} MiB, "
        f"baseline {statistics.median(r.peak_mib for r in result.baseline):.1f} MiB, "
        f"a process that only imports the command's modules {imports.peak_mib:.1f} MiB"
    )
    print(
        f"  package: {on_disk:.1f} MiB on disk, {unpacked:.1f} MiB uncompressed, "
        f"largest part {largest:.1f} MiB uncompressed"
    )


def in_process(source: Path, folder: Path, branches: int, repeat: int) -> None:
    from workbook.atomic import atomic_output
    from workbook.outputs.file_book import recalc_file

    baseline_out = folder / "baseline-in-process.xlsx"
    recalc_out = folder / "recalc-in-process.xlsx"

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
        assert len(report.branches) == branches

    recalc()  # warm-up: imports, the standard
    baseline()
    base_median, calc_median = timed_in_turn(repeat, baseline, recalc)
    print(f"in process, medians of {repeat} rounds:")
    print(f"  baseline (read + rewrite the package): {base_median:6.2f} s")
    print(
        f"  recalc_file:                           {calc_median:6.2f} s  ratio {calc_median / base_median:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="100 branch sheets")
    parser.add_argument("--pairs", type=int, default=5, help="alternated pairs (at least 5)")
    args = parser.parse_args()
    branches = 100 if args.quick else args.branches

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        # Written by a child process so this one's memory and imports stay as they were.
        subprocess.run(
            [sys.executable, __file__, "--make", str(folder / "book.xlsx"), str(branches)],
            check=True,
        )
        source = folder / "book.xlsx"
        print(
            f"recalc of {branches} branch sheets, {source.stat().st_size} bytes; {machine_note()}"
        )
        whole_command(source, folder, branches, args.pairs)
        in_process(source, folder, branches, args.pairs)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--make":
        make_workbook(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
