"""The assessment cycle in the outputs (issue 10, sections 3-5): the 公示 and 整改清单 sheets,
one rectification workbook per branch, and the comparison with last year, through the CLI.

Hand-worked data: three branches, listed 丙, 甲, 乙/丁 (not in rank order):

- 丙支部: rule 1.1 15 (书记空缺) and rule 2.1 3 (无计划): 82, 较好, rank 3;
- 甲支部: no deduction: 100, 好, rank 1;
- 乙/丁支部: rule 7.1 2 (满意率92%): 98, 好, rank 2.

Last year (2025): 丙支部 95 好 (rank 1), 旧甲支部 58 较差 (rank 3, renamed 甲支部 this year),
戊支部 85 较好 (rank 2, gone). 乙/丁支部 is new. Moves: 丙 好 -> 较好 (-1, -13), 甲 较差 -> 好
(+3, +42, flagged).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from workbook.cli.main import main
from workbook.core.scoring import RawBranchInputs
from workbook.outputs.template import TemplateOptions, write_template

from support.libreoffice import requires_libreoffice

BRANCHES = ["丙支部", "甲支部", "乙/丁支部"]
INPUTS = {
    "丙支部": RawBranchInputs({"1.1": 15, "2.1": 3}, notes={"1.1": "书记空缺", "2.1": "无计划"}),
    "甲支部": RawBranchInputs({}),
    "乙/丁支部": RawBranchInputs({"7.1": 2}, notes={"7.1": "满意率92%"}),
}
PREVIOUS: dict[str, Any] = {
    "format": 1,
    "standard": "anji-2012-6",
    "year": 2025,
    "final": True,
    "branches": [
        {
            "branch": "丙支部",
            "item_scores": [15, 10, 10, 10, 10, 20, 20],
            "total": 95,
            "grade": "好",
            "rank": 1,
            "deductions": [{"rule": "7.1", "points": 5, "note": "满意率85%"}],
        },
        {
            "branch": "戊支部",
            "item_scores": [15, 10, 10, 10, 10, 15, 15],
            "total": 85,
            "grade": "较好",
            "rank": 2,
            "deductions": [],
        },
        {
            "branch": "旧甲支部",
            "item_scores": [0, 10, 10, 5, 5, 13, 15],
            "total": 58,
            "grade": "较差",
            "rank": 3,
            "deductions": [{"rule": "1.1", "points": 15, "note": "书记空缺"}],
        },
    ],
    "errors": [],
    "warnings": [],
}
HOLIDAYS = "# 2027 元旦\n2027-01-01 休\n2027-01-02 班\n"
HEADER = 3  # 1-based header row of the summary's sheets (final summary)


@pytest.fixture(scope="module")
def workbook_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cycle")
    return write_template(
        folder / "考评定级表.xlsx",
        TemplateOptions(BRANCHES, year=2026, formulas="native", inputs=INPUTS),
    )


def rows(path: Path, sheet: str) -> list[list[Any]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [list(row) for row in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()


def texts(path: Path, sheet: str) -> list[str]:
    return [str(v) for row in rows(path, sheet) for v in row if v is not None]


def write_previous(folder: Path, data: dict[str, Any] | None = None) -> Path:
    path = folder / "2025.json"
    path.write_text(json.dumps(data or PREVIOUS, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def full_run(workbook_file: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("full")
    previous = write_previous(folder)
    renames = folder / "改名.csv"
    renames.write_text("原名称,新名称\n旧甲支部,甲支部\n", encoding="utf-8")
    holidays = folder / "节假日.txt"
    holidays.write_text(HOLIDAYS, encoding="utf-8")
    files = {
        "summary": folder / "汇总.xlsx",
        "json": folder / "汇总.json",
        "rectification": folder / "整改",
    }
    code = main(
        [
            "consolidate",
            str(workbook_file),
            "-o",
            str(files["summary"]),
            "--json",
            str(files["json"]),
            "--publish-date",
            "2026-12-30",
            "--holidays",
            str(holidays),
            "--rectification",
            str(files["rectification"]),
            "--previous",
            str(previous),
            "--rename-map",
            str(renames),
        ]
    )
    assert code == 0
    return files


def test_publication_lists_branches_in_list_order_with_the_period(full_run) -> None:
    table = rows(full_run["summary"], "公示")
    assert table[0][0] == "2026年度支部（党员服务中心）规范化建设考评定级结果公示"
    header = next(i for i, row in enumerate(table) if row[0] == "序号")
    assert table[header] == ["序号", "支部（党员服务中心）名称", "等级"]
    listed = [row for row in table[header + 1 : header + 4]]
    assert listed == [[1, "丙支部", "较好"], [2, "甲支部", "好"], [3, "乙/丁支部", "好"]]
    lines = texts(full_run["summary"], "公示")
    # 12-30 Wed, 12-31 Thu, 1-1 holiday, 1-2 Sat worked, 1-3 Sun, 1-4 Mon, 1-5 Tue.
    assert "　　公示期：2026年12月30日至2027年1月5日（5个工作日）。" in lines
    assert any(line.strip().startswith("公示期间，如对定级结果有异议") for line in lines)
    assert lines[-2:] == ["中共安吉县个体民营企业协会委员会", "2026年12月30日"]


def test_publication_print_setup(full_run) -> None:
    book = openpyxl.load_workbook(full_run["summary"])
    sheet = book["公示"]
    assert sheet.page_setup.paperSize == 9
    assert sheet.page_setup.orientation == "portrait"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth in (1, None)
    assert sheet.print_title_rows.replace("$", "") == "4:4"  # the table header


def test_publication_without_a_date_leaves_dates_blank(workbook_file: Path, tmp_path: Path) -> None:
    output = tmp_path / "s.xlsx"
    assert main(["consolidate", str(workbook_file), "-o", str(output), "--publish-days", "7"]) == 0
    lines = texts(output, "公示")
    assert "　　公示期：　　　　年　　月　　日至　　　　年　　月　　日（7个工作日）。" in lines
    assert lines[-1] == "　　　　年　　月　　日"


def test_rectification_sheet_content(full_run) -> None:
    table = rows(full_run["summary"], "整改清单")
    assert table[HEADER - 1] == [
        "支部名称",
        "序号",
        "类别",
        "规则或条目",
        "评分办法或自查内容（原文）",
        "扣分",
        "扣分说明或所属部分",
        "整改措施",
        "责任人",
        "完成时限",
    ]
    body = [row for row in table[HEADER:] if any(v is not None for v in row)]
    assert body[:4] == [
        [
            "丙支部",
            1,
            "扣分",
            "1.1",
            "没有配备党组织书记（中心主任）或党组织书记（中心主任）有违法违纪行为的扣15分",
            "15",
            "书记空缺",
            None,
            None,
            None,
        ],
        [None, 2, "扣分", "2.1", "党建和服务工作无计划的扣3分", "3", "无计划", None, None, None],
        ["甲支部", "无扣分项、无未达标的自查项目", None, None, None, None, None, None, None, None],
        [
            "乙/丁支部",
            1,
            "扣分",
            "7.1",
            "根据群众测评结果酌情扣分",
            "2",
            "满意率92%",
            None,
            None,
            None,
        ],
    ]


def test_one_rectification_workbook_per_branch(full_run) -> None:
    folder = full_run["rectification"]
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        [
            "2026年度整改清单（丙支部）.xlsx",
            "2026年度整改清单（甲支部）.xlsx",
            "2026年度整改清单（乙_丁支部）.xlsx",  # “/” cannot be in a file name
        ]
    )
    table = rows(folder / "2026年度整改清单（丙支部）.xlsx", "整改清单")
    assert table[0][0] == "2026年度丙支部规范化建设整改清单"
    body = [row for row in table[HEADER:] if row[0] in (1, 2)]
    assert [row[:6] for row in body] == [
        [
            1,
            "扣分",
            "1.1",
            "没有配备党组织书记（中心主任）或党组织书记（中心主任）有违法违纪行为的扣15分",
            "15",
            "书记空缺",
        ],
        [2, "扣分", "2.1", "党建和服务工作无计划的扣3分", "3", "无计划"],
    ]
    assert any("支部书记（签字）" in str(row[0]) for row in table if row[0])


def test_rectification_never_replaces_an_assessment_workbook(
    workbook_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "整改"
    folder.mkdir()
    victim = folder / "2026年度整改清单（甲支部）.xlsx"
    shutil.copy(workbook_file, victim)
    before = victim.read_bytes()
    output = tmp_path / "s.xlsx"
    args = ["consolidate", str(workbook_file), "-o", str(output), "--rectification", str(folder)]
    assert main(args) == 1
    assert "是一份考评定级表" in capsys.readouterr().err
    assert victim.read_bytes() == before
    assert not output.exists()
    assert main([*args, "--overwrite"]) == 0
    assert victim.read_bytes() != before


def test_summary_gains_last_year_columns(full_run) -> None:
    table = rows(full_run["summary"], "汇总")
    header = table[HEADER - 1]
    assert header[-5:] == ["上年得分", "上年等级", "上年排名", "变化", "主要扣分"]
    by_branch = {row[1]: row[-5:-1] for row in table[HEADER:] if row[1] in INPUTS}
    assert by_branch == {
        "甲支部": [58, "较差", 3, "+42"],
        "乙/丁支部": [None, "新增", None, None],
        "丙支部": [95, "好", 1, "-13"],
    }


def test_year_sheet_matrix_new_gone_and_flags(full_run) -> None:
    table = rows(full_run["summary"], "年度对比")
    body = {row[1]: row for row in table[HEADER : HEADER + 3]}
    assert body["甲支部"][2:] == [
        "旧甲支部",
        58,
        "较差",
        3,
        100,
        "好",
        1,
        "+42",
        "升3级",
        "等级变化3级，请复核",
    ]
    assert body["丙支部"][2:] == [None, 95, "好", 1, 82, "较好", 3, "-13", "降1级", None]
    assert body["乙/丁支部"][10] == "新增（上年无此支部）"
    start = next(i for i, row in enumerate(table) if row[0] == "2025年等级 ＼ 2026年等级")
    assert table[start][3:8] == ["好", "较好", "一般", "较差", "合计"]
    matrix = {row[0]: row[3:8] for row in table[start + 1 : start + 5]}
    assert matrix == {
        "好": [0, 1, 0, 0, 1],
        "较好": [0, 0, 0, 0, 0],
        "一般": [0, 0, 0, 0, 0],
        "较差": [1, 0, 0, 0, 1],
    }
    lines = texts(full_run["summary"], "年度对比")
    assert "新增支部（2026年有、2025年无）：1 个" in lines
    assert "乙/丁支部" in lines
    assert "撤销或未参加考评的支部（2025年有、2026年无）：1 个" in lines
    assert "戊支部" in lines
    assert "旧甲支部 → 甲支部" in lines
    book = openpyxl.load_workbook(full_run["summary"])
    assert len(book["年度对比"]._charts) == 1  # openpyxl has no public list of charts


def test_json_gains_previous_per_branch(full_run) -> None:
    data = json.loads(full_run["json"].read_text("utf-8"))
    previous = {b["branch"]: b["previous"] for b in data["branches"]}
    assert previous == {
        "甲支部": {
            "branch": "旧甲支部",
            "total": 58,
            "grade": "较差",
            "rank": 3,
            "change": 42,
            "levels": 3,
            "flagged": True,
        },
        "乙/丁支部": None,
        "丙支部": {
            "branch": "丙支部",
            "total": 95,
            "grade": "好",
            "rank": 1,
            "change": -13,
            "levels": -1,
            "flagged": False,
        },
    }
    assert data["previous_year"]["year"] == 2025
    assert data["previous_year"]["new"] == ["乙/丁支部"]
    assert data["previous_year"]["gone"] == ["戊支部"]
    assert data["previous_year"]["renamed"] == {"旧甲支部": "甲支部"}
    assert data["previous_year"]["matrix"]["较差"]["好"] == 1


def test_without_previous_the_json_and_summary_are_unchanged(
    workbook_file: Path, tmp_path: Path
) -> None:
    report = tmp_path / "s.json"
    assert (
        main(
            [
                "consolidate",
                str(workbook_file),
                "-o",
                str(tmp_path / "s.xlsx"),
                "--json",
                str(report),
            ]
        )
        == 0
    )
    data = json.loads(report.read_text("utf-8"))
    assert "previous_year" not in data
    assert all("previous" not in b for b in data["branches"])
    assert "年度对比" not in openpyxl.load_workbook(tmp_path / "s.xlsx").sheetnames


def _edit(**changes: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(PREVIOUS))
    for key, value in changes.items():
        if key.startswith("b0_"):
            data["branches"][0][key[3:]] = value
        else:
            data[key] = value
    return data


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"format": 1, "branches": [', "第1行第28列：不是有效的 JSON"),
        ("[1, 2]", "不是汇总结果（缺少 format、branches 等键）"),
        (_edit(format=2), "format 应为 1，实际为 2"),
        (_edit(standard="other"), "standard 为 “other”，与本次汇总的标准“anji-2012-6”不同"),
        (_edit(year=2026), "year 为 2026，应早于本次汇总的 2026 年度"),
        (_edit(year=2031), "year 为 2031，应早于本次汇总的 2026 年度"),
        (_edit(year="2025"), "year 应为年份（1921～9999），实际为 “2025”"),
        (_edit(final=False), "final 为 false，是含待修正项的草稿结果"),
        (_edit(b0_grade="优秀"), "branches[0].grade 应为 好、较好、一般、较差 之一，实际为 “优秀”"),
        (
            _edit(b0_total="95"),
            "branches[0].total 应为 0 至 100 的分数（最多两位小数），实际为 “95”",
        ),
        (_edit(b0_branch="戊支部"), "branches[1].branch“戊支部”重复（已在 branches[0] 出现）"),
        (
            _edit(b0_deductions=[{"rule": "1.1", "points": "x"}]),
            "branches[0].deductions[0].points 应为大于 0、不超过 100 的扣分",
        ),
        (
            _edit(b0_item_scores=[15, 10]),
            "branches[0].item_scores 应为 7 个项目得分（各项满分依次为 15、10、10、10、10、20、25，最多两位小数），"
            "实际为 [15, 10]",
        ),
        ('{"format": 1, "branches": [], "x": NaN}', "不是有效的 JSON（NaN 不是数字）"),
    ],
)
def test_bad_previous_json_is_named(
    workbook_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | dict[str, Any],
    message: str,
) -> None:
    previous = tmp_path / "上年.json"
    if isinstance(content, str):
        previous.write_text(content, encoding="utf-8")
    else:
        previous.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    output = tmp_path / "s.xlsx"
    code = main(["consolidate", str(workbook_file), "-o", str(output), "--previous", str(previous)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"上年结果文件 {previous}" in err, err
    assert message in err, err
    assert "Traceback" not in err
    assert not output.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("旧甲支部,甲支部\n旧甲支部,乙支部\n", "第2行：“旧甲支部”已在前面改名为“甲支部”"),
        ("旧甲支部\n", "第1行：原名称和新名称都要填写"),
        ("a,b,c\n", "第1行：只应有两列（原名称、新名称）"),
        ("甲支部,甲支部\n", "第1行：原名称与新名称相同（“甲支部”）"),
        ("旧甲支部,甲支部\n戊支部,甲支部\n", "第2行：新名称“甲支部”已在第1行使用"),
    ],
)
def test_bad_rename_map_is_named(
    workbook_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    message: str,
) -> None:
    renames = tmp_path / "改名.csv"
    renames.write_text(content, encoding="utf-8")
    args = ["consolidate", str(workbook_file), "-o", str(tmp_path / "s.xlsx")]
    args += ["--previous", str(write_previous(tmp_path)), "--rename-map", str(renames)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert f"改名表 {renames} {message}" in err, err


def test_rename_map_not_utf8_and_unused_rows(
    workbook_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    renames = tmp_path / "改名.csv"
    renames.write_bytes("旧甲支部,甲支部\n".encode("gbk"))
    args = ["consolidate", str(workbook_file), "-o", str(tmp_path / "s.xlsx")]
    args += ["--previous", str(write_previous(tmp_path)), "--rename-map", str(renames)]
    assert main(args) == 1
    assert "第1行：不是 UTF-8 编码的文本" in capsys.readouterr().err
    renames.write_text("旧甲支部\t甲支部\n没有的支部\t乙支部\n", encoding="utf-8-sig")
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "改名表中的原名称“没有的支部”不在上年结果" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--publish-date", "2026-13-01"],
            "--publish-date 2026-13-01 不是存在的日期（请核对月份和日）",
        ),
        (["--publish-date", "2026-1-5"], "实际为“2026-1-5”"),
        (
            ["--publish-date", "2030-01-04"],
            "2030-01-04 不在 2026 年度考评结果的公示时间内（应在 2026 年或 2027 年）",
        ),
        (["--publish-date", "2025-12-01"], "不在 2026 年度考评结果的公示时间内"),
        (["--holidays", "节假日.txt"], "--holidays 要与 --publish-date 一起使用"),
        (["--rename-map", "改名.csv"], "--rename-map 要与 --previous 一起使用"),
    ],
)
def test_bad_publication_options(
    workbook_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    output = tmp_path / "s.xlsx"
    assert main(["consolidate", str(workbook_file), "-o", str(output), *extra]) == 1
    err = capsys.readouterr().err
    assert message in err, err
    assert "Traceback" not in err, err
    assert not output.exists()


def test_bad_holiday_file_names_the_line(
    workbook_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    holidays = tmp_path / "节假日.txt"
    holidays.write_text("2027-01-01\n2027/01/02 班\n", encoding="utf-8")
    args = ["consolidate", str(workbook_file), "-o", str(tmp_path / "s.xlsx")]
    assert main([*args, "--publish-date", "2026-12-30", "--holidays", str(holidays)]) == 1
    err = capsys.readouterr().err
    assert f"节假日文件 {holidays} 第2行：日期应写作 YYYY-MM-DD" in err


def _pdf_pages(pdf: Path) -> list[tuple[str, str]]:
    """(page size line, text) of every page."""
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    sizes = [line for line in info.splitlines() if line.startswith("Page") and "size" in line]
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    return list(zip(sizes, text, strict=False))


@requires_libreoffice
@pytest.mark.libreoffice
def test_new_sheets_print_on_a4(full_run, tmp_path: Path) -> None:
    from support.libreoffice import convert

    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo (poppler-utils) not installed")
    source = tmp_path / "summary.xlsx"
    shutil.copy(full_run["summary"], source)
    pages = _pdf_pages(convert(source, "pdf", tmp_path / "pdf", recalculate=False))
    assert pages, pages
    assert all("(A4)" in size for size, _ in pages), [s for s, _ in pages]
    publication = [text for _, text in pages if "定级结果公示" in text]
    assert len(publication) == 1
    assert "portrait" not in publication[0]
    size = next(s for s, t in pages if "定级结果公示" in t)
    assert "595.3" in size.split("x")[0]  # portrait: 595 wide
    listed = [
        line.split()[1]
        for line in publication[0].splitlines()
        if line.split()[:1] in (["1"], ["2"], ["3"])
    ]
    assert listed == BRANCHES
    assert "公示期：2026年12月30日至2027年1月5日" in publication[0]
    rectification = "\n".join(t for _, t in pages if "整改清单" in t)
    assert "书记空缺" in rectification
    assert "整改措施" in rectification
    year = "\n".join(t for _, t in pages if "年度对比" in t)
    assert "升3级" in year
    assert "两年总分对比" in year
    book = tmp_path / "branch.xlsx"
    shutil.copy(full_run["rectification"] / "2026年度整改清单（丙支部）.xlsx", book)
    branch_pages = _pdf_pages(convert(book, "pdf", tmp_path / "pdf2", recalculate=False))
    assert len(branch_pages) == 1
    assert "(A4)" in branch_pages[0][0]
    assert "支部书记（签字）" in branch_pages[0][1]
    assert "无计划" in branch_pages[0][1]


def test_draft_marks_pending_branches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A branch with an invalid input is 待修正 in 公示, 整改清单 and 年度对比; the rest is there."""
    inputs = dict(INPUTS)
    inputs["丙支部"] = RawBranchInputs({"1.1": 16})  # 1.1 allows 0 or 15
    source = write_template(
        tmp_path / "t.xlsx", TemplateOptions(BRANCHES, year=2026, formulas="native", inputs=inputs)
    )
    output = tmp_path / "s.xlsx"
    args = ["consolidate", str(source), "-o", str(output), "--draft"]
    args += ["--previous", str(write_previous(tmp_path)), "--rectification", str(tmp_path / "r")]
    assert main(args) == 1
    capsys.readouterr()
    publication = rows(output, "公示")
    assert [1, "丙支部", "待修正"] in publication
    assert [2, "甲支部", "好"] in publication
    assert publication[0][0].startswith("草稿（含待修正项）")
    rectification = texts(output, "整改清单")
    assert "输入有误，待修正（见“待修正项”），整改内容待定" in rectification
    year = {row[1]: row for row in rows(output, "年度对比")[HEADER + 1 : HEADER + 4]}
    assert year["丙支部"][7] == "待修正"
    assert year["丙支部"][10] == "待修正"
    book = rows(tmp_path / "r" / "2026年度整改清单（丙支部）.xlsx", "整改清单")
    assert book[0][0].startswith("草稿（含待修正项）")


def test_rectification_file_names_are_safe_and_unique(standard) -> None:
    """Characters no file system allows become _, names that collide (also by case) are
    numbered, and a name within 255 bytes stays so."""
    from workbook.core.scoring import Assessment
    from workbook.inputs.consolidate import BranchEntry, Consolidation
    from workbook.outputs.rectification import rectification_files

    names = ["a/b支部", "a_b支部", "A_B支部", ".隐藏支部. ", "长" * 120, 'x<>:"\\|?*\x01y']
    consolidation = Consolidation(
        standard,
        2026,
        [
            BranchEntry(name, "f.xlsx", f"s{i}", Assessment(None, (), ()), order=i)
            for i, name in enumerate(names)
        ],
    )
    files = rectification_files(consolidation, Path("out"))
    got = [f.path.name for f in files]
    assert got[:4] == [
        "2026年度整改清单（a_b支部）.xlsx",
        "2026年度整改清单（a_b支部（2））.xlsx",
        "2026年度整改清单（A_B支部（3））.xlsx",
        "2026年度整改清单（隐藏支部）.xlsx",
    ]
    assert len(got[4].encode("utf-8")) <= 255
    assert got[4].endswith("）.xlsx")
    assert got[5] == "2026年度整改清单（x_________y）.xlsx"
    assert [f.branch for f in files] == names
