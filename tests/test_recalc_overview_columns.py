"""recalc's 总览 sheet has the columns of consolidate's summary: the counted 加分 (a standard with
a bonus section) and the 自评 total and grade (template version 2), with the same numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from workbook.cli.main import main
from workbook.core.scoring import RawBranchInputs
from workbook.core.standard import STANDARD_FILE_ENV, use_standard_file
from workbook.outputs.template import TemplateOptions, write_template

SYNTHETIC = Path(__file__).parent / "data" / "standard-synthetic.toml"


def sheet_rows(path: Path, sheet: str) -> list[list[Any]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [list(row) for row in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()


def by_header(rows: list[list[Any]], header_row: int = 0) -> list[dict[str, Any]]:
    header = rows[header_row]
    return [dict(zip(header, row, strict=False)) for row in rows[header_row + 1 :] if any(row)]


def test_self_total_and_grade_as_in_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = {"甲支部": RawBranchInputs({"1.2": 2}), "乙支部": RawBranchInputs({"7.1": 15})}
    own = {"甲支部": RawBranchInputs({"1.2": 1}), "乙支部": RawBranchInputs({"7.1": 5})}
    path = write_template(
        tmp_path / "t.xlsx",
        TemplateOptions(list(inputs), 2026, "native", inputs=inputs, self_inputs=own),
    )
    assert main(["recalc", str(path)]) == 0
    overview = by_header(sheet_rows(path, "总览"))
    assert [
        (r["支部名称"], r["合计得分"], r["定级"], r["自评得分"], r["自评等级"]) for r in overview
    ] == [
        ("甲支部", 98, "好", 99, "好"),
        ("乙支部", 85, "较好", 95, "好"),
    ]
    assert list(overview[0])[-2:] == ["输入检查", "扣分情况"]  # still the last (wrapped) two

    summary = tmp_path / "汇总.xlsx"
    assert main(["consolidate", str(path), "-o", str(summary)]) == 0
    capsys.readouterr()
    compared = {row[1]: row[2:4] for row in sheet_rows(summary, "自评与考评")}
    assert compared["甲支部"] == [99, "好"]
    assert compared["乙支部"] == [95, "好"]


def test_bonus_column_with_a_bonus_standard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(STANDARD_FILE_ENV, "")
    standard = use_standard_file(SYNTHETIC)
    assert standard.bonus is not None
    inputs = {"甲支部": RawBranchInputs({"1.2": 0.5}, awards={"B.1": 2, "B.2": 1.5})}
    path = write_template(
        tmp_path / "syn.xlsx",
        TemplateOptions(list(inputs), 2030, "native", standard.id, inputs=inputs),
    )
    assert main(["recalc", str(path), "--standard-file", str(SYNTHETIC)]) == 0
    (row,) = by_header(sheet_rows(path, "总览"))
    column = f"{standard.bonus.name}（最多3分）"
    summary = tmp_path / "汇总.xlsx"
    assert (
        main(["consolidate", str(path), "-o", str(summary), "--standard-file", str(SYNTHETIC)]) == 0
    )
    summarised = by_header(sheet_rows(summary, "汇总"), header_row=2)[0]
    assert (row[column], row["合计得分"], row["定级"]) == (3, 52.5, "优秀")
    assert (summarised[column], summarised["总分（50分）"]) == (3, 52.5)
