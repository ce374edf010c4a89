"""Consolidation: recomputed numbers, ranks, every problem at once, exit codes, JSON, safety."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from workbook.cli.main import main
from workbook.core import names
from workbook.core.scoring import RawBranchInputs
from workbook.core.standard import fmt
from workbook.inputs.consolidate import consolidate
from workbook.inputs.reader import read_branch_workbook
from workbook.outputs.demo import DEMO_YEAR, filled_demo_options
from workbook.outputs.json_report import json_number, to_json
from workbook.outputs.summary import DRAFT_MARK
from workbook.outputs.template import TemplateOptions, write_template

from support.demo_expected import DEMO_EXPECTED


def write_filled(path: Path, inputs: dict[str, RawBranchInputs], year: int = DEMO_YEAR) -> Path:
    """A template for these branches with their inputs typed in (cached values correct)."""
    return write_template(
        path,
        TemplateOptions(branches=list(inputs), year=year, formulas="native", inputs=inputs),
    )


def inputs(**deductions: object) -> RawBranchInputs:
    """Inputs from keyword deductions, e.g. inputs(r1_1=15, r7_1=3, vetoes=["是"])."""
    vetoes = deductions.pop("vetoes", [])
    return RawBranchInputs(
        deductions={k[1:].replace("_", "."): v for k, v in deductions.items()},
        vetoes=vetoes,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def demo_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    return write_template(
        folder / "考评定级表.xlsx",
        filled_demo_options(),
    )


def test_demo_scores_grades_and_ranks_are_recomputed_exactly(demo_workbook: Path) -> None:
    result = consolidate([demo_workbook])
    assert result.ok, [p.text() for p in result.errors]
    assert result.warnings == []
    assert result.year == DEMO_YEAR
    got = {
        e.branch: (
            [Decimal(str(s)) for s in e.result.item_scores],  # type: ignore[union-attr]
            fmt(e.result.total),  # type: ignore[union-attr]
            e.result.grade,  # type: ignore[union-attr]
            e.rank,
        )
        for e in result.branches
    }
    expected = {
        b: ([Decimal(str(s)) for s in scores], total, grade, rank)
        for b, (scores, total, grade, rank) in DEMO_EXPECTED.items()
    }
    assert got == expected
    assert [e.rank for e in result.branches] == [1, 2, 3, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13]


def test_ties_share_a_rank_and_vetoed_branches_rank_after_the_others(tmp_path: Path) -> None:
    write_filled(
        tmp_path / "a.xlsx",
        {
            "甲支部": inputs(r7_1=10),  # 90
            "乙支部": inputs(r7_1=20),  # 80
            "丙支部": inputs(r2_1=3, r7_1=17),  # 80
            "丁支部": inputs(r7_1=25, r6_2=5),  # 70
            "戊支部": inputs(r7_1=5, vetoes=["否", "是"]),  # 95, vetoed
            "己支部": inputs(r7_1=15, vetoes=["是"]),  # 85, vetoed
            "庚支部": inputs(r7_1=5, vetoes=["", "", "是"]),  # 95, vetoed: ties with 戊
        },
    )
    result = consolidate([tmp_path])
    ranked = [(e.branch, e.total_text, e.grade_text, e.rank) for e in result.branches]
    assert ranked == [
        ("甲支部", "90", "好", 1),
        ("乙支部", "80", "较好", 2),
        ("丙支部", "80", "较好", 2),
        ("丁支部", "70", "一般", 4),
        ("戊支部", "95", "较差", 5),
        ("庚支部", "95", "较差", 5),
        ("己支部", "85", "较差", 7),
    ]


def test_every_problem_is_reported_at_once_and_no_summary_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = tmp_path / "收件"
    inbox.mkdir()
    first = write_filled(
        inbox / "第一批.xlsx",
        {"第一支部": inputs(r1_1=16, r6_4=0.3), "第二支部": inputs(r7_1=3, vetoes=["", "可能"])},
    )
    second = write_filled(inbox / "第二批.xlsx", {"第三支部": inputs(r2_1="三分")})
    cells = {
        (s.sheet, name): s.cells[name].a1
        for path in (first, second)
        for s in read_branch_workbook(path).sheets
        for name in ("ded_1_1", "ded_6_4", "veto_2", "ded_2_1")
    }
    output = tmp_path / "汇总.xlsx"
    output.write_bytes(b"old summary")
    report = tmp_path / "汇总.json"
    code = main(["consolidate", str(inbox), "-o", str(output), "--json", str(report)])
    assert code == 1
    err = capsys.readouterr().err
    assert "发现 4 个待修正项" in err
    assert f"第一批.xlsx，第一支部!{cells['第一支部', 'ded_1_1']}" in err
    assert "规则 1.1" in err
    assert "0 或 15" in err
    assert "16" in err
    assert f"第一支部!{cells['第一支部', 'ded_6_4']}" in err
    assert "0 或 0.5～1 之间" in err
    assert f"第二支部!{cells['第二支部', 'veto_2']}" in err
    assert "“可能”" in err
    assert f"第二批.xlsx，第三支部!{cells['第三支部', 'ded_2_1']}" in err
    assert "三分" in err
    assert "未生成汇总表" in err
    assert "Traceback" not in err
    assert output.read_bytes() == b"old summary"
    assert not list(tmp_path.glob(".汇总*"))  # no temporary file left behind
    data = json.loads(report.read_text("utf-8"))
    assert data["final"] is False
    assert {(e["sheet"], e["cell"]) for e in data["errors"]} == {
        ("第一支部", cells["第一支部", "ded_1_1"]),
        ("第一支部", cells["第一支部", "ded_6_4"]),
        ("第二支部", cells["第二支部", "veto_2"]),
        ("第三支部", cells["第三支部", "ded_2_1"]),
    }
    assert all(e["file"].endswith(".xlsx") and e["message"] for e in data["errors"])
    # The branch without problems is still in the JSON; the others are pending.
    by_name = {b["branch"]: b for b in data["branches"]}
    assert by_name["第一支部"]["grade"] == "待修正"
    assert by_name["第一支部"]["total"] is None


def test_draft_is_written_with_marks_and_still_exits_1(tmp_path: Path) -> None:
    write_filled(tmp_path / "in" / "a.xlsx", {"第一支部": inputs(r1_1=16), "第二支部": inputs()})
    output = tmp_path / "草稿.xlsx"
    code = main(["consolidate", str(tmp_path / "in"), "-o", str(output), "--draft"])
    assert code == 1
    book = openpyxl.load_workbook(output)
    assert DRAFT_MARK in book.properties.title
    for sheet in book.worksheets:
        assert DRAFT_MARK in str(sheet["A1"].value), sheet.title
        assert DRAFT_MARK in sheet.oddHeader.center.text
    summary = book["汇总"]
    rows = [[c.value for c in row] for row in summary.iter_rows(min_row=5, max_row=6)]
    assert rows[0][1] == "第二支部"
    assert rows[0][9] == 100
    assert rows[1][1] == "第一支部"
    assert rows[1][2] == "输入有误"
    assert rows[1][9] == "待修正"
    assert "待修正项" in book.sheetnames


def _foreign_workbook(path: Path, props: dict[str, str], defined: list[str]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("第九支部")
    sheet.write(0, 0, "第九支部")
    for index, name in enumerate(defined):
        book.define_name(f"'第九支部'!{name}", f"='第九支部'!$A${index + 1}")
    for key, value in props.items():
        book.set_custom_property(key, value)
    book.close()
    return path


def test_file_level_problems_are_all_reported(tmp_path: Path, capsys) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    write_filled(inbox / "a.xlsx", {"第一支部": inputs()})
    write_filled(inbox / "b.xlsx", {"第一支部": inputs(r7_1=1)})  # the same branch again
    (inbox / "坏文件.xlsx").write_bytes(b"this is not a zip")
    _foreign_workbook(
        inbox / "旧模板.xlsx",
        {names.PROP_STANDARD: "anji-2012-6", names.PROP_TEMPLATE_VERSION: "0"},
        ["branch_name"],
    )
    _foreign_workbook(
        inbox / "缺名称.xlsx",
        {names.PROP_STANDARD: "anji-2012-6", names.PROP_TEMPLATE_VERSION: names.TEMPLATE_VERSION},
        ["branch_name", "ded_1_1"],
    )
    _foreign_workbook(inbox / "别的表.xlsx", {}, [])
    (inbox / "~$a.xlsx").write_bytes(b"lock file")  # Excel's lock file: skipped, a 提示
    (inbox / "说明.txt").write_text("not a workbook")  # no spreadsheet: a 提示 in folders
    output = tmp_path / "汇总.xlsx"
    code = main(["consolidate", str(inbox), str(tmp_path / "不存在"), "-o", str(output)])
    assert code == 1
    err = capsys.readouterr().err
    assert "坏文件.xlsx：不是可读取的 Excel 工作簿" in err
    assert "旧模板.xlsx：模板不符" in err
    assert "模板版本 0" in err
    assert "缺名称.xlsx，工作表“第九支部”：缺少" in err
    assert "ded_1_2" in err
    assert "别的表.xlsx：不是用本工具生成的考评定级表" in err
    assert "b.xlsx，第一支部!" in err
    assert "支部“第一支部”重复：已在" in err
    assert "a.xlsx" in err
    assert "不存在：文件或文件夹不存在" in err
    assert "~$a.xlsx：是 Excel/WPS 打开工作簿时留下的临时文件，已跳过" in err
    assert "提示：" in err.split("~$a.xlsx")[0].splitlines()[-1]
    assert "提示：" in err.split("说明.txt")[0].splitlines()[-1]
    assert not output.exists()


def test_no_branches_at_all_is_an_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    code = main(["consolidate", str(tmp_path / "empty"), "-o", str(tmp_path / "s.xlsx")])
    assert code == 1
    assert "没有找到任何工作簿" in capsys.readouterr().err
    assert not (tmp_path / "s.xlsx").exists()


def test_files_of_another_year_are_reported(tmp_path: Path) -> None:
    write_filled(tmp_path / "a.xlsx", {"第一支部": inputs()}, year=2026)
    write_filled(tmp_path / "b.xlsx", {"第二支部": inputs()}, year=2026)
    write_filled(tmp_path / "c.xlsx", {"第三支部": inputs()}, year=2025)
    result = consolidate([tmp_path])
    assert result.year == 2026
    assert [(p.file.endswith("c.xlsx"), "2025" in p.message) for p in result.errors] == [
        (True, True)
    ]


def test_an_overwritten_formula_is_warned_about_and_recomputed(tmp_path: Path, capsys) -> None:
    source = write_filled(tmp_path / "src.xlsx", {"第一支部": inputs(r7_1=5)})
    book = openpyxl.load_workbook(source)
    sheet_info = read_branch_workbook(source).sheets[0]
    total = sheet_info.cells["total_score"]
    item7 = sheet_info.cells["item_7_score"]
    book["第一支部"].cell(total.row + 1, total.col + 1).value = 99  # typed over the formula
    book["第一支部"].cell(item7.row + 1, item7.col + 1).value = 24
    edited = tmp_path / "in" / "edited.xlsx"
    edited.parent.mkdir()
    book.save(edited)
    output = tmp_path / "s.xlsx"
    code = main(["consolidate", str(edited), "-o", str(output), "--json", str(tmp_path / "s.json")])
    assert code == 0
    err = capsys.readouterr().err
    assert f"第一支部!{total.a1}：合计得分单元格显示“99”，按输入重新计算应为“95”" in err
    assert f"第一支部!{item7.a1}：第7项“群众反映”得分单元格显示“24”" in err
    data = json.loads((tmp_path / "s.json").read_text("utf-8"))
    assert data["branches"][0]["total"] == 95
    assert {w["cell"] for w in data["warnings"]} == {total.a1, item7.a1}


def test_inputs_are_never_changed(demo_workbook: Path, tmp_path: Path) -> None:
    copy = tmp_path / "in" / "表.xlsm"  # .xlsm is read too
    copy.parent.mkdir()
    shutil.copy2(demo_workbook, copy)
    before = (hashlib.sha256(copy.read_bytes()).hexdigest(), os.stat(copy).st_mtime_ns)
    code = main(["consolidate", str(copy.parent), "-o", str(tmp_path / "s.xlsx")])
    assert code == 0
    after = (hashlib.sha256(copy.read_bytes()).hexdigest(), os.stat(copy).st_mtime_ns)
    assert before == after
    assert sorted(p.name for p in copy.parent.iterdir()) == ["表.xlsm"]


def test_a_summary_in_the_input_folder_is_not_read_as_input(
    demo_workbook: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(demo_workbook, folder / "表.xlsx")
    assert main(["consolidate", str(folder), "-o", str(folder / "汇总.xlsx")]) == 0
    shutil.copy(folder / "汇总.xlsx", folder / "上次的汇总.xlsx")
    result = consolidate([folder])
    assert result.ok
    assert [(Path(w.file).name, w.message) for w in result.warnings] == [
        ("上次的汇总.xlsx", "这是汇总表，不是支部考评定级表，已跳过"),
        ("汇总.xlsx", "这是汇总表，不是支部考评定级表，已跳过"),
    ]


def test_json_numbers_are_exact(demo_workbook: Path, tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    assert (
        main(
            [
                "consolidate",
                str(demo_workbook),
                "-o",
                str(tmp_path / "s.xlsx"),
                "--json",
                str(report),
            ]
        )
        == 0
    )
    text = report.read_text("utf-8")
    data = json.loads(text)
    assert data["standard"] == "anji-2012-6"
    assert data["year"] == DEMO_YEAR
    assert data["errors"] == []
    by_name = {b["branch"]: b for b in data["branches"]}
    assert '"total": 89.5' in text
    assert '"total": 75.25' in text
    assert "89.49" not in text
    assert by_name["杭垓分会支部"]["total"] == 90
    assert isinstance(by_name["杭垓分会支部"]["total"], int)
    assert by_name["山川分会支部"]["item_scores"][6] == 7.25
    assert by_name["昌硕分会支部"]["capped_items"] == [1]
    assert by_name["鄣吴分会支部"]["vetoes"] == [1]
    assert by_name["鄣吴分会支部"]["grade"] == "较差"
    assert by_name["孝丰分会支部"]["deductions"] == [
        {"rule": "3.2", "points": 2, "note": "“三会一课”记录不全"},
        {"rule": "6.4", "points": 0.5, "note": "1件诉求超期回复"},
        {"rule": "7.1", "points": 8, "note": "满意率82%"},
    ]
    assert set(by_name["孝丰分会支部"]) >= {
        "branch",
        "file",
        "sheet",
        "item_scores",
        "total",
        "grade",
        "vetoes",
        "rank",
        "deductions",
    }
    assert [b["rank"] for b in data["branches"]] == sorted(b["rank"] for b in data["branches"])


@pytest.mark.parametrize("text", ["89.5", "0.25", "17.75", "100", "0", "59.99", "12.1"])
def test_json_number_keeps_the_decimal_digits(text: str) -> None:
    value = Decimal(text)
    assert Decimal(json.dumps(json_number(value))) == value
    assert json.dumps(json_number(value)) == format(value.normalize(), "f").removesuffix(".0")


def test_to_json_of_a_failed_consolidation_has_the_contract_keys(tmp_path: Path) -> None:
    data = to_json(consolidate([tmp_path / "nothing.xlsx"]))
    assert set(data) >= {"standard", "year", "branches", "errors"}
    assert data["branches"] == []
    # The missing file, named once (no second "没有找到任何工作簿" for the same input).
    assert [e["message"] for e in data["errors"]] == ["文件或文件夹不存在"]


def test_worker_processes_give_the_same_result_in_the_same_order(tmp_path: Path) -> None:
    for index in range(6):
        write_filled(
            tmp_path / f"{index}.xlsx",
            {
                f"第{index}支部": inputs(r7_1=index % 3, r6_4=0.5),
                f"第{index}-2支部": inputs(r2_1=3),
            },
        )
    write_filled(tmp_path / "9.xlsx", {"第1支部": inputs(r1_1=16)})  # a duplicate and a bad cell
    serial = consolidate([tmp_path], workers=1)
    parallel = consolidate([tmp_path], workers=2)
    assert to_json(parallel) == to_json(serial)
    assert [s.sha256 for s in parallel.sources] == [s.sha256 for s in serial.sources]
    assert len(serial.branches) == 12
    assert ["重复" in e.message for e in serial.errors] == [True, False]
    assert "规则 1.1" in serial.errors[1].message


def test_a_large_file_is_read_from_disk_with_the_same_result(
    demo_workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_memory = consolidate([demo_workbook])
    monkeypatch.setattr("workbook.inputs.files.WHOLE_FILE_LIMIT", 0)
    from_disk = consolidate([demo_workbook])
    assert to_json(from_disk) == to_json(in_memory)
    assert from_disk.sources == in_memory.sources
    assert from_disk.sources[0].sha256 == hashlib.sha256(demo_workbook.read_bytes()).hexdigest()


def test_progress_is_reported_for_every_file(demo_workbook: Path, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    consolidate([demo_workbook, tmp_path / "x.txt"], progress=lambda d, t, p: seen.append((d, t)))
    assert seen == [(1, 1)]


def test_progress_bar_only_on_a_terminal(demo_workbook: Path, tmp_path: Path, capsys) -> None:
    from workbook.cli.progress import file_progress

    with file_progress("读取", enabled=None) as callback:  # pytest's stderr is not a terminal
        assert callback is None
    with file_progress("读取", enabled=True) as callback:
        assert callback is not None
        consolidate([demo_workbook], progress=callback)
    assert main(["consolidate", str(demo_workbook), "-o", str(tmp_path / "s.xlsx")]) == 0
    assert "读取考评定级表" not in capsys.readouterr().err
