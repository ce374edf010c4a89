"""The demo: sample branches, a filled template with correct cached values, summary, JSON, mail."""

from __future__ import annotations

import json
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from workbook.cli.main import main
from workbook.core.scoring import assess_branch
from workbook.core.standard import Standard, fmt
from workbook.inputs.consolidate import consolidate
from workbook.inputs.reader import read_branch_workbook
from workbook.outputs.demo import DEMO_YEAR, demo_branches, demo_inputs, run_demo

TOWNS = (
    "递铺",
    "孝丰",
    "天荒坪",
    "梅溪",
    "昌硕",
    "灵峰",
    "鄣吴",
    "杭垓",
    "报福",
    "上墅",
    "山川",
    "天子湖",
)


def test_demo_command_writes_every_file_and_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "示例"
    assert main(["demo", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(
        [
            f"{DEMO_YEAR}年度考评定级表（示例）.xlsx",
            f"{DEMO_YEAR}年度考评定级汇总（示例）.xlsx",
            f"{DEMO_YEAR}年度考评定级汇总（示例）.json",
            f"{DEMO_YEAR}年度考评定级汇总（示例）.eml",
            f"{DEMO_YEAR - 1}年度考评定级汇总（示例）.json",
            f"{DEMO_YEAR}年度整改清单（示例）",
            "改名表（示例）.csv",
            "节假日（示例）.txt",
            "历年对比（示例）.xlsx",
            f"{DEMO_YEAR}年度考评定级表（示例，上墅分会支部，钱芳）.xlsx",
            f"{DEMO_YEAR}年度考评定级表（示例，上墅分会支部，孙明）.xlsx",
        ]
    )
    for name in files:
        assert str(out / name) in printed
    message = BytesParser(policy=policy.default).parsebytes(
        (out / f"{DEMO_YEAR}年度考评定级汇总（示例）.eml").read_bytes()
    )
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"{DEMO_YEAR}年度考评定级汇总（示例）.xlsx"
    assert attachment.get_content() == (out / str(attachment.get_filename())).read_bytes()


def test_demo_default_folder_is_demo_output(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    assert len(list((tmp_path / "demo-output").glob("*.xlsx"))) == 5


def test_demo_branches_are_named_after_anji_towns() -> None:
    branches = demo_branches()
    assert 12 <= len(branches) <= 14
    assert len(set(branches)) == len(branches)
    for town in TOWNS:
        assert any(b.startswith(town) for b in branches), town
    assert all(b.endswith("支部") for b in branches)


def test_demo_data_covers_band_edges_caps_vetoes_and_ties(standard: Standard) -> None:
    results = {b: assess_branch(standard, raw).result for b, raw in demo_inputs().items()}
    assert all(results.values())
    totals = {fmt(r.total) for r in results.values() if r}
    for edge in ("90", "89.5", "80", "79.5", "60", "59.5"):
        assert edge in totals, edge
    assert any(item.capped for r in results.values() for item in r.items)  # type: ignore[union-attr]
    assert any(r.vetoes and r.score_grade == "好" for r in results.values())  # type: ignore[union-attr]
    assert len({r.total for r in results.values() if r}) < len(results)  # at least one tie


def test_filled_template_carries_the_engines_cached_values(tmp_path: Path, standard) -> None:
    files = run_demo(tmp_path)
    book = read_branch_workbook(files.template)
    assert len(book.sheets) == len(demo_branches())
    for sheet in book.sheets:
        result = assess_branch(standard, sheet.raw_inputs(standard)).result
        assert result is not None
        assert sheet.values["total_score"] == float(result.total), sheet.sheet
        assert sheet.values["grade"] == result.grade
    consolidation = consolidate([files.template])
    assert consolidation.ok
    assert consolidation.warnings == []
    data = json.loads(files.json.read_text("utf-8"))
    assert data["year"] == DEMO_YEAR
    assert len(data["branches"]) == len(demo_branches())


def test_demo_is_deterministic(tmp_path: Path) -> None:
    first = run_demo(tmp_path / "a")
    second = run_demo(tmp_path / "b")
    assert first.template.read_bytes() == second.template.read_bytes()
    # The summary's 来源 sheet names the input path and its modified time; compare the rest.
    one = json.loads(first.json.read_text("utf-8"))
    two = json.loads(second.json.read_text("utf-8"))
    for data in (one, two):
        for branch in data["branches"]:
            branch.pop("file")
            for assessor in branch["assessors"]:
                assessor.pop("file")
        data["previous_year"].pop("file")  # the path of last year's JSON, in each folder
    assert one == two


def test_shipped_previous_year_is_what_the_engine_gives(standard: Standard) -> None:
    """Every number of the bundled 2025 JSON follows from its deductions and vetoes."""
    from decimal import Decimal

    from workbook.core.scoring import RawBranchInputs
    from workbook.outputs.demo import demo_data

    data = json.loads(demo_data("previous_2025.json"), parse_float=Decimal)
    assert data["year"] == DEMO_YEAR - 1
    assert data["final"] is True
    for branch in data["branches"]:
        raw = RawBranchInputs(
            deductions={d["rule"]: d["points"] for d in branch["deductions"]},
            vetoes=["是" if n in branch["vetoes"] else "否" for n in (1, 2, 3)],
        )
        result = assess_branch(standard, raw).result
        assert result is not None
        assert [Decimal(s) for s in branch["item_scores"]] == list(result.item_scores)
        assert (branch["total"], branch["grade"]) == (result.total, result.grade)


def test_demo_shows_the_whole_cycle(tmp_path: Path) -> None:
    """公示 with a holiday skipped, 整改清单 per branch, last year compared with a rename, a new
    and a gone branch and flags, the history of both years."""
    import openpyxl

    files = run_demo(tmp_path)
    book = openpyxl.load_workbook(files.summary, read_only=True)
    assert {"整改清单", "公示", "年度对比"} <= set(book.sheetnames)
    cells = [str(v) for row in book["公示"].iter_rows(values_only=True) for v in row if v]
    # 2026-12-28 Mon .. 12-31 Thu, 2027-01-01 holiday, 01-04 Mon.
    assert "　　公示期：2026年12月28日至2027年1月4日（5个工作日）。" in cells
    book.close()
    data = json.loads(files.json.read_text("utf-8"))
    previous = {b["branch"]: b["previous"] for b in data["branches"]}
    assert previous["天子湖分会支部"] is None
    assert previous["昌硕分会支部"]["branch"] == "城区分会支部"
    assert previous["杭垓分会支部"]["levels"] == 3
    assert previous["杭垓分会支部"]["flagged"]
    assert data["previous_year"]["gone"] == ["晓墅分会支部"]
    assert len(list(files.rectification.glob("*.xlsx"))) == len(demo_branches())
    history = openpyxl.load_workbook(files.history, read_only=True)
    assert history.sheetnames == ["历年结果", "历年等级分布", "历年失分"]
    history.close()


def test_demo_shows_a_tally_an_override_and_three_assessors(tmp_path: Path) -> None:
    """The issue's demo: a tally counted for rule 7.1, an override with its note, and one
    branch assessed by three committee members."""
    files = run_demo(tmp_path)
    assert len(files.assessors) == 2
    data = {b["branch"]: b for b in json.loads(files.json.read_text("utf-8"))["branches"]}
    tally = data["递铺分会第一支部"]["survey"]
    assert tally["source"] == "tally"
    assert tally["counted_deduction"] == 2
    assert tally["note"] == "按群众测评：满意率 92.0%（有效票 50）"
    assert {"rule": "7.1", "points": 2, "note": tally["note"]} in data["递铺分会第一支部"][
        "deductions"
    ]
    override = data["递铺分会第二支部"]["survey"]
    assert override["overridden"] is True
    assert (override["tally_deduction"], override["counted_deduction"]) == (3.5, 5)
    assert "群众来信" in override["note"]
    several = data["上墅分会支部"]
    assert [a["assessor"] for a in several["assessors"]] == ["周伟", "钱芳", "孙明"]
    assert [a["total"] for a in several["assessors"]] == [93, 91, 96]
    # (93 + 91 + 96) / 3 = 93.333... -> 93.33
    assert several["total"] == 93.33
    assert several["combination"]["method"] == "mean"
    import openpyxl

    summary = openpyxl.load_workbook(files.summary)
    assert {"群众测评", "多人考评"} <= set(summary.sheetnames)
    rows = [r for r in summary["多人考评"].iter_rows(values_only=True) if r[0] == "上墅分会支部"]
    assert [r[1] for r in rows] == ["周伟", "钱芳", "孙明"]
