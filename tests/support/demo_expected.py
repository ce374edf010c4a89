"""The demo's results worked out by hand from the notice's table (``tests/data/demo_expected.toml``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

DATA = Path(__file__).parent.parent / "data" / "demo_expected.toml"


def demo_expected() -> dict[str, tuple[list[float], str, str, int]]:
    """Branch -> (item scores, total, grade, rank), in rank order."""
    with DATA.open("rb") as handle:
        branches = tomllib.load(handle)["branch"]
    return {
        b["name"]: ([float(s) for s in b["item_scores"]], b["total"], b["grade"], b["rank"])
        for b in branches
    }


DEMO_EXPECTED = demo_expected()
