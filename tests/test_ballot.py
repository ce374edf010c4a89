"""The printable 测评票: one A4 page per branch, anonymous, the standard's questions and answers."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import openpyxl

from workbook.cli.main import main
from workbook.core.standard import load_standard

from support.libreoffice import convert

BRANCHES = ["递铺分会第一支部", "孝丰分会[老街]支部", "很长的支部名称" * 6]


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    """Every page's size in points, from poppler's pdfinfo."""
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
    return [(float(w), float(h)) for w, h in sizes]


def test_ballot_prints_one_a4_page_per_branch(tmp_path: Path, capsys) -> None:
    out = tmp_path / "测评票.xlsx"
    names = tmp_path / "names.txt"
    names.write_text("\n".join(BRANCHES[1:]) + "\n", encoding="utf-8-sig")
    code = main(
        ["survey", "ballot", "-o", str(out), "--branch", BRANCHES[0], "--branches-file", str(names)]
    )
    assert code == 0
    assert "已生成测评票" in capsys.readouterr().out
    pdf = convert(out, "pdf", tmp_path / "pdf", recalculate=False)
    sizes = page_sizes(pdf)
    assert len(sizes) == len(BRANCHES)
    for width, height in sizes:  # A4 portrait: 595 x 842 points
        assert abs(width - 595.3) < 1
        assert abs(height - 841.9) < 1
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")
    survey = load_standard("anji-2012-6").survey
    assert survey is not None
    for branch, page in zip(BRANCHES, pages, strict=False):
        flat = re.sub(r"[\s\d]+", "", page)  # the layout puts a row's number inside its text
        assert "测评对象：" + re.sub(r"[\s\d]+", "", branch) in flat
        for question in survey.questions:
            assert question in flat
        for answer in survey.answers:
            assert answer.text in flat
        assert (
            flat.count("□") == len(survey.questions) * len(survey.answers) + 1
        )  # + the instruction
        assert "意见和建议" in flat
        assert "不记名" in flat


def test_ballot_has_no_name_field_and_a_box_per_answer(tmp_path: Path) -> None:
    out = tmp_path / "b.xlsx"
    assert main(["survey", "ballot", "-o", str(out), "--branch", "一", "--year", "2027"]) == 0
    sheet = openpyxl.load_workbook(out).worksheets[0]
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert texts[0] == "2027年度群众测评票"
    assert not any("姓名" in t or "签字" in t for t in texts)  # anonymous
    assert sheet.page_setup.paperSize == 9
    assert sheet.page_setup.orientation == "portrait"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToHeight in (None, 1)
    assert sheet.page_setup.fitToWidth in (None, 1)


def test_ballot_refuses_bad_arguments(tmp_path: Path, capsys) -> None:
    assert main(["survey", "ballot", "-o", str(tmp_path / "b.xlsx")]) == 2
    assert "至少给出一个支部名称" in capsys.readouterr().err
    assert main(["survey", "ballot", "-o", str(tmp_path / "b.xls"), "--branch", "一"]) == 1
    assert main(["survey", "ballot", "-o", str(tmp_path / "c.xlsx"), "--branch", " "]) == 1
    assert not (tmp_path / "c.xlsx").exists()
    synthetic = Path(__file__).parent / "data" / "standard-synthetic.toml"
    code = main(
        [
            "survey",
            "ballot",
            "-o",
            str(tmp_path / "d.xlsx"),
            "--branch",
            "一",
            "--standard",
            str(synthetic),
        ]
    )
    err = capsys.readouterr().err
    assert code in (0, 1), err
