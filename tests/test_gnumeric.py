"""Gnumeric, a second independent spreadsheet engine, recalculates both templates to the engine's values.

Gnumeric has no ``KP_`` functions either, so the default (``xlwings``) template shows its
built-in fallback there. Unlike LibreOffice, Gnumeric keeps booleans apart from numbers, so
TRUE typed as a deduction is rejected as the engine rejects it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workbook import names
from workbook.demo import demo_inputs
from workbook.standard import Standard
from workbook.template import DEFAULT_TEMPLATE

from gnumeric import recalculate, requires_gnumeric
from template_cases import (
    case_inputs,
    error_inputs,
    expected_cells,
    fill_template,
    filled_template,
    mismatches,
    random_inputs,
    shown_values,
)

pytestmark = requires_gnumeric


@pytest.mark.parametrize("mode", ["xlwings", "native"])
def test_gnumeric_recalculates_the_template_to_engine_values(
    tmp_path: Path, standard: Standard, mode: str
) -> None:
    branches = {**case_inputs(), **error_inputs(standard), **random_inputs(standard, 100)}
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


def test_gnumeric_shows_the_demo_in_the_default_template(
    tmp_path: Path, standard: Standard
) -> None:
    inputs = demo_inputs()
    filled = fill_template(DEFAULT_TEMPLATE, standard, inputs, tmp_path / "demo.xlsx")
    got = shown_values(recalculate(filled, tmp_path / "gnumeric.xlsx"))
    want = {branch: expected_cells(standard, raw) for branch, raw in inputs.items()}
    wrong = mismatches(standard, got, want, "Gnumeric")
    assert not wrong, "\n".join(wrong[:30])


def test_gnumeric_shows_missing_functions_as_errors(tmp_path: Path, standard: Standard) -> None:
    """Without the fallback, a missing KP_ function is an error: the fallback is what helps."""
    filled = filled_template(tmp_path, standard, {"一": case_inputs()["01-blank"]}, "xlwings")
    bare = tmp_path / "bare.xlsx"
    import openpyxl

    book = openpyxl.load_workbook(filled)
    sheet = book["一"]
    total = sheet.defined_names[names.TOTAL_SCORE].attr_text.split("!")[1].replace("$", "")
    formula = sheet[total].value
    assert formula.startswith("=IFERROR(KP_TOTAL(")
    udf_only = "=" + formula[len("=IFERROR(") : formula.index("),") + 1]
    sheet[total].value = udf_only
    book.save(bare)
    got = shown_values(recalculate(bare, tmp_path / "gnumeric.xlsx"))["一"]
    assert got[names.TOTAL_SCORE] is None  # an error value, which the reader does not take
    assert got[names.item_score_name(1)] == 15.0
