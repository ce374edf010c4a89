"""Printing the cycle's outputs (rendered by LibreOffice to PDF, read with pdftotext): the history
workbook's 历年失分 charts are never cut by a page break and its 依据 line has room for every
line; last year's items in a template made with --previous repeat their title and headers on a
second page; the summary's 年度对比 repeats its header rows on page 2."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from workbook.cli.main import main
from workbook.core.standard import load_standard
from workbook.inputs.previous_year import PreviousDeduction
from workbook.outputs.previous_items import PreviousItems
from workbook.outputs.template import TemplateOptions, write_template

from support.libreoffice import convert, requires_libreoffice

pytestmark = [requires_libreoffice, pytest.mark.libreoffice]

FULL = [15, 10, 10, 10, 10, 20, 25]


def page_texts(pdf: Path) -> list[str]:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    count = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))  # type: ignore[union-attr]
    return [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, count + 1)
    ]


def sheet_pages(texts: list[str], sheet: str) -> list[str]:
    """The pages of one sheet, by the footer (``历年失分　第 3 页``)."""
    return [t for t in texts if re.search(rf"{sheet}\s*第 \d+ 页", t)]


def test_history_charts_are_whole_and_the_basis_line_has_room(tmp_path: Path) -> None:
    paths = []
    for year, lost in ((2024, 3), (2025, 1), (2026, 2)):
        scores = [*FULL[:6], FULL[6] - lost]
        data = {
            "format": 1,
            "standard": "anji-2012-6",
            "year": year,
            "final": True,
            "branches": [
                {
                    "branch": f"第{n}支部",
                    "item_scores": scores,
                    "total": sum(scores),
                    "grade": "好",
                    "rank": 1,
                }
                for n in range(1, 4)
            ],
            "errors": [],
            "warnings": [],
        }
        path = tmp_path / f"{year}.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    output = tmp_path / "历年.xlsx"
    assert main(["history", *map(str, paths), "-o", str(output)]) == 0

    # The 依据 line wraps on these narrow sheets: its row is two lines high, not one.
    book = openpyxl.load_workbook(output)
    for name in ("历年等级分布", "历年失分"):
        assert book[name].row_dimensions[2].height >= 32, name

    pages = sheet_pages(
        page_texts(convert(output, "pdf", tmp_path / "pdf", recalculate=False)), "历年失分"
    )
    standard = load_standard()
    # LibreOffice writes a chart title with spaces around its digits: "（ 25 分）".
    titles = [len(re.findall(r"（ \d+ 分）", page)) for page in pages]
    axes = [page.count("2024 年") for page in pages]  # one category axis per chart
    assert sum(titles) == len(standard.items), titles
    assert titles == axes, (titles, axes)  # no title on one page and its axis on the next
    assert pages[0].count("2024 年") == 0
    assert "群众反映（25分）" in pages[0]


def test_last_years_items_repeat_their_headers_on_a_second_page(tmp_path: Path) -> None:
    standard = load_standard()
    long_note = "上年扣分说明，" * 14
    items = tuple(PreviousDeduction(rule.id, Decimal(1), long_note) for rule in standard.rules)
    options = TemplateOptions(
        ["甲支部"],
        2026,
        "native",
        previous_items={"甲支部": PreviousItems(2025, "甲支部", items)},
    )
    path = write_template(tmp_path / "t.xlsx", options)
    texts = page_texts(convert(path, "pdf", tmp_path / "pdf", recalculate=False))
    branch_pages = sheet_pages(texts, "甲支部")  # the signed page, the checklist, the block
    block = branch_pages[2:]
    assert len(block) >= 2, "the test needs last year's items on more than one page"
    for page in block:
        assert "是否已整改" in page
        assert "整改情况说明" in page
    # Only the block's pages: the signed page and the checklist do not get its headers.
    signed = [t for t in texts if "支部书记（自评，签字）" in t]
    assert len(signed) == 1
    assert "上年整改事项核对" not in signed[0]
    last_rule = standard.rules[-1].id
    assert any(re.search(rf"\s{re.escape(last_rule)}\s", t) for t in block[1:])


def test_year_comparison_repeats_its_header_rows(tmp_path: Path) -> None:
    assert main(["demo", "--output-dir", str(tmp_path)]) == 0
    summary = next(tmp_path.glob("*汇总（示例）.xlsx"))
    pages = sheet_pages(
        page_texts(convert(summary, "pdf", tmp_path / "pdf", recalculate=False)), "年度对比"
    )
    assert len(pages) >= 2
    for page in pages:
        assert "上年名称（改名前）" in page
        assert "复核提示" in page
        assert "依据：" in page
