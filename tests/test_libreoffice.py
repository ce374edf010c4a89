"""LibreOffice (headless) recalculates both templates to the engine's values, and prints them.

LibreOffice has no ``KP_`` functions, so in the default (``xlwings``) template every computed
cell must come from its built-in fallback: this is what a user without the add-in sees (WPS,
Excel for Mac, Excel before the add-in is set up), as every one of them recalculates on open.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from workbook.core import names
from workbook.core.scoring import RawBranchInputs
from workbook.core.standard import Standard
from workbook.outputs.demo import demo_inputs
from workbook.outputs.template import DEFAULT_TEMPLATE, TemplateOptions, write_template

from support.libreoffice import convert, requires_libreoffice
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

pytestmark = [pytest.mark.libreoffice, requires_libreoffice]

XLSX = "xlsx:Calc MS Excel 2007 XML"


def branches_to_check(standard: Standard) -> dict[str, RawBranchInputs]:
    # LibreOffice stores booleans as numbers; the formulas test ISLOGICAL first, so TRUE typed
    # as a deduction is rejected there as the engine rejects it (cases with booleans included).
    return {
        **case_inputs(),
        **error_inputs(standard),
        **noise_inputs(standard),
        **random_inputs(standard, 100),
    }


@pytest.mark.parametrize("mode", ["xlwings", "native"])
def test_libreoffice_recalculates_the_template_to_engine_values(
    tmp_path: Path, standard: Standard, mode: str
) -> None:
    branches = branches_to_check(standard)
    filled = filled_template(tmp_path, standard, branches, mode)
    recalculated = convert(filled, XLSX, tmp_path / "lo", recalculate=True)

    got = shown_values(recalculated)
    want = {branch: expected_cells(standard, raw) for branch, raw in branches.items()}
    wrong = mismatches(standard, got, want, "LibreOffice")
    assert not wrong, f"{len(wrong)} cells differ:\n" + "\n".join(wrong[:30])
    assert {cells[names.GRADE] for cells in got.values()} == {
        "好",
        "较好",
        "一般",
        "较差",
        "待修正",
    }


def test_libreoffice_keeps_the_udf_and_its_fallback(tmp_path: Path, standard: Standard) -> None:
    """What LibreOffice writes back still calls the UDF first, so Excel with the add-in uses it.

    LibreOffice writes an unknown function's name in lower case (``kp_item_score``); Excel
    resolves function names case-insensitively (not checked here: no Excel in CI).
    """
    filled = filled_template(tmp_path, standard, {"一": RawBranchInputs({"1.2": 2})}, "xlwings")
    saved = convert(filled, XLSX, tmp_path / "lo", recalculate=True)
    original = openpyxl.load_workbook(filled)["一"]
    written = openpyxl.load_workbook(saved)["一"]
    formulas = 0
    for row in original.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                formulas += 1
                again = written[cell.coordinate].value
                assert isinstance(again, str), again
                # Every UDF call comes first in its IFERROR (version 2's 检查 cells join two;
                # the checklist hints are built-ins only).
                upper = again.upper()
                assert upper.startswith(("=IFERROR(KP_", "=MID(")) or (
                    upper.startswith("=IF(") and "IFERROR(KP_" in upper
                ), again
                # Apart from the case of the name, FALSE written as FALSE() and 1E-9 written out
                # in full, it is unchanged.
                spelled = again.replace("FALSE()", "FALSE").replace("0.000000001", "1E-9")
                assert spelled.upper() == cell.value.upper()
    # Version 2: both columns' scores, totals and grades, the joint 检查 cells, three hints.
    rules, items, vetoes = len(standard.rules), len(standard.items), len(standard.vetoes)
    tally = len(names.survey_output_names(standard))
    assert formulas == rules + 2 * items + 2 + vetoes + 2 + 3 + tally
    assert shown_values(saved)["一"][names.TOTAL_SCORE] == 98.0


def test_without_the_fallback_libreoffice_shows_an_error(
    tmp_path: Path, standard: Standard
) -> None:
    """A bare KP_ call is an error in LibreOffice (Err:525, saved as #NAME?), which IFERROR catches."""
    filled = filled_template(tmp_path, standard, {"一": RawBranchInputs({})}, "xlwings")
    bare = tmp_path / "bare.xlsx"
    address = without_fallback(filled, "一", names.TOTAL_SCORE, bare)
    recalculated = convert(bare, XLSX, tmp_path / "lo", recalculate=True)
    assert cached_value(recalculated, "一", address) == "#NAME?"
    assert shown_values(recalculated)["一"][names.GRADE] == "待修正"  # it reads the total


@pytest.mark.parametrize("filled_with", ["demo", "nothing"])
def test_libreoffice_shows_the_default_template_right(
    tmp_path: Path, standard: Standard, filled_with: str
) -> None:
    """templates/assessment_template.xlsx itself: filled with the demo's inputs, and as shipped."""
    inputs = demo_inputs()
    if filled_with == "nothing":
        inputs = {branch: RawBranchInputs({}) for branch in inputs}
    # Saved by openpyxl even when nothing is typed: the cached values are gone.
    filled = fill_template(DEFAULT_TEMPLATE, standard, inputs, tmp_path / "demo.xlsx")
    assert all(cells[names.TOTAL_SCORE] is None for cells in shown_values(filled).values()), (
        "openpyxl should have dropped the cached values"
    )
    recalculated = convert(filled, XLSX, tmp_path / "lo", recalculate=True)
    got = shown_values(recalculated)
    want = {branch: expected_cells(standard, raw) for branch, raw in inputs.items()}
    wrong = mismatches(standard, got, want, "LibreOffice")
    assert not wrong, "\n".join(wrong[:30])


def pdf_text(pdf: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_default_template_prints_right_values_after_recalculation(
    tmp_path: Path, standard: Standard
) -> None:
    """The default template, and the same filled with the demo, printed after a recalculation."""
    filled = fill_template(DEFAULT_TEMPLATE, standard, demo_inputs(), tmp_path / "示例.xlsx")
    for source, inputs in ((DEFAULT_TEMPLATE, None), (filled, demo_inputs())):
        text = pdf_text(convert(source, "pdf", tmp_path / source.stem, recalculate=True))
        assert not re.search(r"#NAME|#VALUE|#N/A|Err:\d+|#REF|#DIV", text), text[:2000]
        lines = text.splitlines()
        # Version 2 prints the committee's 考评得分, then the 自评 (未自评 here).
        totals = [line.split()[-2] for line in lines if "合计得分（满分" in line]
        grades = [line.split()[-2] for line in lines if line.lstrip().startswith("定级（")]
        want = [
            expected_cells(standard, raw if inputs else RawBranchInputs({}))
            for raw in demo_inputs().values()
        ]
        assert totals == [f"{cells[names.TOTAL_SCORE]:g}" for cells in want]
        assert grades == [cells[names.GRADE] for cells in want]


def test_template_converts_to_pdf(tmp_path: Path) -> None:
    branches = ["递铺分会第一支部", "孝丰分会第二支部"]
    template = write_template(
        tmp_path / "template.xlsx", TemplateOptions(branches, formulas="native")
    )
    pdf = convert(template, "pdf", tmp_path / "pdf", recalculate=False)
    assert pdf.read_bytes().startswith(b"%PDF")
    pages = pdf_text(pdf).split("\f")
    for branch in branches:
        branch_pages = [p for p in pages if branch in p]
        # The signed page (title to signatures), then the checklist: each has the footer.
        assert len(branch_pages) == 2
        signed, checklist = branch_pages
        assert "规范化建设考评定级表" in signed
        assert "合计得分" in signed
        assert "支部书记（自评，签字）" in signed
        assert "考评人（签字）" in signed
        assert "规范化建设自查表" in checklist
        assert "签字" not in checklist


@pytest.mark.parametrize("mode", ["xlwings", "native"])
def test_recalc_of_a_workbook_libreoffice_saved_restores_no_formula(
    tmp_path: Path, standard: Standard, mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """LibreOffice writes every formula back its own way (FALSE(), 0.000000001 for 1E-9):
    recalc must not take them for formulas a user typed over, nor rewrite them."""
    from workbook.cli.main import main

    branches = {"一": RawBranchInputs({"1.2": 2}), "二": RawBranchInputs({"7.1": 10})}
    filled = filled_template(tmp_path, standard, branches, mode)
    saved = convert(filled, XLSX, tmp_path / "lo", recalculate=True)
    written = tmp_path / "recalculated.xlsx"

    assert main(["recalc", str(saved), "-o", str(written)]) == 0
    captured = capsys.readouterr()
    assert "已恢复公式" not in captured.out + captured.err
    assert "全部输入有效" in captured.out
    assert formulas_of(written) == formulas_of(saved)
    shown = shown_values(written)
    assert (shown["一"][names.TOTAL_SCORE], shown["一"][names.GRADE]) == (98, "好")
    assert (shown["二"][names.TOTAL_SCORE], shown["二"][names.GRADE]) == (90, "好")
