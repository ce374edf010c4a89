"""Benchmark: consolidating 1,000 single-branch workbooks.

Prints ratios against a baseline measured in the same run:

* time: ``consolidate()`` (and the whole ``branch-assess consolidate`` command, summary and JSON
  included) versus merely reading every sheet's cells of the same files with python-calamine
  (target: consolidate within 1.5x of the baseline);
* memory: peak RSS of a fresh process consolidating 100 and 1,000 files (should stay flat),
  next to the peak RSS of a process that only imports the package.

Usage::

    python benchmarks/bench_consolidate.py [--files 1000] [--dir DIR] [--repeat 5]

The workbooks are generated once into ``DIR`` (a temporary folder by default) and reused
when ``DIR`` already holds them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

CHILD = r"""
import json, resource, sys, tracemalloc
from pathlib import Path
from typing import Any
folder, count, workers, trace = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
files = sorted(folder.glob("*.xlsx"))[:count]


def high_water_kib():
    # VmHWM is this process's own peak; ru_maxrss can carry the parent's peak across exec.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


from workbook.consolidate import consolidate
before = high_water_kib()
if trace:
    tracemalloc.start()
result = consolidate(files, workers=workers or None)
assert result.ok and len(result.branches) == count, result.errors[:3]
print(json.dumps({
    "imports_kib": before,
    "main_kib": high_water_kib(),
    "workers_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    "traced_peak_kib": tracemalloc.get_traced_memory()[1] / 1024 if trace else None,
}))
"""


def _make_one(args: tuple[Path, int]) -> None:
    from workbook.scoring import RawBranchInputs
    from workbook.template import TemplateOptions, write_template

    folder, index = args
    name = f"第{index + 1:04d}支部"
    deductions: dict[str, object] = {"7.1": index % 26}
    if index % 3 == 0:
        deductions["2.1"] = 3
    if index % 7 == 0:
        deductions["6.4"] = 0.5
    vetoes = ["是"] if index % 50 == 0 else []
    write_template(
        folder / f"{name}.xlsx",
        TemplateOptions(
            branches=[name],
            formulas="native",
            inputs={name: RawBranchInputs(deductions, vetoes=vetoes)},
        ),
    )


def generate(folder: Path, count: int) -> None:
    """Write ``count`` single-branch workbooks into ``folder`` unless they are already there."""
    folder.mkdir(parents=True, exist_ok=True)
    if len(list(folder.glob("*.xlsx"))) == count:
        return
    for old in folder.glob("*.xlsx"):
        old.unlink()
    started = time.perf_counter()
    with multiprocessing.Pool() as pool:
        pool.map(_make_one, [(folder, i) for i in range(count)], chunksize=20)
    print(f"generated {count} workbooks in {time.perf_counter() - started:.1f} s into {folder}")


def read_cells_with_calamine(files: list[Path]) -> int:
    """The baseline: open each file with python-calamine and read every sheet's cells."""
    import python_calamine

    cells = 0
    for path in files:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            for sheet in book.sheet_names:
                rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
                cells += sum(len(row) for row in rows)
        finally:
            book.close()
    return cells


def run_consolidate(files: list[Path], workers: int | None = None) -> int:
    from workbook.consolidate import consolidate

    result = consolidate(files, workers=workers)
    assert result.ok, [p.text() for p in result.errors[:3]]
    return len(result.branches)


def run_command(folder: Path, out: Path) -> int:
    from workbook.cli import main

    code = main(
        ["consolidate", str(folder), "-o", str(out / "s.xlsx"), "--json", str(out / "s.json")]
    )
    assert code == 0
    return code


def best_times(repeat: int, runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """The best time of each run over ``repeat`` rounds, the runs taking turns in each round.

    Taking turns means a busy moment on a shared machine slows every measurement alike
    instead of all the repeats of one of them.
    """
    times: dict[str, list[float]] = {label: [] for label in runs}
    for _ in range(repeat):
        for label, run in runs.items():
            started = time.perf_counter()
            run()
            times[label].append(time.perf_counter() - started)
    return {label: min(values) for label, values in times.items()}


def memory(folder: Path, count: int, workers: int, trace: bool = False) -> dict[str, float]:
    """Peak memory (MiB) of a fresh process consolidating the first ``count`` files."""
    output = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), str(count), str(workers), "1" if trace else "0"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    data = json.loads(output.strip().splitlines()[-1])
    return {k: (v or 0) / 1024 for k, v in data.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.gettempdir()) / f"bench-consolidate-{args.files}"
    generate(folder, args.files)
    files = sorted(folder.glob("*.xlsx"))

    # Warm the page cache and imports once, then measure (best of --repeat, taking turns).
    read_cells_with_calamine(files[:20])
    run_consolidate(files[:20], 1)
    with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(io.StringIO()):
        best = best_times(
            args.repeat,
            {
                "baseline": lambda: read_cells_with_calamine(files),
                "serial": lambda: run_consolidate(files, 1),
                "parallel": lambda: run_consolidate(files, None),
                "command": lambda: run_command(folder, Path(out)),
            },
        )
    baseline, serial, parallel, command = (
        best[label] for label in ("baseline", "serial", "parallel", "command")
    )
    cpus = os.cpu_count()
    print(f"files: {len(files)} single-branch workbooks; CPUs: {cpus}")
    print(f"baseline (python-calamine, read every sheet's cells):  {baseline:6.2f} s")
    print(
        f"consolidate(), one process:                            {serial:6.2f} s  ratio {serial / baseline:.2f}x"
    )
    print(
        f"consolidate(), default (worker processes):             {parallel:6.2f} s  ratio {parallel / baseline:.2f}x"
    )
    print(
        f"branch-assess consolidate (+ summary + JSON):          {command:6.2f} s  ratio {command / baseline:.2f}x"
    )

    small = max(1, len(files) // 10)
    sizes = (small, len(files))
    traced = [memory(folder, n, 1, trace=True)["traced_peak_kib"] for n in sizes]
    print(
        f"Python heap peak (tracemalloc), one process: {small} files {traced[0]:.1f} MiB, "
        f"{len(files)} files {traced[1]:.1f} MiB (about {traced[1] * 1024 / len(files):.1f} KiB a branch kept for ranking)"
    )
    for workers in (1, 0):
        label = "one process" if workers == 1 else "worker processes"
        small_run, large_run = (memory(folder, n, workers) for n in sizes)
        line = (
            f"peak RSS, {label}: after imports {small_run['imports_kib']:.1f} MiB; "
            f"{small} files {small_run['main_kib']:.1f} MiB, {len(files)} files {large_run['main_kib']:.1f} MiB "
            f"(ratio {large_run['main_kib'] / small_run['main_kib']:.2f}x)"
        )
        if workers != 1:
            line += f"; largest worker {small_run['workers_kib']:.1f} -> {large_run['workers_kib']:.1f} MiB"
        print(line)


if __name__ == "__main__":
    main()
