"""``template --split DIR``: one workbook per branch, names safe on Windows, consolidated back."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from workbook.cli.main import main
from workbook.inputs.reader import read_branch_workbook, read_package_info
from workbook.outputs.split import safe_stem, split_file_names


@pytest.mark.parametrize(
    ("branch", "stem"),
    [
        ("递铺分会第一支部", "递铺分会第一支部"),
        ('a<b>c:d"e/f\\g|h?i*j', "a_b_c_d_e_f_g_h_i_j"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("第一支部. ", "第一支部"),
        ("...", "支部"),
        ("tab\there", "tab_here"),
        ("支" * 80, "支" * 60),
    ],
)
def test_safe_stem(branch: str, stem: str) -> None:
    assert safe_stem(branch) == stem


def test_names_that_differ_only_in_case_or_unsafe_characters_get_numbers() -> None:
    assert split_file_names(["A/B", "a:b", "a?B", "第一支部"]) == [
        "A_B.xlsx",
        "a_b（2）.xlsx",
        "a_B（3）.xlsx",
        "第一支部.xlsx",
    ]


def test_split_writes_one_workbook_per_branch_and_consolidates_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "分发"
    branches = ["第一支部", "第二/三支部", "CON"]
    args = ["template", "--split", str(folder), "--year", "2026", "--formulas", "native"]
    for branch in branches:
        args += ["--branch", branch]
    assert main(args) == 0
    files = sorted(p.name for p in folder.iterdir())
    assert files == sorted(["第一支部.xlsx", "第二_三支部.xlsx", "_CON.xlsx"])
    for name, branch in zip(
        ["第一支部.xlsx", "第二_三支部.xlsx", "_CON.xlsx"], branches, strict=True
    ):
        info = read_package_info(folder / name)
        assert info.sheet_names[0] == "填表说明"
        book = read_branch_workbook(folder / name)
        assert [s.branch_name for s in book.sheets] == [branch]
    # A branch fills its copy and sends it back: consolidate reads the folder as it is.
    book = openpyxl.load_workbook(folder / "第一支部.xlsx")
    ref = read_package_info(folder / "第一支部.xlsx").local_names["第一支部"]["ded_7_1"]
    assert ref is not None
    book["第一支部"].cell(ref.row + 1, ref.col + 1).value = 5
    book.save(folder / "第一支部.xlsx")
    out = tmp_path / "汇总.xlsx"
    report = tmp_path / "汇总.json"
    assert main(["consolidate", str(folder), "-o", str(out), "--json", str(report)]) == 0
    data = json.loads(report.read_text(encoding="utf-8"))
    # Rank order; ties in the order the files were found (sorted by path: _CON first).
    assert [(b["branch"], b["total"]) for b in data["branches"]] == [
        ("CON", 100),
        ("第二/三支部", 100),
        ("第一支部", 95),
    ]
    assert all(b["self"]["grade"] == "未自评" for b in data["branches"])
    assert [b["checklist"]["met"] for b in data["branches"]] == [0, 0, 0]


def test_split_refuses_to_replace_a_filled_workbook(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "out"
    assert main(["template", "--split", str(folder), "--branch", "第一支部"]) == 0
    before = (folder / "第一支部.xlsx").read_bytes()
    assert (
        main(["template", "--split", str(folder), "--branch", "第一支部", "--branch", "第二支部"])
        == 1
    )
    assert "已存在" in capsys.readouterr().err
    assert (folder / "第一支部.xlsx").read_bytes() == before
    assert not (folder / "第二支部.xlsx").exists()  # nothing written when one is refused


def test_output_and_split_are_one_or_the_other(tmp_path: Path, capsys) -> None:
    assert main(["template", "--branch", "x"]) == 2
    assert (
        main(
            ["template", "--branch", "x", "-o", str(tmp_path / "a.xlsx"), "--split", str(tmp_path)]
        )
        == 2
    )
    assert "二选一" in capsys.readouterr().err
