"""The generated template: layout, names, protection, validation, printing, determinism."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.cell import MergedCell
from python_calamine import CalamineWorkbook

from workbook.cli.main import main
from workbook.core import names
from workbook.core.scoring import RawBranchInputs, assess_branch
from workbook.core.standard import Standard
from workbook.errors import BranchListError
from workbook.inputs.branches import legal_sheet_names, read_branches_file
from workbook.inputs.reader import read_branch_workbook
from workbook.outputs.template import TemplateOptions, write_template
from workbook.xlsx.workbook_info import read_package_info

from support.workbook_helpers import named_cell

BRANCHES = ["递铺分会第一支部", "孝丰分会[老街]支部", "x" * 40]


@pytest.fixture(scope="module", params=["xlwings", "native"])
def template(request, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / f"{request.param}.xlsx"
    return write_template(path, TemplateOptions(BRANCHES, year=2026, formulas=request.param))


def test_same_arguments_give_identical_bytes(tmp_path: Path) -> None:
    options = TemplateOptions(BRANCHES, year=2025, formulas="native")
    first = write_template(tmp_path / "a.xlsx", options).read_bytes()
    second = write_template(tmp_path / "b.xlsx", options).read_bytes()
    assert first == second
    other_year = write_template(
        tmp_path / "c.xlsx", TemplateOptions(BRANCHES, year=2024, formulas="native")
    )
    assert other_year.read_bytes() != first


def test_sheets_and_branch_names(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    assert book.sheetnames == ["填表说明", "递铺分会第一支部", "孝丰分会_老街_支部", "x" * 31]
    for sheet, branch in zip(book.sheetnames[1:], BRANCHES, strict=True):
        assert named_cell(book, sheet, "branch_name").value == branch
        assert book[sheet]["A1"].value == "2026年度支部（党员服务中心）规范化建设考评定级表"


def test_every_contract_name_points_at_the_right_row(template: Path, standard: Standard) -> None:
    book = openpyxl.load_workbook(template)
    sheet_name = "递铺分会第一支部"
    sheet = book[sheet_name]
    assert set(names.required_names(standard)) <= set(sheet.defined_names)
    for rule in standard.rules:
        ded = named_cell(book, sheet_name, names.deduction_name(rule))
        note = named_cell(book, sheet_name, names.note_name(rule))
        assert ded.row == note.row
        assert sheet.cell(ded.row, 3).value == rule.wording  # 评分办法 column
        assert sheet.cell(ded.row, 4).value == rule.range_label  # 扣分范围 column
    for number, wording in enumerate(standard.vetoes, start=1):
        veto = named_cell(book, sheet_name, names.veto_name(number))
        assert sheet.cell(veto.row, 2).value == wording
    for item in standard.items:
        score = named_cell(book, sheet_name, names.item_score_name(item.number))
        assert sheet.cell(score.row, 1).value == item.heading
    headers = [sheet.cell(4, col).value for col in range(1, 12)]
    assert headers == [
        "项目及分值",
        "评分指标",
        "评分办法",
        "扣分范围",
        "考评扣分",
        "自评扣分",
        "扣分说明",
        "考评得分",
        "自评得分",
        "检查",
        "自查提示",
    ]
    # Version 2: each 自评 cell beside its committee cell, on the same row.
    for rule in standard.rules:
        ded = named_cell(book, sheet_name, names.deduction_name(rule))
        own = named_cell(book, sheet_name, names.self_deduction_name(rule))
        assert (own.row, own.column) == (ded.row, ded.column + 1)
    for item in standard.items:
        score = named_cell(book, sheet_name, names.item_score_name(item.number))
        own = named_cell(book, sheet_name, names.self_item_score_name(item.number))
        assert (own.row, own.column) == (score.row, score.column + 1)
    for name, own_name in (
        (names.TOTAL_SCORE, names.SELF_TOTAL_SCORE),
        (names.GRADE, names.SELF_GRADE),
    ):
        cell, own = named_cell(book, sheet_name, name), named_cell(book, sheet_name, own_name)
        assert (own.row, own.column) == (cell.row, cell.column + 1)
    assert set(names.version_names(standard, "2")) <= set(sheet.defined_names)


def test_only_input_cells_are_unlocked(template: Path, standard: Standard) -> None:
    book = openpyxl.load_workbook(template)
    sheet_name = "递铺分会第一支部"
    sheet = book[sheet_name]
    assert sheet.protection.sheet is True
    inputs = {
        named_cell(book, sheet_name, n).coordinate
        for n in names.input_names(standard)
        + [names.ASSESSOR, names.ASSESS_DATE]
        + names.self_input_names(standard)
        + [n for n in names.version_names(standard, "2") if n.startswith("cl_")]
        if n != names.BRANCH_NAME
    }
    unlocked = {
        cell.coordinate
        for row in sheet.iter_rows()
        for cell in row
        if cell.protection.locked is False and not isinstance(cell, MergedCell)
    }
    assert unlocked == inputs
    outputs = names.output_names(standard) + names.self_output_names(standard)
    outputs += [n for n in names.version_names(standard, "2") if n.startswith("hint_")]
    for name in [*outputs, names.BRANCH_NAME]:
        assert named_cell(book, sheet_name, name).protection.locked is True


def test_inputs_carry_validation_with_chinese_messages(template: Path, standard: Standard) -> None:
    book = openpyxl.load_workbook(template)
    sheet_name = "递铺分会第一支部"
    validations = book[sheet_name].data_validations.dataValidation
    by_cell = {str(v.sqref): v for v in validations}
    for rule in standard.rules:
        cell = named_cell(book, sheet_name, names.deduction_name(rule)).coordinate
        validation = by_cell[cell]
        assert validation.type == "custom"
        assert rule.allowed_text in validation.prompt
        assert validation.error.startswith(f"规则 {rule.id}：可填 {rule.allowed_text}")
        assert validation.showErrorMessage
        assert validation.errorStyle in (None, "stop")
    for number in range(1, 4):
        cell = named_cell(book, sheet_name, names.veto_name(number)).coordinate
        assert by_cell[cell].type == "list"
        assert by_cell[cell].formula1 == '"是,否"'


def test_print_setup(template: Path) -> None:
    sheet = openpyxl.load_workbook(template)["递铺分会第一支部"]
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth in (None, 1)  # 1 is the default and may be omitted
    assert sheet.page_setup.fitToHeight == 0
    # The signed page (title to signatures) is one page; the checklist starts the next.
    checklist_row = next(
        row[0].row
        for row in sheet.iter_rows()
        if row[0].value == "支部（党员服务中心）规范化建设自查表"
    )
    assert [b.id for b in sheet.row_breaks.brk] == [checklist_row - 1]
    assert sheet.print_title_rows is None


def formulas_of(path: Path) -> list[str]:
    book = openpyxl.load_workbook(path)
    return [
        cell.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith("=")
    ]


def test_formula_modes(tmp_path: Path) -> None:
    native = formulas_of(
        write_template(tmp_path / "n.xlsx", TemplateOptions(["一"], formulas="native"))
    )
    udf = formulas_of(
        write_template(tmp_path / "x.xlsx", TemplateOptions(["一"], formulas="xlwings"))
    )
    # checks (committee then 自评), item scores, totals, veto checks, grades (each twice), hints
    # and the 群众测评 tally: 3 rates, valid, rate, points, deduction, check
    assert len(native) == len(udf) == 21 + 2 * 7 + 2 + 3 + 2 + 3 + 3 + 5
    assert not any("_xlfn" in f or "KP_" in f for f in native)
    # Each xlwings formula calls its UDF and falls back to the native formula of the same cell.
    assert sum(f.startswith("=IFERROR(KP_ITEM_SCORE(") for f in udf) == 14
    assert sum(f.startswith("=IF(IFERROR(IF(KP_CHECK(F") for f in udf) == 21
    assert sum(f.startswith("=IF(IFERROR(IF(KP_VETO_CHECK(F") for f in udf) == 3
    assert sum(f.startswith("=IFERROR(KP_TOTAL(") for f in udf) == 1
    assert sum(f.startswith("=IFERROR(KP_GRADE(") for f in udf) == 1
    assert sum("KP_TOTAL(I" in f and "未自评" in f for f in udf) == 1
    assert (
        sum(f.startswith("=MID(") for f in udf) == sum(f.startswith("=MID(") for f in native) == 3
    )
    assert sum(f.startswith("=IFERROR(KP_SURVEY(") for f in udf) == 8
    assert not any("_xlfn" in f for f in udf)
    for with_udf, built_in in zip(udf, native, strict=True):
        if with_udf.startswith("=IFERROR(KP_"):
            assert with_udf.endswith("," + built_in[1:] + ")")
    assert any('IFERROR(KP_CHECK(E5,"1.1","anji-2012-6"),IF(' in f for f in udf)


@pytest.mark.parametrize("mode", ["xlwings", "native"])
def test_cached_values_are_the_engines(tmp_path: Path, standard: Standard, mode: str) -> None:
    inputs = {
        "一": RawBranchInputs({"1.1": 15, "1.2": 3, "7.1": 10.5}, vetoes=["", "", ""]),
        "二": RawBranchInputs({"4.2": 7}, vetoes=["", "可能", ""]),
        "三": RawBranchInputs({}, vetoes=[True, None, None]),
    }
    path = write_template(
        tmp_path / "t.xlsx", TemplateOptions(list(inputs), formulas=mode, inputs=inputs)
    )  # type: ignore[arg-type]
    sheets = {s.branch_name: s for s in read_branch_workbook(path).sheets}
    for branch, raw in inputs.items():
        expected = assess_branch(standard, raw)
        values = sheets[branch].values
        got_scores = [values[names.item_score_name(n)] for n in range(1, 8)]
        want_scores = [float(s) if s is not None else "输入有误" for s in expected.item_scores]
        assert got_scores == want_scores
        total = values[names.TOTAL_SCORE]
        assert total == (float(expected.total) if expected.total is not None else "待修正")
        assert values[names.GRADE] == expected.grade_text
    assert sheets["一"].values[names.TOTAL_SCORE] == 74.5  # 0+10+10+10+10+20+14.5
    assert sheets["二"].values["check_4_2"] == "输入有误：应为0或1～3"
    assert sheets["二"].values["veto_check_2"] == "输入有误：应为是或否"
    assert sheets["三"].values[names.GRADE] == "较差"


def test_identity_is_stored_in_document_properties(template: Path) -> None:
    properties = read_package_info(template).properties
    assert properties[names.PROP_STANDARD] == "anji-2012-6"
    assert properties[names.PROP_TEMPLATE_VERSION] == names.TEMPLATE_VERSION
    assert properties[names.PROP_YEAR] == "2026"
    assert properties[names.PROP_FORMULAS] in ("xlwings", "native")


def test_instructions_sheet_explains_the_rules(template: Path) -> None:
    rows = CalamineWorkbook.from_path(str(template)).get_sheet_by_name("填表说明").to_python()
    text = "\n".join(str(cell) for row in rows for cell in row)
    assert "每个项目分值扣完为止" in text
    assert "89.5 分为“较好”" in text
    assert "59.5 分为“较差”" in text
    assert "近一年来没有开展党组织活动的" in text


def test_legal_sheet_names() -> None:
    names_ = legal_sheet_names(
        ["a/b", "a:b", "A/B", "填表说明", "总览", "'引号'", "y" * 35, "y" * 35]
    )
    assert names_ == [
        "a_b",
        "a_b(2)",
        "A_B(3)",
        "填表说明(2)",
        "总览(2)",
        "_引号_",
        "y" * 31,
        "y" * 28 + "(2)",
    ]
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names_)


def test_a_branch_name_with_an_exclamation_mark_gets_its_names(
    tmp_path: Path, standard: Standard
) -> None:
    """ "!" is legal in a sheet name, but XlsxWriter refuses defined names on such a sheet."""
    path = write_template(tmp_path / "t.xlsx", TemplateOptions(["第一!支部", "第二！支部"]))
    sheets = read_branch_workbook(path).sheets
    assert [(s.sheet, s.branch_name) for s in sheets] == [
        ("第一_支部", "第一!支部"),
        ("第二！支部", "第二！支部"),  # the full-width ！ is no problem
    ]
    assert all(set(names.required_names(standard)) <= set(s.cells) for s in sheets)


def test_branches_file(tmp_path: Path) -> None:
    path = tmp_path / "branches.txt"
    path.write_bytes("\ufeff第一支部\n\n  第二支部  \r\n第三支部".encode())
    assert read_branches_file(path) == ["第一支部", "第二支部", "第三支部"]
    path.write_text("第一支部\n第二支部\n\n第一支部\n", encoding="utf-8")
    with pytest.raises(BranchListError, match="第 4 行的支部“第一支部”与第 1 行重复"):
        read_branches_file(path)
    path.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(BranchListError, match="没有任何支部名称"):
        read_branches_file(path)
    path.write_bytes("第一支部\n第二".encode("gbk"))
    with pytest.raises(
        BranchListError, match="是GBK（GB2312）编码的文本，不是 UTF-8 编码的文本文件（第 1 行附近）"
    ):
        read_branches_file(path)


def test_cli_writes_the_template(tmp_path: Path, capsys) -> None:
    branches = tmp_path / "list.txt"
    branches.write_text("第二支部\n第三支部\n", encoding="utf-8")
    out = tmp_path / "模板.xlsx"
    code = main(
        [
            "template",
            "-o",
            str(out),
            "--branch",
            "第一支部",
            "--branches-file",
            str(branches),
            "--year",
            "2027",
            "--formulas",
            "native",
        ]
    )
    assert code == 0
    assert "已生成模板" in capsys.readouterr().out
    book = read_branch_workbook(out)
    assert [s.branch_name for s in book.sheets] == ["第一支部", "第二支部", "第三支部"]
    assert book.year == "2027"


def test_cli_errors_leave_the_old_file_alone(tmp_path: Path, capsys) -> None:
    out = tmp_path / "t.xlsx"
    out.write_bytes(b"old contents")
    code = main(["template", "-o", str(out), "--branch", "一", "--branch", " 一 "])
    assert code == 1
    err = capsys.readouterr().err
    assert err.strip() == "错误：第 2 个支部名称“一”与第 1 个重复"
    assert "Traceback" not in err
    assert out.read_bytes() == b"old contents"
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind
    assert main(["template", "-o", str(out)]) == 2
    assert "请用 --branch 或 --branches-file 至少给出一个支部名称" in capsys.readouterr().err


def test_cli_help_is_chinese(capsys) -> None:
    assert main(["template", "--help"]) == 0
    out = capsys.readouterr().out
    assert "用法：" in out
    assert "生成考评定级表模板" in out
    assert "Usage" not in out


def test_package_parts_are_complete(template: Path) -> None:
    with zipfile.ZipFile(template) as package:
        parts = set(package.namelist())
    assert {"docProps/custom.xml", "xl/workbook.xml", "xl/worksheets/sheet2.xml"} <= parts
