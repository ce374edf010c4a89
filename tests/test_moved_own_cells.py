"""A 自评 or 自查 cell moved by cut and paste (its name goes with it) is reported like a moved
考评 cell: sheet!cell and a Chinese message, by consolidate and by recalc; nothing is written."""

from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from workbook.cli.main import main
from workbook.core import names
from workbook.core.cells import column_letters
from workbook.core.standard import Standard
from workbook.outputs.template import TemplateOptions, write_template

DO_NOT_MOVE = "请直接在正确的单元格中输入数值，不要剪切、粘贴或拖动单元格"


def template(path: Path) -> Path:
    return write_template(path, TemplateOptions(["第一支部", "第二支部"], 2026, "native"))


def where(path: Path, name: str) -> tuple[str, int]:
    """(column letters, row) of 第一支部's ``name``."""
    book = openpyxl.load_workbook(path, read_only=False)
    text = book["第一支部"].defined_names[name].attr_text
    match = re.fullmatch(r"'?第一支部'?!\$([A-Z]+)\$(\d+)", text)
    assert match, text
    return match.group(1), int(match.group(2))


def move(path: Path, name: str, target: str) -> None:
    """Point 第一支部's ``name`` at ``target`` (what a cut and paste does to the name)."""
    with zipfile.ZipFile(path) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    pattern = re.compile(rf'(<definedName name="{name}" localSheetId="1">)[^<]*(</definedName>)')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for info, data in members:
            if info.filename == "xl/workbook.xml":
                text, count = pattern.subn(rf"\g<1>'第一支部'!{target}\g<2>", data.decode())
                assert count == 1, name
                data = text.encode()
            package.writestr(info, data)


def both_commands(
    capsys: pytest.CaptureFixture[str], path: Path, tmp_path: Path
) -> tuple[str, str]:
    before = hashlib.sha256(path.read_bytes()).digest()
    assert main(["consolidate", str(path), "-o", str(tmp_path / "汇总.xlsx")]) == 1
    consolidated = capsys.readouterr().err
    copy = tmp_path / "复制.xlsx"
    shutil.copy(path, copy)
    assert main(["recalc", str(copy)]) == 1
    recalculated = capsys.readouterr().err
    assert hashlib.sha256(path.read_bytes()).digest() == before
    assert not (tmp_path / "汇总.xlsx").exists()
    for err in (consolidated, recalculated):
        assert "Traceback" not in err
        assert "内部错误" not in err
    return consolidated, recalculated


def test_the_template_itself_is_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = template(tmp_path / "t.xlsx")
    assert main(["consolidate", str(path), "-o", str(tmp_path / "s.xlsx"), "--draft"]) == 0
    assert "不要剪切" not in capsys.readouterr().err


def test_moved_self_cells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], standard: Standard
) -> None:
    path = template(tmp_path / "自评.xlsx")
    first, second = standard.rules[0], standard.rules[1]
    column, _ = where(path, names.self_deduction_name(first))
    _, committee_row = where(path, names.deduction_name(second))
    # Rule 1.1's 自评 cell dragged one column right; rule 1.2's far down its own column.
    right = column_letters(openpyxl.utils.column_index_from_string(column) + 1)
    move(path, names.self_deduction_name(first), f"${right}$60")
    move(path, names.self_deduction_name(second), f"${column}$90")
    for err in both_commands(capsys, path, tmp_path):
        assert (
            f"名称 {names.self_deduction_name(first)} 指向 第一支部!{right}60，"
            f"不在考评表的“自评扣分”栏内；{DO_NOT_MOVE}" in err
        ), err
        assert (
            f"名称 {names.self_deduction_name(second)} 指向 第一支部!{column}90，"
            f"与考评扣分单元格 第一支部!E{committee_row} 不在同一行" in err
        ), err


def test_moved_checklist_cells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], standard: Standard
) -> None:
    assert standard.checklist is not None
    path = template(tmp_path / "自查.xlsx")
    entries = standard.checklist.entries
    answer, note = names.checklist_name(entries[0]), names.checklist_note_name(entries[1])
    answer_column, _ = where(path, answer)
    note_column, _ = where(path, note)
    _, second_row = where(path, names.checklist_name(entries[1]))
    move(path, answer, f"${note_column}$150")  # into the 说明 column
    move(path, note, f"${note_column}$151")  # down its own column
    for err in both_commands(capsys, path, tmp_path):
        assert f"名称 {answer} 指向 第一支部!{note_column}150，不在自查表的“是/否”栏内" in err, err
        assert (
            f"名称 {note} 指向 第一支部!{note_column}151，"
            f"与自查单元格 第一支部!{answer_column}{second_row} 不在同一行" in err
        ), err
        assert answer_column != note_column
