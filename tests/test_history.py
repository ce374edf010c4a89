"""``branch-assess history``: hand-worked years side by side.

2024: 甲 100 好 (1), 乙 90 好 (2; item 7 lost 10). 2025: 甲 95 好 (1; item 7 lost 5),
丙 80 较好 (2; item 1 lost 15, item 7 lost 5). Average loss of item 1: 2024 0, 2025 7.5; of
item 7: 2024 5, 2025 5.
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

from support.libreoffice import requires_libreoffice

FULL = [15, 10, 10, 10, 10, 20, 25]


def report(year: int, branches: list[tuple[str, list[int], str, int]]) -> dict[str, Any]:
    return {
        "format": 1,
        "standard": "anji-2012-6",
        "year": year,
        "final": True,
        "branches": [
            {
                "branch": name,
                "item_scores": scores,
                "total": sum(scores),
                "grade": grade,
                "rank": rank,
            }
            for name, scores, grade, rank in branches
        ],
        "errors": [],
        "warnings": [],
    }


@pytest.fixture
def reports(tmp_path: Path) -> list[Path]:
    years = {
        2025: report(
            2025,
            [("甲支部", [*FULL[:6], 20], "好", 1), ("丙支部", [0, *FULL[1:6], 20], "较好", 2)],
        ),
        2024: report(2024, [("甲支部", FULL, "好", 1), ("乙支部", [*FULL[:6], 15], "好", 2)]),
    }
    paths = []
    for year, data in years.items():  # given out of order: sorted by year
        path = tmp_path / f"{year}.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths


def values(path: Path, sheet: str) -> list[list[Any]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [list(row) for row in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()


def test_years_side_by_side(reports: list[Path], tmp_path: Path) -> None:
    output = tmp_path / "历年.xlsx"
    assert main(["history", *map(str, reports), "-o", str(output)]) == 0
    rows = values(output, "历年结果")
    assert rows[2][2:] == [
        "2024年得分",
        "2024年等级",
        "2024年排名",
        "2025年得分",
        "2025年等级",
        "2025年排名",
    ]
    assert rows[3:6] == [
        [1, "甲支部", 100, "好", 1, 95, "好", 1],
        [2, "丙支部", None, "—", None, 80, "较好", 2],
        [3, "乙支部", 90, "好", 2, None, "—", None],
    ]
    grades = values(output, "历年等级分布")
    assert grades[3:5] == [["2024年", 2, 0, 0, 0, 2], ["2025年", 1, 1, 0, 0, 2]]
    loss = values(output, "历年失分")
    assert loss[2][2:] == ["2024年", "2025年"]
    by_item = {row[0]: row[1:] for row in loss[3:10]}
    assert by_item["1. 党组织(服务中心)带头人（15分）"] == [15, 0, 7.5]
    assert by_item["7. 群众反映（25分）"] == [25, 5, 5]
    assert by_item["2. 工作思路（10分）"] == [10, 0, 0]
    book = openpyxl.load_workbook(output)
    assert len(book["历年失分"]._charts) == 7  # openpyxl has no public list of charts


def test_two_files_of_one_year(reports: list[Path], tmp_path: Path, capsys) -> None:
    again = tmp_path / "copy.json"
    shutil.copy(reports[0], again)
    assert main(["history", str(reports[0]), str(again), "-o", str(tmp_path / "h.xlsx")]) == 1
    assert "都是 2025 年度的结果；每个年度只能给一个文件" in capsys.readouterr().err


def test_bad_json_is_named(reports: list[Path], tmp_path: Path, capsys) -> None:
    bad = tmp_path / "2023.json"
    bad.write_text('{"format": 1}', encoding="utf-8")
    assert main(["history", str(bad), *map(str, reports), "-o", str(tmp_path / "h.xlsx")]) == 1
    assert f"年度结果文件 {bad}：不是汇总结果" in capsys.readouterr().err
    assert not (tmp_path / "h.xlsx").exists()


@requires_libreoffice
@pytest.mark.libreoffice
def test_history_prints_on_a4(reports: list[Path], tmp_path: Path) -> None:
    from support.libreoffice import convert

    output = tmp_path / "h.xlsx"
    assert main(["history", *map(str, reports), "-o", str(output)]) == 0
    pdf = convert(output, "pdf", tmp_path / "pdf", recalculate=False)
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "99", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    sizes = [line for line in info.splitlines() if line.startswith("Page") and "size" in line]
    assert sizes
    assert all("(A4)" in line for line in sizes)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "历年结果" in text
    assert "群众反映" in text
    assert "7.5" in text
