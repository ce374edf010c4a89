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
    assert len(list((tmp_path / "demo-output").glob("*.xlsx"))) == 2


def test_demo_branches_are_named_after_anji_towns() -> None:
    branches = demo_branches()
    assert 12 <= len(branches) <= 14 and len(set(branches)) == len(branches)
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
    assert consolidation.ok and consolidation.warnings == []
    data = json.loads(files.json.read_text("utf-8"))
    assert data["year"] == DEMO_YEAR and len(data["branches"]) == len(demo_branches())


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
    assert one == two
