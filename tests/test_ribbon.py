"""The ribbon button through the year, and ``xlplugin.main()``'s failures, through RecordingExcel.

Real files stand behind the stand-in: the assessment workbook, the summary and the ``.eml``
draft are written to ``tmp_path`` by the same core functions as the command line, and read back
with the project's reader and the standard library's email parser.
"""

from __future__ import annotations

import datetime as _dt
import email
import email.policy
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import xlplugin
from workbook.cli.main import cli as cli_main
from workbook.core import names
from workbook.core.names import PROP_SUMMARY
from workbook.core.scoring import RawBranchInputs
from workbook.errors import AddinError, ConfigError
from workbook.inputs.consolidate import consolidate
from workbook.outputs.mail import read_summary_info
from workbook.outputs.summary import write_summary
from workbook.outputs.template import TemplateOptions, write_template
from workbook.xlsx.workbook_info import read_package_info
from xlplugin.ribbon import Ribbon, summary_folder

from support.recording_excel import ExcelError, RecordingExcel

VALID = RawBranchInputs(deductions={"1.2": 2, "7.1": 12.5}, notes={"1.2": "程序不全"})
INVALID = RawBranchInputs(deductions={"1.2": 5})
CONFIG = """[mail]
from = "安吉县个体民营企业协会党委 <dangwei@example.org>"
to = ["县委组织部 <zuzhibu@example.org>"]
"""
TODAY = _dt.date(2026, 12, 1)


def _assessment(folder: Path, inputs: dict[str, RawBranchInputs], year: int = 2026) -> Path:
    path = folder / f"{year}年度考评定级表.xlsx"
    write_template(path, TemplateOptions(branches=list(inputs), year=year, inputs=inputs))
    return path


def _ribbon(excel: RecordingExcel, opened: list[Path] | None = None) -> Ribbon:
    return Ribbon(
        excel.book,
        platform="win32",
        today=TODAY,
        open_file=(opened.append if opened is not None else lambda path: None),
        env={},
    )


def _branch_list(folder: Path) -> RecordingExcel:
    """An ordinary workbook with a list of branch names in A1:A4 (A3 blank, A4 a number)."""
    excel = RecordingExcel()
    excel.add_sheet("名单")
    for row, name in enumerate(["第一支部", " 第二支部 ", None, 301.0], start=1):
        excel.set_value("名单", f"A{row}", name)
    excel.fullname = str(folder / "名单.xlsx")
    return excel


# --- creating the assessment workbook ----------------------------------------------------------


def test_selected_branch_names_become_the_assessment_workbook(tmp_path: Path) -> None:
    excel = _branch_list(tmp_path)
    excel.selection = ("名单", "A1:A4")
    excel.years = [2027]
    excel.answers = ["yes"]

    _ribbon(excel).press()

    path = tmp_path / "2027年度考评定级表.xlsx"
    info = read_package_info(path)
    assert [s for s in info.sheet_names if names.BRANCH_NAME in info.local_names.get(s, {})] == [
        "第一支部",
        "第二支部",
        "301",
    ]
    assert info.properties[names.PROP_YEAR] == "2027"
    assert excel.opened == [str(path)]
    question, done = excel.alerts[1], excel.alerts[2]
    assert "将为选中的 3 个支部新建 2027 年度考评定级表" in question["prompt"]
    assert question["buttons"] == "yes_no"
    assert done["prompt"].startswith(f"已生成考评定级表：{path}")
    assert len(excel.alerts) == 3  # the year box, the question, the result


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "2026年度考评定级表.xlsx").write_bytes(b"mine")
    excel = _branch_list(tmp_path)
    excel.selection = ("名单", "A1")
    excel.answers = ["yes"]

    _ribbon(excel).press()  # the year box is left at its default, this year

    assert (tmp_path / "2026年度考评定级表.xlsx").read_bytes() == b"mine"
    assert excel.opened == [str(tmp_path / "2026年度考评定级表(2).xlsx")]


def test_cancelled_year_or_question_writes_nothing(tmp_path: Path) -> None:
    excel = _branch_list(tmp_path)
    excel.selection = ("名单", "A1:A4")
    excel.years = [False]
    _ribbon(excel).press()
    excel.years, excel.answers = [2026], ["no"]
    _ribbon(excel).press()
    assert not list(tmp_path.iterdir())
    assert not excel.opened


def test_a_year_out_of_range_is_refused(tmp_path: Path) -> None:
    excel = _branch_list(tmp_path)
    excel.selection = ("名单", "A1")
    excel.years = [26]
    with pytest.raises(AddinError, match="考评年度 26 不对"):
        _ribbon(excel).press()


def test_nothing_selected_explains_how(tmp_path: Path) -> None:
    excel = _branch_list(tmp_path)
    excel.selection = ("名单", "A3")  # a blank cell
    excel.answers = ["no"]
    _ribbon(excel).press()
    assert len(excel.alerts) == 1
    prompt = excel.alerts[0]["prompt"]
    assert "选中写有支部名称的单元格" in prompt
    assert "汇总各支部交回的考评定级表" in prompt
    assert not list(tmp_path.iterdir())


# --- in the assessment workbook --------------------------------------------------------------


def test_valid_workbook_to_summary_and_draft_mail(tmp_path: Path) -> None:
    path = _assessment(tmp_path, {"第一支部": VALID, "第二支部": VALID})
    (tmp_path / "branch-assess.toml").write_text(CONFIG, encoding="utf-8")
    excel = RecordingExcel.from_file(path)
    excel.answers = ["yes", "yes"]
    opened: list[Path] = []

    _ribbon(excel, opened).press()

    summary = tmp_path / "2026年度考评定级汇总.xlsx"
    assert read_summary_info(summary).year == "2026"
    assert excel.saves == 1  # saved first, as the question said
    eml = summary.with_suffix(".eml")
    assert opened == [eml]
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["X-Unsent"] == "1"
    assert "zuzhibu@example.org" in message["To"]
    attachment = next(iter(message.iter_attachments()))
    assert attachment.get_filename() == summary.name
    assert attachment.get_content() == summary.read_bytes()
    first, second, last = (a["prompt"] for a in excel.alerts)
    assert first.startswith("已重新计算 2 个支部，全部输入有效。")
    assert "是否生成" in first
    assert second.startswith(f"已生成汇总表：{summary}")
    assert "邮件草稿" in second
    assert last.startswith(f"已生成邮件草稿：{eml}")


def test_invalid_workbook_lists_what_to_fix_and_offers_nothing(tmp_path: Path) -> None:
    path = _assessment(tmp_path, {"第一支部": VALID, "第二支部": INVALID})
    excel = RecordingExcel.from_file(path)
    _ribbon(excel).press()
    assert len(excel.alerts) == 1
    alert = excel.alerts[0]
    assert alert["buttons"] == "ok"
    assert alert["mode"] == "critical"
    assert "第二支部!E6：" in alert["prompt"]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_declining_the_summary_writes_nothing(tmp_path: Path) -> None:
    path = _assessment(tmp_path, {"第一支部": VALID})
    excel = RecordingExcel.from_file(path)
    excel.answers = ["no"]
    _ribbon(excel).press()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    assert excel.saves == 0


def test_a_never_saved_workbook_must_be_saved_first(tmp_path: Path) -> None:
    path = _assessment(tmp_path, {"第一支部": VALID})
    excel = RecordingExcel.from_file(path)
    excel.fullname = "工作簿1"
    excel.answers = ["yes"]
    with pytest.raises(AddinError, match="请先用“文件 → 另存为”保存"):
        _ribbon(excel).press()


def test_the_draft_mail_needs_the_settings(tmp_path: Path) -> None:
    path = _assessment(tmp_path, {"第一支部": VALID})
    excel = RecordingExcel.from_file(path)
    excel.answers = ["yes", "yes"]
    with pytest.raises(ConfigError, match=r"branch-assess\.toml"):
        _ribbon(excel).press()
    assert (tmp_path / "2026年度考评定级汇总.xlsx").is_file()  # the summary is written
    assert not (tmp_path / "2026年度考评定级汇总.eml").exists()


# --- returned workbooks and the summary workbook ---------------------------------------------


def _returned(tmp_path: Path, second: RawBranchInputs = VALID) -> Path:
    folder = tmp_path / "已收回"
    folder.mkdir()
    _assessment(folder, {"第一支部": VALID}).rename(folder / "第一支部.xlsx")
    _assessment(folder, {"第二支部": second}).rename(folder / "第二支部.xlsx")
    return folder


def _summary_excel(tmp_path: Path) -> RecordingExcel:
    old = tmp_path / "上次" / "汇总.xlsx"
    old.parent.mkdir()
    write_summary(old, consolidate([_assessment(old.parent, {"第一支部": VALID})]))
    excel = RecordingExcel.from_file(old)
    assert excel.properties[PROP_SUMMARY] == "1"
    return excel


def test_summary_workbook_consolidates_a_picked_folder(tmp_path: Path) -> None:
    folder = _returned(tmp_path)
    excel = _summary_excel(tmp_path)
    excel.answers = ["yes"]
    excel.folders = [str(folder)]

    _ribbon(excel).press()

    summary = tmp_path / "2026年度考评定级汇总.xlsx"
    info = read_package_info(summary)
    assert info.properties[PROP_SUMMARY] == "1"
    assert excel.opened == [str(summary)]
    assert excel.alerts[-1]["prompt"].startswith(f"已汇总 2 个文件：{folder}")


def test_a_summary_open_in_excel_is_not_written_over(tmp_path: Path) -> None:
    folder = _returned(tmp_path)
    excel = _summary_excel(tmp_path)
    # Last time's summary is where the new one would go, and it is open in this Excel.
    target = tmp_path / "2026年度考评定级汇总.xlsx"
    (tmp_path / "前次").mkdir()
    write_summary(target, consolidate([_assessment(tmp_path / "前次", {"第九支部": VALID})]))
    before = target.read_bytes()
    excel.other_books = [str(target)]
    excel.answers = ["yes"]
    excel.folders = [str(folder)]

    _ribbon(excel).press()

    assert target.read_bytes() == before
    summary = tmp_path / "2026年度考评定级汇总(2).xlsx"
    assert excel.opened == [str(summary)]
    prompt = excel.alerts[-1]["prompt"]
    assert f"{target} 已在 Excel 中打开" in prompt
    assert "请先关闭该工作簿" in prompt


def test_a_workbook_of_the_same_name_open_elsewhere_is_avoided(tmp_path: Path) -> None:
    folder = _returned(tmp_path)
    excel = _summary_excel(tmp_path)
    elsewhere = "D:\\去年\\2026年度考评定级汇总.xlsx"
    excel.other_books = [elsewhere]
    excel.answers = ["yes"]
    excel.folders = [str(folder)]

    _ribbon(excel).press()

    assert excel.opened == [str(tmp_path / "2026年度考评定级汇总(2).xlsx")]
    assert f"{elsewhere} 已在 Excel 中打开" in excel.alerts[-1]["prompt"]


def test_the_summary_goes_beside_the_folder_or_says_where() -> None:
    assert summary_folder(Path("/考评/交回")) == (Path("/考评"), "")
    assert summary_folder(Path("/交回")) == (Path("/"), "")
    into, note = summary_folder(Path("/"))
    assert into == Path("/")
    assert "是磁盘根目录，汇总表保存在这个文件夹中" in note


def test_returned_workbooks_with_problems_give_no_summary(tmp_path: Path) -> None:
    folder = _returned(tmp_path, second=INVALID)
    excel = _summary_excel(tmp_path)
    excel.answers = ["yes"]
    excel.folders = [str(folder)]

    _ribbon(excel).press()

    assert not (tmp_path / "2026年度考评定级汇总.xlsx").exists()
    last = excel.alerts[-1]
    assert last["mode"] == "critical"
    assert "第二支部!E6" in last["prompt"]


def test_consolidation_is_offered_without_an_assessment_workbook(tmp_path: Path) -> None:
    folder = _returned(tmp_path)
    excel = _branch_list(tmp_path)
    excel.selection = None
    excel.answers = ["yes"]
    excel.folders = [None]  # the user cancels the folder dialog
    _ribbon(excel).press()
    assert len(excel.alerts) == 1
    assert not excel.opened
    excel.answers, excel.folders = ["yes"], [str(folder)]
    _ribbon(excel).press()
    assert excel.opened == [str(tmp_path / "2026年度考评定级汇总.xlsx")]


def test_summary_workbook_writes_the_draft_mail(tmp_path: Path) -> None:
    excel = _summary_excel(tmp_path)
    summary = Path(excel.fullname)
    (summary.parent / "branch-assess.toml").write_text(CONFIG, encoding="utf-8")
    excel.answers = ["no"]
    opened: list[Path] = []
    _ribbon(excel, opened).press()
    assert opened == [summary.with_suffix(".eml")]
    message = email.message_from_bytes(opened[0].read_bytes(), policy=email.policy.default)
    assert message["X-Unsent"] == "1"


def test_cli_eml_is_an_unsent_draft(tmp_path: Path) -> None:
    excel = _summary_excel(tmp_path)
    eml = tmp_path / "汇总.eml"
    result = CliRunner().invoke(
        cli_main,
        [
            "email",
            excel.fullname,
            "--from",
            "dangwei@example.org",
            "--to",
            "zuzhibu@example.org",
            "--eml",
            str(eml),
        ],
    )
    assert result.exit_code == 0, result.output
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["X-Unsent"] == "1"
    assert message["To"] == "zuzhibu@example.org"


# --- main(): one Chinese line and exit code 1, never a traceback -----------------------------


def _main_with(monkeypatch: pytest.MonkeyPatch, excel: RecordingExcel, **kwargs: bool) -> str:
    monkeypatch.setitem(sys.modules, "xlwings", excel.xlwings_module(**kwargs))
    monkeypatch.delenv(xlplugin.DEBUG_ENV, raising=False)
    with pytest.raises(SystemExit) as stop:
        xlplugin.main()
    assert stop.value.code == 1
    return ""


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_main_runs_the_button(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    excel = RecordingExcel.from_file(_assessment(tmp_path, {"第一支部": INVALID}))
    monkeypatch.setitem(sys.modules, "xlwings", excel.xlwings_module())
    xlplugin.main()  # returns: exit code 0
    assert len(excel.alerts) == 1


def test_main_when_book_caller_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _main_with(monkeypatch, RecordingExcel(), caller_fails=True)
    line = _one_line(capsys)
    assert line.startswith("错误：无法连接到 Excel 中的当前工作簿")


@pytest.mark.parametrize("call", ["app.screen_updating=", "app.alert", "app.status_bar="])
def test_main_when_excel_fails(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    call: str,
) -> None:
    excel = RecordingExcel.from_file(_assessment(tmp_path, {"第一支部": VALID}))
    excel.fail_on.add(call)
    _main_with(monkeypatch, excel)
    line = _one_line(capsys)
    assert line.startswith("内部错误：ExcelError:")
    assert call in line
    assert "请把这条信息和所用文件发给维护人员" in line


def test_main_reports_the_projects_errors_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    excel = RecordingExcel.from_file(_assessment(tmp_path, {"第一支部": VALID}))
    excel.passwords["第一支部"] = "secret"
    _main_with(monkeypatch, excel)
    line = _one_line(capsys)
    assert line.startswith("错误：工作表“第一支部”受密码保护")
    assert not excel.alerts
    assert excel.screen_updating is True
    assert excel.status_bar is False


def test_main_when_an_alert_in_a_step_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    excel = _branch_list(tmp_path)
    excel.selection = ("名单", "A1")
    excel.fail_on.add("app.alert")
    _main_with(monkeypatch, excel)
    assert _one_line(capsys).startswith("内部错误：ExcelError: app.alert failed")


def test_main_when_xlwings_cannot_be_imported() -> None:
    code = "import sys; sys.modules['xlwings'] = None\nimport xlplugin; xlplugin.main()\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert result.returncode == 1
    err = result.stderr.decode("utf-8")
    assert "Traceback" not in err
    assert err.splitlines() == [err.strip()]
    assert err.startswith("错误：无法载入 xlwings")


def test_windows_log_is_written_in_the_ansi_code_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """The add-in's VBA reads the log with Line Input, i.e. in the ANSI code page (GBK)."""
    import io
    import locale

    buffer = io.BytesIO()
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(locale, "getencoding", lambda: "cp936")
    monkeypatch.setattr(sys, "stderr", io.TextIOWrapper(buffer, encoding="utf-8"))
    xlplugin._fail("错误：工作表“第一支部”受密码保护")
    assert buffer.getvalue().decode("cp936") == "错误：工作表“第一支部”受密码保护\n"


def test_failure_line_is_one_line() -> None:
    line = xlplugin.failure_line(ExcelError("first\nsecond"))
    assert "\n" not in line
    assert "first second" in line


def _rectification_book(tmp_path: Path) -> Path:
    """A 整改清单 workbook as `consolidate --rectification` writes it (marked kp_summary too)."""
    from workbook.outputs.rectification import write_rectification_books

    folder = tmp_path / "整改"
    source = tmp_path / "来源"
    source.mkdir()
    result = consolidate([_assessment(source, {"第一支部": VALID})])
    (written,) = write_rectification_books(result, folder, draft=False)
    return written.path


def test_a_rectification_workbook_is_not_taken_for_the_summary(tmp_path: Path) -> None:
    """Review: the button on a branch's 整改清单 said 本工作簿是考评定级汇总表 and offered to mail
    it to the county as the summary."""
    excel = RecordingExcel.from_file(_rectification_book(tmp_path))
    assert excel.properties[PROP_SUMMARY] == "1"
    (tmp_path / "整改" / "branch-assess.toml").write_text(CONFIG, encoding="utf-8")
    excel.answers = ["no"]
    opened: list[Path] = []
    _ribbon(excel, opened).press()
    prompt = excel.alerts[-1]["prompt"]
    assert prompt.startswith("本工作簿是整改清单，不是考评定级表或汇总表"), prompt
    assert "报送" in prompt
    assert opened == []
    assert not list((tmp_path / "整改").glob("*.eml"))


def test_a_rectification_workbook_under_the_summary_name_is_not_written_over(
    tmp_path: Path,
) -> None:
    folder = _returned(tmp_path)
    taken = tmp_path / "2026年度考评定级汇总.xlsx"
    _rectification_book(tmp_path).rename(taken)
    before = taken.read_bytes()
    excel = _summary_excel(tmp_path)
    excel.answers = ["yes"]
    excel.folders = [str(folder)]

    _ribbon(excel).press()

    assert taken.read_bytes() == before
    summary = tmp_path / "2026年度考评定级汇总(2).xlsx"
    assert read_package_info(summary).properties[PROP_SUMMARY] == "1"
    assert excel.opened == [str(summary)]
