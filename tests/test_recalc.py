"""``branch-assess recalc``: the file adapter end to end, checked with openpyxl, calamine and LibreOffice."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import zipfile
import zlib
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from workbook.cli.main import main
from workbook.core import names
from workbook.core.scoring import INVALID, Assessment, RawBranchInputs, assess_branch
from workbook.core.standard import load_standard
from workbook.inputs.consolidate import consolidate
from workbook.inputs.reader import read_branch_workbook
from workbook.outputs.file_book import XlsxFileBook
from workbook.outputs.recalc import OVERVIEW_SHEET, recalculate
from workbook.outputs.summary import write_summary
from workbook.outputs.template import TemplateOptions, write_template
from workbook.xlsx.cell_edit import CellEdit, edit_cells
from workbook.xlsx.package import Package
from workbook.xlsx.parts import iter_parts_differing, workbook_sheets
from workbook.xlsx.styles import MARK_RGB
from workbook.xlsx.workbook_info import read_package_info

STANDARD = load_standard()

# Filled by defined names with openpyxl: valid, capped item, veto, several invalid cells.
INPUTS: dict[str, dict[str, object]] = {
    "第一支部": {"ded_1_2": 2, "note_1_2": "发展党员程序不全", "ded_7_1": 12.5},
    "第二支部": {"ded_1_1": 15, "ded_1_2": 3, "ded_6_4": 0.5, "ded_7_1": 10, "veto_2": "否"},
    "第三支部": {"ded_7_1": 3, "veto_3": "是"},
    "第四支部": {"ded_1_2": 5, "ded_2_1": "三分", "ded_6_4": 0.25, "veto_1": "可能"},
    "第五支部": {},
}
BRANCHES = list(INPUTS)


def _template(folder: Path, mode: str = "xlwings", inputs: dict | None = None) -> Path:
    path = folder / f"template-{mode}.xlsx"
    write_template(
        path,
        TemplateOptions(branches=BRANCHES, formulas=mode, inputs=inputs or {}),  # type: ignore[arg-type]
    )
    return path


def fill_by_names(template: Path, target: Path, inputs: dict[str, dict[str, object]]) -> Path:
    """Type values into a template by its sheet-scoped defined names, as a user would."""
    info = read_package_info(template)
    book = openpyxl.load_workbook(template)
    for sheet, values in inputs.items():
        for name, value in values.items():
            ref = info.local_names[sheet][name]
            assert ref is not None
            book[sheet].cell(ref.row + 1, ref.col + 1).value = value
    book.save(target)
    return target


def _expected(sheet_values: dict[str, object]) -> Assessment:
    raw = RawBranchInputs(
        deductions={r.id: sheet_values.get(names.deduction_name(r)) for r in STANDARD.rules},
        notes={r.id: sheet_values.get(names.note_name(r)) for r in STANDARD.rules},
        vetoes=[sheet_values.get(names.veto_name(n)) for n in range(1, 4)],
    )
    return assess_branch(STANDARD, raw)


def _as_cached(value: Decimal | str | None) -> object:
    return float(value) if isinstance(value, Decimal) else value


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int, str, str]:
    folder = tmp_path_factory.mktemp("recalc")
    filled = fill_by_names(_template(folder), folder / "filled.xlsx", INPUTS)
    before = filled.read_bytes()
    out = folder / "out.xlsx"
    import contextlib
    import io

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["recalc", str(filled), "-o", str(out)])
    assert filled.read_bytes() == before  # -o leaves the input alone
    return filled, out, code, stdout.getvalue(), stderr.getvalue()


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_cached_values_match_the_engine(recalculated, engine: str) -> None:
    _, out, _, _, _ = recalculated
    book = read_branch_workbook(out, engine=engine)  # type: ignore[arg-type]
    assert [s.sheet for s in book.sheets] == BRANCHES
    for sheet in book.sheets:
        expected = _expected(INPUTS[sheet.sheet])
        for item, score in zip(STANDARD.items, expected.item_scores, strict=True):
            got = sheet.values[names.item_score_name(item.number)]
            assert got == (float(score) if score is not None else INVALID), (
                sheet.sheet,
                item.number,
            )
        assert sheet.values[names.TOTAL_SCORE] == _as_cached(expected.total_text), sheet.sheet
        assert sheet.values[names.GRADE] == expected.grade_text, sheet.sheet
        problems = {names.problem_name(p): p.short for p in expected.problems}
        for rule in STANDARD.rules:
            got = sheet.values[names.check_name(rule)]
            assert (got or "") == problems.get(names.deduction_name(rule), ""), rule.id


def test_expected_grades_are_the_notices(recalculated) -> None:
    """The fixture's cases say what they should: 较好, capped 一般, veto 较差, 待修正, 好."""
    _, out, _, _, _ = recalculated
    grades = [s.values[names.GRADE] for s in read_branch_workbook(out).sheets]
    assert grades == ["较好", "一般", "较差", "待修正", "好"]


def test_problems_are_listed_by_cell_and_exit_is_1(recalculated) -> None:
    filled, _out, code, stdout, stderr = recalculated
    assert code == 1
    info = read_package_info(filled)
    cells = info.local_names["第四支部"]
    for name, subject in [
        ("ded_1_2", "规则 1.2“"),
        ("ded_2_1", "规则 2.1“"),
        ("ded_6_4", "规则 6.4“"),
        ("veto_1", "否决情形（1）“"),
    ]:
        assert f"{filled}，第四支部!{cells[name].a1}：{subject}" in stderr  # type: ignore[union-attr]
    assert "允许的值：0 或 1～3 之间" in stderr
    assert "共 4 处输入有误" in stdout
    assert "第四支部" in stdout
    assert "Traceback" not in stderr


def test_overview_has_one_row_per_branch(recalculated) -> None:
    _, out, _, _, _ = recalculated
    book = openpyxl.load_workbook(out, data_only=True)
    assert book.sheetnames[-1] == OVERVIEW_SHEET
    rows = list(book[OVERVIEW_SHEET].iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "支部名称", "工作表")
    assert [r[1] for r in rows[1:]] == BRANCHES
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["合计得分"] == 85.5
    assert first["定级"] == "较好"
    assert "1.2 发展党员工作不规范的扣1-3分：扣 2 分（发展党员程序不全）" in first["扣分情况"]
    second = dict(zip(rows[0], rows[2], strict=True))
    assert "扣分以该项目分值为限" in second["扣分情况"]
    fourth = dict(zip(rows[0], rows[4], strict=True))
    assert fourth["定级"] == "待修正"
    assert fourth["输入检查"].startswith("有 4 处输入有误")


def test_invalid_input_cells_are_marked(recalculated) -> None:
    _, out, _, _, _ = recalculated
    book = openpyxl.load_workbook(out)
    info = read_package_info(out)
    for sheet, values in INPUTS.items():
        problems = {names.problem_name(p) for p in _expected(values).problems}
        for rule in STANDARD.rules:
            name = names.deduction_name(rule)
            ref = info.local_names[sheet][name]
            fill = book[sheet].cell(ref.row + 1, ref.col + 1).fill.fgColor.rgb  # type: ignore[union-attr]
            assert (fill == MARK_RGB) == (name in problems), (sheet, name)


def test_invalid_input_cells_get_notes_saying_what_is_allowed(recalculated) -> None:
    _, out, _, _, _ = recalculated
    book = openpyxl.load_workbook(out)
    info = read_package_info(out)
    for sheet, values in INPUTS.items():
        problems = {names.problem_name(p): p.message for p in _expected(values).problems}
        for name in [names.deduction_name(r) for r in STANDARD.rules] + [
            "veto_1",
            "veto_2",
            "veto_3",
        ]:
            ref = info.local_names[sheet][name]
            comment = book[sheet].cell(ref.row + 1, ref.col + 1).comment  # type: ignore[union-attr]
            if name in problems:
                assert comment is not None, (sheet, name)
                assert comment.text == names.NOTE_MARKER + problems[name], (sheet, name)
                assert comment.author == "考评定级"
            else:
                assert comment is None, (sheet, name)
    assert "允许的值：0 或 0.5～1 之间" in problems_text(book, info, "第四支部", "ded_6_4")


def problems_text(book: openpyxl.Workbook, info: object, sheet: str, name: str) -> str:
    ref = info.local_names[sheet][name]  # type: ignore[attr-defined]
    comment = book[sheet].cell(ref.row + 1, ref.col + 1).comment
    return comment.text if comment else ""


def _cells_by_ref(sheet_xml: str) -> dict[str, str]:
    return {
        re.search(r'\br="([A-Z]+\d+)"', c).group(1): c  # type: ignore[union-attr]
        for c in re.findall(r"<c\b[^>]*?/>|<c\b[^>]*>.*?</c>", sheet_xml, re.S)
    }


def test_nothing_else_changes_in_the_package(recalculated) -> None:
    """Byte for byte, except the cached values, the marks, styles appended to and 总览."""
    filled, out, _, _, _ = recalculated
    before, after = Package(filled), Package(out)
    info = read_package_info(filled)
    sheets = {s.name: s.part for s in workbook_sheets(before)}
    overview_part = {s.name: s.part for s in workbook_sheets(after)}[OVERVIEW_SHEET]
    branch_parts = {sheets[s]: s for s in BRANCHES}
    changed = set(iter_parts_differing(before, after))
    # The invalid branch (第四支部) gets notes: a comments part, a VML drawing, the sheet's rels.
    notes_parts = {"xl/comments1.xml", "xl/drawings/vmlDrawing1.vml"}
    notes_parts.add(re.sub(r"worksheets/", "worksheets/_rels/", sheets["第四支部"]) + ".rels")
    assert changed == {
        *branch_parts,
        overview_part,
        *notes_parts,
        "xl/styles.xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "[Content_Types].xml",
    }
    assert set(after.parts) - set(before.parts) == {overview_part, *notes_parts}
    assert list(before.parts)[: len(before.parts)] == list(after.parts)[: len(before.parts)]

    # Workbook parts: exactly one element added each (and 总览's two sheet-scoped names).
    marker = rf'<definedName name="{names.OVERVIEW_MARKER}" localSheetId="6">\'总览\'!\$A\$1</definedName>'
    titles = (
        r'<definedName name="_xlnm.Print_Titles" localSheetId="6">\'总览\'!\$1:\$1</definedName>'
    )
    for part, added in (
        (
            "xl/workbook.xml",
            rf'<sheet name="总览" sheetId="\d+" r:id="rId\d+"/>(.*){marker}{titles}',
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r'<Relationship Id="rId\d+" Type="[^"]+/worksheet" Target="worksheets/sheet\d+\.xml"/>',
        ),
    ):
        kept = re.sub(
            added,
            lambda m: m.group(1) or "" if m.re.groups else "",
            after.text(part),
            count=1,
            flags=re.S,
        )
        assert kept == before.text(part), part
    types = after.text("[Content_Types].xml")
    for added in (
        r'<Override PartName="/xl/worksheets/sheet\d+\.xml" ContentType="[^"]+"/>',
        r'<Default Extension="vml" ContentType="[^"]+"/>',
        r'<Override PartName="/xl/comments1\.xml" ContentType="[^"]+comments\+xml"/>',
    ):
        types, count = re.subn(added, "", types, count=1)
        assert count == 1, added
    assert types == before.text("[Content_Types].xml")

    # Styles: the old fills and formats are a prefix of the new ones.
    old_styles, new_styles = before.text("xl/styles.xml"), after.text("xl/styles.xml")
    for tag in ("fills", "cellXfs"):
        old = re.search(rf"<{tag}\b[^>]*>(.*?)</{tag}>", old_styles, re.S).group(1)  # type: ignore[union-attr]
        new = re.search(rf"<{tag}\b[^>]*>(.*?)</{tag}>", new_styles, re.S).group(1)  # type: ignore[union-attr]
        assert new.startswith(old), tag
        assert new != old, tag

    # Branch sheets: outside sheetData identical; only computed cells and marked inputs differ.
    for part, sheet in branch_parts.items():
        old_xml, new_xml = before.text(part), after.text(part)
        strip = re.compile(r"<sheetData>.*</sheetData>", re.S)
        legacy = (
            r'<legacyDrawing (?:xmlns:r="[^"]+" )?r:id="rId\d+"/>' if sheet == "第四支部" else "^$"
        )
        assert strip.sub("", old_xml) == re.sub(legacy, "", strip.sub("", new_xml)), part
        local = info.local_names[sheet]
        outputs = {
            ref.a1  # type: ignore[union-attr]
            for name, ref in local.items()
            if name.startswith(("item_", "check_", "veto_check_", "self_item_", "hint_"))
            or name in ("total_score", "grade", "self_total_score", "self_grade")
            or name in names.survey_output_names(STANDARD)
        }
        marked = {local[names.problem_name(p) or ""].a1 for p in _expected(INPUTS[sheet]).problems}  # type: ignore[union-attr]
        old_cells, new_cells = _cells_by_ref(old_xml), _cells_by_ref(new_xml)
        assert old_cells.keys() == new_cells.keys()
        for ref, old_cell in old_cells.items():
            new_cell = new_cells[ref]
            if ref in outputs:
                for part in (r"<f>.*?</f>", r'\bs="\d+"'):
                    old_part, new_part = re.search(part, old_cell), re.search(part, new_cell)
                    assert old_part
                    assert new_part
                    assert old_part.group(0) == new_part.group(0)
            elif ref in marked:
                assert re.sub(r'\bs="\d+"', "", old_cell) == re.sub(r'\bs="\d+"', "", new_cell)
                assert old_cell != new_cell
            else:
                assert old_cell == new_cell, (sheet, ref)


def test_native_and_xlwings_templates_carry_identical_values(tmp_path: Path) -> None:
    values = {}
    for mode in ("native", "xlwings"):
        filled = fill_by_names(_template(tmp_path, mode), tmp_path / f"filled-{mode}.xlsx", INPUTS)
        assert main(["recalc", str(filled)]) == 1
        values[mode] = [
            {n: v for n, v in s.values.items()} for s in read_branch_workbook(filled).sheets
        ]
    assert values["native"] == values["xlwings"]


def test_in_place_recalc_of_valid_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    valid = {k: v for k, v in INPUTS.items() if k != "第四支部"}
    path = _template(tmp_path, inputs=None)
    fill_by_names(path, path, valid)

    assert main(["recalc", str(path)]) == 0

    out = capsys.readouterr()
    assert "已重新计算 5 个支部，全部输入有效" in out.out
    assert out.err == ""
    book = read_branch_workbook(path)
    assert [s.values[names.GRADE] for s in book.sheets] == ["较好", "一般", "较差", "好", "好"]
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was moved into place


@pytest.mark.parametrize("lock_name", ["~${name}", ".~lock.{name}#"])
def test_a_workbook_open_in_another_program_is_recalculated_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lock_name: str
) -> None:
    """Excel/WPS (``~$``) or LibreOffice (``.~lock.``) has the file open: the results are
    written, and the user is told that saving in that window would overwrite them."""
    path = _template(tmp_path, inputs=None)
    lock = tmp_path / lock_name.format(name=path.name)
    lock.write_bytes(b"\x00" * 162)

    assert main(["recalc", str(path)]) == 0

    err = capsys.readouterr().err
    assert (
        f"提示：{path} 似乎正在 Excel、WPS 或 LibreOffice 中打开（有它的临时文件 {lock.name}）"
        in err
    )
    assert "在那个窗口中保存会覆盖这次的计算结果" in err
    assert lock.read_bytes() == b"\x00" * 162
    lock.unlink()
    assert main(["recalc", str(path)]) == 0
    assert "似乎正在" not in capsys.readouterr().err


def _set_input(path: Path, sheet: str, name: str, value: object) -> None:
    """Change one input in the package directly (no spreadsheet library)."""
    package = Package(path)
    ref = read_package_info(path).local_names[sheet][name]
    part = {s.name: s.part for s in workbook_sheets(package)}[sheet]
    edit = CellEdit(value=Decimal(str(value)) if value is not None else None, set_value=True)
    package.set_text(part, edit_cells(package.text(part), {(ref.row, ref.col): edit}))  # type: ignore[union-attr]
    package.save(path)


def test_marks_are_cleared_when_fixed_and_reruns_change_nothing(tmp_path: Path) -> None:
    raw = {"第四支部": RawBranchInputs(deductions={"1.2": 5})}
    path = _template(tmp_path, inputs=raw)
    original_style = re.search(
        r'<c r="E6" s="(\d+)"', Package(path).text("xl/worksheets/sheet5.xml")
    )
    assert main(["recalc", str(path)]) == 1
    once = path.read_bytes()
    assert main(["recalc", str(path)]) == 1
    assert path.read_bytes() == once  # idempotent: no new styles, no second 总览

    sheet_xml = Package(path).text("xl/worksheets/sheet5.xml")
    marked_style = re.search(r'<c r="E6" s="(\d+)"', sheet_xml)
    assert original_style
    assert marked_style
    assert original_style.group(1) != marked_style.group(1)

    assert "xl/comments1.xml" in Package(path).parts
    _set_input(path, "第四支部", "ded_1_2", 2)
    assert main(["recalc", str(path)]) == 0
    fixed = Package(path)
    assert not [
        p for p in fixed.parts if "comments" in p or p.endswith(".vml") or "_rels/sheet" in p
    ]
    assert "legacyDrawing" not in fixed.text("xl/worksheets/sheet5.xml")
    assert "comments1.xml" not in fixed.text("[Content_Types].xml")
    fixed_style = re.search(r'<c r="E6" s="(\d+)"', Package(path).text("xl/worksheets/sheet5.xml"))
    assert fixed_style
    assert fixed_style.group(1) == original_style.group(1)
    assert read_branch_workbook(path).sheets[3].values[names.GRADE] == "好"


def test_bad_files_give_chinese_errors_and_stay_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "notes.xlsx"
    text.write_text("不是工作簿", encoding="utf-8")
    assert main(["recalc", str(text)]) == 1
    assert "错误：notes.xlsx 不是可读取的 Excel 工作簿" in capsys.readouterr().err
    assert text.read_text(encoding="utf-8") == "不是工作簿"

    plain = tmp_path / "plain.xlsx"
    book = openpyxl.Workbook()
    book.active["A1"] = "x"
    book.save(plain)
    before = plain.read_bytes()
    assert main(["recalc", str(plain)]) == 1
    err = capsys.readouterr().err
    assert "错误：plain.xlsx：不是用本工具生成的考评定级表（缺少模板标识）" in err
    assert "Traceback" not in err
    assert plain.read_bytes() == before

    # The summary this tool wrote is said to be one (it was "缺少模板标识", as if foreign).
    filled = write_template(tmp_path / "表.xlsx", TemplateOptions(branches=["第一支部"]))
    summary = write_summary(tmp_path / "汇总.xlsx", consolidate([filled]))
    before = summary.read_bytes()
    assert main(["recalc", str(summary)]) == 1
    err = capsys.readouterr().err
    assert (
        "错误：汇总.xlsx：这是本工具生成的汇总表（或整改清单、历年对比），不是考评定级表；"
        "请选择各支部填写的考评定级表" in err
    ), err
    assert summary.read_bytes() == before

    # A missing file is a problem naming it (exit 1), not a usage error.
    assert main(["recalc", str(tmp_path / "missing.xlsx")]) == 1
    assert "找不到文件" in capsys.readouterr().err


def test_recalculate_reports_where_problems_are(tmp_path: Path) -> None:
    path = _template(tmp_path, inputs={"第二支部": RawBranchInputs(deductions={"3.1": 2})})
    book = XlsxFileBook(path)
    report = recalculate(book)
    book.close()
    assert [str(p).split("：")[0] for p in report.problems] == ["第二支部!E12"]
    assert (
        report.summary()
        == "已重新计算 5 个支部：4 个有效，1 个待修正（第二支部），共 1 处输入有误。"
    )


def test_edit_cells_inserts_missing_cells_and_rows() -> None:
    xml = (
        '<worksheet xmlns="x"><sheetData><row r="2" spans="1:2"><c r="A2"/><c r="C2" s="3"><v>1</v></c></row>'
        '<row r="5"><c r="B5" t="s"><v>0</v></c></row></sheetData></worksheet>'
    )
    edits = {
        (1, 1): CellEdit(value=Decimal("2.5"), set_value=True),  # B2: new, between A2 and C2
        (1, 2): CellEdit(style=7),  # C2: style only, value kept
        (2, 0): CellEdit(value="是", set_value=True),  # A3: new row
        (5, 3): CellEdit(value="<&>", set_value=True),  # D6: new row at the end
    }
    got = edit_cells(xml, edits)
    assert got == (
        '<worksheet xmlns="x"><sheetData><row r="2"><c r="A2"/><c r="B2"><v>2.5</v></c>'
        '<c r="C2" s="7"><v>1</v></c></row>'
        '<row r="3"><c r="A3" t="inlineStr"><is><t xml:space="preserve">是</t></is></c></row>'
        '<row r="5"><c r="B5" t="s"><v>0</v></c></row>'
        '<row r="6"><c r="D6" t="inlineStr"><is><t xml:space="preserve">&lt;&amp;&gt;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    assert edit_cells(
        "<worksheet><sheetData/></worksheet>", {(0, 0): CellEdit(Decimal(1), True)}
    ) == ('<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>')


@pytest.mark.libreoffice
def test_libreoffice_opens_the_recalculated_file(recalculated, tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    _, out, _, _, _ = recalculated
    result = subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(out),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    pdf = tmp_path / "out.pdf"
    assert pdf.is_file()
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.libreoffice
def test_recalc_of_a_package_libreoffice_wrote(recalculated, tmp_path: Path) -> None:
    """Another producer's XML (attribute order, shared strings, names) recalculates the same."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    filled = recalculated[0]
    result = subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "lo"),
            str(filled),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    written = tmp_path / "lo" / filled.name
    assert main(["recalc", str(written)]) == 1
    book = read_branch_workbook(written, engine="openpyxl")
    assert [s.values[names.GRADE] for s in book.sheets] == ["较好", "一般", "较差", "待修正", "好"]
    for sheet in book.sheets:
        expected = _expected(INPUTS[sheet.sheet])
        assert sheet.values[names.TOTAL_SCORE] == _as_cached(expected.total_text)
    comment = openpyxl.load_workbook(written)["第四支部"]["E6"].comment
    assert comment is not None
    assert "允许的值" in comment.text


# --- reading input cells from the sheet XML -------------------------------------------------

# Cell kinds the file adapter reads from the XML itself: (element content, start tag extras).
SHARED_ITEMS = [
    "<si><t>是</t></si>",
    '<si><r><t>扣</t></r><r><rPr><b/></rPr><t xml:space="preserve"> 2 分</t></r></si>',
    '<si><t xml:space="preserve">  留空格  </t></si>',
    "<si><t>a&amp;b&lt;c&gt;</t></si>",
    "<si><t/></si>",
]
READ_DIRECTLY = [
    ("", "<v>2</v>"),
    ("", "<v>12.5</v>"),
    (' t="n"', "<v>-0.25</v>"),
    ("", "<v>1E-3</v>"),
    (' t="s"', "<v>{0}</v>"),
    (' t="s"', "<v>{1}</v>"),
    (' t="s"', "<v>{2}</v>"),
    (' t="s"', "<v>{3}</v>"),
    (' t="s"', "<v>{4}</v>"),
    (' t="inlineStr"', "<is><t>三分</t></is>"),
    (' t="inlineStr"', "<is><t>x&quot;y&apos;z</t></is>"),
    (' t="inlineStr"', "<is><r><t>扣分</t></r><r><t>说明</t></r></is>"),
    (' t="inlineStr"', "<is><t>多行\n说明</t></is>"),
    (' t="b"', "<v>1</v>"),
    (' t="b"', "<v>0</v>"),
    (' t="str"', '<f>"x y"</f><v>x y</v>'),
    ("", "<v></v>"),
    ("", None),  # <c .../>
    (None, None),  # no element at all
]
# Cells python-calamine reads in its own way: the adapter leaves them to calamine.
LEFT_TO_CALAMINE = [
    ("", "<v>45293</v>"),  # in a date format (the style is set below)
    (' t="e"', "<v>#DIV/0!</v>"),
    (' t="inlineStr"', "<is><t> 两边空格 </t></is>"),
    (' t="inlineStr"', "<is><t>_x0041_</t></is>"),
    (' t="d"', "<v>2024-01-02</v>"),
]


def _craft_cells(path: Path, sheet: str, kinds: list, date_style: bool = False) -> list[str]:
    """Write ``kinds`` of cells into the input cells of ``sheet``; the names written, in order."""
    from workbook.xlsx.cell_edit import locate_cells

    package = Package(path)
    info = read_package_info(path)
    local = info.local_names[sheet]
    targets = [names.deduction_name(r) for r in STANDARD.rules] + [
        names.note_name(r) for r in STANDARD.rules
    ]
    part = {s.name: s.part for s in workbook_sheets(package)}[sheet]
    xml = package.text(part)
    strings = package.text("xl/sharedStrings.xml")
    first_item = len(re.findall(r"<si\b", strings))
    strings = strings.replace("</sst>", "".join(SHARED_ITEMS) + "</sst>")
    package.set_text("xl/sharedStrings.xml", strings)
    styles = package.text("xl/styles.xml")
    date_xf = len(re.findall(r"<xf\b", re.search(r"<cellXfs.*?</cellXfs>", styles, re.S).group(0)))  # type: ignore[union-attr]
    styles = styles.replace(
        "</cellXfs>",
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        "</cellXfs>",
    )
    package.set_text("xl/styles.xml", styles)
    cells = {name: local[name] for name in targets[: len(kinds)]}
    spans = locate_cells(xml, [(ref.row, ref.col) for ref in cells.values()])  # type: ignore[union-attr]
    replacements = []
    for ref, (extras, content) in zip(cells.values(), kinds, strict=True):
        span = spans[(ref.row, ref.col)]  # type: ignore[union-attr]
        style = f' s="{date_xf}"' if date_style and content == "<v>45293</v>" else ""
        if extras is None:
            element = ""
        elif content is None:
            element = f'<c r="{ref.a1}"{style}{extras}/>'  # type: ignore[union-attr]
        else:
            content = content.format(*range(first_item, first_item + len(SHARED_ITEMS)))
            element = f'<c r="{ref.a1}"{style}{extras}>{content}</c>'  # type: ignore[union-attr]
        replacements.append((span, element))
    for (start, end), element in sorted(replacements, reverse=True):
        xml = xml[:start] + element + xml[end:]
    package.set_text(part, xml)
    package.save(path)
    return list(cells)


def test_input_cells_read_from_the_xml_equal_the_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Numbers, shared and inline (rich) text, booleans and blanks, read without calamine."""
    from workbook.core.cells import normalise as _normalise
    from workbook.core.cells import normalise as reader_normalise
    from workbook.core.cells import unwrap_formulas

    path = _template(tmp_path)
    wanted = _craft_cells(path, "第一支部", READ_DIRECTLY)
    book = XlsxFileBook(path)
    entry = next(e for e in book.branch_sheets() if e.sheet == "第一支部")

    def no_calamine(*args: object) -> None:
        raise AssertionError("read with calamine")

    monkeypatch.setattr(XlsxFileBook, "_read_with_calamine", no_calamine)
    direct, formulas = unwrap_formulas(
        {name: _normalise(value) for name, value in book.read_cells(entry, wanted).items()}
    )
    assert direct[wanted[0]] == 2
    assert direct[wanted[4]] == "是"
    for engine in ("calamine", "openpyxl"):
        sheet = read_branch_workbook(path, engine=engine).sheets[0]
        expected = {name: reader_normalise(sheet.values[name]) for name in wanted}
        assert direct == expected, engine
        assert formulas == {n: f for n, f in sheet.formulas.items() if n in wanted}
        if engine == "calamine":  # the same types too (openpyxl reads whole numbers as int)
            assert [type(v) for v in direct.values()] == [type(v) for v in expected.values()]


def test_input_cells_calamine_reads_its_own_way_are_left_to_it(tmp_path: Path) -> None:
    """Dates, trimmed and escaped text: the values calamine gives, as before; an error value,
    which calamine reads as blank, is the error (``CellError``)."""
    import python_calamine

    from workbook.core.cells import CellError

    path = _template(tmp_path)
    wanted = _craft_cells(path, "第二支部", LEFT_TO_CALAMINE, date_style=True)
    book = XlsxFileBook(path)
    entry = next(e for e in book.branch_sheets() if e.sheet == "第二支部")
    got = book.read_cells(entry, wanted)
    book.close()
    rows = (
        python_calamine.CalamineWorkbook.from_path(str(path))
        .get_sheet_by_name("第二支部")
        .to_python(skip_empty_area=False)
    )
    expected = {name: rows[entry.cells[name].row][entry.cells[name].col] for name in wanted}
    assert expected[wanted[1]] == ""  # calamine's own reading of #DIV/0!
    expected[wanted[1]] = CellError("#DIV/0!")
    assert got == expected
    assert isinstance(got[wanted[0]], datetime.date)


def test_unchanged_parts_are_copied_still_compressed(tmp_path: Path) -> None:
    """Parts nobody changed keep their compressed bytes; changed parts are compressed anew."""
    template = _template(tmp_path)
    fast = tmp_path / "fast.xlsx"  # compressed at level 1: recompressing would change the sizes
    with (
        zipfile.ZipFile(template) as source,
        zipfile.ZipFile(fast, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
    ):
        for info in source.infolist():
            target.writestr(info, source.read(info), zipfile.ZIP_DEFLATED, compresslevel=1)
    package = Package(fast)
    package.set_text("docProps/custom.xml", package.text("docProps/custom.xml") + " ")
    package.save(tmp_path / "out.xlsx")

    with zipfile.ZipFile(fast) as before, zipfile.ZipFile(tmp_path / "out.xlsx") as after:
        assert after.testzip() is None
        assert [i.filename for i in after.infolist()] == [i.filename for i in before.infolist()]
        assert after.read("docProps/custom.xml") == before.read("docProps/custom.xml") + b" "
        recompressing_shows = False
        for info in before.infolist():
            if info.filename != "docProps/custom.xml":
                copied = after.getinfo(info.filename)
                assert (copied.CRC, copied.compress_size) == (info.CRC, info.compress_size)
                # Less zlib's 2-byte header and 4-byte checksum: the size at the default level.
                level_6 = len(zlib.compress(before.read(info), 6)) - 6
                recompressing_shows |= level_6 != info.compress_size
        assert recompressing_shows


def test_a_copy_of_the_overview_is_never_written(tmp_path: Path) -> None:
    """A copy of 总览 (移动或复制) carries kp_overview too: only the one called 总览 is written,
    even when the other comes first."""
    from workbook.xlsx.parts import add_defined_name, add_worksheet
    from workbook.xlsx.plain_sheet import plain_worksheet

    path = _template(tmp_path, "native")
    assert main(["recalc", str(path)]) == 0
    copied = tmp_path / "copied.xlsx"
    with Package(path) as package:
        # The 总览 written before, renamed 我的备份 and typed into; a copy of it called 总览
        # after it in tab order.
        workbook = package.text("xl/workbook.xml")
        workbook = workbook.replace(f'name="{OVERVIEW_SHEET}"', 'name="我的备份"')
        package.set_text("xl/workbook.xml", workbook.replace(f"{OVERVIEW_SHEET}!", "我的备份!"))
        sheets = workbook_sheets(package)
        backup = {s.name: s for s in sheets}["我的备份"]
        rows: list[list[object]] = [["备份"]] + [[None]] * 28 + [["我的备注"]]
        package.set_text(backup.part, plain_worksheet(rows, [20.0]))  # type: ignore[arg-type]
        entry = add_worksheet(package, OVERVIEW_SHEET, plain_worksheet([["旧"]], [20.0]), sheets)
        add_defined_name(package, names.OVERVIEW_MARKER, entry.index, f"{OVERVIEW_SHEET}!$A$1")
        package.save(copied)
    with Package(copied) as package:
        before = package.parts[backup.part]
    assert main(["recalc", str(copied)]) == 0
    with Package(copied) as package:
        assert package.parts[backup.part] == before
    book = openpyxl.load_workbook(copied)
    assert book["我的备份"]["A30"].value == "我的备注"
    assert book[OVERVIEW_SHEET].max_row == len(BRANCHES) + 1
    assert not [n for n in book.sheetnames if n.startswith(f"{OVERVIEW_SHEET}(")]


def test_two_branch_sheets_with_one_branch_name_are_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = fill_by_names(
        _template(tmp_path, "native"),
        tmp_path / "dup.xlsx",
        {"第三支部": {names.BRANCH_NAME: "第一支部"}},
    )
    cell = read_package_info(path).local_names["第三支部"][names.BRANCH_NAME]
    assert cell is not None
    assert main(["recalc", str(path)]) == 1
    captured = capsys.readouterr()
    message = captured.err + captured.out
    assert "全部输入有效" not in message
    assert (
        f"第三支部!{cell.a1}：支部“第一支部”重复：已在 第一支部!{cell.a1} 出现；同一支部只能汇总一次"
        in message
    )
    # consolidate says the same of the same sheets.
    assert main(["consolidate", str(path), "-o", str(tmp_path / "汇总.xlsx")]) == 1
    captured = capsys.readouterr()
    assert "支部“第一支部”重复：已在" in captured.err + captured.out


def test_harmless_differences_in_a_formula_are_no_overwrite() -> None:
    from workbook.outputs.recalc import same_formula

    assert same_formula('IF( $G$5 > 1 ,"好","差")', '=if(G5>1,"好","差")')
    assert same_formula("_xlfn.IFERROR(G5,0)", "=IFERROR(G5,0)")
    assert not same_formula('IF(G5>1,"好 ","差")', '=IF(G5>1,"好","差")')
    assert not same_formula('"好"', '=IF(G5>1,"好","差")')
    assert not same_formula("100", "=SUM(G5:G9)")
    # As LibreOffice and Gnumeric write our formulas back.
    assert same_formula(
        "IF(ISLOGICAL(E5),FALSE(),E5<0.000000001)", "=IF(ISLOGICAL(E5),FALSE,E5<1E-9)"
    )
    assert same_formula("ABS(E5)<9.99999999999999999981E-10", "=ABS(E5)<1E-9")
    assert same_formula("SUM(E25)+ROUND(E5,2.0)", "=SUM($E$25:$E$25)+ROUND(E5,2)")
    # Numbers that differ, and digits that are part of a reference, a name or a sheet name.
    assert not same_formula("ROUND(E5,3)", "=ROUND(E5,2)")
    assert not same_formula("SUM(E25:E26)", "=SUM(E25)")
    assert not same_formula("LOG10(E5)", "=LOG(E5)")
    assert not same_formula("'第1支部'!E5", "='第0001支部'!E5")
    assert not same_formula('IF(E5,"1E-9","")', '=IF(E5,"0.000000001","")')


@pytest.mark.parametrize(
    ("element", "value", "kept"),
    [
        # A number as spreadsheet programs write it: 13, 13.0, 1.3E1 are all 13.
        ('<c r="A1" s="3"><f>X()</f><v>13.0</v></c>', Decimal(13), True),
        ('<c r="A1" s="3"><f>X()</f><v>1.3E1</v></c>', Decimal(13), True),
        ('<c r="A1"><f>X()</f><v>89.5</v></c>', Decimal("89.50"), True),
        ('<c r="A1"><f>X()</f><v>89.49999999999999</v></c>', Decimal("89.5"), False),
        ('<c r="A1" t="n"><v>13</v></c>', Decimal(13), True),
        # Another value, another type, no value, an error: written anew.
        ('<c r="A1"><f>X()</f><v>12</v></c>', Decimal(13), False),
        ('<c r="A1" t="str"><f>X()</f><v>13</v></c>', Decimal(13), False),
        ('<c r="A1" t="e"><f>X()</f><v>#NAME?</v></c>', Decimal(13), False),
        ('<c r="A1"><f>X()</f></c>', Decimal(13), False),
        ('<c r="A1"><f>X()</f><v></v></c>', Decimal(0), False),
        ('<c r="A1"><f>X()</f><v>NaN</v></c>', Decimal(13), False),
        ('<c r="A1"><f>X()</f><v>1_3</v></c>', Decimal(13), False),
        ('<c r="A1"><f>X()</f><v> 13</v></c>', Decimal(13), False),
        ('<c r="A1"><f>X()</f><v>-0.5E-0</v></c>', Decimal("-0.5"), True),
        # Text: the same escaped text with t="str"; an empty text with or without it.
        ('<c r="A1" t="str"><f>X()</f><v>好</v></c>', "好", True),
        ('<c r="A1" t="str"><f>X()</f><v>A&amp;B</v></c>', "A&B", True),
        ('<c r="A1" t="str"><f>X()</f><v>好</v></c>', "较好", False),
        ('<c r="A1"><f>X()</f><v></v></c>', "", True),
        ('<c r="A1" t="str"><f>X()</f><v/></c>', "", True),
        ('<c r="A1"><f>X()</f><v>0</v></c>', "", False),
        ('<c r="A1" t="b"><f>X()</f><v>0</v></c>', "", False),
        # A constant text cell (no formula) is always written as recalc writes text.
        ('<c r="A1" t="inlineStr"><is><t>好</t></is></c>', "好", False),
    ],
)
def test_a_cell_that_holds_its_value_already_is_kept_byte_for_byte(
    element: str, value: Decimal | str, kept: bool
) -> None:
    xml = f'<sheetData><row r="1">{element}</row></sheetData>'
    edited = edit_cells(xml, {(0, 0): CellEdit(value, set_value=True)})
    assert (edited == xml) is kept
    if not kept:  # what it becomes holds the value: a second edit keeps it
        assert edit_cells(edited, {(0, 0): CellEdit(value, set_value=True)}) == edited


def test_sheets_whose_computed_cells_are_right_are_copied_as_they_are(tmp_path: Path) -> None:
    """A template written with inputs carries its computed values (as XlsxWriter writes them:
    13.0, empty texts without t="str"); recalc leaves those sheets' parts compressed as they
    were and rewrites only the sheet whose input changed."""
    raw = {
        "第一支部": RawBranchInputs(deductions={"1.2": 2, "7.1": 12.5}),
        "第三支部": RawBranchInputs(deductions={"7.1": 3}, vetoes=["否", "否", "是"]),
    }
    path = _template(tmp_path, inputs=raw)
    _set_input(path, "第二支部", "ded_1_2", 3)
    out = tmp_path / "out.xlsx"
    assert main(["recalc", str(path), "-o", str(out)]) == 0
    with Package(path) as package:
        parts = {s.name: s.part for s in workbook_sheets(package)}
    with zipfile.ZipFile(path) as before, zipfile.ZipFile(out) as after:
        for sheet in BRANCHES:
            old, new = before.getinfo(parts[sheet]), after.getinfo(parts[sheet])
            same = (old.CRC, old.compress_size) == (new.CRC, new.compress_size)
            assert same is (sheet != "第二支部"), sheet
    values = {s.sheet: s.values for s in read_branch_workbook(out).sheets}
    assert values["第一支部"][names.TOTAL_SCORE] == Decimal("85.5")
    assert values["第二支部"][names.TOTAL_SCORE] == Decimal("97")
    assert values["第三支部"][names.GRADE] == "较差"
    # A second run has nothing to change in any branch sheet.
    again = tmp_path / "again.xlsx"
    assert main(["recalc", str(out), "-o", str(again)]) == 0
    with zipfile.ZipFile(out) as first, zipfile.ZipFile(again) as second:
        for sheet in BRANCHES:
            assert first.getinfo(parts[sheet]).CRC == second.getinfo(parts[sheet]).CRC
