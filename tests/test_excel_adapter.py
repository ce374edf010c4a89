"""The xlwings adapter (``xlplugin.excel_book``) through RecordingExcel, loaded from real templates."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from workbook import names
from workbook.recalc import OVERVIEW_SHEET, XlsxFileBook, recalculate
from workbook.scoring import RawBranchInputs, assess_branch
from workbook.standard import load_standard
from workbook.template import TemplateOptions, write_template
from xlplugin.excel_book import INPUT_COLOR, MARK_COLOR, ExcelBook, recalc_excel_book

from recording_excel import RecordingExcel

STANDARD = load_standard()
VALID = RawBranchInputs(deductions={"1.2": 2, "7.1": 12.5}, notes={"1.2": "程序不全"})
INVALID = RawBranchInputs(deductions={"1.2": 5, "2.1": "三分"}, vetoes=["可能"])


def _template(tmp_path: Path, branches: dict[str, RawBranchInputs], mode: str = "xlwings") -> Path:
    path = tmp_path / f"t-{mode}-{len(branches)}.xlsx"
    write_template(
        path,
        TemplateOptions(branches=list(branches), formulas=mode, inputs=branches),  # type: ignore[arg-type]
    )
    return path


def _cell(excel: RecordingExcel, sheet: str, name: str) -> str:
    """The A1 address of a sheet-scoped name in the stand-in."""
    quoted = "'" + sheet.replace("'", "''") + "'"
    target = dict(excel.defined_names)[f"{quoted}!{name}"]
    return target.split("!")[1].replace("$", "")


def test_main_recalculates_marks_and_reports_once(tmp_path: Path) -> None:
    excel = RecordingExcel.from_file(_template(tmp_path, {"第一支部": VALID, "第二支部": INVALID}))

    report = recalc_excel_book(excel.book)

    assert report is not None
    assert [len(b.problems) for b in report.branches] == [0, 3]
    # Invalid inputs: mark fill and a note that says what is allowed.
    ded = _cell(excel, "第二支部", "ded_1_2")
    assert excel.color("第二支部", ded) == MARK_COLOR
    assert "允许的值：0 或 1～3 之间" in (excel.note("第二支部", ded) or "")
    veto = _cell(excel, "第二支部", "veto_1")
    assert "否决情形应填“是”或“否”" in (excel.note("第二支部", veto) or "")
    # Valid inputs get the input fill back and no note.
    assert excel.color("第一支部", _cell(excel, "第一支部", "ded_1_2")) == INPUT_COLOR
    assert excel.note("第一支部", _cell(excel, "第一支部", "ded_1_2")) is None
    # Formulas are kept (Excel computes them); the sheets are protected again.
    score = _cell(excel, "第一支部", "item_1_score")
    assert excel.formulas["第一支部"][(int(score[1:]), 7)].startswith("=KP_ITEM_SCORE(")
    assert excel.protected["第一支部"] and excel.protected["第二支部"]
    assert excel.calculated == 1  # one recalculation of the workbook at the end
    # One 总览 row per branch, written in one call.
    assert excel.value(OVERVIEW_SHEET, "B2") == "第一支部"
    assert excel.value(OVERVIEW_SHEET, "L2") == "较好"
    assert excel.value(OVERVIEW_SHEET, "L3") == "待修正"
    assert excel.value(OVERVIEW_SHEET, "K2") == pytest.approx(85.5)
    assert [c[0] for c in excel.calls_on(OVERVIEW_SHEET)].count("range.value=") == 1
    # One message box: how many branches, how many problems, where.
    assert len(excel.alerts) == 1
    prompt = excel.alerts[0]["prompt"]
    assert "已重新计算 2 个支部" in prompt and "共 3 处输入有误" in prompt
    assert f"第二支部!{ded}：" in prompt
    assert excel.screen_updating is True


def test_marks_are_cleared_when_fixed(tmp_path: Path) -> None:
    excel = RecordingExcel.from_file(_template(tmp_path, {"第二支部": INVALID}))
    recalc_excel_book(excel.book)
    ded = _cell(excel, "第二支部", "ded_1_2")
    assert excel.color("第二支部", ded) == MARK_COLOR

    excel.set_value("第二支部", ded, 2.0)
    excel.set_value("第二支部", _cell(excel, "第二支部", "ded_2_1"), None)
    excel.set_value("第二支部", _cell(excel, "第二支部", "veto_1"), "否")
    report = recalc_excel_book(excel.book)

    assert report is not None and not report.problems
    assert excel.color("第二支部", ded) == INPUT_COLOR
    assert excel.note("第二支部", ded) is None
    assert excel.value(OVERVIEW_SHEET, "L2") == "好"  # the 总览 row is refreshed, not added
    assert excel.value(OVERVIEW_SHEET, "B3") is None


def test_round_trips_per_sheet_are_constant(tmp_path: Path) -> None:
    """Excel calls grow by a fixed amount per branch sheet, and each sheet is read in bulk."""

    def calls_for(count: int) -> tuple[int, RecordingExcel]:
        branches = {f"第{n}支部": VALID for n in range(1, count + 1)}
        excel = RecordingExcel.from_file(_template(tmp_path, branches))
        excel.calls.clear()
        recalculate(ExcelBook(excel.book))
        return len(excel.calls), excel

    one, _ = calls_for(1)
    two, _ = calls_for(2)
    five, excel = calls_for(5)
    per_sheet = two - one
    assert five - one == 4 * per_sheet
    for n in range(1, 6):
        kinds = Counter(call[0] for call in excel.calls_on(f"第{n}支部"))
        assert kinds["range.value"] == 1  # one bulk read of the values
        assert kinds["range.formula"] == 1  # one bulk read of the formulas
        assert kinds["range.value="] == 0  # formula cells are never overwritten


def test_round_trips_grow_only_by_one_note_per_problem(tmp_path: Path) -> None:
    excel = RecordingExcel.from_file(_template(tmp_path, {"第一支部": VALID, "第二支部": INVALID}))
    recalculate(ExcelBook(excel.book))
    # Sheet lookups are left out: adding 总览 after the last sheet looks that sheet up once.
    valid = Counter(c[0] for c in excel.calls_on("第一支部") if c[0] != "book.sheets[]")
    invalid = Counter(c[0] for c in excel.calls_on("第二支部") if c[0] != "book.sheets[]")
    assert invalid["AddComment"] == 3
    # The invalid sheet costs one more fill (the marks) and one note per problem.
    assert invalid == valid + Counter({"sheet.range": 1 + 3, "range.color=": 1, "AddComment": 3})


def test_constant_cells_get_the_engine_values(tmp_path: Path) -> None:
    """A computed cell whose formula was replaced by a constant gets the engine's value."""
    excel = RecordingExcel.from_file(_template(tmp_path, {"第一支部": VALID}))
    total = _cell(excel, "第一支部", names.TOTAL_SCORE)
    grade = _cell(excel, "第一支部", names.GRADE)
    excel.set_value("第一支部", total, 0)
    excel.set_value("第一支部", grade, "好")

    recalc_excel_book(excel.book)

    assert excel.value("第一支部", total) == pytest.approx(85.5)
    assert excel.value("第一支部", grade) == "较好"


@pytest.mark.parametrize("mode", ["xlwings", "native"])
def test_excel_and_file_adapters_agree(tmp_path: Path, mode: str) -> None:
    """One recalculation, two places: the same assessments and 总览 rows."""
    path = _template(tmp_path, {"第一支部": VALID, "第二支部": INVALID}, mode)
    excel = RecordingExcel.from_file(path)
    in_excel = recalculate(ExcelBook(excel.book))
    file_book = XlsxFileBook(path)
    in_file = recalculate(file_book)
    file_book.close()
    assert [b.assessment for b in in_excel.branches] == [b.assessment for b in in_file.branches]
    assert [str(p) for p in in_excel.problems] == [str(p) for p in in_file.problems]
    expected = assess_branch(STANDARD, VALID)
    assert in_excel.branches[0].assessment.total_text == expected.total_text == Decimal("85.5")


def test_errors_end_in_a_message_box_not_a_traceback(tmp_path: Path) -> None:
    excel = RecordingExcel()
    excel.add_sheet("Sheet1")
    assert recalc_excel_book(excel.book) is None
    assert len(excel.alerts) == 1
    assert excel.alerts[0]["prompt"].startswith("错误：工作簿中没有支部工作表")
    assert excel.screen_updating is True


def test_password_protected_sheet_is_reported(tmp_path: Path) -> None:
    excel = RecordingExcel.from_file(_template(tmp_path, {"第一支部": VALID}))
    excel.passwords["第一支部"] = "secret"
    recalc_excel_book(excel.book)
    assert len(excel.alerts) == 1
    assert excel.alerts[0]["prompt"].startswith("错误：工作表“第一支部”受密码保护")
    assert excel.protected["第一支部"]


def test_platform_picks_the_object_model(tmp_path: Path) -> None:
    from xlplugin.excel_book import MacCalls, WindowsCalls

    excel = RecordingExcel()
    assert ExcelBook(excel.book, platform="darwin").calls is MacCalls
    assert ExcelBook(excel.book, platform="win32").calls is WindowsCalls


def test_core_and_plugin_import_without_xlwings() -> None:
    """workbook/ never imports xlwings; importing xlplugin itself must not need it either."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['xlwings'] = None\n"
        "import workbook.cli, workbook.recalc, workbook.xlsx_patch, xlplugin, xlplugin.addin\n"
        "assert callable(xlplugin.main)\n"
        "try:\n"
        "    import xlplugin.udfs\n"
        "except ImportError:\n"
        "    print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
