"""The cycle's options never lose a file and never crash on a hostile input (review of issue
10): no output may be one of the files read (last year's JSON, the holiday file, the rename
map); rectification workbooks already in the folder are kept unless --overwrite; last year's
JSON is refused, with nothing written, when it is nested too deeply or holds a number out of
the standard's range.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from workbook.cli.main import main
from workbook.core.scoring import RawBranchInputs
from workbook.outputs.template import TemplateOptions, write_template

BRANCHES = ["甲支部", "乙支部"]
PREVIOUS: dict[str, Any] = {
    "format": 1,
    "standard": "anji-2012-6",
    "year": 2025,
    "final": True,
    "branches": [
        {
            "branch": "甲支部",
            "item_scores": [15, 10, 10, 10, 10, 20, 20],
            "total": 95,
            "grade": "好",
            "rank": 1,
            "deductions": [{"rule": "7.1", "points": 5, "note": "满意率85%"}],
        },
    ],
    "errors": [],
    "warnings": [],
}


@pytest.fixture(scope="module")
def workbook_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("safety")
    inputs = {"甲支部": RawBranchInputs({"7.1": 2}, notes={"7.1": "满意率92%"})}
    return write_template(
        folder / "考评定级表.xlsx",
        TemplateOptions(BRANCHES, year=2026, formulas="native", inputs=inputs),
    )


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def consolidate(workbook_file: Path, output: Path, *extra: str) -> int:
    return main(["consolidate", str(workbook_file), "-o", str(output), *extra])


def test_json_output_onto_last_years_json_is_refused(
    workbook_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    previous = write_json(tmp_path / "p2.json", PREVIOUS)
    before = previous.read_bytes()
    output = tmp_path / "o.xlsx"
    args = ["--previous", str(previous), "--json", str(previous)]
    assert consolidate(workbook_file, output, *args) == 1
    assert f"JSON 文件 {previous} 就是输入文件" in capsys.readouterr().err
    assert previous.read_bytes() == before
    assert not output.exists()


def test_summary_onto_the_holiday_file_is_refused(
    workbook_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    holidays = tmp_path / "hol.xlsx"
    holidays.write_text("2027-01-01 休\n", encoding="utf-8")
    before = holidays.read_bytes()
    args = ["--publish-date", "2026-12-30", "--holidays", str(holidays)]
    assert consolidate(workbook_file, holidays, *args) == 1
    assert f"汇总表 {holidays} 就是输入文件" in capsys.readouterr().err
    assert holidays.read_bytes() == before


def test_json_output_onto_the_rename_map_is_refused(
    workbook_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    previous = write_json(tmp_path / "2025.json", PREVIOUS)
    renames = tmp_path / "改名.json"
    renames.write_text("旧甲支部,甲支部\n", encoding="utf-8")
    before = renames.read_bytes()
    output = tmp_path / "o.xlsx"
    args = ["--previous", str(previous), "--rename-map", str(renames), "--json", str(renames)]
    assert consolidate(workbook_file, output, *args) == 1
    assert f"JSON 文件 {renames} 就是输入文件" in capsys.readouterr().err
    assert renames.read_bytes() == before
    assert not output.exists()


def test_rerun_keeps_filled_rectification_workbooks(
    workbook_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "整改"
    output = tmp_path / "o.xlsx"
    assert consolidate(workbook_file, output, "--rectification", str(folder)) == 0
    filled = folder / "2026年度整改清单（甲支部）.xlsx"
    book = openpyxl.load_workbook(filled)
    sheet = book.worksheets[0]
    sheet.cell(row=sheet.max_row + 1, column=1, value="整改措施：已开展满意度回访")
    book.save(filled)
    mine = folder / "2026年度整改清单（乙支部）.xlsx"
    plain = openpyxl.Workbook()
    plain.worksheets[0]["A1"] = "我自己的表"
    plain.save(mine)
    before = {path: path.read_bytes() for path in (filled, mine)}
    output.unlink()
    capsys.readouterr()
    assert consolidate(workbook_file, output, "--rectification", str(folder)) == 1
    err = capsys.readouterr().err
    assert f"整改清单文件夹 {folder} 中已有同名的整改清单" in err
    assert filled.name in err
    assert mine.name in err
    assert "--overwrite" in err
    assert {path: path.read_bytes() for path in before} == before
    assert not output.exists()
    assert consolidate(workbook_file, output, "--rectification", str(folder), "--overwrite") == 0
    assert filled.read_bytes() != before[filled]
    assert mine.read_bytes() != before[mine]


def deep_json(path: Path) -> Path:
    path.write_text("[" * 100000 + "]" * 100000, encoding="utf-8")
    return path


def out_of_range(path: Path, where: str, value: str) -> Path:
    """PREVIOUS with one number replaced by raw JSON text (1e999 has no Python float)."""
    data = json.loads(json.dumps(PREVIOUS))
    branch = data["branches"][0]
    if where == "total":
        branch["total"] = "@@"
    elif where == "points":
        branch["deductions"][0]["points"] = "@@"
    else:
        branch["item_scores"][0] = "@@"
    path.write_text(json.dumps(data, ensure_ascii=False).replace('"@@"', value), encoding="utf-8")
    return path


BAD_PREVIOUS = [
    ("deep", "", "列表或对象嵌套层数过多"),
    ("total", "1e999", "branches[0].total 应为 0 至 100 的分数（最多两位小数），实际为"),
    ("total", "500", "branches[0].total 应为 0 至 100 的分数"),
    ("total", "1e-7", "branches[0].total 应为 0 至 100 的分数（最多两位小数）"),
    ("points", "-5", "branches[0].deductions[0].points 应为大于 0"),
    ("points", "1e999", "branches[0].deductions[0].points 应为大于 0"),
    ("item", "1e-7", "branches[0].item_scores 应为 7 个项目得分"),
]


def bad_previous(tmp_path: Path, kind: str, value: str) -> Path:
    path = tmp_path / "2025.json"
    return deep_json(path) if kind == "deep" else out_of_range(path, kind, value)


@pytest.mark.parametrize(("kind", "value", "message"), BAD_PREVIOUS)
def test_consolidate_refuses_bad_previous_and_writes_nothing(
    workbook_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    value: str,
    message: str,
) -> None:
    previous = bad_previous(tmp_path, kind, value)
    output, report = tmp_path / "o.xlsx", tmp_path / "o.json"
    args = ["--previous", str(previous), "--json", str(report)]
    assert consolidate(workbook_file, output, *args) == 1
    err = capsys.readouterr().err
    assert f"上年结果文件 {previous}：" in err
    assert message in err
    assert "内部错误" not in err
    assert not output.exists()
    assert not report.exists()


@pytest.mark.parametrize(("kind", "value", "message"), BAD_PREVIOUS)
def test_history_and_template_refuse_bad_previous(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, value: str, message: str
) -> None:
    previous = bad_previous(tmp_path, kind, value)
    history = tmp_path / "h.xlsx"
    assert main(["history", str(previous), "-o", str(history)]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "内部错误" not in err
    assert not history.exists()
    template = tmp_path / "t.xlsx"
    args = ["template", "-o", str(template), "--year", "2026", "--branch", "甲支部"]
    assert main([*args, "--previous", str(previous)]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "内部错误" not in err
    assert not template.exists()


def edited(change: str) -> dict[str, Any]:
    """PREVIOUS with one hostile edit (named as the review named them)."""
    data = json.loads(json.dumps(PREVIOUS))
    branch = data["branches"][0]
    if change == "grade":
        branch["grade"] = "较差"  # 95 is 好, and there is no veto
    elif change == "veto":
        branch["vetoes"] = [1]  # a veto makes it 较差, yet 好 is given
    elif change == "rank":
        branch["rank"] = 999
    elif change == "sum":
        branch["item_scores"][0] = 10  # the items add up to 90, the total says 95
    elif change == "rule":
        branch["deductions"][0]["rule"] = "99.9"
    elif change == "cap":
        branch["deductions"][0]["points"] = 30  # rule 7.1 deducts 0 to 25
    elif change == "fixed":
        branch["deductions"][0] = {"rule": "1.1", "points": 3, "note": ""}  # 1.1 is 0 or 15
    elif change in ("year0", "year-5"):
        data["year"] = int(change[4:])
    elif change == "empty":
        data["branches"] = []
    return data


INCONSISTENT = [
    ("grade", "branches[0].grade 为“较差”，与总分 95 的等级“好”不符（没有否决情形）"),
    ("veto", "branches[0].grade 为“好”，但有否决情形 [1]，等级应为“较差”"),
    ("rank", "branches[0].rank 为 999，应在 1～1 之间（共 1 个支部）"),
    ("sum", "branches[0].total 为 95，与 item_scores 之和 90 不符"),
    ("rule", "branches[0].deductions[0].rule 为 “99.9”，不是考评标准“anji-2012-6”中的扣分规则"),
    ("cap", "branches[0].deductions[0].points 为 30，不符合规则 7.1 的扣分（允许 0～25 之间）"),
    ("fixed", "branches[0].deductions[0].points 为 3，不符合规则 1.1 的扣分（允许 0 或 15）"),
    ("year0", "year 应为年份（1921～9999），实际为 0"),
    ("year-5", "year 应为年份（1921～9999），实际为 -5"),
    ("empty", "branches 为空（没有任何支部的结果）"),
]


@pytest.mark.parametrize(("change", "message"), INCONSISTENT)
def test_previous_json_is_checked_against_the_standard(
    workbook_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: str,
    message: str,
) -> None:
    previous = write_json(tmp_path / "2025.json", edited(change))
    output, report = tmp_path / "o.xlsx", tmp_path / "o.json"
    args = ["--previous", str(previous), "--json", str(report)]
    assert consolidate(workbook_file, output, *args) == 1
    assert f"上年结果文件 {previous}：{message}" in capsys.readouterr().err
    assert not output.exists()
    assert not report.exists()
    history = tmp_path / "h.xlsx"
    assert main(["history", str(previous), "-o", str(history)]) == 1
    assert message in capsys.readouterr().err
    assert not history.exists()


def test_renaming_a_branch_that_still_exists_is_refused(
    workbook_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    previous = write_json(tmp_path / "2025.json", PREVIOUS)
    renames = tmp_path / "改名.csv"
    renames.write_text("原名称,新名称\n甲支部,乙支部\n", encoding="utf-8")
    output = tmp_path / "o.xlsx"
    args = ["--previous", str(previous), "--rename-map", str(renames)]
    assert consolidate(workbook_file, output, *args) == 1
    message = f"改名表 {renames} 第2行：原名称“甲支部”本年度仍是一个支部，不能再改名为“乙支部”"
    assert message in capsys.readouterr().err
    assert not output.exists()
    template = tmp_path / "t.xlsx"
    branches = ["--branch", "甲支部", "--branch", "乙支部"]
    assert main(["template", "-o", str(template), "--year", "2026", *branches, *args]) == 1
    assert message in capsys.readouterr().err
    assert not template.exists()


def test_excel_workbook_given_as_json_or_rename_map_is_named(
    workbook_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "o.xlsx"
    assert consolidate(workbook_file, output, "--previous", str(workbook_file)) == 1
    err = capsys.readouterr().err
    assert f"上年结果文件 {workbook_file} 是一个 Excel 工作簿，不是文本文件" in err
    assert "应为上一年度 consolidate --json 生成的文件" in err
    assert "UTF-8" not in err
    assert main(["history", str(workbook_file), "-o", str(output)]) == 1
    err = capsys.readouterr().err
    assert f"年度结果文件 {workbook_file} 是一个 Excel 工作簿" in err
    assert "UTF-8" not in err
    previous = write_json(tmp_path / "2025.json", PREVIOUS)
    args = ["--previous", str(previous), "--rename-map", str(workbook_file)]
    assert consolidate(workbook_file, output, *args) == 1
    err = capsys.readouterr().err
    assert f"改名表 {workbook_file} 是一个 Excel 工作簿，不是文本文件" in err
    assert "另存为“CSV UTF-8（逗号分隔）”" in err
    assert not output.exists()


def test_full_width_comma_in_the_rename_map_is_named(
    workbook_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    previous = write_json(tmp_path / "2025.json", PREVIOUS)
    renames = tmp_path / "改名.csv"
    renames.write_text("旧甲支部，甲支部\n", encoding="utf-8")
    output = tmp_path / "o.xlsx"
    args = ["--previous", str(previous), "--rename-map", str(renames)]
    assert consolidate(workbook_file, output, *args) == 1
    err = capsys.readouterr().err
    assert (
        f"改名表 {renames} 第1行：原名称和新名称之间应用英文逗号“,”或 Tab 分隔（本行用的是“，”）"
        in err
    )


def test_a_date_that_does_not_exist_is_named(
    workbook_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "o.xlsx"
    assert consolidate(workbook_file, output, "--publish-date", "2026-02-30") == 1
    err = capsys.readouterr().err
    assert "--publish-date 2026-02-30 不是存在的日期" in err
    assert "应写作" not in err


def test_summary_onto_a_rectification_workbook_is_named(
    workbook_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "整改"
    output = folder / "2026年度整改清单（甲支部）.xlsx"
    assert consolidate(workbook_file, output, "--rectification", str(folder)) == 1
    err = capsys.readouterr().err
    assert f"整改清单 {output} 与汇总表（-o）是同一个文件" in err
    assert "就是输入文件" not in err
    assert not output.exists()


def test_history_and_template_messages_fit_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = dict(PREVIOUS, standard="other")
    previous = write_json(tmp_path / "2025.json", other)
    assert main(["history", str(previous), "-o", str(tmp_path / "h.xlsx")]) == 1
    err = capsys.readouterr().err
    assert f"年度结果文件 {previous}：standard 为 “other”，与 --standard 指定的标准" in err
    assert "本次汇总" not in err
    assert "上年" not in err
    previous = write_json(tmp_path / "2025.json", dict(PREVIOUS, year=2026))
    args = ["template", "-o", str(tmp_path / "t.xlsx"), "--year", "2026", "--branch", "甲支部"]
    assert main([*args, "--previous", str(previous)]) == 1
    err = capsys.readouterr().err
    assert "year 为 2026，应早于模板的 2026 年度" in err
    assert "本次汇总" not in err


def test_a_veto_is_in_the_rectification_list(tmp_path: Path) -> None:
    """A branch graded 较差 only by a veto has that veto on its 整改清单 (summary and workbook)."""
    inputs = {"甲支部": RawBranchInputs({"7.1": 2}, vetoes=[None, "是", None])}
    filled = write_template(
        tmp_path / "考评定级表.xlsx",
        TemplateOptions(["甲支部"], year=2026, formulas="native", inputs=inputs),
    )
    output, folder = tmp_path / "o.xlsx", tmp_path / "整改"
    assert consolidate(filled, output, "--rectification", str(folder)) == 0
    book = folder / "2026年度整改清单（甲支部）.xlsx"
    for path, sheet in ((output, "整改清单"), (book, None)):
        workbook = openpyxl.load_workbook(path, read_only=True)
        try:
            ws = workbook[sheet] if sheet else workbook.worksheets[0]
            table = [list(row) for row in ws.iter_rows(values_only=True)]
        finally:
            workbook.close()
        kinds = [row for row in table if "否决情形" in row or "扣分" in row[1:3]]
        veto = [row for row in table if "否决情形" in row]
        assert len(veto) == 1, table
        assert "否决（2）" in veto[0]
        assert "等级直接定为“较差”" in veto[0]
        assert any("7.1" in row for row in kinds)


@pytest.mark.parametrize(("year", "gap"), [(2025, None), (2024, 2), (2021, 5)])
def test_a_previous_result_older_than_last_year_is_said(
    workbook_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    year: int,
    gap: int | None,
) -> None:
    """Comparing 2026 with 2024 (last year's file not found, an older one given) is allowed,
    but the user is told what the 上年 columns then hold."""
    previous = write_json(tmp_path / "往年.json", {**PREVIOUS, "year": year})
    output = tmp_path / "o.xlsx"
    assert consolidate(workbook_file, output, "--previous", str(previous)) == 0
    err = capsys.readouterr().err
    notice = (
        f"提示：上年结果 {previous} 是 {year} 年度的，与本次 2026 年度相隔 {gap} 年；"
        f"汇总表中的“上年”各列和年度对比比较的是 {year} 年度"
    )
    if gap is None:
        assert "相隔" not in err, err
    else:
        assert notice in err, err
    assert output.exists()
