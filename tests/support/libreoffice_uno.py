"""Drive LibreOffice Calc as a user would (``lo_driver.py`` under the system Python's ``uno``)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

DRIVER = Path(__file__).with_name("lo_driver.py")
SYSTEM_PYTHON = "/usr/bin/python3"


def uno_available() -> bool:
    """True when LibreOffice and a Python with its ``uno`` module are installed."""
    if shutil.which("soffice") is None or not Path(SYSTEM_PYTHON).exists():
        return False
    result = subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True)
    return result.returncode == 0


def edit_in_libreoffice(source: Path, target: Path, steps: list[list[object]]) -> Path:
    """Open ``source`` in LibreOffice, do ``steps`` (see lo_driver.py), save as xlsx to ``target``."""
    soffice = shutil.which("soffice")
    if soffice is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(prefix="lo-job-") as folder:
        # LibreOffice opens a private copy: the lock file it leaves if it goes down never
        # keeps the next run from opening the same source.
        opened = Path(folder) / f"source{source.suffix}"
        shutil.copyfile(source, opened)
        job = Path(folder) / "job.json"
        job.write_text(
            json.dumps(
                {
                    "soffice": soffice,
                    "source": str(opened),
                    "target": str(target),
                    "steps": steps,
                },
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        # LibreOffice 7.4 headless now and then aborts in a timer at start-up (SIGABRT in
        # SvpSalInstance::CheckTimeout) or, on a loaded machine, fails to open the document:
        # such a run is tried again, up to three times.
        for _ in range(3):
            # A run that went down leaves its lock file (.~lock.source.xlsx#) beside the copy,
            # and LibreOffice would not open a locked file again: remove it before a new try.
            for lock in Path(folder).glob(".~lock.*#"):
                lock.unlink()
            result = subprocess.run(
                [SYSTEM_PYTHON, str(DRIVER), str(job)], capture_output=True, text=True, timeout=1200
            )
            if result.returncode == 0 and target.exists():
                break
            transient = ("Fatal exception: Signal 6", "could not open", "DisposedException")
            if not any(text in result.stderr for text in transient):
                break
    if result.returncode != 0 or not target.exists():
        raise RuntimeError(f"LibreOffice failed: {result.stdout}\n{result.stderr}")
    return target
