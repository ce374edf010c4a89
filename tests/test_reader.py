"""Reading a filled template back returns exactly what was typed, with either engine."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from workbook.core import names
from workbook.core.scoring import assess_branch
from workbook.core.standard import Standard, load_standard
from workbook.errors import WorkbookReadError
from workbook.inputs.reader import read_branch_workbook
from workbook.outputs.template import TemplateOptions, write_template
from workbook.xlsx.workbook_info import read_package_info

from support.workbook_helpers import fill_by_names, insert_rows_above

ENGINES = ["calamine", "openpyxl"]
STANDARD = load_standard()

TYPED = {
    "第一支部": {
        "ded_1_1": 15,
        "ded_1_2": 2.5,
        "note_1_2": "发展党员程序不规范",
        "ded_6_4": 0.5,
        "ded_7_1": 3.25,
        "note_7_1": "群众测评满意率 87%",
        "veto_1": "否",
        "veto_2": True,
        "assessor": "张三",
    },
    "第二支部：城区/新区": {"ded_4_2": "两分", "veto_3": "有"},
}


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    template = write_template(
        tmp_path / "template.xlsx",
        TemplateOptions(["第一支部", "第二支部：城区/新区", "第三支部"], formulas="native"),
    )
    sheets = {"第一支部": TYPED["第一支部"], "第二支部：城区_新区": TYPED["第二支部：城区/新区"]}
    return fill_by_names(template, sheets, tmp_path / "filled.xlsx")


def as_typed(value: object) -> object:
    """calamine gives whole numbers as floats; compare by value, keep types otherwise."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def check_values(path: Path, engine: str) -> None:
    book = read_branch_workbook(path, engine)  # type: ignore[arg-type]
    by_branch = {sheet.branch_name: sheet for sheet in book.sheets}
    assert list(by_branch) == ["第一支部", "第二支部：城区/新区", "第三支部"]
    for branch, typed in TYPED.items():
        sheet = by_branch[branch]
        for name, value in typed.items():
            got = as_typed(sheet.values[name])
            assert got == value, (branch, name, got)
            assert type(got) is type(value), (branch, name, got)
        untouched = [
            n for n in names.input_names(STANDARD) if n not in typed and n != "branch_name"
        ]
        assert all(sheet.values[n] is None for n in untouched)
    blank = by_branch["第三支部"]
    assert all(
        blank.values[n] is None
        for n in blank.cells
        if n.startswith(("ded_", "note_", "veto_")) and not n.startswith("veto_check")
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_reads_exactly_what_was_typed(filled: Path, engine: str) -> None:
    check_values(filled, engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_reads_by_names_after_rows_inserted_above_the_table(
    filled: Path, tmp_path: Path, engine: str
) -> None:
    moved = insert_rows_above(filled, "第一支部", 2, 3, tmp_path / "moved.xlsx")
    before = read_package_info(filled).local_names["第一支部"]["ded_1_1"]
    after = read_package_info(moved).local_names["第一支部"]["ded_1_1"]
    assert before is not None
    assert after is not None
    assert after.row == before.row + 3
    check_values(moved, engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_reads_after_an_openpyxl_round_trip(filled: Path, tmp_path: Path, engine: str) -> None:
    book = openpyxl.load_workbook(filled)
    book.save(tmp_path / "round.xlsx")
    check_values(tmp_path / "round.xlsx", engine)
    info = read_package_info(tmp_path / "round.xlsx")
    assert info.properties[names.PROP_STANDARD] == "anji-2012-6"
    assert info.properties[names.PROP_TEMPLATE_VERSION] == names.TEMPLATE_VERSION
    assert info.properties[names.PROP_YEAR] == "2026"


def test_inputs_feed_the_engine(filled: Path, standard: Standard) -> None:
    sheet = read_branch_workbook(filled).sheets[0]
    result = assess_branch(standard, sheet.raw_inputs(standard)).result
    assert result is not None
    # 1.1 15 + 1.2 2.5 -> item 1 capped at 0; 6.4 0.5 -> 19.5; 7.1 3.25 -> 21.75; veto 2.
    assert result.item_scores == [0, 10, 10, 10, 10, 19.5, 21.75]
    assert str(result.total) == "81.25"
    assert result.grade == "较差"
    assert result.vetoes == (2,)
    assert sheet.label("ded_1_2") == "第一支部!E6"


def test_dates_and_other_types_are_normalised(tmp_path: Path) -> None:
    template = write_template(tmp_path / "t.xlsx", TemplateOptions(["一支部"], formulas="native"))
    fill_by_names(
        template, {"一支部": {"assess_date": dt.datetime(2026, 12, 5), "ded_1_1": "=1+1"}}
    )
    for engine in ENGINES:
        sheet = read_branch_workbook(template, engine).sheets[0]  # type: ignore[arg-type]
        assert sheet.values["assess_date"] == dt.datetime(2026, 12, 5)


@pytest.mark.parametrize("engine", ENGINES)
def test_reads_the_same_from_bytes_already_read(filled: Path, engine: str) -> None:
    from_file = read_branch_workbook(filled, engine)  # type: ignore[arg-type]
    data = filled.read_bytes()
    filled.unlink()  # the bytes are all there is to read
    from_bytes = read_branch_workbook(filled, engine, data=data)  # type: ignore[arg-type]
    assert from_bytes.info == from_file.info
    assert [(s.sheet, s.cells, s.values) for s in from_bytes.sheets] == [
        (s.sheet, s.cells, s.values) for s in from_file.sheets
    ]
    with pytest.raises(WorkbookReadError, match=r"filled\.xlsx 不是可读取的 Excel 工作簿"):
        read_branch_workbook(filled, data=b"not a zip")


def test_not_a_workbook_is_a_clear_error(tmp_path: Path) -> None:
    text = tmp_path / "说明.xlsx"
    text.write_text("这不是工作簿", encoding="utf-8")
    with pytest.raises(WorkbookReadError, match=r"说明\.xlsx 不是可读取的 Excel 工作簿"):
        read_branch_workbook(text)
    with pytest.raises(WorkbookReadError, match="找不到文件"):
        read_branch_workbook(tmp_path / "missing.xlsx")
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(broken, "w") as package:
        package.writestr("xl/workbook.xml", "<workbook")
    with pytest.raises(WorkbookReadError, match=r"broken\.xlsx 已损坏"):
        read_branch_workbook(broken)


def test_sheets_without_branch_name_are_not_branches(filled: Path) -> None:
    sheets = [s.sheet for s in read_branch_workbook(filled).sheets]
    assert "填表说明" not in sheets
    assert len(sheets) == 3


def full_parse(data: bytes) -> tuple:
    """The names by a full XML parse of workbook.xml, bypassing the canonical fast path."""
    from workbook.xlsx import workbook_info as reader

    original = reader._canonical_defined_names
    reader._canonical_defined_names = lambda data: None  # type: ignore[assignment]
    try:
        return reader.parse_workbook_xml(data)
    finally:
        reader._canonical_defined_names = original  # type: ignore[assignment]


WORKBOOK_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="说明" sheetId="1" r:id="rId1"/><sheet name="第一支部" sheetId="2" r:id="rId2"/>'
    '<sheet name="O\'Brien" sheetId="3" r:id="rId3"/></sheets>'
    '<definedNames>{names}</definedNames><calcPr calcId="124519"/></workbook>'
)
CANONICAL_NAMES = (
    '<definedName name="branch_name" localSheetId="1">\'第一支部\'!$B$2</definedName>'
    '<definedName name="ded_1_1" localSheetId="1">第一支部!$E$5</definedName>'
    "<definedName name=\"branch_name\" localSheetId=\"2\">'O''Brien'!$B$2</definedName>"
    '<definedName name="broken" localSheetId="2">#REF!</definedName>'
    '<definedName name="elsewhere" localSheetId="2">\'第一支部\'!$E$5</definedName>'
    '<definedName name="area" localSheetId="1">\'第一支部\'!$A$1:$H$40</definedName>'
    '<definedName name="out_of_range" localSheetId="7">第一支部!$E$5</definedName>'
)


@pytest.mark.parametrize(
    ("names_xml", "fast"),
    [
        (CANONICAL_NAMES, True),
        # Other producers: attribute order, extra attributes, entities, prefixes, comments.
        (
            CANONICAL_NAMES
            + '<definedName localSheetId="1" name="ded_1_2">第一支部!$E$6</definedName>',
            False,
        ),
        (
            CANONICAL_NAMES
            + '<definedName function="false" hidden="false" localSheetId="1" name="x" vbProcedure="false">第一支部!$E$7</definedName>',
            False,
        ),
        (
            CANONICAL_NAMES
            + '<definedName name="q" localSheetId="2">&apos;O&apos;&apos;Brien&apos;!$C$3</definedName>',
            False,
        ),
        (
            CANONICAL_NAMES
            + '<!-- <definedName name="ghost" localSheetId="1">第一支部!$Z$9</definedName> -->',
            False,
        ),
        (
            CANONICAL_NAMES
            + '<definedName name="_xlnm.Print_Titles" localSheetId="1">第一支部!$1:$4</definedName>',
            True,
        ),
        (CANONICAL_NAMES + '<definedName name="global">第一支部!$E$5</definedName>', False),
    ],
)
def test_canonical_fast_path_agrees_with_a_full_parse(names_xml: str, fast: bool) -> None:
    from workbook.xlsx.workbook_info import _canonical_defined_names, parse_workbook_xml

    data = WORKBOOK_XML.format(names=names_xml).encode("utf-8")
    assert (_canonical_defined_names(data) is not None) is fast
    sheets, local = parse_workbook_xml(data)
    assert (sheets, local) == full_parse(data)
    assert local["第一支部"]["branch_name"] == ("第一支部", 1, 1)
    assert local["O'Brien"]["branch_name"] == ("O'Brien", 1, 1)
    # A name pointing to another sheet's cell keeps its target (the contract check names it).
    assert local["O'Brien"]["broken"] is None
    assert local["O'Brien"]["elsewhere"] == ("第一支部", 4, 4)
    assert local["第一支部"]["area"] is None
    assert "out_of_range" not in str(local)


def test_fast_path_is_taken_for_our_templates_and_openpyxl(filled: Path, tmp_path: Path) -> None:
    from workbook.xlsx.workbook_info import _canonical_defined_names, parse_workbook_xml

    openpyxl.load_workbook(filled).save(tmp_path / "round.xlsx")
    for path in (filled, tmp_path / "round.xlsx"):
        with zipfile.ZipFile(path) as package:
            data = package.read("xl/workbook.xml")
        assert _canonical_defined_names(data) is not None
        assert parse_workbook_xml(data) == full_parse(data)
