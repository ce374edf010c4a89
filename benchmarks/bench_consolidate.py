"""Benchmark: ``branch-assess consolidate`` of 1,000 single-branch workbooks.

Prints ratios against a baseline measured in the same run:

* whole command (what we quote): ``branch-assess consolidate FOLDER -o SUMMARY.xlsx`` run as a
  user runs it, a fresh process from start to exit with the summary written, against a fresh
  ``python -c`` process that reads every sheet's cells of the same files with python-calamine;
  the median of --pairs alternated pairs (target: within 1.8x);
* in process: ``consolidate()`` in one process and with worker processes (the default), against
  reading the same cells with python-calamine in this process; medians, taking turns;
* memory: peak RSS of a fresh process consolidating a tenth of the files and all of them
  (should stay flat), next to the peak RSS of a process that only imports the package;
* floor: what the command costs whatever its reading does, against the same baseline: a fresh
  process importing what the command imports, plus writing the summary of the same result in
  this process, plus the baseline's own reading shared perfectly among the worker processes.
  When that sum alone is above the target, no faster reading can meet it.

Usage::

    python benchmarks/bench_consolidate.py [--files 1000 | --quick] [--pairs 5] [--dir DIR]

The workbooks (default ``xlwings`` template, filled) are generated once into ``DIR`` (a
temporary folder by default) and reused when ``DIR`` already holds them.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from whole_command import alternate, entry_point, machine_note, python_script, report, run_process

# The whole-process baseline: python-calamine reading every sheet's cells of the same files.
BASELINE = r"""
import sys
from pathlib import Path
import python_calamine
cells = 0
for path in sorted(Path(sys.argv[1]).glob("*.xlsx")):
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        for sheet in book.sheet_names:
            rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            cells += sum(len(row) for row in rows)
    finally:
        book.close()
print(cells)
"""

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


from workbook.inputs.consolidate import consolidate
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
    from workbook.core.scoring import RawBranchInputs
    from workbook.outputs.template import TemplateOptions, write_template

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
    from workbook.inputs.consolidate import consolidate

    result = consolidate(files, workers=workers)
    assert result.ok, [p.text() for p in result.errors[:3]]
    return len(result.branches)


def median_times(
    repeat: int, runs: dict[str, Callable[[], object]]
) -> tuple[dict[str, float], dict[str, float]]:
    """The median wall time and the median CPU time of this process of each run over
    ``repeat`` rounds, the runs taking turns in each round.

    Taking turns means a busy moment on a shared machine slows every measurement alike
    instead of all the repeats of one of them.
    """
    times: dict[str, list[float]] = {label: [] for label in runs}
    cpu: dict[str, list[float]] = {label: [] for label in runs}
    for _ in range(repeat):
        for label, run in runs.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            run()
            times[label].append(time.perf_counter() - started)
            cpu[label].append(time.process_time() - started_cpu)
    return (
        {label: statistics.median(values) for label, values in times.items()},
        {label: statistics.median(values) for label, values in cpu.items()},
    )


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


def whole_command(folder: Path, count: int, pairs: int) -> None:
    """The command as a user runs it against python-calamine reading the files, in turn."""
    with tempfile.TemporaryDirectory() as out:
        summary = Path(out) / "汇总.xlsx"
        command = [entry_point(), "consolidate", str(folder), "-o", str(summary)]
        result = alternate(
            lambda: run_process(command),
            lambda: run_process(python_script(BASELINE, folder)),
            pairs,
        )
        assert summary.exists()
    assert f"{count} 个支部" in result.command[0].stdout, result.command[0].stdout
    report(
        f"branch-assess consolidate of {count} files (summary written) "
        "vs python-calamine reading the same files",
        result,
        1.8,
    )


def in_process(files: list[Path], repeat: int) -> None:
    """consolidate() in this process, one process and worker processes, against the baseline."""
    # Warm the page cache and imports once, then measure (medians, taking turns).
    read_cells_with_calamine(files[:20])
    run_consolidate(files[:20], 1)
    median, cpu = median_times(
        repeat,
        {
            "baseline": lambda: read_cells_with_calamine(files),
            "serial": lambda: run_consolidate(files, 1),
            "parallel": lambda: run_consolidate(files, None),
        },
    )
    baseline, serial, parallel = (median[k] for k in ("baseline", "serial", "parallel"))
    print(f"in process, medians of {repeat} rounds:")
    print(f"  baseline (python-calamine, read every sheet's cells): {baseline:6.2f} s")
    print(
        f"  consolidate(), one process:                           {serial:6.2f} s  ratio {serial / baseline:.2f}x"
    )
    print(
        f"  consolidate(), default (worker processes):            {parallel:6.2f} s  ratio {parallel / baseline:.2f}x"
    )
    per_file = {k: v * 1000 / len(files) for k, v in cpu.items()}
    print(
        f"  CPU time per file in one process (time.process_time): {per_file['serial']:.2f} ms "
        f"vs {per_file['baseline']:.2f} ms for the baseline "
        f"({per_file['serial'] / per_file['baseline']:.2f}x)"
    )


# A fresh process that imports what ``branch-assess consolidate`` imports before it reads.
IMPORTS = r"""
import workbook.cli.main, workbook.cli.consolidate, workbook.inputs.consolidate
import workbook.outputs.summary, workbook.cli.progress, python_calamine, xlsxwriter
"""


def floor(folder: Path, files: list[Path], pairs: int) -> None:
    """The part of the whole command no reader can remove, against the baseline process."""
    import os

    from workbook.inputs.consolidate import consolidate
    from workbook.outputs.summary import write_summary

    imports = alternate(
        lambda: run_process([sys.executable, "-c", IMPORTS]),
        lambda: run_process(python_script(BASELINE, folder)),
        pairs,
    )
    import_seconds = statistics.median(run.seconds for run in imports.command)
    baseline_process = statistics.median(imports.baseline_seconds)
    result = consolidate(files)
    assert result.ok, [p.text() for p in result.errors[:3]]
    with tempfile.TemporaryDirectory() as out:
        median, _ = median_times(
            pairs,
            {
                "summary": lambda: write_summary(Path(out) / "汇总.xlsx", result, notices=[]),
                "read": lambda: read_cells_with_calamine(files),
            },
        )
    workers = min(os.cpu_count() or 1, 8)
    total = import_seconds + median["summary"] + median["read"] / workers
    print(f"floor, medians of {pairs}: what the command costs however fast its reading is")
    print(f"  baseline process (python-calamine reads every file):  {baseline_process:6.2f} s")
    print(f"  a process importing what the command imports:         {import_seconds:6.2f} s")
    print(
        f"  writing the summary ({len(files)} branches), in process:     {median['summary']:6.2f} s"
    )
    print(
        f"  the baseline's reading shared by {workers} workers:            "
        f"{median['read'] / workers:6.2f} s"
    )
    print(
        f"  sum: {total:.2f} s, {total / baseline_process:.2f}x the baseline process "
        f"(target 1.8x: {'reachable' if total / baseline_process <= 1.8 else 'out of reach'} "
        "with this summary and these imports)"
    )


def memory_figures(folder: Path, files: list[Path]) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="100 files, 5 pairs, no memory runs")
    parser.add_argument("--pairs", type=int, default=5, help="alternated pairs (at least 5)")
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--floor", action="store_true", help="only the floor figures")
    args = parser.parse_args()
    count = 100 if args.quick else args.files
    folder = args.dir or Path(tempfile.gettempdir()) / f"bench-consolidate-{count}"
    generate(folder, count)
    files = sorted(folder.glob("*.xlsx"))
    print(f"files: {len(files)} single-branch workbooks; {machine_note()}")
    if args.floor:
        floor(folder, files, args.pairs)
        return
    whole_command(folder, len(files), args.pairs)
    in_process(files, args.pairs)
    floor(folder, files, args.pairs)
    if not args.quick:
        memory_figures(folder, files)


if __name__ == "__main__":
    main()
