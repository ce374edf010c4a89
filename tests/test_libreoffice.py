"""LibreOffice (headless) recalculates the native template to the engine's values, and prints it."""

from __future__ import annotations

import random
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from workbook import names
from workbook.reader import read_branch_workbook
from workbook.scoring import RawBranchInputs, assess_branch
from workbook.standard import Rule, Standard, load_standard
from workbook.template import TemplateOptions, write_template

from conftest import requires_libreoffice
from libreoffice import convert
from test_scoring_cases import CASES, load_case, raw_inputs
from workbook_helpers import cells_for, fill_by_names

pytestmark = [pytest.mark.libreoffice, requires_libreoffice]


def random_deduction(rule: Rule, rng: random.Random) -> object:
    roll = rng.random()
    if roll < 0.35:
        return None
    if roll < 0.45:
        return 0
    if roll < 0.9:
        if rule.kind == "fixed":
            return float(rule.max)
        cents = rng.randint(int(rule.min * 100), int(rule.max * 100))
        return float(Decimal(cents) / 100)
    # Invalid on purpose: text, negative, out of range, too many decimals, just below the range.
    return rng.choice(["三分", -1.0, float(rule.max + 1), float(rule.max) - 0.001, 0.25])


def random_case(standard: Standard, rng: random.Random) -> RawBranchInputs:
    deductions = {rule.id: random_deduction(rule, rng) for rule in standard.rules}
    vetoes = [
        rng.choice([None, None, None, "否", "是", True, False, "有"]) for _ in standard.vetoes
    ]
    # Most branches have no veto, so that grade bands are exercised too.
    if rng.random() < 0.6:
        vetoes = [rng.choice([None, "否", False]) for _ in standard.vetoes]
    return RawBranchInputs(deductions, vetoes=vetoes)


def generated_cases(standard: Standard, count: int) -> dict[str, RawBranchInputs]:
    rng = random.Random(20120315)
    cases: dict[str, RawBranchInputs] = {}
    for path in CASES:
        raw = raw_inputs(load_case(path))
        # LibreOffice stores booleans as numbers, so TRUE typed as a deduction counts as 1 there
        # (documented in docs/standard.md); every other case is compared as is.
        if any(isinstance(v, bool) for v in raw.deductions.values()):
            continue
        cases[path.stem] = raw
    for number in range(1, count + 1):
        cases[f"随机{number:03d}"] = random_case(standard, rng)
    return cases


def expected_cells(standard: Standard, raw: RawBranchInputs) -> dict[str, object]:
    """What every computed cell must show, per the engine."""
    assessment = assess_branch(standard, raw)
    cells: dict[str, object] = {}
    for item, score in zip(standard.items, assessment.item_scores, strict=True):
        cells[names.item_score_name(item.number)] = (
            float(score) if score is not None else "输入有误"
        )
    cells[names.TOTAL_SCORE] = float(assessment.total) if assessment.total is not None else "待修正"
    cells[names.GRADE] = assessment.grade_text
    problems = {p.field: p.short for p in assessment.problems}
    for rule in standard.rules:
        cells[names.check_name(rule)] = problems.get(names.deduction_name(rule))
    for number in range(1, len(standard.vetoes) + 1):
        cells[names.veto_check_name(number)] = problems.get(names.veto_name(number))
    return cells


def test_libreoffice_recalculates_native_template_to_engine_values(tmp_path: Path) -> None:
    standard = load_standard()
    cases = generated_cases(standard, 120)
    template = write_template(
        tmp_path / "native.xlsx", TemplateOptions(list(cases), formulas="native")
    )
    # Type the inputs with openpyxl: it keeps the formulas but drops every cached value, so any
    # number LibreOffice shows afterwards is its own calculation.
    sheet_of = {s.branch_name: s.sheet for s in read_branch_workbook(template).sheets}
    filled = fill_by_names(
        template,
        {sheet_of[branch]: cells_for(standard, raw) for branch, raw in cases.items()},
        tmp_path / "filled.xlsx",
    )
    assert all(s.values[names.TOTAL_SCORE] is None for s in read_branch_workbook(filled).sheets), (
        "openpyxl should have dropped the cached values"
    )
    recalculated = convert(filled, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo", recalculate=True)

    mismatches: list[str] = []
    grades_seen: set[object] = set()
    for sheet in read_branch_workbook(recalculated).sheets:
        expected = expected_cells(standard, cases[sheet.branch_name])
        for name, want in expected.items():
            got = sheet.values.get(name)
            if got != want:
                mismatches.append(
                    f"{sheet.label(name)} ({name}): LibreOffice {got!r}, engine {want!r}"
                )
        grades_seen.add(sheet.values[names.GRADE])
    assert not mismatches, "\n".join(mismatches[:30])
    assert grades_seen == {"好", "较好", "一般", "较差", "待修正"}


def test_template_converts_to_pdf(tmp_path: Path) -> None:
    branches = ["递铺分会第一支部", "孝丰分会第二支部"]
    template = write_template(
        tmp_path / "template.xlsx", TemplateOptions(branches, formulas="native")
    )
    pdf = convert(template, "pdf", tmp_path / "pdf", recalculate=False)
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")
    for branch in branches:
        branch_pages = [p for p in pages if branch in p]
        # Header rows repeat: the title is on every page of the branch, and so is its footer.
        assert 1 <= len(branch_pages) <= 2
        assert all("规范化建设考评定级表" in p for p in branch_pages)
        assert any("合计得分" in p for p in branch_pages)
        assert any("支部书记（签字）" in p for p in branch_pages)
