"""``branch-assess history``: a rename map (the reader and rules of ``consolidate --previous``),
the title from the standard, and the holiday file's message when it is not text."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from workbook.cli.main import main
from workbook.core.standard import STANDARD_FILE_ENV, Standard, load_standard_file

SYNTHETIC = Path(__file__).parent / "data" / "standard-synthetic.toml"
FULL = [15, 10, 10, 10, 10, 20, 25]


def report(
    year: int, branches: list[tuple[str, list[int], str, int]], standard: str = "anji-2012-6"
) -> dict[str, Any]:
    return {
        "format": 1,
        "standard": standard,
        "year": year,
        "final": True,
        "branches": [
            {"branch": n, "item_scores": s, "total": sum(s), "grade": g, "rank": r}
            for n, s, g, r in branches
        ],
        "errors": [],
        "warnings": [],
    }


def write_reports(folder: Path, reports: list[dict[str, Any]]) -> list[Path]:
    paths = []
    for data in reports:
        path = folder / f"{data['year']}.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture
def three_years(tmp_path: Path) -> list[Path]:
    """老甲 (2024) was renamed 中甲 (2025), then 甲支部 (2026); 乙支部 never renamed."""
    low = [*FULL[:6], 15]  # 90: 好
    return write_reports(
        tmp_path,
        [
            report(2024, [("老甲", FULL, "好", 1), ("乙支部", low, "好", 2)]),
            report(2025, [("中甲", low, "好", 1), ("乙支部", low, "好", 1)]),
            report(2026, [("甲支部", FULL, "好", 1), ("乙支部", low, "好", 2)]),
        ],
    )


def rows(path: Path, sheet: str) -> list[list[Any]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [list(row) for row in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()


def test_renamed_branch_is_one_row_under_its_latest_name(
    three_years: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    renames = tmp_path / "改名.csv"
    # Header, a chain (老甲→中甲→甲支部) and a line of a branch found in no year.
    renames.write_text("原名称,新名称\n老甲,中甲\n中甲,甲支部\n丁支部,戊支部\n", encoding="utf-8")
    output = tmp_path / "历年.xlsx"
    args = ["history", *map(str, three_years), "-o", str(output)]
    assert main([*args, "--rename-map", str(renames)]) == 0
    out, err = capsys.readouterr()
    assert "提示：改名表中的原名称“丁支部”不在任何年度的结果中，该行未使用" in err
    assert "2024、2025、2026 共 3 个年度" in out
    assert rows(output, "历年结果")[3:] == [
        [1, "甲支部", 100, "好", 1, 90, "好", 1, 100, "好", 1],
        [2, "乙支部", 90, "好", 2, 90, "好", 1, 90, "好", 2],
    ]
    loss = rows(output, "历年失分")
    assert any(row[0] and "改名的支部按改名表对应到最新年度的名称" in row[0] for row in loss)

    # Without the map: as before, three rows for 甲支部's three names.
    assert main([*args, "--overwrite"]) == 0
    names = [row[1] for row in rows(output, "历年结果")[3:]]
    assert names == ["甲支部", "乙支部", "中甲", "老甲"]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        # The rules of consolidate --previous: a branch of the latest year keeps its name.
        (
            "乙支部,甲支部\n",
            "第1行：原名称“乙支部”本年度仍是一个支部，不能再改名为“甲支部”",
        ),
        ("老甲,中甲\n中甲,老甲\n", "改名表中的改名首尾相接成环：“老甲”→“中甲”→“老甲”"),
        # Two branches of 2025 would share a row.
        ("中甲,乙支部\n", "改名“中甲”→“乙支部”：2025 年度已有名为“乙支部”的支部"),
        ("老甲，甲支部\n", "第1行：原名称和新名称之间应用英文逗号“,”或 Tab 分隔（本行用的是“，”）"),
    ],
)
def test_a_bad_rename_map_is_refused_with_its_line(
    three_years: list[Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    lines: str,
    message: str,
) -> None:
    renames = tmp_path / "改名.csv"
    renames.write_text(lines, encoding="utf-8")
    output = tmp_path / "历年.xlsx"
    args = ["history", *map(str, three_years), "-o", str(output), "--rename-map", str(renames)]
    assert main(args) == 1
    assert message in capsys.readouterr().err
    assert not output.exists()


def test_rename_map_as_workbook_is_named(
    three_years: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import xlsxwriter

    renames = tmp_path / "改名.xlsx"
    book = xlsxwriter.Workbook(str(renames))
    book.add_worksheet().write_row(0, 0, ["老甲", "甲支部"])
    book.close()
    args = ["history", *map(str, three_years), "-o", str(tmp_path / "h.xlsx")]
    assert main([*args, "--rename-map", str(renames)]) == 1
    assert f"改名表 {renames} 是一个 Excel 工作簿，不是文本文件" in capsys.readouterr().err


def test_title_comes_from_the_standard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(STANDARD_FILE_ENV, "")
    synthetic: Standard = load_standard_file(SYNTHETIC)
    full = [int(item.points) for item in synthetic.items]
    paths = write_reports(
        tmp_path,
        [
            report(2030, [("甲社区", full, "优秀", 1)], synthetic.id),
            report(2031, [("甲社区", full, "优秀", 1)], synthetic.id),
        ],
    )
    output = tmp_path / "h.xlsx"
    args = ["history", *map(str, paths), "-o", str(output), "--standard-file", str(SYNTHETIC)]
    assert main(args) == 0, capsys.readouterr().err
    title = rows(output, "历年结果")[0][0]
    assert title == f"2030年至2031年{synthetic.association}考评定级历年对比\u3000历年结果"
    with zipfile.ZipFile(output) as package:
        text = "\n".join(
            "".join(re.findall(r">([^<]+)<", package.read(n).decode())) for n in package.namelist()
        )
    for anji in ("安吉", "个体民营", "党员服务中心", "党委支部"):
        assert anji not in text

    anji_reports = write_reports(
        tmp_path, [report(2024, [("甲支部", FULL, "好", 1)]), report(2025, [])]
    )
    anji_reports[1].write_text(
        json.dumps(report(2025, [("甲支部", FULL, "好", 1)]), ensure_ascii=False), "utf-8"
    )
    assert main(["history", *map(str, anji_reports), "-o", str(tmp_path / "a.xlsx")]) == 0
    assert rows(tmp_path / "a.xlsx", "历年结果")[0][0] == (
        "2024年至2025年安吉县个体民营企业协会党委支部（党员服务中心）规范化建设考评定级历年对比"
        "\u3000历年结果"
    )


def test_holiday_file_as_workbook_says_what_is_expected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import xlsxwriter

    holidays = tmp_path / "节假日.xlsx"
    book = xlsxwriter.Workbook(str(holidays))
    book.add_worksheet().write("A1", "2026-10-01")
    book.close()
    args = ["consolidate", str(tmp_path), "-o", str(tmp_path / "汇总.xlsx")]
    args += ["--publish-date", "2026-12-21", "--holidays", str(holidays)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert (
        f"节假日文件 {holidays} 是一个 Excel 工作簿（.xlsx），不是 UTF-8 编码的文本文件；"
        "节假日文件应为 UTF-8 编码的文本文件，每行一个日期，写作 YYYY-MM-DD（如 2026-10-01），"
        "可后跟“休”或“班”（调休上班），# 后为注释" in err
    ), err
    assert "不是 UTF-8 编码的文本；请另存为" not in err
    holidays.write_bytes("2026-10-01 休\n".encode("gbk"))
    assert main(args) == 1
    assert f"节假日文件 {holidays} 是GBK（GB2312）编码的文本，不是 UTF-8" in capsys.readouterr().err
    assert not (tmp_path / "汇总.xlsx").exists()
