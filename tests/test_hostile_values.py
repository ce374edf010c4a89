"""Hostile values and workbooks found by the review of template, recalc and survey (review2):
what the user sees in the messages and on disk."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from workbook.cli.main import main
from workbook.core.standard import STANDARD_FILE_ENV, STANDARDS_DIR_ENV
from workbook.outputs.template import TemplateOptions, write_template

from support.libreoffice import convert, requires_libreoffice
from support.libreoffice_uno import edit_in_libreoffice, uno_available
from support.workbook_helpers import fill_by_names

PREVIOUS = Path(__file__).parents[1] / "workbook" / "demo_data" / "previous_2025.json"


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return write_template(tmp_path / "考评.xlsx", TemplateOptions(["第一支部"], year=2026))


@pytest.mark.parametrize("command", ["recalc", "consolidate"])
def test_a_huge_number_is_named_as_a_spreadsheet_shows_it(
    tmp_path: Path, template: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """1E+300 typed into a 扣分 cell was written out with 301 digits in the message (and in the
    cell's note and 总览)."""
    filled = fill_by_names(
        template,
        {"第一支部": {"ded_1_2": 1e300, "ded_1_3": -2.5e200}},
        tmp_path / "填好.xlsx",
    )
    args = [str(filled), "-o", str(tmp_path / "out.xlsx")]
    assert main([command, *args]) == 1
    err = capsys.readouterr().err
    assert "第一支部!E6：规则 1.2“发展党员工作不规范的扣1-3分”：扣分 1E+300 不符合此规则" in err
    assert "第一支部!E7：" in err
    assert "扣分不能为负数（-2.5E+200）" in err
    assert "0000000000" not in err


LONG_NAME = "安吉县递铺街道" + "很长的名字" * 8 + "支部"


@pytest.mark.libreoffice
@requires_libreoffice
def test_a_long_branch_name_prints_whole_in_the_overview(tmp_path: Path) -> None:
    """总览's 支部名称 and 工作表 columns wrap: a long name printed cut off at the column's edge
    (安吉县递铺街道很长的名, the rest lost)."""
    path = write_template(tmp_path / "考评.xlsx", TemplateOptions([LONG_NAME, "短"], year=2026))
    assert main(["recalc", str(path)]) == 0
    pdf = convert(path, "pdf", tmp_path / "pdf", recalculate=False)
    pages = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    overview = next(page for page in pages if "输入检查" in page)
    text = re.sub(r"\s", "", overview)
    sheet = LONG_NAME[:31]  # a sheet name has at most 31 characters
    assert LONG_NAME + sheet in text


def test_two_columns_pasted_into_the_branches_file_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two columns copied from Excel into Notepad (name, tab, contact) made a branch called
    "第一支部<Tab>张三" and a sheet 第一支部_张三."""
    branches = tmp_path / "支部名单.txt"
    branches.write_text("第一支部\t张三\n第二支部\t李四\n", encoding="utf-8")
    out = tmp_path / "考评.xlsx"
    assert main(["template", "-o", str(out), "--branches-file", str(branches)]) == 1
    err = capsys.readouterr().err
    assert f"支部名单文件 {branches} 第 1 行“第一支部 张三”含有制表符（Tab）" in err
    assert "每行只写一个支部名称" in err
    assert not out.exists()
    # A form feed does not end a line (it cut a name in two before).
    branches.write_text("第一\f支部\n", encoding="utf-8")
    assert main(["template", "-o", str(out), "--branches-file", str(branches)]) == 1
    assert "第 1 行“第一 支部”含有控制字符（U+000C）" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("command", [["template", "-o"], ["survey", "ballot", "-o"]])
def test_a_branch_name_with_a_line_break_is_refused(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.xlsx"
    code = main([*command, str(out), "--branch", "第一支部", "--branch", "第二\n支部"])
    assert code == 1
    assert "第 2 个支部名称“第二 支部”含有换行符；支部名称只能是一行文字" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("command", [["template", "-o"], ["survey", "ballot", "-o"]])
def test_an_overlong_branch_name_is_refused(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """40,000 characters pasted as one name were cut at 32,767 in the cell without a word."""
    out = tmp_path / "out.xlsx"
    pasted = "很长" * 20000
    assert main([*command, str(out), "--branch", "第一支部", "--branch", pasted]) == 1
    err = capsys.readouterr().err
    assert (
        f"第 2 个支部名称“{pasted[:20]}…”有 40000 个字，超过 100 个字；"
        "请检查是否把多个名称或其他文字粘贴成了一个名称" in err
    ), err[:300]
    assert not out.exists()
    assert main([*command, str(out), "--branch", "很" * 100]) == 0  # 100 is still a name


@pytest.mark.libreoffice
@pytest.mark.skipif(
    not uno_available(), reason="LibreOffice's Python bridge (python3-uno) is not installed"
)
def test_a_renamed_overview_is_said_to_be_ours(
    tmp_path: Path, template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The user renamed 总览 to 结果一览 in LibreOffice: recalc writes into it and said that a
    sheet called 总览, not made by this tool, was left alone (there is none)."""
    assert main(["recalc", str(template)]) == 0
    renamed = edit_in_libreoffice(
        template, tmp_path / "改名.xlsx", [["rename", "总览", "结果一览"]]
    )
    capsys.readouterr()
    assert main(["recalc", str(renamed)]) == 0
    err = capsys.readouterr().err
    assert "提示：总览写入了工作表“结果一览”（本工具生成的总览，已被改名）" in err
    assert "不是本工具生成的" not in err


def test_a_number_typed_as_text_says_what_to_type(
    tmp_path: Path, template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A full-width digit, a number with 分 and a padded 是 looked right in the cell, and the
    message only said "实际填写了文字“<full-width 2>”"."""
    filled = fill_by_names(
        template,
        {"第一支部": {"ded_1_2": "\uff12", "ded_1_3": "1.5 分", "veto_1": "是 "}},
        tmp_path / "填好.xlsx",
    )
    assert main(["recalc", str(filled), "-o", str(tmp_path / "out.xlsx")]) == 1
    err = capsys.readouterr().err
    assert "第一支部!E6：" in err
    assert "实际填写了文字“\uff12”（这是文字形式的数字，用了全角数字；请直接输入数字 2）" in err
    assert "实际填写了文字“1.5 分”（这是文字形式的数字，带了“分”字；请直接输入数字 1.5）" in err
    assert "第一支部!E28：" in err
    assert "实际填写“是 ”（前后多了空格，请删去）" in err


DEEP_TOML = "x = " + "[" * 100_000 + "]" * 100_000 + "\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["standard", "check", "{file}"], "TOML 格式错误（数组或表嵌套过深"),
        (["standard", "install", "{file}"], "TOML 格式错误（数组或表嵌套过深"),
        (
            ["template", "-o", "{out}", "--branch", "甲", "--standard-file", "{file}"],
            "格式错误：数组或表嵌套过深",
        ),
        (
            ["email", "{out}", "--to", "a@example.org", "--eml", "{eml}", "--config", "{file}"],
            "配置文件 {file} 格式错误：数组或表嵌套过深",
        ),
    ],
)
def test_a_deeply_nested_toml_file_is_a_format_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    """tomllib parses nesting by recursion: 100,000 brackets gave 内部错误：RecursionError, exit 2."""
    monkeypatch.setenv(STANDARD_FILE_ENV, "")
    monkeypatch.setenv(STANDARDS_DIR_ENV, str(tmp_path / "standards"))
    toml = tmp_path / "深.toml"
    toml.write_text(DEEP_TOML, encoding="utf-8")
    out = write_template(tmp_path / "汇总.xlsx", TemplateOptions(["甲"], year=2026))
    paths = {"file": str(toml), "out": str(out), "eml": str(tmp_path / "x.eml")}
    code = main([arg.format(**paths) for arg in args])
    err = capsys.readouterr().err
    assert code == 1, err
    assert message.format(**paths) in err
    assert "内部错误" not in err


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["template", "-o", "{out}", "--branches-file", "/dev/zero"],
            "支部名单文件 /dev/zero 超过 1 MiB，不像支部名单",
        ),
        (["standard", "check", "/dev/zero"], "标准文件 /dev/zero 超过 4 MiB"),
        (
            ["template", "-o", "{out}", "--branch", "甲", "--standard-file", "/dev/zero"],
            "标准文件 /dev/zero 超过 4 MiB",
        ),
    ],
)
def test_an_endless_file_given_as_a_small_text_input_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    """/dev/zero (or a huge file) given as the branches file was read until the process was
    killed for memory."""
    out = tmp_path / "考评.xlsx"
    assert main([arg.format(out=out) for arg in args]) == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_a_branches_file_may_be_a_pipe(tmp_path: Path) -> None:
    out = tmp_path / "考评.xlsx"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from workbook.cli.main import run; run()",
            "template",
            "-o",
            str(out),
            "--branches-file",
            "/dev/stdin",
        ],
        input="甲支部\n乙支部\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "2 个支部" in result.stdout


@pytest.mark.libreoffice
@requires_libreoffice
def test_the_overview_names_every_wrong_cell_in_print(
    tmp_path: Path, template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """总览's 输入检查 held every whole message: past two or three, the printed cell (at most
    27 lines high) cut them off, and the later wrong cells were not named at all."""
    wrong = {f"ded_{item}_{rule}": "错" for item, rule in [(1, 2), (1, 3), (1, 4), (2, 1), (2, 2)]}
    wrong |= {f"self_ded_{item}_{rule}": -1 for item, rule in [(3, 1), (3, 2), (4, 1), (5, 1)]}
    wrong |= {"veto_1": "也许", "veto_2": "也许", "veto_3": "也许"}
    filled = fill_by_names(template, {"第一支部": wrong}, tmp_path / "填好.xlsx")
    assert main(["recalc", str(filled)]) == 1
    capsys.readouterr()
    pdf = convert(filled, "pdf", tmp_path / "pdf", recalculate=False)
    pages = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    # pdftotext puts 扣分情况's 待修正 beside the first line of 输入检查.
    text = re.sub(r"\s|待修正", "", next(page for page in pages if "输入检查" in page))
    shorts = ["E6输入有误：应为0或1～3", "E7输入有误：应为0或1～2", "E8输入有误：应为0或1～3"]
    shorts += ["E9输入有误：应为0或3", "E10输入有误：应为0或2"]
    shorts += [f"E{row}输入有误：应为是或否" for row in (28, 29, 30)]
    shorts += [
        f"{cell}自评输入有误：应为0或{points}"
        for cell, points in [("F12", 3), ("F13", 2), ("F16", 10), ("F18", 4)]
    ]
    assert f"有12处输入有误：{'；'.join(shorts)}（详见各单元格的批注）" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["template", "--branch", "甲", "-o", "{dir}/.xlsx"],
            "模板文件没有文件名（给出的是“{dir}/.xlsx”）",
        ),
        (
            ["recalc", "{template}", "-o", "{dir}/.XLSX"],
            "输出文件没有文件名（给出的是“{dir}/.XLSX”）",
        ),
        (
            ["survey", "ballot", "--branch", "甲", "-o", "{dir}/.xlsx"],
            "没有文件名（给出的是“{dir}/.xlsx”）",
        ),
    ],
)
def test_an_output_that_is_only_an_extension_is_named_so(
    tmp_path: Path,
    template: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    """``-o .xlsx`` said 模板文件 .xlsx 的扩展名应为 .xlsx."""
    paths = {"dir": str(tmp_path), "template": str(template)}
    assert main([arg.format(**paths) for arg in args]) == 1
    err = capsys.readouterr().err
    assert message.format(**paths) in err
    assert "扩展名应为" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["考评.xlsx"]


@pytest.mark.libreoffice
@requires_libreoffice
def test_recalc_of_an_ods_file_says_what_to_do(
    tmp_path: Path, template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A workbook saved by LibreOffice in its own format: recalc said 不是 Excel 工作簿：缺少
    xl/workbook.xml, where survey import and consolidate say what it is and how to save it."""
    ods = convert(template, "ods", tmp_path / "ods", recalculate=False)
    renamed = tmp_path / "改了扩展名.xlsx"
    renamed.write_bytes(ods.read_bytes())
    for path in (ods, renamed):
        before = path.read_bytes()
        assert main(["recalc", str(path)]) == 1
        err = capsys.readouterr().err
        assert f"{path.name} 是 OpenDocument 表格（.ods），本工具只读取 .xlsx" in err, err
        assert "另存为 .xlsx" in err
        assert path.read_bytes() == before


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "consolidate",
                "{book}",
                "-o",
                "{out}",
                "--publish-date",
                "2026-12-21",
                "--holidays",
                "/dev/zero",
            ],
            "节假日文件 /dev/zero 超过 1 MiB，不像节假日文件",
        ),
        (["consolidate", "{book}", "-o", "{out}", "--previous", "/dev/zero"], "超过上限 64 MiB"),
        (
            [
                "consolidate",
                "{book}",
                "-o",
                "{out}",
                "--previous",
                str(PREVIOUS),
                "--rename-map",
                "/dev/zero",
            ],
            "超过上限 64 MiB",
        ),
        (
            [
                "email",
                "{summary}",
                "--to",
                "zzb@example.org",
                "--eml",
                "{out}",
                "--config",
                "{big}",
            ],
            "超过 1 MiB，不像配置文件",  # a device is no file there: a huge file
        ),
        (["survey", "import", "/dev/zero", "--into", "{book}", "-o", "{out}"], "zero"),
    ],
    ids=["holidays", "previous", "rename-map", "mail-config", "survey-responses"],
)
def test_an_endless_file_given_as_any_other_input_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    """The holiday file, last year's JSON, the rename map, the mail configuration and the
    survey responses are read up to a limit too: /dev/zero given by mistake is named with
    exit 1, not read until the process is killed for memory; nothing is written."""
    book = tmp_path / "考评.xlsx"
    write_template(book, TemplateOptions(branches=["第一支部", "第二支部"], year=2026))
    summary = tmp_path / "汇总.xlsx"
    assert main(["consolidate", str(book), "-o", str(summary)]) == 0
    capsys.readouterr()
    before = book.read_bytes()
    out = tmp_path / ("输出.eml" if args[0] == "email" else "输出.xlsx")
    big = tmp_path / "mail.toml"
    big.write_bytes(b"#" * (2 << 20))
    values = {"book": book, "summary": summary, "out": out, "big": big}
    assert main([arg.format(**values) for arg in args]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "内部错误" not in err
    assert not out.exists()
    assert book.read_bytes() == before
