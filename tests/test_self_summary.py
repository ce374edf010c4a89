"""自评与考评 and 自查情况 in the summary, ``self`` and ``checklist`` in the JSON, the threshold."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from workbook.cli.main import main
from workbook.outputs.demo import filled_demo_options
from workbook.outputs.template import write_template


@pytest.fixture(scope="module")
def demo_v2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("v2")
    return write_template(folder / "示例.xlsx", filled_demo_options())


def run(demo: Path, folder: Path, *extra: str) -> tuple[dict, openpyxl.Workbook]:
    out, report = folder / "汇总.xlsx", folder / "汇总.json"
    assert main(["consolidate", str(demo), "-o", str(out), "--json", str(report), *extra]) == 0
    return json.loads(report.read_text(encoding="utf-8")), openpyxl.load_workbook(out)


def test_self_beside_committee_in_json_and_sheet(demo_v2: Path, tmp_path: Path) -> None:
    data, book = run(demo_v2, tmp_path)
    by_branch = {b["branch"]: b for b in data["branches"]}
    # Hand-checked from the demo: 孝丰 leaves out its 7.1 deduction of 8 (89.5 -> 97.5).
    xiaofeng = by_branch["孝丰分会支部"]
    assert (xiaofeng["total"], xiaofeng["grade"]) == (89.5, "较好")
    assert xiaofeng["self"] == {
        "filled": True,
        "item_scores": [15, 10, 8, 10, 10, 19.5, 25],
        "total": 97.5,
        "grade": "好",
        "vetoes": [],
        "difference": 8,
        "too_high": True,
    }
    agree = by_branch["报福分会支部"]["self"]
    assert agree["difference"] == 0
    assert not agree["too_high"]
    assert sum(b["self"]["too_high"] for b in data["branches"]) == 5
    sheet = book["自评与考评"]
    rows = {r[1]: r for r in sheet.iter_rows(min_row=4, values_only=True) if r[1]}
    assert rows["孝丰分会支部"][2:8] == (97.5, "好", 89.5, "较好", 8, "自评偏高（高 8 分）")
    assert rows["报福分会支部"][7] is None or rows["报福分会支部"][7] == ""
    notes = [r[0] for r in sheet.iter_rows(values_only=True) if r[0] and "共 5 个支部" in str(r[0])]
    assert notes
    assert "5 分以上" in notes[0]


def test_the_threshold_is_configurable(demo_v2: Path, tmp_path: Path) -> None:
    data, book = run(demo_v2, tmp_path, "--self-threshold", "10")
    flagged = sorted(b["branch"] for b in data["branches"] if b["self"]["too_high"])
    assert flagged == sorted(
        ["梅溪分会支部", "天子湖分会支部", "灵峰分会支部"]
    )  # 14, 12, 20 higher
    rows = {r[1]: r for r in book["自评与考评"].iter_rows(min_row=4, values_only=True) if r[1]}
    assert rows["杭垓分会支部"][6] == 10
    assert not rows["杭垓分会支部"][7]


def test_checklist_counts_per_branch_and_section(demo_v2: Path, tmp_path: Path) -> None:
    data, book = run(demo_v2, tmp_path)
    by_branch = {b["branch"]: b["checklist"] for b in data["branches"]}
    shangshu = by_branch["上墅分会支部"]  # no computer, no pledges in the room
    assert (shangshu["met"], shangshu["applicable"]) == (24, 26)
    assert shangshu["missing"] == ["3.4", "3.6"]
    assert [s["met"] for s in shangshu["sections"]] == [12, 4, 4, 4]
    assert shangshu["hints"] == [
        {
            "rule": "4.2",
            "text": "自查表缺项：一台工作电脑、党员信息及承诺（活动场所设施不全的扣1-3分）",
        }
    ]
    sheet = book["自查情况"]
    rows = {r[1]: r for r in sheet.iter_rows(min_row=4, values_only=True) if r[1]}
    assert rows["上墅分会支部"][2:7] == ("12/12", "4/4", "4/6", "4/4", "24/26")
    total = sum(c["met"] for c in by_branch.values())
    applicable = sum(c["applicable"] for c in by_branch.values())
    assert rows["合计"][6] == f"{total}/{applicable}"


def test_version_1_workbooks_have_no_self_sheets(tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "data" / "template-v1.xlsx"
    data, book = run(fixture, tmp_path)
    assert "自评与考评" not in book.sheetnames
    assert "自查情况" not in book.sheetnames
    assert all(b["self"] is None and b["checklist"] is None for b in data["branches"])


def test_a_bad_threshold_is_refused(demo_v2: Path, tmp_path: Path, capsys) -> None:
    code = main(
        ["consolidate", str(demo_v2), "-o", str(tmp_path / "s.xlsx"), "--self-threshold", "多"]
    )
    assert code == 2
    assert "--self-threshold" in capsys.readouterr().err


def test_hostile_self_and_checklist_cells_are_named_in_both_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from workbook.outputs.template import TemplateOptions

    from support.workbook_helpers import fill_by_names

    template = write_template(tmp_path / "t.xlsx", TemplateOptions(["第一支部"], formulas="native"))
    filled = fill_by_names(
        template,
        {
            "第一支部": {
                "self_ded_1_1": 5,  # 扣15分: only 0 or 15
                "self_ded_4_2": -1,
                "self_ded_7_1": "三分",
                "self_veto_2": "有",
                "cl_3_4": "没有",
                "cl_scope_1": "可能",
            }
        },
        tmp_path / "坏.xlsx",
    )
    before = filled.read_bytes()
    code = main(["consolidate", str(filled), "-o", str(tmp_path / "s.xlsx")])
    err = capsys.readouterr().err
    assert code == 1
    assert "发现 6 个待修正项" in err
    for cell, text in (
        ("F5", "自评：规则 1.1"),
        ("F17", "自评：规则 4.2"),
        ("F25", "自评：规则 7.1"),
        ("F29", "自评：否决情形（2）"),
    ):
        assert f"第一支部!{cell}：{text}" in err, cell
    assert "“本支部是否为分会支部”应填“是”或“否”" in err
    assert "“一台工作电脑”应填“是”或“否”" in err
    code = main(["recalc", str(filled), "-o", str(tmp_path / "r.xlsx")])
    out, err = capsys.readouterr()
    assert code == 1
    assert "共 6 处输入有误" in out
    assert "第一支部!F5" in err
    assert "Traceback" not in err
    assert filled.read_bytes() == before
    from workbook.inputs.reader import read_branch_workbook

    values = read_branch_workbook(tmp_path / "r.xlsx").sheets[0].values
    assert values["self_total_score"] == "待修正"
    assert values["self_grade"] == "待修正"
    assert values["check_1_1"] == "自评输入有误：应为0或15"
    assert values["total_score"] == 100
    assert values["grade"] == "好"
