"""The xlwings adapter (``xlplugin.excel_book``) through RecordingExcel, loaded from real templates."""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from workbook.core import names
from workbook.core.cells import column_letters
from workbook.core.scoring import RawBranchInputs, assess_branch
from workbook.core.standard import load_standard
from workbook.outputs.file_book import XlsxFileBook
from workbook.outputs.recalc import OVERVIEW_SHEET, recalculate
from workbook.outputs.template import TemplateOptions, write_template
from xlplugin.excel_book import (
    HEADER_COLOR,
    INPUT_COLOR,
    MARK_COLOR,
    ComputedCellError,
    ExcelBook,
    SheetProtectedError,
    recalc_excel_book,
)

from support.recording_excel import RecordingExcel, typed

STANDARD = load_standard()
VALID = RawBranchInputs(deductions={"1.2": 2, "7.1": 12.5}, notes={"1.2": "程序不全"})
INVALID = RawBranchInputs(deductions={"1.2": 5, "2.1": "三分"}, vetoes=["可能"])
MAX_TRIPS_PER_SHEET = 30


def _template(
    tmp_path: Path, branches: dict[str, RawBranchInputs], mode: str = "xlwings", tag: str = ""
) -> Path:
    path = tmp_path / f"t-{mode}-{len(branches)}{tag}.xlsx"
    write_template(
        path,
        TemplateOptions(branches=list(branches), formulas=mode, inputs=branches),  # type: ignore[arg-type]
    )
    return path


def _cell(excel: RecordingExcel, sheet: str, name: str) -> str:
    """The A1 address of a sheet-scoped name in the stand-in."""
    return excel.names_of(sheet)[name].split("!")[1].replace("$", "")


def test_recalculates_marks_and_reports_once(tmp_path: Path) -> None:
    excel = RecordingExcel.from_file(_template(tmp_path, {"第一支部": VALID, "第二支部": INVALID}))

    report = recalc_excel_book(excel.book)

    assert [len(b.problems) for b in report.branches] == [0, 3]
    # Invalid inputs: mark fill and the tool's note that says what is allowed.
    ded = _cell(excel, "第二支部", "ded_1_2")
    assert excel.color("第二支部", ded) == MARK_COLOR
    note = excel.note("第二支部", ded) or ""
    assert note.startswith(names.NOTE_MARKER)
    assert "允许的值：0 或 1～3 之间" in note
    veto = _cell(excel, "第二支部", "veto_1")
    assert "否决情形应填“是”或“否”" in (excel.note("第二支部", veto) or "")
    # Valid inputs get the input fill back and no note.
    assert excel.color("第一支部", _cell(excel, "第一支部", "ded_1_2")) == INPUT_COLOR
    assert excel.note("第一支部", _cell(excel, "第一支部", "ded_1_2")) is None
    # Formulas are kept (Excel computes them); the sheets are protected again.
    score = _cell(excel, "第一支部", "item_1_score")
    assert "KP_ITEM_SCORE(" in excel.formulas["第一支部"][(int(score[1:]), 8)]
    assert excel.protected["第一支部"]
    assert excel.protected["第二支部"]
    assert excel.calculated == 1  # one recalculation of the workbook at the end
    # One 总览 row per branch, written in one call.
    assert excel.value(OVERVIEW_SHEET, "B2") == "第一支部"
    assert excel.value(OVERVIEW_SHEET, "L2") == "较好"
    assert excel.value(OVERVIEW_SHEET, "L3") == "待修正"
    assert excel.value(OVERVIEW_SHEET, "K2") == pytest.approx(85.5)
    assert [c[0] for c in excel.calls_on(OVERVIEW_SHEET)].count("range.raw_value=") == 1
    # One message box: how many branches, how many problems, where.
    assert len(excel.alerts) == 1
    prompt = excel.alerts[0]["prompt"]
    assert "已重新计算 2 个支部" in prompt
    assert "共 3 处输入有误" in prompt
    assert f"第二支部!{ded}：" in prompt
    assert excel.alerts[0]["mode"] == "critical"
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

    assert not report.problems
    assert excel.color("第二支部", ded) == INPUT_COLOR
    assert excel.note("第二支部", ded) is None
    assert excel.value(OVERVIEW_SHEET, "L2") == "好"  # the 总览 row is refreshed, not added
    assert excel.value(OVERVIEW_SHEET, "B3") is None
    assert excel.alerts[-1]["mode"] == "info"


def _with_user_names(excel: RecordingExcel, count: int) -> None:
    """Workbook-level names a user might have (print areas, lookups), not the tool's."""
    for n in range(count):
        excel.defined_names.append((f"用户名称{n}", f"='{excel.sheet_order[0]}'!$A${n + 1}"))


@pytest.mark.parametrize("saved", [True, False])
def test_round_trips_per_sheet_are_few_and_constant(tmp_path: Path, saved: bool) -> None:
    """The same few round trips per branch sheet, whatever the number of names or sheets."""

    def trips(count: int, extra_names: int) -> int:
        branches = {f"第{n}支部": VALID for n in range(1, count + 1)}
        path = _template(tmp_path, branches, tag=f"-{extra_names}-{saved}")
        excel = RecordingExcel.from_file(path, saved=saved)
        if not saved:  # names only Excel knows of (a saved book's names are those on disk)
            _with_user_names(excel, extra_names)
        excel.calls.clear()
        excel.trips.clear()
        recalc_excel_book(excel.book)
        return excel.round_trips

    one, two, five = trips(1, 0), trips(2, 0), trips(5, 0)
    per_sheet = two - one
    assert five - one == 4 * per_sheet
    assert per_sheet <= MAX_TRIPS_PER_SHEET
    assert trips(5, 500) == five  # more names cost nothing


def test_each_sheet_is_read_in_bulk_and_never_overwritten(tmp_path: Path) -> None:
    branches = {f"第{n}支部": VALID for n in range(1, 4)}
    excel = RecordingExcel.from_file(_template(tmp_path, branches), saved=True)
    recalc_excel_book(excel.book)
    for n in range(1, 4):
        kinds = Counter(call[0] for call in excel.calls_on(f"第{n}支部"))
        assert kinds["range.value(chunksize)"] == 2  # the inputs, then the check after Excel
        assert kinds["range.value"] == 0  # never a read that asks Excel for the shape first
        assert kinds["range.formula"] == 1  # one bulk read of the formulas
        assert kinds["range.value="] == 0  # formula cells are never overwritten
        assert kinds["Replace"] == 1  # the KP_ formulas are re-entered once


def test_unsaved_workbook_names_come_from_a_copy(tmp_path: Path) -> None:
    """Unsaved changes may move names: they are read from a copy of the open workbook."""
    path = _template(tmp_path, {"第一支部": VALID})
    excel = RecordingExcel.from_file(path, saved=True)
    excel.set_value("第一支部", "A1", "x")  # unsaved now: the file may be out of date
    moved = "='第一支部'!$E$40"
    excel.defined_names = [
        (n, moved if n.endswith("!ded_1_2") else r) for n, r in excel.defined_names
    ]
    entries = ExcelBook(excel.book).branch_sheets()
    assert entries[0].cells["ded_1_2"].a1 == "E40"
    kinds = Counter(c[0] for c in excel.calls)
    assert kinds["SaveCopyAs"] == 1
    assert kinds["api.Names"] == 0
    assert kinds["book.names"] == 0


def test_names_in_one_pass_when_no_copy_can_be_written(tmp_path: Path) -> None:
    """The fallback: one pass over Names (Item, Name, RefersTo), never xlwings' book.names."""
    excel = RecordingExcel.from_file(_template(tmp_path, {"第一支部": VALID}), saved=False)
    excel.fail_on.add("SaveCopyAs")
    _with_user_names(excel, 100)
    count = len(excel.defined_names)
    entries = ExcelBook(excel.book).branch_sheets()
    assert [e.sheet for e in entries] == ["第一支部"]
    kinds = Counter(c[0] for c in excel.calls)
    assert kinds["api.Names.Item"] == kinds["api.Name.Name"] == kinds["api.Name.RefersTo"] == count
    assert kinds["book.names"] == 0
    name_trips = sum(1 for call, _ in excel.trips if call.startswith("api.Name"))
    assert name_trips == 2 + 3 * count

    # What the stand-in charges for xlwings' own iteration (the old way): 4 per name.
    excel.trips.clear()
    for name in excel.book.names:
        _ = (name.name, name.refers_to)
    assert excel.round_trips == 2 + 4 * count


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


def test_text_stays_text() -> None:
    """What the stand-in does with text is what Excel does; the prefix keeps it exactly."""
    from xlplugin.excel_book import excel_value

    assert isinstance(typed("1-2")[0], _dt.datetime)  # Excel's own parsing, unprefixed
    for text in ["1-2", "=1+1", "007", "'引号", "3/4"]:
        assert typed(excel_value(text)) == (text, None)
    assert excel_value(Decimal("85.5")) == 85.5


def test_branch_name_that_looks_like_a_date_stays_text_in_the_overview(tmp_path: Path) -> None:
    excel = RecordingExcel.from_file(_template(tmp_path, {"1-2": VALID, "=A1": VALID}))
    recalc_excel_book(excel.book)
    assert excel.value(OVERVIEW_SHEET, "B2") == "1-2"
    assert excel.value(OVERVIEW_SHEET, "B3") == "=A1"
    assert not excel.formulas[OVERVIEW_SHEET]


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


def test_not_an_assessment_workbook_raises(tmp_path: Path) -> None:
    from workbook.errors import TemplateMismatchError

    excel = RecordingExcel()
    excel.add_sheet("Sheet1")
    with pytest.raises(TemplateMismatchError, match="不是用本工具生成的考评定级表"):
        recalc_excel_book(excel.book)
    assert excel.screen_updating is True
    assert excel.status_bar is False


def test_password_protected_sheet_fails_fast_and_stays_protected(tmp_path: Path) -> None:
    """Unprotect("") fails at once: no password prompt."""
    excel = RecordingExcel.from_file(_template(tmp_path, {"第一支部": VALID}))
    excel.passwords["第一支部"] = "secret"
    with pytest.raises(SheetProtectedError, match="工作表“第一支部”受密码保护"):
        recalc_excel_book(excel.book)
    assert excel.password_prompts == []
    assert excel.protected["第一支部"]
    assert excel.passwords["第一支部"] == "secret"  # never re-protected without its password
    assert not [c for c in excel.calls_on("第一支部") if c[0] == "Protect"]
    assert excel.screen_updating is True
    assert excel.status_bar is False


def test_sheet_without_password_is_protected_again_with_its_options(tmp_path: Path) -> None:
    excel = RecordingExcel.from_file(_template(tmp_path, {"第一支部": VALID}))
    excel.protect_options["第一支部"] = {
        "AllowFormattingColumns": False,
        "AllowFormattingRows": True,
    }
    recalc_excel_book(excel.book)
    assert excel.protected["第一支部"]
    assert excel.protect_options["第一支部"] == {
        "AllowFormattingColumns": False,
        "AllowFormattingRows": True,
    }


def test_user_notes_are_never_deleted(tmp_path: Path) -> None:
    excel = RecordingExcel.from_file(_template(tmp_path, {"第二支部": INVALID}))
    valid_cell = _cell(excel, "第二支部", "ded_1_1")
    invalid_cell = _cell(excel, "第二支部", "ded_1_2")
    old_recalc_cell = _cell(excel, "第二支部", "ded_3_1")
    excel.add_user_note("第二支部", valid_cell, "支部书记：已核实")
    excel.add_user_note("第二支部", invalid_cell, "待补材料")
    excel.add_user_note("第二支部", "B2", "考评定级 ok")  # mentions the tool, still the user's
    excel.add_user_note("第二支部", old_recalc_cell, "旧的说明", author="考评定级")  # recalc's

    recalc_excel_book(excel.book)
    recalc_excel_book(excel.book)  # twice: the tool's own notes are replaced, not doubled

    assert excel.note("第二支部", valid_cell) == "支部书记：已核实"
    assert excel.note("第二支部", invalid_cell) == "待补材料"  # marked by its fill instead
    assert excel.color("第二支部", invalid_cell) == MARK_COLOR
    assert excel.note("第二支部", "B2") == "考评定级 ok"
    assert excel.note("第二支部", old_recalc_cell) is None
    own = [t for t, _ in excel.notes["第二支部"].values() if t.startswith(names.NOTE_MARKER)]
    assert len(own) == 2  # ded_2_1 and veto_1


def test_progress_in_the_status_bar_and_restored(tmp_path: Path) -> None:
    branches = {f"第{n}支部": VALID for n in range(1, 4)}
    excel = RecordingExcel.from_file(_template(tmp_path, branches))
    recalc_excel_book(excel.book)
    assert excel.status_history[:3] == [f"考评定级：正在计算 {n}/3 个支部" for n in (1, 2, 3)]
    assert excel.status_history[-1] is False  # given back to Excel
    assert excel.screen_updating is True


def test_status_bar_is_restored_when_excel_fails(tmp_path: Path) -> None:
    from support.recording_excel import ExcelError

    excel = RecordingExcel.from_file(_template(tmp_path, {"第一支部": VALID}))
    excel.fail_on.add("app.calculate")
    with pytest.raises(ExcelError):
        recalc_excel_book(excel.book)
    assert excel.status_bar is False
    assert excel.screen_updating is True


def test_progress_updates_are_bounded() -> None:
    """Each status bar update is a round trip: about 20 of them, whatever the sheet count."""
    from xlplugin.excel_book import excel_busy

    excel = RecordingExcel()
    with excel_busy(excel.book.app) as progress:
        for done in range(100):
            progress(done, 100)
    shown = [s for s in excel.status_history if s]
    assert len(shown) == 20
    assert shown[0] == "考评定级：正在计算 1/100 个支部"
    assert shown[-1] == "考评定级：正在计算 96/100 个支部"
    assert excel.status_history[-1] is False


def test_overview_is_formatted_and_marked(tmp_path: Path) -> None:
    from workbook.outputs.recalc import overview

    excel = RecordingExcel.from_file(_template(tmp_path, {"第一支部": VALID}))
    report = recalc_excel_book(excel.book)
    marker = excel.names_of(OVERVIEW_SHEET)[names.OVERVIEW_MARKER]
    assert marker == f"='{OVERVIEW_SHEET}'!$A$1"
    formats = excel.formats[OVERVIEW_SHEET]
    layout = overview(STANDARD, report.branches)  # the one layout both paths use
    assert len(layout.widths) == 16  # with 自评得分 and 自评等级 (a version-2 workbook)
    assert formats["widths"] == {column_letters(i): width for i, width in enumerate(layout.widths)}
    assert (1, 1) in formats["bold"]
    assert (1, 16) in formats["bold"]
    assert excel.colors[OVERVIEW_SHEET][(1, 1)] == HEADER_COLOR
    assert (5, 15) in formats["wrap"]  # 输入检查
    assert (5, 16) in formats["wrap"]  # 扣分情况
    assert (5, 2) in formats["wrap"]  # 支部名称 (a long name is not cut off)
    assert (5, 3) in formats["wrap"]  # 工作表
    assert (5, 4) not in formats["wrap"]
    assert formats["window.SplitRow"] == 1
    assert formats["window.FreezePanes"] is True
    assert formats["page.Orientation"] == 2
    assert formats["page.PaperSize"] == 9
    assert formats["page.FitToPagesWide"] == 1
    assert formats["page.FitToPagesTall"] is False
    assert formats["page.PrintTitleRows"] == "$1:$1"


def test_a_users_sheet_named_overview_is_never_overwritten(tmp_path: Path) -> None:
    excel = RecordingExcel.from_file(_template(tmp_path, {"第一支部": VALID}))
    excel.add_sheet(OVERVIEW_SHEET)
    excel.set_value(OVERVIEW_SHEET, "A1", "我的统计")

    recalc_excel_book(excel.book)
    recalc_excel_book(excel.book)  # the second run finds the tool's sheet by its marker

    assert excel.value(OVERVIEW_SHEET, "A1") == "我的统计"
    assert excel.sheet_order.count(f"{OVERVIEW_SHEET}(2)") == 1
    assert excel.value(f"{OVERVIEW_SHEET}(2)", "B2") == "第一支部"
    assert names.OVERVIEW_MARKER in excel.names_of(f"{OVERVIEW_SHEET}(2)")
    assert names.OVERVIEW_MARKER not in excel.names_of(OVERVIEW_SHEET)


def test_kp_formulas_are_bound_to_the_addin(tmp_path: Path) -> None:
    """Formulas parsed before the add-in was loaded are re-entered once, so they compute."""
    excel = RecordingExcel.from_file(_template(tmp_path, {"第一支部": VALID}))
    excel.unbound.add("第一支部")
    report = recalc_excel_book(excel.book)
    assert not report.problems
    total = _cell(excel, "第一支部", names.TOTAL_SCORE)
    assert excel.value("第一支部", total) == pytest.approx(85.5)


def test_native_formulas_are_not_re_entered(tmp_path: Path) -> None:
    excel = RecordingExcel.from_file(_template(tmp_path, {"第一支部": VALID}, "native"))
    recalc_excel_book(excel.book)
    assert not [c for c in excel.calls if c[0] == "Replace"]


def test_an_error_value_in_a_computed_cell_is_never_reported_as_success(tmp_path: Path) -> None:
    """No add-in and a bare KP_ formula: #NAME? after Excel's recalculation -> an error."""
    excel = RecordingExcel.from_file(_template(tmp_path, {"第一支部": VALID}))
    total = _cell(excel, "第一支部", names.TOTAL_SCORE)
    excel.set_formula("第一支部", total, "=KP_TOTAL(G5:G25)", 85.5)
    excel.addin_loaded = False
    with pytest.raises(ComputedCellError, match=f"第一支部!{total}：#NAME\\?"):
        recalc_excel_book(excel.book)
    assert not excel.alerts  # no success message
    assert excel.screen_updating is True
    assert excel.status_bar is False


def test_input_cells_with_formulas_and_error_values(tmp_path: Path) -> None:
    excel = RecordingExcel.from_file(_template(tmp_path, {"第一支部": VALID}))
    ded = _cell(excel, "第一支部", "ded_1_2")
    note = _cell(excel, "第一支部", "note_1_3")
    veto = _cell(excel, "第一支部", "veto_2")
    excel.set_formula("第一支部", ded, "=1+1", 2.0)
    excel.set_formula("第一支部", note, "=VLOOKUP(A1,B:C,2,0)", "#N/A")
    excel.set_formula("第一支部", veto, "=1/0", "#DIV/0!")

    report = recalc_excel_book(excel.book)

    prompt = excel.alerts[-1]["prompt"]
    assert f"第一支部!{ded}：输入单元格中是公式，按其结果“2.0”计算" in prompt  # a warning
    # An error value in a 扣分说明 is an input error of the engine, as in consolidate and recalc.
    assert f"第一支部!{note}：规则 1.3" in prompt
    assert "扣分说明：单元格显示错误值 #N/A" in prompt
    assert [p.place for p in report.problems] == [f"第一支部!{note}", f"第一支部!{veto}"]
    assert excel.alerts[-1]["mode"] == "critical"


def test_platform_picks_the_object_model() -> None:
    from xlplugin.excel_book import MacCalls, WindowsCalls

    excel = RecordingExcel()
    assert ExcelBook(excel.book, platform="darwin").calls is MacCalls
    assert ExcelBook(excel.book, platform="win32").calls is WindowsCalls


def test_mac_reads_names_through_xlwings(tmp_path: Path) -> None:
    excel = RecordingExcel.from_file(_template(tmp_path, {"第一支部": VALID}))
    entries = ExcelBook(excel.book, platform="darwin").branch_sheets()
    assert [e.sheet for e in entries] == ["第一支部"]
    assert any(c[0] == "book.names" for c in excel.calls)


def test_core_and_plugin_import_without_xlwings() -> None:
    """workbook/ never imports xlwings; importing xlplugin itself must not need it either."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['xlwings'] = None\n"
        "import workbook.cli.main, workbook.outputs.recalc, workbook.xlsx.package, xlplugin, xlplugin.addin\n"
        "import xlplugin.excel_book, xlplugin.ribbon\n"
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


@pytest.mark.parametrize(
    ("fullname", "way"), [("工作簿1", "SaveCopyAs"), ("D:/考评/旧表.xls", "api.Names")]
)
def test_where_names_come_from(tmp_path: Path, fullname: str, way: str) -> None:
    """A never-saved workbook is copied; a binary .xls cannot be parsed: names over COM."""
    excel = RecordingExcel.from_file(_template(tmp_path, {"第一支部": VALID}))
    excel.fullname = fullname
    assert [e.sheet for e in ExcelBook(excel.book).branch_sheets()] == ["第一支部"]
    kinds = Counter(c[0] for c in excel.calls)
    assert kinds[way] == 1
    assert kinds["SaveCopyAs"] + kinds["api.Names"] == 1


def test_the_tally_counts_in_excel_as_in_recalc(tmp_path: Path) -> None:
    """A 群众测评 tally through the adapter: rule 7.1 blank counts the tally's deduction, a bad
    count is marked with the engine's message, an override without a note marks the note."""
    from workbook.core.scoring import RawSurvey

    counts = [{"满意": 40, "基本满意": 6, "不满意": 4}] * 3
    branches = {
        "第一支部": RawBranchInputs({}, survey=RawSurvey(55, 50, counts)),
        "第二支部": RawBranchInputs({"7.1": 5}, survey=RawSurvey(55, 50, counts)),
        "第三支部": RawBranchInputs({}, survey=RawSurvey(55, 50, [{"满意": 1.5}])),
    }
    excel = RecordingExcel.from_file(_template(tmp_path, branches, tag="survey"))
    report = recalc_excel_book(excel.book)
    by_sheet = {b.sheet: b for b in report.branches}
    first = by_sheet["第一支部"].assessment
    assert first.result is not None
    assert first.result.total == Decimal("98.0")
    (deduction,) = first.result.deductions
    assert deduction.note == "按群众测评：满意率 92.0%（有效票 50）"
    note_cell = _cell(excel, "第二支部", "note_7_1")
    assert excel.color("第二支部", note_cell) == MARK_COLOR
    assert "须在扣分说明中写明理由" in (excel.note("第二支部", note_cell) or "")
    bad = _cell(excel, "第三支部", names.survey_count_name(1, 1))
    assert excel.color("第三支部", bad) == MARK_COLOR
    assert "应为整数，实际为“1.5”" in (excel.note("第三支部", bad) or "")
    # The file adapter (branch-assess recalc) says the same.
    file_report = recalculate(XlsxFileBook(_template(tmp_path, branches, tag="survey2")))
    assert [str(p) for p in file_report.problems] == [str(p) for p in report.problems]
