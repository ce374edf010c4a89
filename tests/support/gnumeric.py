"""Run Gnumeric's ``ssconvert --recalc`` for tests: a second, independent spreadsheet engine.

Each call gets a private HOME and configuration folder and keeps its settings in memory, so
tests never read or write a desktop profile.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

requires_gnumeric = pytest.mark.skipif(
    shutil.which("ssconvert") is None and not os.environ.get("CI"),
    reason="Gnumeric (ssconvert) is not installed; scripts/test.sh installs it",
)

# A guard against a hung converter, not a speed limit: on a loaded shared machine one
# conversion of a large workbook has taken over 5 minutes.
HANG_GUARD_SECONDS = 1200


def ssconvert() -> str:
    path = shutil.which("ssconvert")
    if path is None:
        raise RuntimeError("Gnumeric (ssconvert) is not installed")
    return path


def recalculate(source: Path, target: Path) -> Path:
    """Open ``source`` in Gnumeric, recalculate every formula and save it as ``target``.

    The format follows ``target``'s extension (``.xlsx``: Office Open XML, ``.csv``: the first
    sheet as text).

    Raises:
        RuntimeError: Gnumeric failed or wrote nothing (its output is in the message).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gnumeric-home-") as home:
        env = {
            **os.environ,
            "HOME": home,
            "XDG_CONFIG_HOME": str(Path(home) / "config"),
            "XDG_CACHE_HOME": str(Path(home) / "cache"),
            "XDG_DATA_HOME": str(Path(home) / "data"),
            "GSETTINGS_BACKEND": "memory",
        }
        result = subprocess.run(
            [ssconvert(), "--recalc", str(source), str(target)],
            capture_output=True,
            text=True,
            timeout=HANG_GUARD_SECONDS,
            env=env,
        )
    if result.returncode != 0 or not target.exists():
        raise RuntimeError(
            f"Gnumeric failed ({result.returncode}): {result.stdout}\n{result.stderr}"
        )
    return target
