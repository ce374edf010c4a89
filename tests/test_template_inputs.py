"""The committee's 扣分 cell and the branch's 自评扣分 cell are written by one writer: the same
value gives the same cell (type, value, style), each with its own name and its own validation."""

from __future__ import annotations

import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl

from workbook.core import names
from workbook.core.scoring import RawBranchInputs
from workbook.core.standard import Standard
from workbook.outputs.template import TemplateOptions, write_template

# One value of each kind a filled workbook can hold, on rules 1.1 ... 1.9 (in order).
VALUES: list[object] = [0.5, Decimal("1.25"), 2, "3", "两分", "=1+1", True, "", None]


def cell_xml(path: Path, sheet_number: int) -> dict[str, str]:
    """Cell reference -> its <c> element as written, the reference removed."""
    with zipfile.ZipFile(path) as package:
        xml = package.read(f"xl/worksheets/sheet{sheet_number}.xml").decode()
    return {
        ref: re.sub(r' r="[A-Z]+\d+"', "", element)
        for element, ref in (
            (m.group(0), m.group(1))
            for m in re.finditer(r'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>.*?</c>)', xml)
        )
    }


def test_self_and_committee_cells_are_written_alike(tmp_path: Path, standard: Standard) -> None:
    rules = [rule for rule in standard.rules][: len(VALUES)]
    given = {rule.id: value for rule, value in zip(rules, VALUES, strict=True)}
    options = TemplateOptions(
        ["甲支部"],
        year=2026,
        formulas="native",
        inputs={"甲支部": RawBranchInputs(given)},
        self_inputs={"甲支部": RawBranchInputs(given)},
    )
    path = write_template(tmp_path / "t.xlsx", options)
    book = openpyxl.load_workbook(path)
    sheet = book["甲支部"]
    scoped = sheet.defined_names

    def where(name: str) -> str:
        return scoped[name].attr_text.split("!")[1].replace("$", "")

    xml = cell_xml(path, 2)
    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    for rule, value in zip(rules, VALUES, strict=True):
        committee, own = where(names.deduction_name(rule)), where(names.self_deduction_name(rule))
        assert committee != own
        assert xml[committee] == xml[own], (rule.id, value, xml[committee], xml[own])
        assert sheet[committee].value == sheet[own].value
        assert sheet[own].value == (
            None if value in ("", None) else float(value) if isinstance(value, Decimal) else value
        ), rule.id
        # Each its own validation: the same rule, its own title.
        mine, theirs = validations[own], validations[committee]
        assert mine.formula1.replace(own, "#") == theirs.formula1.replace(committee, "#")
        assert (theirs.promptTitle, mine.promptTitle) == (
            f"规则 {rule.id} 扣分",
            f"规则 {rule.id} 自评扣分",
        )
        assert (theirs.errorTitle, mine.errorTitle) == ("扣分输入有误", "自评扣分输入有误")
    # The text that looks like a formula stays text in both cells (never a formula).
    formula_like = where(names.deduction_name(rules[5]))
    assert "<f>" not in xml[formula_like]
    assert sheet[formula_like].data_type == "s"
