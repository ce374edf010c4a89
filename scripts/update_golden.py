"""Regenerate the golden files (tests/golden/) after a deliberate change to an output.

    .venv/bin/python scripts/update_golden.py            # every case
    .venv/bin/python scripts/update_golden.py recalc-output

tests/test_golden.py fails while an output differs from its committed parts. Run this, then
review the change part by part with `git diff tests/golden` before committing it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.golden import CASES, normalised_parts, write_golden

if __name__ == "__main__":
    names = sys.argv[1:] or list(CASES)
    unknown = sorted(set(names) - set(CASES))
    if unknown:
        sys.exit(f"unknown case(s) {unknown}; cases: {', '.join(CASES)}")
    for name in names:
        with tempfile.TemporaryDirectory() as folder:
            output = CASES[name](Path(folder))
            print(write_golden(name, normalised_parts(output)))
