"""The summary workbook: the numbers as read back, every sheet, print setup, text safety, PDF."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import python_calamine

from workbook.core import names
from workbook.core.scoring import RawBranchInputs
from workbook.core.standard import Standard
from workbook.inputs.consolidate import Consolidation, consolidate
from workbook.outputs.demo import DEMO_YEAR, demo_branches, filled_demo_options
from workbook.outputs.summary import write_summary
from workbook.outputs.template import TemplateOptions, write_template

from support.demo_expected import DEMO_EXPECTED
from support.libreoffice import requires_libreoffice

HEADER_ROW = 3  # 1-based row of the column headers on every sheet of a final summary
# The demo's hand-worked expectations (tests/test_consolidate.py), in rank order, with the
# 否决情形 column: branch, item scores, total, 否决情形, grade, rank.
VETOED = {"鄣吴分会支部": "（1）"}
RANKED: list[tuple[str, list[float], float, str, str, int]] = [
    (branch, scores, float(total), VETOED.get(branch, "无"), grade, rank)
    for branch, (scores, total, grade, rank) in DEMO_EXPECTED.items()
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Consolidation, Path]:
    folder = tmp_path_factory.mktemp("summary")
    template = write_template(
        folder / "考评定级表.xlsx",
        filled_demo_options(),
    )
    result = consolidate([template])
    assert result.ok
    return template, result, write_summary(folder / "汇总.xlsx", result)


def rows_of(path: Path, sheet: str, engine: str) -> list[list[Any]]:
    """All rows of a sheet as values, with openpyxl or calamine (floats as read)."""
    if engine == "openpyxl":
        book = openpyxl.load_workbook(path, read_only=True)
        try:
            return [list(row) for row in book[sheet].iter_rows(values_only=True)]
        finally:
            book.close()
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return [
        [None if v == "" else v for v in row] for row in book.get_sheet_by_name(sheet).to_python()
    ]


def number(value: object) -> Decimal:
    assert isinstance(value, int | float), value
    assert not isinstance(value, bool), value
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


@pytest.mark.parametrize("engine", ["openpyxl", "calamine"])
def test_summary_rows_hold_the_recomputed_numbers_in_rank_order(demo, engine: str) -> None:
    _, _, summary = demo
    rows = rows_of(summary, "汇总", engine)
    title = rows[0][0]
    assert (
        title
        == f"{DEMO_YEAR}年度安吉县个体民营企业协会党委支部（党员服务中心）规范化建设考评定级汇总表"
    )
    header = rows[HEADER_ROW - 1]
    assert header[:2] == ["序号", "支部名称"]
    assert header[-5:] == [
        "总分（100分）",
        "否决情形",
        "等级",
        "排名",
        "主要扣分",
    ]
    assert header[2] == "党组织(服务中心)带头人（15分）"
    body = rows[HEADER_ROW : HEADER_ROW + len(RANKED)]
    for number_, (row, expected) in enumerate(zip(body, RANKED, strict=True), start=1):
        branch, scores, total, veto, grade, rank = expected
        assert number(row[0]) == number_
        assert row[1] == branch
        assert [number(v) for v in row[2:9]] == [Decimal(str(s)) for s in scores], branch
        assert number(row[9]) == Decimal(str(total))
        assert row[10:13] == [veto, grade, rank] or [row[10], row[11], number(row[12])] == [
            veto,
            grade,
            rank,
        ]
    total_row, average_row = rows[HEADER_ROW + len(RANKED)], rows[HEADER_ROW + len(RANKED) + 1]
    assert total_row[0] == "合计（13个支部）"
    assert average_row[0] == "平均（13个支部）"
    assert number(total_row[9]) == Decimal("1078.25")
    assert number(average_row[9]) == Decimal("82.94")  # 1078.25 / 13 = 82.942…
    assert number(average_row[8]) == Decimal("13.56")  # item 7: 176.25 / 13 = 13.557…


def test_main_deductions_explain_caps_and_vetoes(demo) -> None:
    _, _, summary = demo
    rows = {r[1]: r for r in rows_of(summary, "汇总", "openpyxl")[HEADER_ROW:] if r[1]}
    assert rows["递铺分会第一支部"][13] == "7.1 根据群众测评结果酌情扣分（扣2分）"
    assert "第1项扣分合计20分，以该项分值15分为限" in rows["昌硕分会支部"][13]
    assert "有否决情形，直接定为“较差”" in rows["鄣吴分会支部"][13]


def test_grade_distribution_counts_shares_and_chart(demo) -> None:
    _, _, summary = demo
    rows = rows_of(summary, "等级分布", "openpyxl")
    table = {r[0]: r for r in rows[HEADER_ROW:] if r[0]}
    assert [table[g][2] for g in ("好", "较好", "一般", "较差")] == [4, 4, 3, 2]
    assert number(table["好"][3]) == Decimal("0.3077")
    assert table["较差"][4] == 1  # 鄣吴 by veto
    assert table["合计"][2] == 13
    with zipfile.ZipFile(summary) as package:
        charts = sorted(n for n in package.namelist() if n.startswith("xl/charts/chart"))
        assert len(charts) == 3  # 等级分布, 失分分析, 群众测评 (the demo has tallies)
        kinds = [package.read(n).decode() for n in charts]
    assert "<c:barChart>" in kinds[0]
    assert '<c:barDir val="col"/>' in kinds[0]
    assert "<c:barChart>" in kinds[1]
    assert '<c:barDir val="bar"/>' in kinds[1]
    assert "等级分布" in kinds[0]
    assert "失分分析" in kinds[1]


def test_loss_analysis_shows_where_branches_lose_points(demo, standard: Standard) -> None:
    _, _, summary = demo
    rows = rows_of(summary, "失分分析", "calamine")
    table = rows[HEADER_ROW : HEADER_ROW + len(standard.items)]
    item7 = table[6]
    assert item7[0] == "7. 群众反映（25分）"
    assert [number(v) for v in item7[1:5]] == [
        Decimal(25),
        Decimal("13.56"),
        Decimal("11.44"),
        Decimal("0.4577"),  # 148.75 / 325
    ]
    assert item7[5] == 13
    assert item7[7] == 0
    item1 = table[0]
    assert item1[5] == 2
    assert item1[7] == 1
    # Item 7 is where branches are weakest.
    assert max(table, key=lambda r: number(r[4]))[0] == item7[0]


def test_deduction_details_quote_the_rules_and_show_caps(demo, standard: Standard) -> None:
    _, result, summary = demo
    rows = [r for r in rows_of(summary, "扣分明细", "openpyxl")[HEADER_ROW:] if r[1]]
    for row in rows:
        if row[3] != "注（1）":
            assert row[4] == standard.rule(row[3]).wording
    changshuo = [r for r in rows if r[1] == "昌硕分会支部"]
    assert [(r[3], number(r[5])) for r in changshuo] == [
        ("1.1", 15),
        ("1.2", 3),
        ("1.4", 2),
        ("注（1）", -5),
        ("2.1", 3),
        ("7.1", 22),
    ]
    assert changshuo[0][6] == "支部书记空缺半年"
    assert "本项扣分合计 20 分，超过分值 15 分，按 15 分计" in changshuo[3][4]
    # For every branch, the listed points add up to what it lost.
    for entry in result.branches:
        listed = sum((number(r[5]) for r in rows if r[1] == entry.branch), Decimal(0))
        assert entry.result is not None
        assert listed == 100 - entry.result.total, entry.branch


def test_veto_sheet_names_the_condition_and_the_score_before(demo, standard: Standard) -> None:
    _, _, summary = demo
    rows = [r for r in rows_of(summary, "否决情形", "openpyxl")[HEADER_ROW:] if r[0]]
    assert rows[0][:3] == ["鄣吴分会支部", "（1）", standard.vetoes[0]]
    assert number(rows[0][3]) == 92
    assert rows[0][4:6] == ["好", "较差"]
    assert rows[1][0].startswith("注（2）")


def test_sources_list_each_file_with_its_hash(demo) -> None:
    template, _, summary = demo
    rows = rows_of(summary, "来源", "openpyxl")[HEADER_ROW:]
    assert rows[0][0] == str(template)
    assert rows[0][1] == hashlib.sha256(template.read_bytes()).hexdigest()
    assert rows[0][2].split("、") == demo_branches()
    assert rows[0][3] == names.TEMPLATE_VERSION
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", rows[0][4])


def test_every_sheet_prints_a4_landscape_one_page_wide_with_headers_repeated(demo) -> None:
    _, _, summary = demo
    book = openpyxl.load_workbook(summary)
    assert book.sheetnames == [
        "汇总",
        "等级分布",
        "失分分析",
        "扣分明细",
        "否决情形",
        "自评与考评",  # the demo's workbook is of template version 2
        "自查情况",
        "整改清单",
        "公示",
        "来源",
        "群众测评",
    ]
    for sheet in book.worksheets:
        if (
            sheet.title == "公示"
        ):  # portrait, only the table header repeated (tests/test_cycle_outputs.py)
            continue
        assert sheet.page_setup.paperSize == 9, sheet.title
        assert sheet.page_setup.fitToWidth in (1, None), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert sheet.print_title_rows.replace("$", "") == f"1:{HEADER_ROW}", sheet.title
        if sheet.title != "等级分布":
            assert sheet.page_setup.orientation == "landscape", sheet.title
    assert book["汇总"].page_setup.fitToHeight == 0


def test_same_inputs_give_the_same_bytes(demo, tmp_path: Path) -> None:
    _, result, summary = demo
    again = write_summary(tmp_path / "again.xlsx", result)
    assert again.read_bytes() == summary.read_bytes()


def test_text_from_inputs_stays_text(tmp_path: Path) -> None:
    hostile = '=HYPERLINK("http://example.com","点我")'
    template = write_template(
        tmp_path / "t.xlsx",
        TemplateOptions(
            branches=[hostile, "+第二支部"],
            inputs={
                hostile: RawBranchInputs({"7.1": 1}, notes={"7.1": "=1+1"}),
                "+第二支部": RawBranchInputs({"2.1": 3}, notes={"2.1": "@SUM(A1)"}),
            },
            formulas="native",
        ),
    )
    result = consolidate([template])
    assert result.ok, [p.text() for p in result.errors]
    summary = write_summary(tmp_path / "s.xlsx", result)
    with zipfile.ZipFile(summary) as package:
        for name in package.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert "<f>" not in package.read(name).decode(), name
    book = openpyxl.load_workbook(summary)
    assert book["汇总"].cell(HEADER_ROW + 1, 2).value == hostile
    assert book["汇总"].cell(HEADER_ROW + 1, 2).data_type == "s"
    assert book["汇总"].cell(HEADER_ROW + 2, 2).value == "+第二支部"
    notes = {r[6] for r in book["扣分明细"].iter_rows(min_row=HEADER_ROW + 1, values_only=True)}
    assert {"=1+1", "@SUM(A1)"} <= notes


@requires_libreoffice
@pytest.mark.libreoffice
def test_libreoffice_converts_the_summary_to_a_clean_pdf(demo, tmp_path: Path) -> None:
    from support.libreoffice import convert

    _, _, summary = demo
    source = tmp_path / "summary.xlsx"
    shutil.copy(summary, source)
    pdf = convert(source, "pdf", tmp_path / "pdf", recalculate=False)
    pages = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    # 汇总 fits one page (all 13 branches, the totals and the notes), then one page for each
    # of 等级分布, 失分分析, 否决情形, 自评与考评, 自查情况, 公示 and 来源, and a few for
    # 扣分明细 and 整改清单.
    assert 10 <= len(pages) <= 16
    first = pages[0]
    assert "规范化建设考评定级汇总表" in first
    for branch in demo_branches():
        assert branch in first
    assert "平均（13个支部）" in first
    assert "说明" in first
    assert "等级分布" in pages[1]
    assert "各等级支部数" in pages[1]
    assert "失分分析" in pages[2]
    assert "各项目失分率" in pages[2]
    text = "\n".join(pages)
    assert "#VALUE" not in text
    assert "Err:" not in text
    assert "#NAME" not in text
