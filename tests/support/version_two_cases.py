"""Version-2 branches (committee, 自评 and checklist cells) and what their computed cells show.

Shared by the tests that recalculate a version-2 template in LibreOffice and in Gnumeric: the
hand-worked cases of ``tests/self_cases`` and ``tests/checklist_cases``, seeded random branches
with hostile 自评 and checklist values, and the engine's value for every version-2 cell.
"""

from __future__ import annotations

import random
import tomllib
from decimal import Decimal
from pathlib import Path

from workbook.core import names
from workbook.core.scoring import RawBranchInputs, assess_branch
from workbook.core.self_sheet import read_version_two, version_two_outputs
from workbook.core.standard import Standard
from workbook.inputs.reader import read_branch_workbook
from workbook.outputs.template import TemplateOptions, write_template

from support.template_cases import _random_branch
from support.workbook_helpers import cells_for, fill_by_names

TESTS = Path(__file__).parent.parent


def _toml(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def self_case_cells(standard: Standard) -> dict[str, dict[str, object]]:
    """The cases of tests/self_cases as the named cells of a branch sheet."""
    branches: dict[str, dict[str, object]] = {}
    for path in sorted((TESTS / "self_cases").glob("*.toml")):
        case = _toml(path)
        cells = cells_for(standard, RawBranchInputs(case["committee"]["deductions"]))
        for rule_id, value in case["self"]["deductions"].items():
            cells[names.self_deduction_name(standard.rule(rule_id))] = value
        for number, value in enumerate(case["self"].get("vetoes", []), start=1):
            cells[names.self_veto_name(number)] = value
        branches[f"自评{path.stem[:2]}"] = cells
    return branches


def checklist_case_cells(standard: Standard) -> dict[str, dict[str, object]]:
    """The cases of tests/checklist_cases as the named cells of a branch sheet."""
    checklist = standard.checklist
    assert checklist is not None
    branches: dict[str, dict[str, object]] = {}
    for path in sorted((TESTS / "checklist_cases").glob("*.toml")):
        case = _toml(path)
        answers = {entry.key: case["default"] for entry in checklist.entries}
        answers.update(case["answers"])
        cells: dict[str, object] = {
            names.checklist_name(entry): answers[entry.key] for entry in checklist.entries
        }
        for number, scope in enumerate(checklist.scopes, start=1):
            cells[names.checklist_scope_name(number)] = "是" if scope in case["scopes"] else "否"
        branches[f"自查{path.stem[:2]}"] = {k: v for k, v in cells.items() if v != ""}
    return branches


def random_cells(standard: Standard, count: int) -> dict[str, dict[str, object]]:
    """Seeded random branches: committee and 自评 values of every kind (valid and hostile),
    checklist answers 是/否/blank/typos/booleans, the scope answered or not."""
    checklist = standard.checklist
    assert checklist is not None
    rng = random.Random(20121231)
    branches: dict[str, dict[str, object]] = {}
    answers: list[object] = ["是", "是", "否", None, None, "没有", True, False, " 是"]
    for number in range(1, count + 1):
        committee, own = _random_branch(standard, rng), _random_branch(standard, rng)
        cells = cells_for(standard, committee)
        if rng.random() < 0.8:  # some branches leave the 自评 column blank
            for rule in standard.rules:
                cells[names.self_deduction_name(rule)] = own.deductions.get(rule.id)
            for n, value in enumerate(own.vetoes, start=1):
                cells[names.self_veto_name(n)] = value
        for entry in checklist.entries:
            cells[names.checklist_name(entry)] = rng.choice(answers)
        cells[names.checklist_scope_name(1)] = rng.choice(["是", "否", None, "可能"])
        branches[f"随机{number:03d}"] = {k: v for k, v in cells.items() if v is not None}
    return branches


def all_cells(standard: Standard, random_count: int = 60) -> dict[str, dict[str, object]]:
    return {
        **self_case_cells(standard),
        **checklist_case_cells(standard),
        **random_cells(standard, random_count),
    }


def expected_version_two(standard: Standard, cells: dict[str, object]) -> dict[str, object]:
    """The engine's value of every version-2 computed cell (floats; None for an empty text)."""
    committee = assess_branch(
        standard,
        RawBranchInputs(
            {r.id: cells.get(names.deduction_name(r)) for r in standard.rules},
            {},
            [cells.get(names.veto_name(n)) for n in range(1, len(standard.vetoes) + 1)],
        ),
    )
    outputs = version_two_outputs(standard, committee, read_version_two(standard, cells))
    return {
        name: (float(v) if isinstance(v, Decimal) else (None if v == "" else v))
        for name, v in outputs.items()
    }


def filled_version_two(
    folder: Path, standard: Standard, branches: dict[str, dict[str, object]], mode: str
) -> Path:
    """A template with these branches, filled by name with openpyxl (no cached values left)."""
    template = write_template(
        folder / f"v2-{mode}.xlsx",
        TemplateOptions(list(branches), formulas=mode),  # type: ignore[arg-type]
    )
    sheet_of = {s.branch_name: s.sheet for s in read_branch_workbook(template).sheets}
    return fill_by_names(
        template,
        {sheet_of[b]: cells for b, cells in branches.items()},
        folder / f"v2-{mode}-filled.xlsx",
    )


def version_two_mismatches(
    standard: Standard, path: Path, branches: dict[str, dict[str, object]], label: str
) -> list[str]:
    """One line per version-2 computed cell whose value in ``path`` is not the engine's."""
    lines: list[str] = []
    for sheet in read_branch_workbook(path).sheets:
        want = expected_version_two(standard, branches[sheet.branch_name])
        for name, value in want.items():
            got = sheet.values.get(name)
            got = None if got == "" else got
            if got != value:
                lines.append(f"{sheet.branch_name} ({name}): {label} {got!r}, want {value!r}")
    return lines
