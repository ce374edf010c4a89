"""Whole-command timing shared by the benchmarks.

A user runs ``branch-assess ...`` in a fresh process: interpreter start, imports, the work, the
output written, exit. So each benchmark runs the installed entry point as a child process and
times it from just before the process is started until it has been reaped, next to a baseline
that is also a whole process (a short ``python -c`` script doing the bare job with the library
alone). The two take turns, command then baseline, for a number of pairs: a busy moment on the
shared machine then slows both members of a pair alike. What we quote is the median over the
pairs.

Peak memory is the child's own high-water mark (``ru_maxrss`` from ``os.wait4``, which covers
the child and the worker processes it waited for).

Children run without ``PYTHONDONTWRITEBYTECODE`` (some sandboxes set it), so that the warm-up
pair writes the byte-code caches a user's installation has: otherwise every measured run would
compile every module of the project again (0.1-0.15 s, a sixth of the consolidate baseline).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    """One finished child process."""

    seconds: float
    peak_mib: float
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Pairs:
    """The command's and the baseline's runs, taken in turn."""

    command: list[Run]
    baseline: list[Run]
    baseline_seconds: list[float]  # the baseline's time that counts (see ``alternate``)

    @property
    def command_median(self) -> float:
        return statistics.median(run.seconds for run in self.command)

    @property
    def baseline_median(self) -> float:
        return statistics.median(self.baseline_seconds)

    @property
    def ratios(self) -> list[float]:
        return [
            run.seconds / base
            for run, base in zip(self.command, self.baseline_seconds, strict=True)
        ]

    @property
    def ratio_median(self) -> float:
        """The median of the pairs' ratios: the figure we quote."""
        return statistics.median(self.ratios)


def entry_point() -> str:
    """The ``branch-assess`` script installed next to this interpreter."""
    script = Path(sysconfig.get_path("scripts")) / "branch-assess"
    if not script.exists():
        sys.exit(f"{script} is missing: install the project first (pip install -e .)")
    return str(script)


# As a user's shell has it: byte-code caches written and used (see the module's docstring).
_CHILD_ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_process(argv: Sequence[str], expect: int = 0) -> Run:
    """Run ``argv`` to completion; wall time from start to reaping, and its peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=_CHILD_ENVIRONMENT
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = (f.read().decode("utf-8", "replace") for f in (out, err))
    if process.returncode != expect:
        sys.exit(
            f"{' '.join(argv[:3])}... exited with {process.returncode}, expected {expect}:\n"
            f"{stderr[-2000:]}"
        )
    return Run(seconds, usage.ru_maxrss / 1024, stdout, stderr)


def alternate(
    command: Callable[[], Run],
    baseline: Callable[[], Run],
    pairs: int,
    baseline_overhead: Callable[[Run], float] = lambda run: 0.0,
) -> Pairs:
    """Run ``command`` and ``baseline`` in turn, ``pairs`` times each, after one warm-up pair.

    Args:
        baseline_overhead: seconds of a baseline run that are not part of the bare job (e.g.
            loading the cells it is given to write), as the baseline itself reported them;
            they are subtracted from its time.
    """
    command()  # warm-up: the page cache and the byte-code caches
    baseline()
    commands: list[Run] = []
    baselines: list[Run] = []
    for _ in range(pairs):
        commands.append(command())
        baselines.append(baseline())
    return Pairs(commands, baselines, [r.seconds - baseline_overhead(r) for r in baselines])


def python_script(code: str, *args: object) -> list[str]:
    """The argv of a fresh interpreter (this one) running ``code`` with ``args``."""
    return [sys.executable, "-c", code, *(str(a) for a in args)]


def report(title: str, pairs: Pairs, target: float) -> None:
    """Print the whole-command figures of one benchmark."""
    ratios = pairs.ratios
    verdict = "met" if pairs.ratio_median <= target else "NOT met"
    print(f"whole command, {len(ratios)} alternated pairs: {title}")
    print(f"  command  median {pairs.command_median:7.2f} s")
    print(f"  baseline median {pairs.baseline_median:7.2f} s")
    print(
        f"  ratio: median of the pairs {pairs.ratio_median:.2f}x "
        f"(pairs {min(ratios):.2f}x-{max(ratios):.2f}x; ratio of the medians "
        f"{pairs.command_median / pairs.baseline_median:.2f}x)  target <= {target}x: {verdict}"
    )


def machine_note() -> str:
    """CPUs, Python and the load, for the record."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"load average {load} at start"
    )
