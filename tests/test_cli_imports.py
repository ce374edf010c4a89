"""``--help`` and ``--version`` stay cheap: they load none of the heavy spreadsheet libraries.

And each command loads only the libraries it uses.

Each case runs the installed ``branch-assess`` entry point in a fresh interpreter, exactly as a
user runs it, and then lists the modules that interpreter loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import click
import pytest

from workbook.cli.main import cli

# Third-party libraries that only some commands need, at run time, never for help or version.
HEAVY = ("xlsxwriter", "python_calamine", "openpyxl", "rich", "xlwings")

# Runs the entry-point script as the console would, then reports sys.modules on stderr.
PROBE = r"""
import json, runpy, sys
script = sys.argv[1]
sys.argv = ["branch-assess", *sys.argv[2:]]
code = 0
try:
    runpy.run_path(script, run_name="__main__")
except SystemExit as exit_:
    code = exit_.code or 0
sys.stderr.write("\nMODULES " + json.dumps(sorted(sys.modules)) + "\n")
sys.exit(code)
"""


def entry_point() -> Path:
    """The ``branch-assess`` script installed next to this interpreter."""
    script = Path(sysconfig.get_path("scripts")) / "branch-assess"
    if not script.exists():  # pragma: no cover - only without `pip install -e .`
        pytest.fail(f"{script} is missing: install the project with pip install -e .")
    return script


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand of ``group``, as the words a user types."""
    paths = []
    for name, command in sorted(group.commands.items()):
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
    return paths


def run_probe(args: tuple[str, ...]) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(entry_point()), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    marker = done.stderr.rpartition("\nMODULES ")[2]
    loaded = {name.partition(".")[0] for name in json.loads(marker)}
    return done, loaded


HELP_CASES = [("--help",), *((*path, "--help") for path in command_paths(cli))]


def test_every_command_has_a_help_case() -> None:
    # The list is built from the click group; make sure it found the nested commands too.
    assert ("template", "--help") in HELP_CASES
    assert ("consolidate", "--help") in HELP_CASES
    assert ("addin", "build", "--help") in HELP_CASES


@pytest.mark.parametrize("args", HELP_CASES, ids=" ".join)
def test_help_loads_no_heavy_library(args: tuple[str, ...]) -> None:
    done, loaded = run_probe(args)
    assert done.returncode == 0, done.stderr
    assert "用法：" in done.stdout
    assert "branch-assess" in done.stdout
    assert sorted(loaded.intersection(HEAVY)) == []


def test_version_prints_the_installed_version_and_loads_no_heavy_library() -> None:
    done, loaded = run_probe(("--version",))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"branch-assess 版本 {metadata.version('branch-assessment')}"
    assert sorted(loaded.intersection(HEAVY)) == []


def test_each_command_loads_only_the_libraries_it_uses(tmp_path: Path) -> None:
    # template writes with XlsxWriter; recalc patches the package itself; consolidate reads with
    # python-calamine and writes the summary with XlsxWriter. None needs openpyxl or xlwings.
    book = tmp_path / "考评定级表.xlsx"
    done, loaded = run_probe(("template", "--branch", "第一支部", "-o", str(book)))
    assert done.returncode == 0, done.stderr
    assert book.exists()
    assert "xlsxwriter" in loaded  # the probe does see a library a command loads
    assert sorted(loaded & {"python_calamine", "openpyxl", "xlwings"}) == []

    done, loaded = run_probe(("recalc", str(book), "-o", str(tmp_path / "重算.xlsx")))
    assert done.returncode == 0, done.stderr
    assert sorted(loaded & {"xlsxwriter", "python_calamine", "openpyxl", "xlwings"}) == []

    summary = tmp_path / "汇总.xlsx"
    done, loaded = run_probe(("consolidate", str(book), "-o", str(summary)))
    assert done.returncode == 0, done.stderr
    assert summary.exists()
    assert "python_calamine" in loaded
    assert sorted(loaded & {"openpyxl", "xlwings"}) == []
    # Nor the network and mail modules (xml.sax.saxutils would load them with urllib.request).
    assert sorted(loaded & STARTUP_ONLY_WHEN_USED) == []


# Standard-library packages that cost tens of milliseconds at start-up; `consolidate` needs none.
STARTUP_ONLY_WHEN_USED = {"email", "http", "ssl"}
