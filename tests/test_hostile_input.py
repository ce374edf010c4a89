"""Hostile and careless input: every class of issue 7's reading side, through the real CLI.

Each fixture is built here: a template from ``write_template``, then changed the way a program
or a person changes it (openpyxl, a part edited by hand, LibreOffice driven headless). Each
test asserts the exit code, the message (file, sheet!cell, rule, what to do) and that the
inputs on disk are unchanged where nothing may be written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from workbook.cli.main import main
from workbook.core import names
from workbook.core.cells import CellError, CellRef, UncachedFormula, normalise
from workbook.core.scoring import RawBranchInputs
from workbook.core.standard import load_standard
from workbook.inputs.reader import read_branch_workbook
from workbook.outputs.template import TemplateOptions, write_template
from workbook.xlsx.workbook_info import read_package_info
from xlplugin import udfs

from support.libreoffice import requires_libreoffice
from support.libreoffice_uno import edit_in_libreoffice, uno_available
from support.workbook_helpers import fill_by_names, insert_rows_above

STANDARD = load_standard()
YEAR = 2026
BRANCHES = ("第一支部", "第二支部")


# --- building fixtures -----------------------------------------------------------------------


def build(
    path: Path,
    inputs: dict[str, RawBranchInputs] | None = None,
    branches: tuple[str, ...] = BRANCHES,
    year: int = YEAR,
) -> Path:
    """A template for ``branches`` with ``inputs`` typed in (cached values correct)."""
    return write_template(
        path,
        TemplateOptions(branches=list(branches), year=year, formulas="native", inputs=inputs or {}),
    )


def rewrite_part(path: Path, part: str, change: Callable[[str], str]) -> None:
    """Rewrite one part of a package in place; every other part is copied as it is."""
    with zipfile.ZipFile(path) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in members:
            if info.filename == part:
                data = change(data.decode("utf-8")).encode("utf-8")
            target.writestr(info, data)


def sheet_part(path: Path, sheet: str) -> str:
    return read_package_info(path).sheet_parts[sheet]


def named_address(path: Path, sheet: str, name: str) -> str:
    ref = read_package_info(path).local_names[sheet][name]
    assert ref is not None
    return ref.a1


def set_cell(path: Path, sheet: str, name: str, attributes: str, inner: str | None) -> str:
    """Replace a named cell's XML element (keeping its style); returns the cell's address."""
    address = named_address(path, sheet, name)

    def change(xml: str) -> str:
        pattern = re.compile(rf'<c r="{address}"( s="\d+")?[^>]*?(?:/>|>.*?</c>)', re.S)
        match = pattern.search(xml)
        assert match, address
        style = match.group(1) or ""
        element = (
            f'<c r="{address}"{style}{attributes}/>'
            if inner is None
            else f'<c r="{address}"{style}{attributes}>{inner}</c>'
        )
        return xml[: match.start()] + element + xml[match.end() :]

    rewrite_part(path, sheet_part(path, sheet), change)
    return address


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """The real command line: exit code, stdout, stderr."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    assert "内部错误" not in err, err
    return code, out, err


def consolidate_and_recalc(
    capsys: pytest.CaptureFixture[str], path: Path, tmp_path: Path
) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """Run both commands on copies of ``path``; the original must stay byte for byte."""
    before = digest(path)
    summary = tmp_path / "汇总.xlsx"
    consolidated = run(capsys, "consolidate", path, "-o", summary)
    assert digest(path) == before
    copy = tmp_path / f"recalc-{path.name}"
    shutil.copy(path, copy)
    recalculated = run(capsys, "recalc", copy)
    return consolidated, recalculated


# --- formulas in input cells -----------------------------------------------------------------


def test_formula_without_a_result_is_an_error_in_both_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """openpyxl keeps no results: =1+1 must not count as 0, ="是" must not count as 否."""
    source = build(tmp_path / "t.xlsx")
    path = fill_by_names(
        source,
        {"第一支部": {"ded_1_2": "=1+1", "veto_1": '="是"'}},
        tmp_path / "公式.xlsx",
    )
    (code, _, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, path, tmp_path)
    assert code == 1
    assert rcode == 1
    for text in (err, rerr):
        assert "第一支部!E6" in text
        assert "“=1+1”" in text
        assert "第一支部!E28" in text
        assert '“="是"”' in text
        assert "没有保存它的计算结果" in text
        assert "在 Excel 或 WPS 中打开并保存该文件" in text
    assert not (tmp_path / "汇总.xlsx").exists()


def test_formula_with_a_result_counts_its_result_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = build(tmp_path / "有结果.xlsx")
    set_cell(path, "第一支部", "ded_1_2", "", "<f>1+1</f><v>2</v>")
    set_cell(path, "第一支部", "veto_2", ' t="str"', '<f>"否"</f><v>否</v>')
    json_path = tmp_path / "r.json"
    code, _, err = run(
        capsys, "consolidate", path, "-o", tmp_path / "汇总.xlsx", "--json", json_path
    )
    assert code == 0, err
    assert "提示：" in err
    assert "第一支部!E6" in err
    assert "“=1+1”" in err
    assert "“2”" in err
    assert "第一支部!E29" in err
    report = json.loads(json_path.read_text(encoding="utf-8"))
    first = next(b for b in report["branches"] if b["branch"] == "第一支部")
    assert first["total"] == 98
    assert first["grade"] == "好"
    assert {w["cell"] for w in report["warnings"]} >= {"E6", "E29"}
    code, _out, err = run(capsys, "recalc", path)
    assert code == 0
    assert "第一支部!E6" in err
    assert "“=1+1”" in err


# --- error values ----------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_error_values_are_read_as_errors_by_every_engine(tmp_path: Path, engine: str) -> None:
    path = build(tmp_path / "错误值.xlsx")
    set_cell(path, "第一支部", "ded_1_2", ' t="e"', "<v>#DIV/0!</v>")
    set_cell(path, "第一支部", "veto_1", ' t="e"', "<f>NA()</f><v>#N/A</v>")
    set_cell(path, "第二支部", "ded_2_1", "", "<f>1+</f>")  # no result at all
    book = read_branch_workbook(path, engine=engine)  # type: ignore[arg-type]
    first, second = book.sheets
    assert first.values["ded_1_2"] == CellError("#DIV/0!")
    assert first.values["veto_1"] == CellError("#N/A")
    assert second.values["ded_2_1"] == UncachedFormula("1+")


def test_error_values_are_input_errors_in_both_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = build(tmp_path / "错误值.xlsx")
    set_cell(path, "第一支部", "ded_1_2", ' t="e"', "<v>#DIV/0!</v>")
    set_cell(path, "第二支部", "veto_3", ' t="e"', "<f>NA()</f><v>#N/A</v>")
    (code, _, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, path, tmp_path)
    assert code == 1
    assert rcode == 1
    for text in (err, rerr):
        assert "第一支部!E6" in text
        assert "错误值 #DIV/0!" in text
        assert "允许的值：0 或 1～3" in text
        assert "第二支部!E30" in text
        assert "错误值 #N/A" in text
        assert "“是”或“否”" in text


def test_udfs_take_error_values_as_invalid_not_blank() -> None:
    """With err_to_str, xlwings hands an error cell to a UDF as its text (xlwings' source:
    ``_xlwindows._clean_value_data_element``); without it, as None, which would read as 0."""
    item = STANDARD.items[0]
    assert udfs.item_score([None, "#N/A", None, None], 1, STANDARD.id) == "输入有误"
    assert udfs.item_score([None, None, None, None], 1, STANDARD.id) == float(item.points)
    assert udfs.check("#DIV/0!", "1.2", STANDARD.id).startswith("输入有误")
    assert udfs.veto_check("#N/A") == "输入有误：应为是或否"
    assert udfs.grade(95.0, ["#N/A", None, None], STANDARD.id) == "待修正"
    assert udfs.total([15.0, 10.0, "#VALUE!", 10.0, 10.0, 20.0, 25.0], STANDARD.id) == "待修正"


# --- one reading of a cell -------------------------------------------------------------------


def test_both_commands_give_the_same_message_for_the_same_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = build(tmp_path / "t.xlsx")
    path = fill_by_names(
        source,
        {"第一支部": {"ded_1_2": dt.datetime(2026, 1, 5), "ded_2_1": dt.time(8, 30)}},
        tmp_path / "日期.xlsx",
    )
    (code, _, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, path, tmp_path)
    assert code == rcode == 1

    def message(text: str, cell: str) -> str:
        line = next(line for line in text.splitlines() if f"第一支部!{cell}：" in line)
        return line.split(f"第一支部!{cell}：", 1)[1]

    for cell, shown in (("E6", "“2026-01-05”"), ("E9", "“08:30”")):
        assert message(err, cell) == message(rerr, cell)
        assert shown in message(err, cell)


def test_one_normaliser_for_every_library() -> None:
    assert normalise(dt.date(2026, 1, 5)) == dt.datetime(2026, 1, 5)
    assert normalise("") is None
    assert normalise(None) is None
    assert normalise("#N/A") == "#N/A"  # typed text stays text
    assert normalise("#N/A", error_strings=True) == CellError("#N/A")


# --- files the tool cannot read --------------------------------------------------------------


def test_other_files_in_an_input_folder_are_listed_with_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = tmp_path / "收件"
    inbox.mkdir()
    build(inbox / "第一.xlsx", branches=("第一支部",))
    (inbox / "第二支部.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    (inbox / "第三支部.et").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    (inbox / "第四支部.ods").write_bytes(b"PK\x03\x04" + bytes(60))
    (inbox / "第五支部.csv").write_text("扣分,1\n", encoding="utf-8")
    (inbox / "第六支部.xlsx.bak").write_bytes(b"PK\x03\x04" + bytes(60))
    (inbox / ".隐藏.xlsx").write_bytes(b"not read")
    (inbox / "~$第一.xlsx").write_bytes(b"lock")
    (inbox / "说明.txt").write_text("收件说明", encoding="utf-8")
    json_path = tmp_path / "r.json"
    code, _, err = run(
        capsys, "consolidate", inbox, "-o", tmp_path / "汇总.xlsx", "--json", json_path
    )
    assert code == 1
    assert not (tmp_path / "汇总.xlsx").exists()
    for name in (
        "第二支部.xls",
        "第三支部.et",
        "第四支部.ods",
        "第五支部.csv",
        "第六支部.xlsx.bak",
    ):
        line = next(line for line in err.splitlines() if name in line)
        assert "另存为 .xlsx" in line, line
        assert "提示" not in line, line
    assert "第三支部.et：是 WPS 表格格式（.et），本工具只读取 .xlsx 和 .xlsm" in err, err
    assert "第五支部.csv：是 CSV 文本（.csv）" in err, err
    assert ".隐藏.xlsx" not in err
    lock = next(line for line in err.splitlines() if "~$第一.xlsx" in line)
    assert lock.startswith("提示：")
    assert "保存并关闭" in lock
    report = json.loads(json_path.read_text(encoding="utf-8"))
    assert report["final"] is False
    assert len(report["branches"]) == 1
    # --draft still writes a summary, marked as a draft.
    code, out, _ = run(capsys, "consolidate", inbox, "-o", tmp_path / "草稿.xlsx", "--draft")
    assert code == 1
    assert "草稿" in out


def test_an_encrypted_workbook_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Encrypted as Excel encrypts (ECMA-376 agile encryption, by msoffcrypto-tool)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    source = build(tmp_path / "t.xlsx")
    path = tmp_path / "加密.xlsx"
    with source.open("rb") as plain, path.open("wb") as encrypted:
        OOXMLFile(plain).encrypt("secret", encrypted)
    (code, _, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, path, tmp_path)
    assert code == rcode == 1
    for text in (err, rerr):
        assert "设有打开密码（已加密）" in text
        assert "损坏" not in text


# --- DTDs and entities ----------------------------------------------------------------------

DTD = '<!DOCTYPE x [<!ENTITY fifteen "15">]>'


def _with_dtd(xml: str) -> str:
    declaration, rest = xml.split("?>", 1)
    return declaration + "?>" + DTD + rest


@pytest.mark.parametrize(
    "part",
    [
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "docProps/custom.xml",
        "xl/sharedStrings.xml",
        "[Content_Types].xml",
        "docProps/app.xml",
        "docProps/core.xml",
        "xl/theme/theme1.xml",
        "SHEET",
    ],
)
def test_a_part_with_a_dtd_is_refused_by_both_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], part: str
) -> None:
    path = build(tmp_path / "dtd.xlsx")
    part = sheet_part(path, "第一支部") if part == "SHEET" else part
    rewrite_part(path, part, _with_dtd)
    (code, _, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, path, tmp_path)
    assert code == rcode == 1
    for text in (err, rerr):
        assert f"{part} 含有文档类型定义（DTD）" in text
        assert "拒绝读取" in text
    assert f"{path}：{part} 含有" in err  # not "：的 …"
    assert rerr.startswith("错误：")


def test_an_undefined_entity_is_refused_not_read_as_blank(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = build(tmp_path / "entity.xlsx", {"第一支部": RawBranchInputs({"1.1": 15})})
    set_cell(path, "第一支部", "ded_1_1", "", "<v>&fifteen;</v>")
    (code, _, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, path, tmp_path)
    assert code == rcode == 1
    part = sheet_part(path, "第一支部")
    for text in (err, rerr):
        assert f"{part} 含有未定义的实体引用" in text


# --- the contract ----------------------------------------------------------------------------


def _redefine(path: Path, sheet_index: int, name: str, target: str | None) -> None:
    """Point a sheet-scoped name elsewhere (or delete it when ``target`` is None)."""

    def change(xml: str) -> str:
        pattern = re.compile(
            rf'<definedName name="{name}" localSheetId="{sheet_index}">[^<]*</definedName>'
        )
        assert pattern.search(xml), name
        replacement = (
            ""
            if target is None
            else f'<definedName name="{name}" localSheetId="{sheet_index}">{target}</definedName>'
        )
        return pattern.sub(replacement, xml)

    rewrite_part(path, "xl/workbook.xml", change)


def test_a_partial_contract_is_an_error_naming_the_sheet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = build(tmp_path / "部分.xlsx")
    _redefine(path, 1, names.BRANCH_NAME, None)  # 第一支部 keeps its ded_* names
    _redefine(path, 2, "ded_3_1", None)  # 第二支部 lacks one input
    before = digest(path)
    (code, _, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, path, tmp_path)
    assert code == rcode == 1
    for text in (err, rerr):
        assert "第一支部" in text
        assert "没有 branch_name" in text
        assert "移动或复制" in text
        assert "第二支部" in text
        assert "ded_3_1" in text
    assert digest(tmp_path / "recalc-部分.xlsx") == before  # recalc wrote nothing


def test_two_names_on_one_cell_is_an_error_naming_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a cut and paste does: the moved cell's name comes along (see also the LibreOffice
    test below)."""
    path = build(tmp_path / "移动.xlsx", {"第一支部": RawBranchInputs({"1.2": 2})})
    _redefine(path, 1, "ded_1_3", "'第一支部'!$E$6")  # ded_1_2's cell
    before = digest(path)
    (code, _, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, path, tmp_path)
    assert code == rcode == 1
    for text in (err, rerr):
        assert "ded_1_2 和 ded_1_3" in text
        assert "第一支部!E6" in text
        assert "不要剪切、粘贴或拖动单元格" in text
    assert digest(tmp_path / "recalc-移动.xlsx") == before


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("'第二支部'!$E$5", "指向另一工作表的单元格 第二支部!E5"),
        ("'第一支部'!$M$5", "第一支部!M5，不在考评表的“扣分”栏内"),
    ],
)
def test_a_name_outside_its_sheet_or_table_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str, expected: str
) -> None:
    path = build(tmp_path / "外.xlsx")
    _redefine(path, 1, "ded_1_1", target)
    (code, _, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, path, tmp_path)
    assert code == rcode == 1
    for text in (err, rerr):
        assert "ded_1_1" in text
        assert expected in text
        assert "不要剪切" in text


def test_a_copied_sheet_without_names_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What Ctrl+A, Ctrl+C, Ctrl+V into a new sheet gives: the values, no names."""
    source = build(tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(source)
    copy = book.create_sheet("第三支部")
    for row in book["第二支部"].iter_rows():
        for cell in row:
            copy.cell(cell.row, cell.column, cell.value)
    copy["B2"] = "第三支部"
    path = tmp_path / "复制.xlsx"
    book.save(path)
    (code, _, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, path, tmp_path)
    assert code == rcode == 1
    for text in (err, rerr):
        line = next(line for line in text.splitlines() if "第三支部" in line)
        assert "看起来是支部考评定级表" in line
        assert "没有定义名称" in line
        assert "移动或复制" in line
        assert "branch-assess template" in line


def test_a_sheet_of_another_year_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = build(tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(source)
    book["第二支部"]["E2"] = 2025
    path = tmp_path / "去年.xlsx"
    book.save(path)
    (code, _, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, path, tmp_path)
    assert code == rcode == 1
    for text in (err, rerr):
        assert "第二支部!E2" in text
        assert "2025" in text
        assert "2026" in text


def test_a_year_typed_as_text_is_reported_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = build(tmp_path / "文字年度.xlsx")
    rewrite_part(
        path,
        "docProps/custom.xml",
        lambda xml: xml.replace("<vt:lpwstr>2026</vt:lpwstr>", "<vt:lpwstr>二〇二六</vt:lpwstr>"),
    )
    (code, out, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, path, tmp_path)
    assert code == rcode == 1
    for text in (err, rerr):
        assert "为文字“二〇二六”" in text
    assert "年度未知年度" not in out + err
    source = build(tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(source)
    book["第一支部"]["E2"] = "2026年"
    book.save(tmp_path / "表内.xlsx")
    code, _, err = run(capsys, "consolidate", tmp_path / "表内.xlsx", "-o", tmp_path / "s.xlsx")
    assert code == 1
    assert "第一支部!E2" in err
    assert "实际为文字“2026年”" in err


def test_a_number_in_an_inserted_row_is_reported_plainly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = build(tmp_path / "t.xlsx", branches=("第三支部",))
    inserted = insert_rows_above(source, "第三支部", 8, 1, tmp_path / "插入.xlsx")
    book = openpyxl.load_workbook(inserted)
    book["第三支部"]["E8"] = 2
    book.save(inserted)
    (code, _, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, inserted, tmp_path)
    assert code == rcode == 1
    for text in (err, rerr):
        assert "第三支部!E8 不在考评表的扣分栏内，未计分" in text


def test_recalc_checks_the_template_identity_like_consolidate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = build(tmp_path / "旧版.xlsx")
    rewrite_part(
        path,
        "docProps/custom.xml",
        lambda xml: xml.replace(
            f'name="kp_template_version"><vt:lpwstr>{names.TEMPLATE_VERSION}<',
            'name="kp_template_version"><vt:lpwstr>0<',
        ),
    )
    before = digest(path)
    (code, _, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, path, tmp_path)
    assert code == rcode == 1
    for text in (err, rerr):
        assert "模板不符" in text
        assert "模板版本 0" in text
    assert digest(tmp_path / "recalc-旧版.xlsx") == before


# --- the same workflows, done in LibreOffice as a user does them ---------------------------

requires_uno = pytest.mark.skipif(
    not uno_available(), reason="LibreOffice's Python bridge (python3-uno) is not installed"
)


@pytest.mark.libreoffice
@requires_libreoffice
@requires_uno
def test_workflows_done_in_libreoffice_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A value typed in the wrong cell and dragged to the right one, a sheet copied with
    Ctrl+A/Ctrl+C/Ctrl+V, a row inserted inside an item with a number in it."""
    source = build(tmp_path / "t.xlsx", branches=("第一支部", "第二支部", "第三支部"))
    moved = edit_in_libreoffice(
        source,
        tmp_path / "拖动.xlsx",
        [
            ["type", "第一支部", "G6", 2],  # 2 typed in 扣分说明 instead of 扣分
            ["move", "第一支部", "G6", "E6"],  # then dragged to 扣分
        ],
    )
    (code, _, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, moved, tmp_path)
    assert code == rcode == 1
    for text in (err, rerr):
        assert "ded_1_2 和 note_1_2 指向同一个单元格 第一支部!E6" in text
        assert "不要剪切、粘贴或拖动单元格" in text
    assert "全部输入有效" not in rerr
    assert digest(tmp_path / "recalc-拖动.xlsx") == digest(moved)  # recalc wrote nothing

    edited = edit_in_libreoffice(
        source,
        tmp_path / "改动.xlsx",
        [
            ["copy_sheet_contents", "第二支部", "第四支部"],
            ["unprotect", "第三支部"],
            ["insert_rows", "第三支部", 8, 1],
            ["type", "第三支部", "E8", 2],
        ],
    )
    (code, _, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, edited, tmp_path)
    assert code == rcode == 1
    for text in (err, rerr):
        assert "第三支部!E8 不在考评表的扣分栏内，未计分" in text
        line = next(line for line in text.splitlines() if "第四支部" in line)
        assert "没有定义名称" in line
        assert "移动或复制" in line


@pytest.mark.libreoffice
@requires_libreoffice
@requires_uno
def test_an_input_hidden_under_a_merge_is_an_error_in_both_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """LibreOffice merges cells and keeps the hidden ones' contents: the sheet shows 1 across
    E6:E7 while a 2 in E7 (rule 1.3) would be scored unseen. Both commands name the cell and
    the range; a merge whose hidden cells are empty is no problem."""
    source = build(tmp_path / "t.xlsx", branches=("第一支部",))
    merged = edit_in_libreoffice(
        source,
        tmp_path / "合并.xlsx",
        [
            ["unprotect", "第一支部"],
            ["type", "第一支部", "E6", 1],
            ["type", "第一支部", "E7", 2],
            ["merge", "第一支部", "E6:E7"],
            ["merge", "第一支部", "G9:G10"],  # two empty 扣分说明 cells
        ],
    )
    (code, _, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, merged, tmp_path)
    assert code == rcode == 1
    for text in (err, rerr):
        line = next(line for line in text.splitlines() if "合并单元格 E6:E7" in line)
        assert "第一支部!E7" in line
        assert "仍有值“2”" in line
        assert "E6" not in line.partition("E6:E7")[0]  # the cell shown is no problem
        assert "G9:G10" not in text
    assert "全部输入有效" not in rerr


@pytest.mark.libreoffice
@requires_libreoffice
@requires_uno
def test_a_hidden_branch_sheet_counts_with_a_notice_in_both_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A branch sheet hidden in LibreOffice (a dissolved branch, say) still counts: both
    commands say so, naming the sheet, and score it like any other."""
    source = build(tmp_path / "t.xlsx", inputs={"第二支部": RawBranchInputs(deductions={"7.1": 3})})
    hidden = edit_in_libreoffice(source, tmp_path / "隐藏.xlsx", [["hide", "第二支部"]])
    assert read_package_info(hidden).hidden_sheets == {"第二支部"}
    (code, out, err), (rcode, rout, rerr) = consolidate_and_recalc(capsys, hidden, tmp_path)
    assert code == rcode == 0
    assert "2 个支部" in out  # both counted
    notice = next(line for line in (out + err).splitlines() if "已隐藏" in line)
    assert "第二支部" in notice
    assert "删除此工作表" in notice
    notice = next(line for line in (rout + rerr).splitlines() if "已隐藏" in line)
    assert "第二支部" in notice
    assert "第一支部" not in notice
    visible = read_package_info(source).hidden_sheets
    assert visible == frozenset()


def test_hidden_by_merge_names_only_hidden_cells_that_hold_a_value() -> None:
    from workbook.inputs.sheet_contract import hidden_by_merge
    from workbook.xlsx.cells import merged_ranges

    xml = (
        '<worksheet><sheetData/><mergeCells count="4"><mergeCell ref="E6:E7"/>'
        '<mergeCell ref=\'G9:H10\'/><mergeCell ref="#REF!"/><mergeCell ref="A200:Z1000"/>'
        "</mergeCells></worksheet>"
    )
    merges = merged_ranges(xml)
    assert [m.ref for m in merges] == ["E6:E7", "G9:H10", "A200:Z1000"]
    # A large range (20,000 cells and more) hides its cells too.
    far = {"note_7_1": CellRef("第一支部", 299, 5)}
    assert [p.cell for p in hidden_by_merge(far, {"note_7_1": "x"}, merges)] == ["F300"]
    cells = {
        "ded_1_2": CellRef("第一支部", 5, 4),  # E6: the cell shown
        "ded_1_3": CellRef("第一支部", 6, 4),  # E7: hidden
        "note_2_1": CellRef("第一支部", 9, 7),  # H10: hidden
        "note_2_2": CellRef("第一支部", 10, 7),  # H11: no merge
        "item_score_1": CellRef("第一支部", 6, 4),  # an output is never an input problem
    }
    values = {"ded_1_2": 1, "ded_1_3": 2, "note_2_1": "  ", "note_2_2": "x", "item_score_1": 3}
    problems = hidden_by_merge(cells, values, merges)
    assert [(p.cell, "合并单元格 E6:E7" in p.message, "“2”" in p.message) for p in problems] == [
        ("E7", True, True)
    ]
    assert hidden_by_merge(cells, {**values, "note_2_1": "说明"}, merges)[1].cell == "H10"
    assert hidden_by_merge(cells, values, []) == []


# --- the Excel adapter reads a cell the same way -------------------------------------------


def test_the_excel_adapter_reads_error_values_and_formulas_like_the_file(tmp_path: Path) -> None:
    """Through the recording stand-in for xlwings: an error value is an input error with the
    file's message, a formula typed in Excel counts by its result with a warning."""
    from workbook.outputs.file_book import XlsxFileBook
    from workbook.outputs.recalc import recalculate
    from xlplugin.excel_book import ExcelBook

    from support.recording_excel import RecordingExcel

    path = build(tmp_path / "excel.xlsx")
    address = set_cell(path, "第一支部", "ded_1_2", ' t="e"', "<v>#DIV/0!</v>")
    excel = RecordingExcel.from_file(path)
    formula_cell = named_address(path, "第二支部", "ded_7_1")
    excel.set_value("第二支部", formula_cell, 2.0)
    row, col = int(formula_cell[1:]), ord(formula_cell[0]) - 64
    excel.formulas["第二支部"][(row, col)] = "=1+1"
    adapter = ExcelBook(excel.book)
    in_excel = recalculate(adapter)
    book = XlsxFileBook(path)
    try:
        in_file = recalculate(book)
    finally:
        book.close()
    assert [str(p) for p in in_excel.problems] == [str(p) for p in in_file.problems]
    assert f"第一支部!{address}：" in str(in_excel.problems[0])
    assert "错误值 #DIV/0!" in str(in_excel.problems[0])
    (warning,) = adapter.warnings
    assert warning.startswith(f"第二支部!{formula_cell}：")
    assert "公式" in warning
    assert in_excel.branches[1].assessment.item_scores[6] == 23


# --- review fixes: values python-calamine misreads, Excel 365 error values ---------------------


def _total_after_recalc(capsys: pytest.CaptureFixture[str], path: Path, tmp_path: Path) -> object:
    """Run recalc on a copy of ``path``; the total score of 第一支部 it wrote."""
    copy = tmp_path / f"recalc-{path.name}"
    shutil.copy(path, copy)
    code, _, err = run(capsys, "recalc", copy)
    assert code == 0, err
    address = named_address(copy, "第一支部", names.TOTAL_SCORE)
    return openpyxl.load_workbook(copy, data_only=True)["第一支部"][address].value


@pytest.mark.parametrize(
    "inner", ["<v>&#50;</v>", "<v>&#x32;</v>", "<v><![CDATA[2]]></v>", "<v>&#x32;&#x2E;0</v>"]
)
def test_a_number_written_with_a_character_reference_or_cdata_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], inner: str
) -> None:
    """python-calamine reads these as blank (total 100 好); openpyxl and LibreOffice read 2."""
    path = build(tmp_path / "引用.xlsx")
    set_cell(path, "第一支部", "ded_1_2", ' t="n"', inner)
    for engine in ("calamine", "openpyxl"):
        book = read_branch_workbook(path, engine=engine)  # type: ignore[arg-type]
        assert book.sheets[0].values["ded_1_2"] == 2
    json_path = tmp_path / "r.json"
    code, _, err = run(
        capsys, "consolidate", path, "-o", tmp_path / "汇总.xlsx", "--json", json_path
    )
    assert code == 0, err
    report = json.loads(json_path.read_text(encoding="utf-8"))
    first = next(b for b in report["branches"] if b["branch"] == "第一支部")
    assert first["total"] == 98
    assert _total_after_recalc(capsys, path, tmp_path) == 98


def _spill_outside_the_table(xml: str) -> str:
    row = '<row r="200"><c r="J200" t="e"><f>SEQUENCE(2)</f><v>#SPILL!</v></c></row>'
    return xml.replace("</sheetData>", row + "</sheetData>")


def test_an_excel_365_error_value_outside_the_contract_is_ignored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """python-calamine refuses a whole sheet with #SPILL! anywhere in it."""
    path = build(tmp_path / "溢出.xlsx", {"第一支部": RawBranchInputs({"1.2": 2})})
    rewrite_part(path, sheet_part(path, "第一支部"), _spill_outside_the_table)
    json_path = tmp_path / "r.json"
    code, _, err = run(
        capsys, "consolidate", path, "-o", tmp_path / "汇总.xlsx", "--json", json_path
    )
    assert code == 0, err
    report = json.loads(json_path.read_text(encoding="utf-8"))
    first = next(b for b in report["branches"] if b["branch"] == "第一支部")
    assert first["total"] == 98
    assert _total_after_recalc(capsys, path, tmp_path) == 98


@pytest.mark.parametrize("code_text", ["#SPILL!", "#CALC!", "#BLOCKED!", "#GETTING_DATA"])
def test_an_excel_365_error_value_in_an_input_cell_is_named_in_both_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], code_text: str
) -> None:
    path = build(tmp_path / "溢出.xlsx")
    set_cell(path, "第一支部", "ded_1_2", ' t="e"', f"<f>SEQUENCE(2)</f><v>{code_text}</v>")
    rewrite_part(path, sheet_part(path, "第一支部"), _spill_outside_the_table)
    (code, _, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, path, tmp_path)
    assert code == 1
    assert rcode == 1
    for text in (err, rerr):
        assert "第一支部!E6" in text
        assert f"错误值 {code_text}" in text
        assert "Unsupported" not in text


def test_the_advice_for_an_unusable_cell_fits_the_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """是/否 for a veto, text for a 扣分说明 or the branch name, a number only for a 扣分."""
    path = build(tmp_path / "建议.xlsx")
    set_cell(path, "第一支部", "veto_1", ' t="e"', "<v>#N/A</v>")
    set_cell(path, "第一支部", "note_1_1", ' t="e"', "<v>#REF!</v>")
    set_cell(path, "第二支部", names.BRANCH_NAME, ' t="e"', "<v>#NAME?</v>")
    set_cell(path, "第二支部", "ded_1_2", ' t="e"', "<v>#DIV/0!</v>")
    (code, _, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, path, tmp_path)
    assert code == rcode == 1
    for text in (err, rerr):
        advice = {
            marker: next(x for x in text.splitlines() if marker in x)
            for marker in ("#N/A", "#REF!", "#NAME?", "#DIV/0!")
        }
        assert "请直接填写“是”或“否”" in advice["#N/A"]
        assert "请直接填写文字" in advice["#REF!"]
        assert "请直接填写文字" in advice["#NAME?"]
        assert "请直接填写数值" in advice["#DIV/0!"]


def test_a_number_typed_as_a_branch_name_is_shown_as_typed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = build(tmp_path / "数字.xlsx")
    for sheet in BRANCHES:
        set_cell(path, sheet, names.BRANCH_NAME, ' t="n"', "<v>123</v>")
    code, _, err = run(capsys, "consolidate", path, "-o", tmp_path / "汇总.xlsx")
    assert code == 1
    assert "支部“123”重复" in err
    assert "123.0" not in err


def test_a_copy_of_a_shared_formula_is_called_so() -> None:
    assert str(UncachedFormula("")) == "（共享公式）"


def test_a_blank_branch_name_is_a_warning_naming_the_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = build(tmp_path / "空名称.xlsx")
    address = set_cell(path, "第二支部", names.BRANCH_NAME, "", None)
    json_path = tmp_path / "r.json"
    code, _, err = run(
        capsys, "consolidate", path, "-o", tmp_path / "汇总.xlsx", "--json", json_path
    )
    assert code == 0, err
    assert f"第二支部!{address}" in err
    assert "支部名称单元格为空" in err
    assert "“第二支部”" in err
    report = json.loads(json_path.read_text(encoding="utf-8"))
    assert {b["branch"] for b in report["branches"]} == set(BRANCHES)


@pytest.mark.parametrize("variant", ["table only", "retitled", "five rows down"])
def test_a_copied_sheet_is_recognised_by_its_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], variant: str
) -> None:
    """Each copy carries a veto 是: ignoring it silently would grade the branch 好."""
    source = build(tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(source)
    original = book["第二支部"]
    veto = named_address(source, "第二支部", "veto_1")
    original[veto] = "是"
    copy = book.create_sheet("第三支部")
    first_row, shift = {"table only": (4, -3), "retitled": (1, 0), "five rows down": (1, 5)}[
        variant
    ]
    for row in original.iter_rows(min_row=first_row, max_row=original.max_row):
        for cell in row:
            copy.cell(cell.row + shift, cell.column, cell.value)
    if variant == "retitled":
        copy["A1"] = "2026年度考评表"
    path = tmp_path / "复制.xlsx"
    book.save(path)
    (code, _, err), (rcode, _, rerr) = consolidate_and_recalc(capsys, path, tmp_path)
    assert code == rcode == 1
    for text in (err, rerr):
        line = next(line for line in text.splitlines() if "第三支部" in line)
        assert "看起来是支部考评定级表" in line
        assert "没有定义名称" in line


def test_a_sheet_sent_back_unfilled_is_said_but_still_summarised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The blank template e-mailed back by mistake counts as full marks (blank is 0, a blank
    veto is 否): consolidate says so for each such sheet, and only for those."""
    path = build(tmp_path / "未填.xlsx", {"第二支部": RawBranchInputs({}, vetoes=["否"])})
    json_path = tmp_path / "r.json"
    code, out, err = run(
        capsys, "consolidate", path, "-o", tmp_path / "汇总.xlsx", "--json", json_path
    )
    assert code == 0, err
    hint = (
        "未填.xlsx，工作表“第一支部”：考评内容全部空白（扣分、扣分说明、否决情形和群众测评均未填写），"
        "已按 100 分、等级“好”汇总；如确无扣分可不理会，尚未考评的请填写后重新汇总"
    )
    assert f"提示：{hint}" in err.replace(str(tmp_path) + "/", "")
    assert "第二支部" not in err  # one answer typed: filled in
    assert "2 个支部：好 2 个" in out
    report = json.loads(json_path.read_text(encoding="utf-8"))
    assert [w["message"] for w in report["warnings"] if "全部空白" in w["message"]] == [
        hint.partition("：")[2]
    ]
