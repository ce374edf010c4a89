"""Run LibreOffice headless for tests: convert files, optionally forcing recalculation on load.

Each call uses a private user profile, so tests never touch (or wait on) a desktop profile and
the recalculation setting is under our control.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

# /org.openoffice.Office.Calc/Formula/Load: 0 = always recalculate on load, 1 = never, 2 = ask.
_PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>{mode}</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>{mode}</value></prop></item>
</oor:items>
"""

# A guard against a hung converter, not a speed limit: on a loaded shared machine one
# conversion of a large workbook has taken over 5 minutes.
HANG_GUARD_SECONDS = 1200


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


requires_libreoffice = pytest.mark.skipif(
    soffice_path() is None and not os.environ.get("CI"),
    reason="LibreOffice (soffice) is not installed; scripts/test.sh installs it",
)


def soffice() -> str:
    path = soffice_path()
    if path is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    return path


def convert(source: Path, target_format: str, outdir: Path, *, recalculate: bool) -> Path:
    """Convert ``source`` with LibreOffice headless and return the converted file.

    Args:
        target_format: e.g. ``"pdf"`` or ``"xlsx:Calc MS Excel 2007 XML"`` (no shell quoting).
        recalculate: force a full recalculation of every formula on load.

    Raises:
        RuntimeError: LibreOffice failed or wrote nothing (its output is in the message).
    """
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(
            _PROFILE_SETTINGS.format(mode=0 if recalculate else 1), encoding="utf-8"
        )
        result = subprocess.run(
            [
                soffice(),
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                target_format,
                "--outdir",
                str(outdir),
                str(source),
            ],
            capture_output=True,
            text=True,
            timeout=HANG_GUARD_SECONDS,
        )
    extension = target_format.split(":", 1)[0]
    converted = outdir / f"{source.stem}.{extension}"
    if result.returncode != 0 or not converted.exists():
        raise RuntimeError(
            f"LibreOffice failed ({result.returncode}): {result.stdout}\n{result.stderr}"
        )
    return converted
