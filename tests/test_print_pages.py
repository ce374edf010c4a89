"""Each branch sheet prints its signed part, title to signature lines, on ONE A4 landscape page
(and its 规范化建设自查表 on the next), for the default template and for a branch with long
notes: rendered by LibreOffice to PDF, pages counted with pdfinfo and read with pdftotext."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from workbook.core.layout import COLUMNS
from workbook.core.scoring import RawBranchInputs
from workbook.inputs.reader import read_package_info
from workbook.outputs.template import DEFAULT_TEMPLATE, TemplateOptions, write_template

from support.libreoffice import convert, requires_libreoffice

TITLE = "规范化建设考评定级表"
SIGNATURE = "支部书记（自评，签字）"
CHECKLIST = "规范化建设自查表"
A4_LANDSCAPE = (841.89, 595.28)  # points
# Excel's page: A4 landscape less the template's margins (0.4" sides, 0.45" top, 0.55" bottom).
EXCEL_PAGE = ((11.69 - 0.8) * 72, (8.27 - 1.0) * 72)


def pages(pdf: Path) -> list[str]:
    if shutil.which("pdfinfo") is None or shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    count = int(
        next(line for line in info.stdout.splitlines() if line.startswith("Pages:")).split()[1]
    )
    size = next(line for line in info.stdout.splitlines() if line.startswith("Page size:"))
    width, height = (float(v) for v in size.split()[2:5:2])
    assert (round(width), round(height)) == tuple(round(v) for v in A4_LANDSCAPE), size
    return [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, count + 1)
    ]


def signed_pages(texts: list[str], branches: list[str]) -> None:
    """Every branch: one page with its title, its name and the signature lines; the next page
    its checklist; no page holds two branches' signatures."""
    for branch in branches:
        found = [i for i, t in enumerate(texts) if SIGNATURE in t and branch in t]
        assert len(found) == 1, (branch, found)
        page = texts[found[0]]
        assert TITLE in page, branch
        assert "合计得分" in page, branch
        assert "定级" in page, branch
        assert CHECKLIST in texts[found[0] + 1], branch
        assert SIGNATURE not in texts[found[0] + 1]


def excel_fit(path: Path, sheet: str) -> float:
    """The scale Excel's "1 page wide" gives (Calibri: 7 px a character and 5 px a column) and
    check that the signed part fits one page tall at that scale; returns the scale."""
    book = openpyxl.load_workbook(path)
    ws = book[sheet]
    # The widths as stored (XlsxWriter writes each column on its own: width + 5 px of padding).
    part = read_package_info(path).sheet_parts[sheet]
    with zipfile.ZipFile(path) as package:
        xml = package.read(part).decode("utf-8")
    stored = [
        float(w)
        for low, high, w in re.findall(r'<col min="(\d+)" max="(\d+)" width="([\d.]+)"', xml)
        for _ in range(int(low), int(high) + 1)
    ]
    assert len(stored) == len(COLUMNS)
    width = sum(round(w * 7) * 0.75 for w in stored)
    scale = min(1.0, EXCEL_PAGE[0] / width)
    height = 0.0
    for row in range(1, ws.max_row + 1):
        height += ws.row_dimensions[row].height or 15
        if str(ws.cell(row, 1).value or "").startswith(SIGNATURE):
            break
    assert height * scale <= EXCEL_PAGE[1] * 0.97, (height, scale)
    return scale


@pytest.mark.libreoffice
@requires_libreoffice
def test_default_template_signs_one_page_per_branch(tmp_path: Path) -> None:
    pdf = convert(DEFAULT_TEMPLATE, "pdf", tmp_path, recalculate=False)
    texts = pages(pdf)
    branches = openpyxl.load_workbook(DEFAULT_TEMPLATE, read_only=True).sheetnames[1:]
    signed_pages(texts, branches)
    assert sum(SIGNATURE in t for t in texts) == len(branches)
    assert excel_fit(DEFAULT_TEMPLATE, branches[0]) >= 0.70


@pytest.mark.libreoffice
@requires_libreoffice
def test_long_notes_still_sign_one_page(tmp_path: Path) -> None:
    note = "经查阅会议记录和走访党员，" * 6  # about 80 characters in every 扣分说明
    raw = RawBranchInputs(
        {"1.2": 3, "3.2": 2, "4.2": 2.5, "6.3": 2, "7.1": 12.5},
        notes={
            rule_id: note for rule_id in ("1.1", "1.2", "1.3", "1.4", "3.2", "4.2", "6.3", "7.1")
        },
    )
    path = write_template(
        tmp_path / "长说明.xlsx",
        TemplateOptions(["第一支部", "第二支部"], inputs={"第一支部": raw}, formulas="native"),
    )
    texts = pages(convert(path, "pdf", tmp_path / "pdf", recalculate=False))
    signed_pages(texts, ["第一支部", "第二支部"])
    excel_fit(path, "第一支部")
