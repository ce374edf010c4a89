"""``template --previous``: last year's items on each branch sheet, with 是否已整改 (是/否).

The shipped 2025 demo JSON: 递铺分会第一支部 lost 5 points on rule 7.1 (满意率88%); 城区分会支部
(renamed 昌硕分会支部 by the rename map) lost 15 on 1.1 (支部书记空缺) and 15 on 7.1; 天子湖分会支部
was not assessed in 2025.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from workbook.cli.main import main
from workbook.outputs.demo import demo_data

BRANCHES = ["递铺分会第一支部", "昌硕分会支部", "天子湖分会支部"]


@pytest.fixture
def template(tmp_path: Path) -> Path:
    previous = tmp_path / "2025.json"
    previous.write_bytes(demo_data("previous_2025.json"))
    renames = tmp_path / "改名.csv"
    renames.write_bytes(demo_data("renames.csv"))
    output = tmp_path / "模板.xlsx"
    args = ["template", "-o", str(output), "--year", "2026", "--formulas", "native"]
    for branch in BRANCHES:
        args += ["--branch", branch]
    assert main([*args, "--previous", str(previous), "--rename-map", str(renames)]) == 0
    return output


def block(sheet) -> list[list[object]]:
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if str(r[0]).startswith("上年整改事项核对"))
    return rows[start:]


def test_each_sheet_lists_last_years_items(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    first = block(book["递铺分会第一支部"])
    assert first[0][0] == "上年整改事项核对（2025年度考评扣分项）"
    assert first[2][:2] == [1, "7.1"]
    assert "上年扣分说明：满意率88%" in str(first[2][2])
    renamed = block(book["昌硕分会支部"])
    assert [r[1] for r in renamed[2:4]] == ["1.1", "7.1"]
    assert "上年扣分说明：支部书记空缺" in str(renamed[2][2])
    assert block(book["天子湖分会支部"])[1][0] == "上年无此支部的考评结果。"
    sheet = book["递铺分会第一支部"]
    answers = [
        v
        for v in sheet.data_validations.dataValidation
        if v.formula1 == '"是,否"' and v.type == "list"
    ]
    answer_cells = {str(r) for v in answers for r in v.sqref.ranges}
    row = next(
        i for i, r in enumerate(sheet.iter_rows(values_only=True), 1) if r[1] == "7.1" and r[0] == 1
    )
    target = next(c for c in answer_cells if c.endswith(str(row)))
    assert sheet[target].protection.locked is False


def test_answers_do_not_disturb_consolidate(template: Path, tmp_path: Path, capsys) -> None:
    book = openpyxl.load_workbook(template)
    sheet = book["递铺分会第一支部"]
    row = next(
        i for i, r in enumerate(sheet.iter_rows(values_only=True), 1) if r[1] == "7.1" and r[0] == 1
    )
    last = sheet.max_column
    sheet.cell(row, last - 1).value = "是"
    sheet.cell(row, last).value = "已开展群众满意度回访"
    # The assessment itself filled in too (else consolidate says the sheet is all blank).
    veto = sheet.defined_names["veto_1"].attr_text.partition("!")[2].replace("$", "")
    sheet[veto] = "否"
    book.save(tmp_path / "filled.xlsx")
    assert main(["consolidate", str(tmp_path / "filled.xlsx"), "-o", str(tmp_path / "s.xlsx")]) == 0
    assert "递铺分会第一支部" not in capsys.readouterr().err  # no problem, no warning there


def test_previous_of_a_later_year_is_refused(tmp_path: Path, capsys) -> None:
    previous = tmp_path / "2025.json"
    previous.write_bytes(demo_data("previous_2025.json"))
    args = ["template", "-o", str(tmp_path / "t.xlsx"), "--branch", "甲", "--year", "2025"]
    assert main([*args, "--previous", str(previous)]) == 1
    assert "year 为 2025，应早于模板的 2025 年度" in capsys.readouterr().err
    assert not (tmp_path / "t.xlsx").exists()


@pytest.mark.parametrize(("year", "said"), [(2026, False), (2030, True)])
def test_previous_of_an_older_year_is_said(tmp_path: Path, capsys, year: int, said: bool) -> None:
    previous = tmp_path / "2025.json"
    previous.write_bytes(demo_data("previous_2025.json"))
    args = ["template", "-o", str(tmp_path / "t.xlsx"), "--branch", "甲", "--year", str(year)]
    assert main([*args, "--previous", str(previous)]) == 0
    notice = (
        f"提示：上年结果 2025.json 是 2025 年度的，与模板的 {year} 年度相隔 {year - 2025} 年；"
        "各工作表列出的是 2025 年度的扣分项"
    )
    assert (notice in capsys.readouterr().err) is said


def test_branches_missing_from_last_year_are_named(tmp_path: Path, capsys) -> None:
    """A branch not in last year's results (new, renamed or mistyped) gets a 提示 naming it; when
    none is there, the file is probably the wrong one, and that is said too."""
    previous = tmp_path / "2025.json"
    previous.write_bytes(demo_data("previous_2025.json"))
    args = ["template", "--year", "2026", "--previous", str(previous)]
    for branch in BRANCHES:  # without the rename map, 昌硕分会支部 is not found either
        args += ["--branch", branch]
    assert main([*args, "-o", str(tmp_path / "a.xlsx")]) == 0
    err = capsys.readouterr().err
    assert "提示：支部 昌硕分会支部、天子湖分会支部 不在上年结果 2025.json 中" in err
    assert "请用 --rename-map" in err
    assert "递铺分会第一支部" not in err

    assert (
        main([*args[:5], "--branch", "甲", "--branch", "乙", "-o", str(tmp_path / "b.xlsx")]) == 0
    )
    assert "提示：所有支部都不在上年结果 2025.json 中" in capsys.readouterr().err


def test_no_missing_branch_no_notice(template: Path, capsys) -> None:
    assert "不在上年结果" not in capsys.readouterr().err
