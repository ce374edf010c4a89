"""Hostile files and file systems: the real CLI, its exit code, its Chinese message, and the
bytes on disk (inputs untouched, old outputs intact).

Tests run as root on this machine, where permission bits do not stop a write. Where a test needs
a folder or file the process cannot change, it uses the immutable or append-only attribute
(``chattr``), which stops root too, and skips where the file system has no such attributes.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from workbook.atomic import TEMP_SUFFIX, atomic_output
from workbook.cli.main import main
from workbook.core.scoring import RawBranchInputs
from workbook.errors import OutputError, WorkbookReadError
from workbook.inputs.reader import read_branch_workbook
from workbook.outputs.template import TemplateOptions, write_template
from workbook.xlsx.package import Package
from workbook.xlsx.parts import workbook_sheets
from workbook.xlsx.workbook_info import read_package_info
from workbook.xlsx.zip_package import MAX_PART_BYTES, MAX_PARTS, RawZipWriter

from support.workbook_helpers import fill_by_names

BRANCHES = ["第一支部", "第二支部"]
INPUTS = {
    "第一支部": RawBranchInputs(deductions={"1.2": 2}),
    "第二支部": RawBranchInputs(deductions={"7.1": 3}),
}


def _filled(path: Path, inputs: dict[str, RawBranchInputs] | None = None) -> Path:
    write_template(
        path,
        TemplateOptions(branches=BRANCHES, year=2026, formulas="native", inputs=inputs or INPUTS),
    )
    return path


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return _filled(tmp_path / "考评.xlsx")


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    return captured.err + captured.out


@contextlib.contextmanager
def _attribute(path: Path, flag: str) -> Iterator[None]:
    """``chattr +flag`` for the block (skip where the file system cannot)."""
    result = subprocess.run(["chattr", f"+{flag}", str(path)], capture_output=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"chattr +{flag} not supported here: {result.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", f"-{flag}", str(path)], check=True)


# --- outputs that are inputs -----------------------------------------------------------------


def test_consolidate_refuses_an_output_that_is_an_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _filled(tmp_path / "a.xlsx")
    second = _filled(
        tmp_path / "b.xlsx",
        {"第一支部": RawBranchInputs(deductions={}), "第二支部": RawBranchInputs(deductions={})},
    )
    before = first.read_bytes()
    assert main(["consolidate", str(first), str(second), "-o", str(first)]) == 1
    assert "就是输入文件" in _err(capsys)
    assert first.read_bytes() == before

    assert (
        main(["consolidate", str(first), "-o", str(tmp_path / "s.xlsx"), "--json", str(first)]) == 1
    )
    assert "JSON 文件" in _err(capsys)
    assert first.read_bytes() == before
    assert not (tmp_path / "s.xlsx").exists()


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_links_to_an_input_count_as_the_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], link: str
) -> None:
    source = _filled(tmp_path / "a.xlsx")
    before = source.read_bytes()
    alias = tmp_path / "别名.xlsx"
    if link == "symlink":
        alias.symlink_to(source)
    else:
        os.link(source, alias)
    assert main(["consolidate", str(source), "-o", str(alias)]) == 1
    assert "就是输入文件" in _err(capsys)
    assert source.read_bytes() == before
    assert alias.is_symlink() == (link == "symlink")


def test_a_branch_workbook_in_an_input_folder_is_no_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "已收回"
    folder.mkdir()
    inside = _filled(folder / "第一支部.xlsx")
    before = inside.read_bytes()
    assert main(["consolidate", str(folder), "-o", str(inside)]) == 1
    assert "输入文件夹中的考评定级表" in _err(capsys)
    assert inside.read_bytes() == before
    # An earlier summary in the folder is replaced (it is no input).
    summary = folder / "汇总.xlsx"
    assert main(["consolidate", str(folder), "-o", str(summary)]) == 0
    assert main(["consolidate", str(folder), "-o", str(summary)]) == 0


def test_recalc_to_another_file_and_in_place(book: Path, tmp_path: Path) -> None:
    other = tmp_path / "另存.xlsx"
    before = book.read_bytes()
    assert main(["recalc", str(book), "-o", str(other)]) == 0
    assert book.read_bytes() == before
    assert main(["recalc", str(book), "-o", str(book)]) == 0
    assert openpyxl.load_workbook(book).sheetnames[-1] == "总览"


@pytest.mark.parametrize(
    ("command", "output"),
    [
        (["template", "--branch", "第一支部"], "模板.xls"),
        (["consolidate", "{book}"], "汇总.xls"),
        (["recalc", "{book}"], "另存.xls"),
        (["recalc", "{book}"], "另存.xlsm"),
    ],
)
def test_an_output_name_of_another_format_is_refused(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str], output: str
) -> None:
    args = [part.replace("{book}", str(book)) for part in command]
    target = tmp_path / output
    assert main([*args, "-o", str(target)]) == 1
    assert "扩展名应为" in _err(capsys)
    assert not target.exists()


# --- what replacing a file must not change ---------------------------------------------------


def test_in_place_recalc_keeps_the_mode(book: Path) -> None:
    book.chmod(0o600)
    assert main(["recalc", str(book)]) == 0
    assert stat.S_IMODE(book.stat().st_mode) == 0o600
    book.chmod(0o640)
    assert main(["recalc", str(book)]) == 0
    assert stat.S_IMODE(book.stat().st_mode) == 0o640


def test_a_new_output_gets_the_usual_permissions(book: Path, tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        assert main(["recalc", str(book), "-o", str(tmp_path / "new.xlsx")]) == 0
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.xlsx").stat().st_mode) == 0o644


def test_a_read_only_file_is_refused_not_replaced(
    book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book.chmod(0o444)
    before = book.read_bytes()
    inode = book.stat().st_ino
    assert main(["recalc", str(book)]) == 1
    assert "只读" in _err(capsys)
    assert book.read_bytes() == before
    assert book.stat().st_ino == inode


def test_a_symlink_stays_a_symlink_and_its_target_is_updated(book: Path, tmp_path: Path) -> None:
    link = tmp_path / "链接.xlsx"
    link.symlink_to(book.name)
    before = book.read_bytes()
    assert main(["recalc", str(link)]) == 0
    assert link.is_symlink()
    assert os.readlink(link) == book.name
    assert book.read_bytes() != before
    assert "总览" in openpyxl.load_workbook(book).sheetnames


@pytest.mark.parametrize("kind", ["device", "fifo", "folder"])
def test_a_path_that_is_not_a_regular_file_is_refused(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    if kind == "device":
        target = tmp_path / "设备.xlsx"  # a link to /dev/null: the link is followed, then refused
        target.symlink_to(os.devnull)
    elif kind == "fifo":
        target = tmp_path / "管道.xlsx"
        os.mkfifo(target)
    else:
        target = tmp_path / "文件夹.xlsx"
        target.mkdir()
    mode = target.stat().st_mode
    code = main(["recalc", str(book), "-o", str(target)])
    message = _err(capsys)
    assert code == 1
    assert ("这是一个文件夹" if kind == "folder" else "不是普通文件") in message
    assert target.stat().st_mode == mode  # /dev/null is still a device
    assert stat.S_ISCHR(Path(os.devnull).stat().st_mode)


def test_json_and_mail_outputs_refuse_a_device_too(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = tmp_path / "汇总.xlsx"
    assert main(["consolidate", str(book), "-o", str(summary), "--json", os.devnull]) == 1
    assert "不是普通文件" in _err(capsys)
    assert not summary.exists()  # refused before any work
    with pytest.raises(OutputError, match="不是普通文件"), atomic_output(os.devnull) as temp:
        temp.write_bytes(b"x")
    assert stat.S_ISCHR(Path(os.devnull).stat().st_mode)


def test_temporary_files_of_killed_runs_are_removed(book: Path, tmp_path: Path) -> None:
    # A process that has ended stands for a run that was killed.
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(ended.stdout)
    import socket

    host = "".join(c if c.isalnum() or c == "-" else "-" for c in socket.gethostname())[:40]
    stale = tmp_path / f".~{book.name}.{host}.{pid}.abcd1234{TEMP_SUFFIX}"
    stale.write_bytes(b"half a workbook")
    other = tmp_path / f".~其他.xlsx.{host}.{pid}.abcd1234{TEMP_SUFFIX}"
    other.write_bytes(b"not ours to judge")
    assert main(["recalc", str(book)]) == 0
    assert not stale.exists()
    assert other.exists()  # only temporaries of the file being written are touched
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(TEMP_SUFFIX)] == [other.name]


def test_a_killed_recalc_leaves_the_workbook_intact_and_the_next_run_cleans_up(
    tmp_path: Path,
) -> None:
    book = _filled(tmp_path / "大.xlsx")
    before = book.read_bytes()
    # Kill a run while it writes its temporary file (it stops itself at that point).
    script = (
        "import os, signal, sys\n"
        "from workbook import atomic\n"
        "real = atomic._copy_ownership\n"
        "def stop(temp, target):\n"
        "    real(temp, target)\n"
        "    temp.write_bytes(b'partial')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "atomic._copy_ownership = stop\n"
        "from workbook.cli.main import main\n"
        f"main(['recalc', {str(book)!r}])\n"
    )
    killed = subprocess.run([sys.executable, "-c", script], check=False)
    assert killed.returncode == -9
    assert book.read_bytes() == before
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(TEMP_SUFFIX)]
    assert len(leftovers) == 1
    assert leftovers[0].name.startswith(f".~{book.name}.")
    assert main(["recalc", str(book)]) == 0
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(TEMP_SUFFIX)]


# --- problems a user can fix: a Chinese message and exit 1 -----------------------------------


def test_an_output_folder_without_write_permission(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "只读文件夹"
    folder.mkdir()
    with _attribute(folder, "i"):
        assert main(["consolidate", str(book), "-o", str(folder / "汇总.xlsx")]) == 1
        message = _err(capsys)
        assert "无法在文件夹" in message
        assert str(folder) in message
        assert "内部错误" not in message
        assert main(["template", "--branch", "一", "-o", str(folder / "t.xlsx")]) == 1
        assert "无法在文件夹" in _err(capsys)
        assert list(folder.iterdir()) == []


def test_a_parent_path_through_a_file(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "说明.txt"
    plain.write_text("x", encoding="utf-8")
    assert main(["consolidate", str(book), "-o", str(plain / "汇总.xlsx")]) == 1
    message = _err(capsys)
    assert "不是文件夹" in message or "同名文件" in message
    assert plain.read_text(encoding="utf-8") == "x"
    assert main(["recalc", str(book), "-o", str(plain / "sub" / "x.xlsx")]) == 1
    assert "内部错误" not in _err(capsys)


def test_a_file_that_cannot_be_replaced_asks_about_excel(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An append-only folder lets a new file be created but no file be replaced: what Windows
    # does to a workbook open in Excel (PermissionError on replace).
    summary = tmp_path / "out" / "汇总.xlsx"
    assert main(["consolidate", str(book), "-o", str(summary)]) == 0
    before = summary.read_bytes()
    with _attribute(summary.parent, "a"):
        assert main(["consolidate", str(book), "-o", str(summary)]) == 1
        message = _err(capsys)
        assert "Excel 或 WPS" in message
        assert str(summary) in message
        assert summary.read_bytes() == before
    for leftover in summary.parent.glob(f"*{TEMP_SUFFIX}"):
        leftover.unlink()


# --- decompression -------------------------------------------------------------------------


def _bomb(path: Path, book: Path) -> Path:
    """``book`` with one extra part that expands past the per-part limit."""
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info, source.read(info))
        with out.open("xl/media/bomb.bin", "w", force_zip64=True) as member:
            chunk = bytes(1 << 20)
            for _ in range(MAX_PART_BYTES // len(chunk) + 1):
                member.write(chunk)
    return path


def test_a_decompression_bomb_is_refused_by_every_command(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = _bomb(tmp_path / "炸弹.xlsx", book)
    assert bomb.stat().st_size < 2 << 20
    before = bomb.read_bytes()
    assert main(["recalc", str(bomb)]) == 1
    message = _err(capsys)
    assert "xl/media/bomb.bin" in message
    assert "超过本工具的上限" in message
    assert bomb.read_bytes() == before
    assert main(["consolidate", str(bomb), "-o", str(tmp_path / "s.xlsx")]) == 1
    message = _err(capsys)
    assert "xl/media/bomb.bin" in message
    assert "超过本工具的上限" in message
    with pytest.raises(WorkbookReadError, match="超过本工具的上限"):
        Package(bomb)


def test_a_package_of_too_many_parts_is_refused_by_name_before_any_work(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """25,000 empty parts: recalc read them all, then failed to write with a message naming
    no file (工作簿过大（需要 ZIP64）); too many for the zip format without ZIP64 anyway."""
    many = tmp_path / "部件.xlsx"
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(many, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info, source.read(info))
        for number in range(MAX_PARTS + 1):
            out.writestr(f"customXml/item{number}.xml", b"")
    before = many.read_bytes()
    count = len(zipfile.ZipFile(many).infolist())
    said = f"部件.xlsx 有 {count} 个部件，超过本工具的上限 {MAX_PARTS} 个"
    assert main(["recalc", str(many), "-o", str(tmp_path / "r.xlsx")]) == 1
    assert said in _err(capsys)
    assert main(["consolidate", str(many), "-o", str(tmp_path / "s.xlsx")]) == 1
    assert said.replace(" 有", "：有") in _err(capsys)
    assert many.read_bytes() == before
    assert not (tmp_path / "r.xlsx").exists()


# --- the raw-copy zip writer ---------------------------------------------------------------


def test_raw_zip_writer_copies_members_of_any_kind(tmp_path: Path) -> None:
    source = tmp_path / "source.zip"
    with open(source, "wb") as raw:
        # A non-seekable stream makes zipfile write data descriptors.
        class Unseekable:
            def __init__(self) -> None:
                self.position = 0

            def write(self, data: bytes) -> int:
                self.position += raw.write(data)
                return len(data)

            def tell(self) -> int:
                return self.position

            def flush(self) -> None:
                raw.flush()

        with zipfile.ZipFile(Unseekable(), "w", zipfile.ZIP_DEFLATED) as out:  # type: ignore[call-overload]
            out.writestr("[Content_Types].xml", b"<Types/>" * 100)
            out.writestr("xl/中文名.xml", "中文内容".encode() * 50)
            out.writestr(zipfile.ZipInfo("stored.bin"), bytes(range(256)), zipfile.ZIP_STORED)
    target = tmp_path / "copy.zip"
    with (
        zipfile.ZipFile(source) as archive,
        open(source, "rb") as handle,
        open(target, "wb") as out,
    ):
        writer = RawZipWriter(out)
        for info in archive.infolist():
            writer.copy_member(handle, info)
        writer.add("new.xml", b"<new/>")
        writer.close()
        expected = {info.filename: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(target) as copied:
        assert copied.testzip() is None
        assert {i.filename: copied.read(i) for i in copied.infolist()} == {
            **expected,
            "new.xml": b"<new/>",
        }
        assert copied.getinfo("stored.bin").compress_type == zipfile.ZIP_STORED


def test_recalc_output_opens_everywhere(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    assert main(["recalc", str(book), "-o", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
    assert "总览" in openpyxl.load_workbook(out).sheetnames
    assert "总览" in CalamineWorkbook.from_path(str(out)).sheet_names


# --- sheets and notes the tool writes ------------------------------------------------------


def _sheet_cells(path: Path, sheet: str) -> dict[str, object]:
    book = openpyxl.load_workbook(path)
    return {c.coordinate: c.value for row in book[sheet].iter_rows() for c in row if c.value}


@pytest.mark.parametrize("kind", ["renamed branch sheet", "user's own sheet"])
def test_a_sheet_called_overview_that_is_not_ours_is_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    path = _filled(tmp_path / "考评.xlsx")
    book = openpyxl.load_workbook(path)
    if kind == "renamed branch sheet":
        # As Excel renames: the sheet's names follow it.
        book["第二支部"].title = "总览"
        for defined in book["总览"].defined_names.values():
            defined.attr_text = defined.attr_text.replace("'第二支部'!", "'总览'!").replace(
                "第二支部!", "总览!"
            )
    else:
        own = book.create_sheet("总览")
        own["A1"] = "我自己的统计"
        own["B2"] = 42
    book.save(path)
    before = _sheet_cells(path, "总览")
    assert main(["recalc", str(path)]) == 0
    assert "总览(2)" in _err(capsys)
    after = openpyxl.load_workbook(path)
    assert after.sheetnames.count("总览") == 1
    assert "总览(2)" in after.sheetnames
    # The user's sheet keeps every value it had (a branch sheet's computed cells aside).
    kept = _sheet_cells(path, "总览")
    if kind == "user's own sheet":
        assert kept == before
    else:
        assert {k: v for k, v in kept.items() if not str(v).startswith("=")} == {
            k: v for k, v in before.items() if not str(v).startswith("=")
        }
    assert after["总览(2)"]["A1"].value == "序号"
    # A second run refreshes the tool's sheet (found by its marker), adds no third one.
    assert main(["recalc", str(path)]) == 0
    again = openpyxl.load_workbook(path)
    assert again.sheetnames == after.sheetnames
    assert _sheet_cells(path, "总览") == kept


def test_the_tools_overview_is_found_by_its_marker_after_a_rename(book: Path) -> None:
    assert main(["recalc", str(book)]) == 0
    renamed = openpyxl.load_workbook(book)
    renamed["总览"].title = "上次总览"
    renamed.save(book)
    assert main(["recalc", str(book)]) == 0
    sheets = openpyxl.load_workbook(book).sheetnames
    assert "上次总览" in sheets
    assert "总览" not in sheets


def test_overview_is_formatted_for_print(book: Path, tmp_path: Path) -> None:
    assert main(["recalc", str(book)]) == 0
    sheet = openpyxl.load_workbook(book)["总览"]
    assert sheet.freeze_panes == "A2"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize == 9
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet["A1"].font.b
    assert sheet["A1"].fill.fgColor.rgb == "FFF2F2F2"
    last = sheet.cell(2, sheet.max_column)
    assert last.alignment.wrapText
    assert sum(d.width for d in sheet.column_dimensions.values()) < 160


@pytest.mark.libreoffice
def test_after_a_libreoffice_save_fixing_an_input_removes_the_note_and_keeps_its_fill(
    tmp_path: Path,
) -> None:
    from support.libreoffice import convert, soffice_path

    if soffice_path() is None:
        pytest.skip("LibreOffice is not installed")
    path = _filled(tmp_path / "考评.xlsx", {**INPUTS, "第二支部": RawBranchInputs({"1.2": 5})})
    input_fill = openpyxl.load_workbook(path)["第二支部"]["E6"].fill.fgColor.rgb
    assert main(["recalc", str(path)]) == 1
    saved = convert(path, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo", recalculate=False)
    marked = openpyxl.load_workbook(saved)["第二支部"]["E6"]
    assert marked.comment is not None
    assert marked.comment.author != "考评定级"
    book = openpyxl.load_workbook(saved)
    book["第二支部"]["E6"] = 2  # the user fixes the input
    book.save(saved)
    assert main(["recalc", str(saved)]) == 0
    fixed = openpyxl.load_workbook(saved)["第二支部"]["E6"]
    assert fixed.comment is None
    assert fixed.fill.fgColor.rgb == input_fill


# --- characters XML cannot hold, and cell length -------------------------------------------

HOSTILE_TEXT = st.text(max_size=40)  # any code point but surrogates: controls, U+FFFE, …


def _open_everywhere(path: Path) -> None:
    """The file opens in openpyxl and python-calamine, every sheet read."""
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        list(sheet.iter_rows(values_only=True))
    calamine = CalamineWorkbook.from_path(str(path))
    for name in calamine.sheet_names:
        calamine.get_sheet_by_name(name).to_python()
    calamine.close()


def _hostile_chain(folder: Path, branch: str, note: str, value: str, file_name: str) -> None:
    """template -> recalc -> consolidate with hostile text in every text field."""
    folder.mkdir()
    path = folder / f"{file_name}.xlsx"
    inputs = {
        branch.strip(): RawBranchInputs({"1.2": 2, "2.1": value}, notes={"1.2": note}),
        "第二支部": RawBranchInputs({"1.2": 1}, notes={"1.2": note + note}),
    }
    write_template(path, TemplateOptions([branch, "第二支部"], year=2026, inputs=inputs))
    _open_everywhere(path)
    assert main(["recalc", str(path)]) in (0, 1)
    _open_everywhere(path)
    summary, json_path = folder / "汇总.xlsx", folder / "汇总.json"
    code = main(
        ["consolidate", str(folder), "-o", str(summary), "--json", str(json_path), "--draft"]
    )
    assert code in (0, 1)
    _open_everywhere(summary)
    json.loads(json_path.read_text(encoding="utf-8"))


# A few examples a run, without shrinking (each example runs three commands).
@settings(
    max_examples=8,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@example(branch="0" * 24 + "\U00010000" * 4, note="\x00", value="\ufffe", file_name="名\x0b")
@given(
    branch=HOSTILE_TEXT.filter(lambda t: t.strip() and t.strip() != "第二支部"),
    note=HOSTILE_TEXT,
    value=HOSTILE_TEXT,
    file_name=st.text(
        st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
        min_size=1,
        max_size=20,
    ).filter(lambda t: t not in (".", "..") and not t.startswith("~$")),
)
def test_any_unicode_in_any_text_field_gives_files_that_open(
    tmp_path_factory: pytest.TempPathFactory, branch: str, note: str, value: str, file_name: str
) -> None:
    _hostile_chain(tmp_path_factory.mktemp("hostile") / "c", branch, note, value, file_name)


def _decoded(text: str) -> str:
    return re.sub("_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), text)


PASTED = "第一\x0b支部\x01_x000B_\ufffe&B"


def test_pasted_control_characters_stay_visible_and_files_stay_valid(tmp_path: Path) -> None:
    _hostile_chain(tmp_path / "c", PASTED, "说明\x0b第二行\x1f", "三\x0b分", "文件\x0b名")
    summary = openpyxl.load_workbook(tmp_path / "c" / "汇总.xlsx")
    names_in_summary = [row[1] for row in summary["汇总"].iter_rows(values_only=True)]
    # Kept visibly: the control characters as themselves or as their OOXML escapes.
    visible = [_decoded(str(n)) for n in names_in_summary]
    assert _decoded(PASTED.replace("\ufffe", "\ufffd")) in visible
    overview = openpyxl.load_workbook(next((tmp_path / "c").glob("文件*.xlsx")))["总览"]
    assert _decoded(overview["B2"].value) == PASTED.replace("\ufffe", "\ufffd")


def test_a_file_name_that_is_not_utf8_is_shown_not_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "收回"
    folder.mkdir()
    raw = os.fsencode(folder) + b"/" + "第一支部".encode("gbk") + b".xlsx"
    _filled(Path(os.fsdecode(raw)))
    summary, json_path = tmp_path / "汇总.xlsx", tmp_path / "汇总.json"
    assert main(["consolidate", str(folder), "-o", str(summary), "--json", str(json_path)]) == 0
    _open_everywhere(summary)
    assert "\ufffd" in json_path.read_text(encoding="utf-8")


@pytest.mark.libreoffice
def test_libreoffice_opens_outputs_with_hostile_text(tmp_path: Path) -> None:
    from support.libreoffice import convert, soffice_path

    if soffice_path() is None:
        pytest.skip("LibreOffice is not installed")
    _hostile_chain(tmp_path / "c", PASTED, "\x00\x1f_x0041_", "\uffff", "名\x0b")
    for path in [*(tmp_path / "c").glob("*.xlsx")]:
        converted = convert(path, "csv", tmp_path / "lo" / path.stem, recalculate=False)
        assert converted.stat().st_size > 0


def test_text_longer_than_a_cell_is_cut_and_marked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "收回"
    folder.mkdir()
    path = _filled(folder / "考评.xlsx")
    # A cell as long as Excel allows, quoted in a message that is longer still (the cell's
    # note), and a 扣分说明 as long, quoted in 总览's 扣分情况.
    long_value = "三" * 32700
    long_note = "说" * 32767  # as long as a cell holds; 扣分情况 adds the rule before it
    fill_by_names(path, {"第一支部": {"ded_2_1": long_value}, "第二支部": {"note_7_1": long_note}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no English library warning either
        assert main(["recalc", str(path)]) == 1
        assert "总览中有 1 个单元格的文字超过" in _err(capsys)
        book = openpyxl.load_workbook(path)
        overview = book["总览"]
        cut = next(c.value for c in overview[3] if isinstance(c.value, str) and "7.1" in c.value)
        assert len(cut) == 32767
        assert cut.endswith("…（已截断）")
        notes = [c.comment for row in book["第一支部"].iter_rows() for c in row if c.comment]
        assert notes
        assert all(len(n.text) <= 32767 for n in notes)
        summary, json_path = tmp_path / "汇总.xlsx", tmp_path / "汇总.json"
        args = ["consolidate", str(folder), "-o", str(summary), "--json", str(json_path)]
        assert main([*args, "--draft"]) == 1
    _open_everywhere(summary)
    assert long_value in json_path.read_text(encoding="utf-8")  # the JSON keeps it whole


def test_summary_and_template_sheets_cut_long_text_and_count_it(tmp_path: Path) -> None:
    import xlsxwriter

    from workbook.xlsx.safe_text import SafeTextWorksheet

    path = tmp_path / "t.xlsx"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # XlsxWriter would warn in English and cut silently
        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet("表", worksheet_class=SafeTextWorksheet)
        sheet.write_string(0, 0, "长" * 40000)
        sheet.merge_range(1, 0, 1, 2, "\U0001f600" * 20000)  # 40,000 UTF-16 units
        sheet.write_string(2, 0, "短\ufffe")
        book.close()
    assert sheet.truncated == 2
    cells = openpyxl.load_workbook(path)["表"]
    assert len(cells["A1"].value) == 32767
    assert cells["A1"].value.endswith("…（已截断）")
    assert cells["A2"].value.endswith("…（已截断）")
    assert cells["A3"].value == "短\ufffd"


# --- overwritten formulas --------------------------------------------------------------------

_F = re.compile(r"<f>([^<]*)</f>")


def _cell_xml(path: Path, sheet: str, ref: str) -> str:
    package = Package(path)
    try:
        from workbook.xlsx.parts import workbook_sheets

        part = {s.name: s.part for s in workbook_sheets(package)}[sheet]
        match = re.search(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', package.text(part), re.S)
        assert match is not None, ref
        return match.group(0)
    finally:
        package.close()


@pytest.mark.parametrize("mode", ["native", "xlwings"])
def test_an_overwritten_formula_is_restored_with_its_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    path = tmp_path / "考评.xlsx"
    write_template(path, TemplateOptions(BRANCHES, year=2026, formulas=mode, inputs=INPUTS))  # type: ignore[arg-type]
    info = read_package_info(path)
    cells = info.local_names["第一支部"]
    targets = {n: cells[n].a1 for n in ("item_1_score", "total_score", "grade", "check_1_2")}  # type: ignore[union-attr]
    original = {n: _F.search(_cell_xml(path, "第一支部", a1)).group(1) for n, a1 in targets.items()}  # type: ignore[union-attr]
    # A user types over the computed cells (and openpyxl drops every cached value).
    fill_by_names(
        path,
        {"第一支部": {"item_1_score": 15, "total_score": 100, "grade": "好", "check_1_2": "x"}},
    )
    assert "<f>" not in _cell_xml(path, "第一支部", targets["grade"])
    assert main(["recalc", str(path)]) == 0
    message = _err(capsys)
    assert "已恢复公式" in message
    for name, a1 in targets.items():
        assert f"第一支部!{a1}" in message
        xml = _cell_xml(path, "第一支部", a1)
        assert _F.search(xml).group(1) == original[name], name  # type: ignore[union-attr]
    values = read_branch_workbook(path).sheets[0].values
    assert values["total_score"] == 98
    assert values["grade"] == "好"
    assert values["item_1_score"] == 13
    # A second run finds nothing to restore.
    assert main(["recalc", str(path)]) == 0
    assert "已恢复公式" not in _err(capsys)


# --- DTDs in the parts recalc reads --------------------------------------------------------


@pytest.mark.parametrize("part", ["docProps/custom.xml", "xl/_rels/workbook.xml.rels"])
def test_a_dtd_in_a_part_recalc_reads_is_refused(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], part: str
) -> None:
    hostile = tmp_path / "dtd.xlsx"
    with (
        zipfile.ZipFile(book) as source,
        zipfile.ZipFile(hostile, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == part:
                data = data.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY e "kp_standard">]>', 1)
            out.writestr(info, data)
    before = hostile.read_bytes()
    assert main(["recalc", str(hostile)]) == 1
    message = _err(capsys)
    assert part in message
    assert "DTD" in message
    assert "内部错误" not in message
    assert hostile.read_bytes() == before


def test_recalc_with_changed_parts_stored_away_gives_the_same_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a cache of one part, every changed part goes through the compressed store."""
    inputs = {**INPUTS, "第二支部": RawBranchInputs({"1.2": 5, "2.1": "三分"})}
    path = _filled(tmp_path / "考评.xlsx", inputs)
    normal, stored = tmp_path / "normal.xlsx", tmp_path / "stored.xlsx"
    assert main(["recalc", str(path), "-o", str(normal)]) == 1
    monkeypatch.setattr(Package, "CACHE_BYTES", 1)
    assert main(["recalc", str(path), "-o", str(stored)]) == 1
    with zipfile.ZipFile(normal) as a, zipfile.ZipFile(stored) as b:
        assert b.testzip() is None
        assert [i.filename for i in a.infolist()] == [i.filename for i in b.infolist()]
        for info in a.infolist():
            assert a.read(info) == b.read(info.filename), info.filename


def test_demo_into_a_path_that_is_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "示例"
    plain.write_text("x", encoding="utf-8")
    assert main(["demo", "-o", str(plain)]) == 1
    message = _err(capsys)
    assert "同名文件" in message
    assert "内部错误" not in message
    assert plain.read_text(encoding="utf-8") == "x"


# --- hostile review: files, outputs and messages (fixc) -------------------------------------


def _as_nobody(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``branch-assess`` as user nobody (permission bits mean nothing to root)."""
    setpriv = subprocess.run(["which", "setpriv"], capture_output=True, text=True).stdout.strip()
    if os.geteuid() != 0 or not setpriv:
        pytest.skip("needs root and setpriv to run a command as an unprivileged user")
    os.chmod(cwd, 0o777)
    command = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    command += [
        sys.executable,
        "-c",
        "import sys; from workbook.cli.main import main; sys.exit(main())",
    ]
    env = {**os.environ, "HOME": str(cwd), "PYTHONPATH": str(Path(__file__).parent.parent)}
    return subprocess.run(command + args, cwd=cwd, capture_output=True, text=True, env=env)


def test_a_long_legal_output_name_is_written(tmp_path: Path) -> None:
    name = "汇" * 80 + ".xlsx"  # 245 bytes: legal, but the temporary name used to pass 255
    assert main(["template", "-o", str(tmp_path / name), "--branch", "第一支部"]) == 0
    assert (tmp_path / name).is_file()
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_a_name_too_long_is_refused_in_chinese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "汇" * 90 + ".xlsx"
    assert main(["template", "-o", str(tmp_path / name), "--branch", "第一支部"]) == 1
    message = _err(capsys)
    assert "文件名太长" in message
    assert "File name too long" not in message


@pytest.mark.parametrize("command", ["consolidate", "recalc"])
def test_an_unreadable_input_is_a_problem_not_a_usage_error(
    tmp_path: Path, book: Path, command: str
) -> None:
    book.chmod(0o644)
    locked = tmp_path / "A.xlsx"
    locked.write_bytes(book.read_bytes())
    locked.chmod(0)
    result = _as_nobody([command, "A.xlsx", "-o", "s.xlsx"], tmp_path)
    assert result.returncode == 1, result.stderr
    assert "A.xlsx" in result.stderr
    assert "没有访问权限" in result.stderr
    assert "不可读" not in result.stderr
    assert "Traceback" not in result.stderr


def test_recalc_of_a_folder_is_a_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["recalc", str(tmp_path)]) == 1
    assert "文件夹" in _err(capsys)


def test_an_unreadable_subfolder_is_named_and_the_rest_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _filled(folder / "A.xlsx", None)
    write_template(
        folder / "B.xlsx",
        TemplateOptions(branches=["第三支部"], year=2026, formulas="native", inputs={}),
    )
    for path in folder.iterdir():
        path.chmod(0o644)
    (folder / "locked").mkdir(mode=0)
    result = _as_nobody(["consolidate", "in", "-o", "s.xlsx"], tmp_path)
    assert result.returncode == 1, result.stderr
    assert "in/locked：无法读取文件夹：没有访问权限" in result.stderr
    assert "没有找到任何" not in result.stderr
    # A and B were read: their branches would be named in any problem, and the draft has them.
    result = _as_nobody(["consolidate", "in", "-o", "s.xlsx", "--draft"], tmp_path)
    assert "3 个支部" in result.stdout, result.stdout + result.stderr


def test_a_dangling_link_in_an_input_folder_is_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _filled(folder / "A.xlsx")
    (folder / "x.xlsx").symlink_to(tmp_path / "nowhere.xlsx")
    assert main(["consolidate", str(folder), "-o", str(tmp_path / "s.xlsx")]) == 1
    message = _err(capsys)
    assert "x.xlsx" in message
    assert "符号链接" in message


def test_json_output_must_be_named_json(
    tmp_path: Path, book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "x.xlsx"
    assert (
        main(["consolidate", str(book), "-o", str(tmp_path / "s.xlsx"), "--json", str(wrong)]) == 1
    )
    assert ".json" in _err(capsys)
    assert not wrong.exists()
    upper = tmp_path / "X.JSON"
    assert (
        main(["consolidate", str(book), "-o", str(tmp_path / "s.xlsx"), "--json", str(upper)]) == 0
    )
    assert upper.is_file()


def test_a_filled_workbook_is_not_replaced_without_overwrite(
    tmp_path: Path, book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = _filled(tmp_path / "其他.xlsx")
    filled = tmp_path / "2026年度考评定级表.xlsx"
    filled.write_bytes(book.read_bytes())
    before = filled.read_bytes()
    for args in (
        ["consolidate", str(other), "-o", str(filled)],
        ["template", "-o", str(filled), "--branch", "第一支部"],
        ["recalc", str(other), "-o", str(filled)],
    ):
        assert main(args) == 1, args
        message = _err(capsys)
        assert "考评定级表" in message, message
        assert "--overwrite" in message, message
        assert filled.read_bytes() == before
    encrypted = tmp_path / "加密.xlsx"
    encrypted.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)  # an OLE container
    assert main(["consolidate", str(other), "-o", str(encrypted)]) == 1
    assert "无法读取其内容" in _err(capsys)
    # An earlier summary is replaced as before; with --overwrite anything is.
    summary = tmp_path / "汇总.xlsx"
    assert main(["consolidate", str(other), "-o", str(summary)]) == 0
    assert main(["consolidate", str(other), "-o", str(summary)]) == 0
    assert main(["consolidate", str(other), "-o", str(filled), "--overwrite"]) == 0
    assert filled.read_bytes() != before
    assert main(["recalc", str(other), "-o", str(tmp_path / "新.xlsx")]) == 0


# --- cells in unusual but legal XML --------------------------------------------------------


def _rewrite_part(path: Path, part: str, change: Callable[[str], str]) -> None:
    """Rewrite one part of a package in place (every other part copied as it is)."""
    with zipfile.ZipFile(path) as source:
        items = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in items:
            if info.filename == part:
                changed = change(data.decode("utf-8"))
                assert changed != data.decode("utf-8")
                data = changed.encode("utf-8")
            out.writestr(info, data)


def _sheet_part(path: Path, sheet: str) -> str:
    with Package(path) as package:
        return {s.name: s.part for s in workbook_sheets(package)}[sheet]


def _unusual_cell(kind: str, element: str, ref: str) -> str:
    """``element`` (a cell whose r attribute comes first) written in an unusual form."""
    start = element[: element.index(">") + 1]
    if kind == "single quotes":
        return start.replace('"', "'") + element[len(start) :]
    if kind == "lower case":
        return element.replace(f'r="{ref}"', f'r="{ref.lower()}"', 1)
    assert kind == "no r"
    return element.replace(f'r="{ref}" ', "", 1).replace(f' r="{ref}"', "", 1)


def _wrong_cached_value(element: str) -> str:
    """A computed cell's element with 0 as its cached value instead of 98."""
    assert re.search(r"<v>98(\.0)?</v>", element), element
    return re.sub(r"<v>98(\.0)?</v>", "<v>0</v>", element)


@pytest.mark.parametrize("kind", ["single quotes", "lower case", "no r"])
def test_recalc_reads_an_input_cell_in_unusual_xml_as_consolidate_does(
    book: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    local = read_package_info(book).local_names["第一支部"]
    ref = local["ded_1_2"].a1  # type: ignore[union-attr]
    element = _cell_xml(book, "第一支部", ref)
    # A wrong cached total, so that recalc rewrites the sheet (a sheet whose computed cells
    # hold their values already is copied as it is).
    total = _cell_xml(book, "第一支部", local["total_score"].a1)  # type: ignore[union-attr]
    _rewrite_part(
        book,
        _sheet_part(book, "第一支部"),
        lambda xml: xml.replace(element, _unusual_cell(kind, element, ref), 1).replace(
            total, _wrong_cached_value(total), 1
        ),
    )
    assert main(["recalc", str(book)]) == 0
    assert "已恢复公式" not in _err(capsys)
    with Package(book) as package:
        xml = package.text(_sheet_part(book, "第一支部"))
    assert len(re.findall(rf"""<c\b[^>]*\br=["']{ref}["']""", xml, re.I)) == 1
    # consolidate's reader reads the input as 2; recalc's total agrees with it.
    values = read_branch_workbook(book).sheets[0].values
    assert values["ded_1_2"] == 2
    assert values["total_score"] == 98


def test_a_computed_cell_without_r_is_edited_in_place_not_doubled(
    book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = read_package_info(book).local_names["第一支部"]["total_score"].a1  # type: ignore[union-attr]
    element = _cell_xml(book, "第一支部", ref)
    # Its cached value wrong too: recalc must rewrite the cell, and rewrite it in place.
    _rewrite_part(
        book,
        _sheet_part(book, "第一支部"),
        lambda xml: xml.replace(
            element, _unusual_cell("no r", _wrong_cached_value(element), ref), 1
        ),
    )
    assert main(["recalc", str(book)]) == 0
    assert "已恢复公式" not in _err(capsys)
    with Package(book) as package:
        xml = package.text(_sheet_part(book, "第一支部"))
    assert len(re.findall(rf'<c r="{ref}"', xml)) == 1
    assert read_branch_workbook(book).sheets[0].values["total_score"] == 98


def test_a_cell_written_twice_is_refused_naming_it(
    book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = read_package_info(book).local_names["第一支部"]["ded_1_2"].a1  # type: ignore[union-attr]
    element = _cell_xml(book, "第一支部", ref)
    doubled = element.replace(">2<", ">0<").replace(">2.0<", ">0<")
    _rewrite_part(
        book, _sheet_part(book, "第一支部"), lambda xml: xml.replace(element, element + doubled, 1)
    )
    before = book.read_bytes()
    assert main(["recalc", str(book)]) == 1
    message = _err(capsys)
    assert f"第一支部!{ref}" in message
    assert "两次" in message
    assert "内部错误" not in message
    assert book.read_bytes() == before


def test_a_computed_cell_overwritten_with_another_formula_is_restored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "考评.xlsx"
    write_template(path, TemplateOptions(BRANCHES, year=2026, formulas="native", inputs=INPUTS))
    cells = read_package_info(path).local_names["第一支部"]
    targets = {n: cells[n].a1 for n in ("total_score", "grade")}  # type: ignore[union-attr]
    original = {n: _F.search(_cell_xml(path, "第一支部", a1)).group(1) for n, a1 in targets.items()}  # type: ignore[union-attr]
    # A veto, and formulas typed over the total and the grade: after a recalculation by a
    # spreadsheet program the vetoed branch would show 好 and 100.
    fill_by_names(path, {"第一支部": {"veto_1": "是", "grade": '="好"', "total_score": "=100"}})
    assert main(["recalc", str(path)]) == 0
    message = _err(capsys)
    assert "已恢复公式" in message
    for name, a1 in targets.items():
        assert f"第一支部!{a1}" in message
        assert _F.search(_cell_xml(path, "第一支部", a1)).group(1) == original[name], name  # type: ignore[union-attr]
    values = read_branch_workbook(path).sheets[0].values
    assert values["grade"] == "较差"
    # A second run finds nothing to restore.
    assert main(["recalc", str(path)]) == 0
    assert "已恢复公式" not in _err(capsys)
