"""Hostile values and workbooks found by the review of template, recalc and survey (review2):
what the user sees in the messages and on disk."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from workbook.cli.main import main
from workbook.outputs.template import TemplateOptions, write_template

from support.libreoffice import convert, requires_libreoffice
from support.workbook_helpers import fill_by_names


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return write_template(tmp_path / "考评.xlsx", TemplateOptions(["第一支部"], year=2026))


@pytest.mark.parametrize("command", ["recalc", "consolidate"])
def test_a_huge_number_is_named_as_a_spreadsheet_shows_it(
    tmp_path: Path, template: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """1E+300 typed into a 扣分 cell was written out with 301 digits in the message (and in the
    cell's note and 总览)."""
    filled = fill_by_names(
        template,
        {"第一支部": {"ded_1_2": 1e300, "ded_1_3": -2.5e200}},
        tmp_path / "填好.xlsx",
    )
    args = [str(filled), "-o", str(tmp_path / "out.xlsx")]
    assert main([command, *args]) == 1
    err = capsys.readouterr().err
    assert "第一支部!E6：规则 1.2“发展党员工作不规范的扣1-3分”：扣分 1E+300 不符合此规则" in err
    assert "第一支部!E7：" in err
    assert "扣分不能为负数（-2.5E+200）" in err
    assert "0000000000" not in err


LONG_NAME = "安吉县递铺街道" + "很长的名字" * 8 + "支部"


@requires_libreoffice
def test_a_long_branch_name_prints_whole_in_the_overview(tmp_path: Path) -> None:
    """总览's 支部名称 and 工作表 columns wrap: a long name printed cut off at the column's edge
    (安吉县递铺街道很长的名, the rest lost)."""
    path = write_template(tmp_path / "考评.xlsx", TemplateOptions([LONG_NAME, "短"], year=2026))
    assert main(["recalc", str(path)]) == 0
    pdf = convert(path, "pdf", tmp_path / "pdf", recalculate=False)
    pages = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    overview = next(page for page in pages if "输入检查" in page)
    text = re.sub(r"\s", "", overview)
    sheet = LONG_NAME[:31]  # a sheet name has at most 31 characters
    assert LONG_NAME + sheet in text
