"""The data cases of ``tests/cases``: one TOML file per case, checkable by hand against the notice."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from workbook.core.scoring import RawBranchInputs

CASES = sorted((Path(__file__).parent.parent / "cases").glob("*.toml"))


def load_case(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def raw_inputs(case: dict[str, Any]) -> RawBranchInputs:
    inputs = case["inputs"]
    vetoes = [None if v == "" else v for v in inputs.get("vetoes", [])]
    return RawBranchInputs(deductions=dict(inputs.get("deductions", {})), vetoes=vetoes)
