"""Gnumeric, a second independent spreadsheet engine, recalculates both templates to the engine's values.

Gnumeric has no ``KP_`` functions either, so the default (``xlwings``) template shows its
built-in fallback there. Unlike LibreOffice, Gnumeric keeps booleans apart from numbers, so
TRUE typed as a deduction is rejected as the engine rejects it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workbook.core import names
from workbook.core.scoring import RawBranchInputs
from workbook.core.standard import Standard
from workbook.outputs.demo import demo_inputs
from workbook.outputs.template import DEFAULT_TEMPLATE

from support.gnumeric import recalculate, requires_gnumeric
from support.template_cases import (
    cached_value,
    case_inputs,
    error_inputs,
    expected_cells,
    fill_template,
    filled_template,
    formulas_of,
    mismatches,
    noise_inputs,
    random_inputs,
    shown_values,
    without_fallback,
)

pytestmark = requires_gnumeric


@pytest.mark.parametrize("mode", ["xlwings", "native"])
def test_gnumeric_recalculates_the_template_to_engine_values(
    tmp_path: Path, standard: Standard, mode: str
) -> None:
    branches = {
        **case_inputs(),
        **error_inputs(standard),
        **noise_inputs(standard),
        **random_inputs(standard, 100),
    }
    filled = filled_template(tmp_path, standard, branches, mode)
    recalculated = recalculate(filled, tmp_path / "gnumeric.xlsx")

    got = shown_values(recalculated)
    want = {branch: expected_cells(standard, raw) for branch, raw in branches.items()}
    wrong = mismatches(standard, got, want, "Gnumeric")
    assert not wrong, f"{len(wrong)} cells differ:\n" + "\n".join(wrong[:30])
    assert {cells[names.GRADE] for cells in got.values()} == {
        "好",
        "较好",
        "一般",
        "较差",
        "待修正",
    }


@pytest.mark.parametrize("filled_with", ["demo", "nothing"])
def test_gnumeric_shows_the_default_template_right(
    tmp_path: Path, standard: Standard, filled_with: str
) -> None:
    """templates/assessment_template.xlsx itself: filled with the demo's inputs, and as shipped."""
    inputs = demo_inputs()
    if filled_with == "nothing":
        inputs = {branch: RawBranchInputs({}) for branch in inputs}
    filled = fill_template(DEFAULT_TEMPLATE, standard, inputs, tmp_path / "demo.xlsx")
    got = shown_values(recalculate(filled, tmp_path / "gnumeric.xlsx"))
    want = {branch: expected_cells(standard, raw) for branch, raw in inputs.items()}
    wrong = mismatches(standard, got, want, "Gnumeric")
    assert not wrong, "\n".join(wrong[:30])


def test_without_the_fallback_gnumeric_shows_an_error(tmp_path: Path, standard: Standard) -> None:
    """A bare KP_ call is #NAME? in Gnumeric: the fallback is what shows the value."""
    filled = filled_template(tmp_path, standard, {"一": case_inputs()["01-blank"]}, "xlwings")
    bare = tmp_path / "bare.xlsx"
    address = without_fallback(filled, "一", names.TOTAL_SCORE, bare)
    recalculated = recalculate(bare, tmp_path / "gnumeric.xlsx")
    assert cached_value(recalculated, "一", address) == "#NAME?"
    assert shown_values(recalculated)["一"][names.GRADE] == "待修正"  # it reads the total
    assert shown_values(recalculate(filled, tmp_path / "with.xlsx"))["一"][names.GRADE] == "好"


@pytest.mark.parametrize("mode", ["xlwings", "native"])
def test_recalc_of_a_workbook_gnumeric_saved_restores_no_formula(
    tmp_path: Path, standard: Standard, mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Gnumeric writes formulas back its own way (9.99999999999999999981E-10 for 1E-9, E25
    for E25:E25): recalc must not take them for formulas a user typed over."""
    from workbook.cli.main import main

    branches = {"一": RawBranchInputs({"1.2": 2}), "二": RawBranchInputs({"7.1": 10})}
    filled = filled_template(tmp_path, standard, branches, mode)
    saved = recalculate(filled, tmp_path / "gnumeric.xlsx")
    written = tmp_path / "recalculated.xlsx"

    assert main(["recalc", str(saved), "-o", str(written)]) == 0
    captured = capsys.readouterr()
    assert "已恢复公式" not in captured.out + captured.err

    assert formulas_of(written) == formulas_of(saved)
    shown = shown_values(written)
    assert (shown["一"][names.TOTAL_SCORE], shown["一"][names.GRADE]) == (98, "好")
    assert (shown["二"][names.TOTAL_SCORE], shown["二"][names.GRADE]) == (90, "好")
