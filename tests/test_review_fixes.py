"""Defects found by the "new user and hostile input" review of consolidate, email, survey and
history (1 December 2026), each with the test that failed before its fix: real files, real
libraries, the command as a user runs it (``main([...])``), then the bytes on disk and the
message checked.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from workbook.cli.main import main
from workbook.outputs.template import TemplateOptions, write_template

from support.libreoffice import convert, requires_libreoffice
from support.smtp_server import make_certificate, smtp_server


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def filled_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An assessment workbook of two branches, as `template` writes it."""
    folder = tmp_path_factory.mktemp("review")
    return write_template(
        folder / "2026年度考评定级表.xlsx",
        TemplateOptions(["第一支部", "第二支部"], year=2026, formulas="native"),
    )


def test_ballot_does_not_replace_an_assessment_workbook(
    filled_workbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A mistyped -o: the ballot would have replaced the (filled) assessment workbook.
    target = tmp_path / "考评定级表.xlsx"
    target.write_bytes(filled_workbook.read_bytes())
    before = digest(target)
    assert main(["survey", "ballot", "-o", str(target), "--branch", "第一支部"]) == 1
    err = capsys.readouterr().err
    assert "是一份考评定级表" in err
    assert "--overwrite" in err
    assert digest(target) == before
    assert main(["survey", "ballot", "-o", str(target), "--branch", "第一支部", "--overwrite"]) == 0
    assert digest(target) != before


def test_ballot_replaces_an_earlier_ballot(tmp_path: Path) -> None:
    target = tmp_path / "测评票.xlsx"
    assert main(["survey", "ballot", "-o", str(target), "--branch", "第一支部"]) == 0
    assert main(["survey", "ballot", "-o", str(target), "--branch", "第二支部"]) == 0


# --- consolidate: nothing written when an output cannot be ---------------------------------


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder every user may enter (tmp_path's parents are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="review-"))
    folder.chmod(0o777)
    yield folder
    for path in folder.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    shutil.rmtree(folder)


def as_nobody(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``branch-assess`` as user nobody (permission bits mean nothing to root)."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to run a command as an unprivileged user")
    command = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable]
    command += ["-c", "import sys; from workbook.cli.main import main; sys.exit(main())"]
    env = {**os.environ, "HOME": str(cwd), "PYTHONPATH": str(Path(__file__).parent.parent)}
    return subprocess.run(command + args, cwd=cwd, capture_output=True, text=True, env=env)


@pytest.mark.parametrize(
    "outputs",
    [
        ["-o", "汇总.xlsx", "--json", "汇总.json", "--rectification", "只读/整改清单"],
        ["-o", "只读/汇总.xlsx", "--json", "汇总.json"],
        ["-o", "汇总.xlsx", "--json", "只读/汇总.json", "--rectification", "整改清单"],
    ],
)
def test_a_folder_that_cannot_be_written_fails_before_any_output(
    filled_workbook: Path, open_folder: Path, outputs: list[str]
) -> None:
    # Before: the JSON (and the summary) were written, then the run failed on the next output.
    shutil.copy(filled_workbook, open_folder / "表.xlsx")
    (open_folder / "表.xlsx").chmod(0o644)
    (open_folder / "只读").mkdir(mode=0o555)
    (open_folder / "只读").chmod(0o555)
    result = as_nobody(["consolidate", "表.xlsx", *outputs], open_folder)
    assert result.returncode == 1, result.stderr
    assert "只读 中写入文件：没有访问权限" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in open_folder.iterdir()) == ["只读", "表.xlsx"]
    assert list((open_folder / "只读").iterdir()) == []


@pytest.mark.parametrize("where", ["汇总.xlsx", "汇总.xlsx/整改清单", "汇总.json"])
def test_rectification_folder_on_an_output_fails_before_any_output(
    filled_workbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    # Before: the summary was written to 汇总.xlsx, then the folder of the same name failed.
    code = main(
        [
            "consolidate",
            str(filled_workbook),
            "-o",
            str(tmp_path / "汇总.xlsx"),
            "--json",
            str(tmp_path / "汇总.json"),
            "--rectification",
            str(tmp_path / where),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert f"--rectification {tmp_path / where} 是" in err
    assert "请换一个文件夹名" in err
    assert list(tmp_path.iterdir()) == []


def test_rectification_folder_under_a_file_fails_before_any_output(
    filled_workbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "说明.txt").write_text("x", encoding="utf-8")
    rectification = tmp_path / "说明.txt" / "整改清单"
    summary, report = tmp_path / "汇总.xlsx", tmp_path / "汇总.json"
    args = ["consolidate", str(filled_workbook), "-o", str(summary), "--json", str(report)]
    assert main([*args, "--rectification", str(rectification)]) == 1
    assert "路径中已有同名文件" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["说明.txt"]


def test_rectification_never_replaces_a_workbook_of_an_input_folder(
    filled_workbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A branch's workbook that happens to carry a rectification file's name, in the folder
    # read: --overwrite replaced it with its own 整改清单 while it was being consolidated.
    folder = tmp_path / "收回"
    folder.mkdir()
    victim = folder / "2026年度整改清单（第一支部）.xlsx"
    shutil.copy(filled_workbook, victim)
    before = digest(victim)
    summary = tmp_path / "汇总.xlsx"
    args = ["consolidate", str(folder), "-o", str(summary), "--rectification", str(folder)]
    assert main([*args, "--overwrite"]) == 1
    err = capsys.readouterr().err
    assert f"整改清单 {victim} 是输入文件夹中的工作簿" in err
    assert digest(victim) == before
    assert not summary.exists()
    assert [p.name for p in folder.iterdir()] == [victim.name]


def test_rectification_in_the_input_folder_is_replaced_on_the_next_run(
    filled_workbook: Path, tmp_path: Path
) -> None:
    # Its own earlier 整改清单 in an input folder stay replaceable with --overwrite.
    folder = tmp_path / "收回"
    folder.mkdir()
    shutil.copy(filled_workbook, folder / "表.xlsx")
    args = ["consolidate", str(folder), "-o", str(folder / "汇总.xlsx")]
    args += ["--rectification", str(folder)]
    assert main(args) == 0
    assert main(args) == 1  # kept without --overwrite
    assert main([*args, "--overwrite"]) == 0
    assert len(list(folder.glob("2026年度整改清单（*）.xlsx"))) == 2


# --- email: what the summary path is --------------------------------------------------------


@pytest.mark.parametrize("name", [".", "收件"])
def test_email_of_a_folder_says_it_is_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    # Before: "错误： 是空文件（0 字节），不是 Excel 工作簿" (no name, and not an empty file).
    (tmp_path / "收件").mkdir()
    monkeypatch.chdir(tmp_path)
    args = ["email", name, "--to", "zuzhibu@example.org", "--from", "dangwei@example.org"]
    assert main([*args, "--eml", "汇总.eml"]) == 1
    err = capsys.readouterr().err
    assert f"无法读取 {name}：这是一个文件夹" in err
    assert "空文件" not in err
    assert not (tmp_path / "汇总.eml").exists()


def test_email_of_an_unreadable_summary_says_so(filled_workbook: Path, open_folder: Path) -> None:
    summary = open_folder / "汇总.xlsx"
    assert main(["consolidate", str(filled_workbook), "-o", str(summary)]) == 0
    summary.chmod(0o600)
    args = ["email", "汇总.xlsx", "--to", "zuzhibu@example.org", "--from", "dangwei@example.org"]
    result = as_nobody([*args, "--eml", "汇总.eml"], open_folder)
    assert result.returncode == 1, result.stderr
    assert "无法读取 汇总.xlsx：没有访问权限" in result.stderr
    assert "空文件" not in result.stderr


# --- the rename map: the wrong file given ---------------------------------------------------


@pytest.fixture(scope="module")
def two_years(filled_workbook: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two years of consolidate --json results (the second made with the first as --previous)."""
    folder = tmp_path_factory.mktemp("years")
    last = folder / "2025.json"
    data = {
        "format": 1,
        "standard": "anji-2012-6",
        "year": 2025,
        "final": True,
        "branches": [
            {
                "branch": name,
                "item_scores": [15, 10, 10, 10, 10, 20, 25],
                "total": 100,
                "grade": "好",
                "rank": 1,
                "deductions": [],
            }
            for name in ("第一支部", "第二支部")
        ],
        "errors": [],
        "warnings": [],
    }
    last.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    this = folder / "2026.json"
    summary = folder / "汇总.xlsx"
    assert main(["consolidate", str(filled_workbook), "-o", str(summary), "--json", str(this)]) == 0
    return [last, this]


def test_history_with_last_years_json_as_rename_map_says_so_in_one_line(
    two_years: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: one "第N行：原名称和新名称都要填写" for each of the JSON's lines (hundreds).
    output = tmp_path / "历年.xlsx"
    args = ["history", *map(str, two_years), "-o", str(output), "--rename-map", str(two_years[0])]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert f"改名表 {two_years[0]} 是一个 JSON 文件" in err
    assert "第2行" not in err
    assert not output.exists()


def test_consolidate_with_a_branch_list_as_rename_map_names_ten_lines_and_the_count(
    filled_workbook: Path,
    two_years: list[Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    names = tmp_path / "支部名单.txt"
    names.write_text("".join(f"第{n}支部\n" for n in range(1, 31)), encoding="utf-8")
    output = tmp_path / "汇总.xlsx"
    args = ["consolidate", str(filled_workbook), "-o", str(output)]
    assert main([*args, "--previous", str(two_years[0]), "--rename-map", str(names)]) == 1
    err = capsys.readouterr().err
    assert "第10行：原名称和新名称都要填写" in err
    assert "第11行" not in err
    assert "共有 30 行有问题，只列出前 10 行" in err
    assert not output.exists()


def test_a_rename_map_line_that_starts_with_a_bracket_is_not_taken_for_json(
    two_years: list[Path], tmp_path: Path
) -> None:
    renames = tmp_path / "改名.csv"
    renames.write_text("[旧]第一支部,第一支部\n", encoding="utf-8")
    output = tmp_path / "历年.xlsx"
    args = ["history", *map(str, two_years), "-o", str(output), "--rename-map", str(renames)]
    assert main(args) == 0


# --- consolidate --publish-date -------------------------------------------------------------


WIDE_2026 = "\uff12\uff10\uff12\uff16"  # 2026 in full-width digits, as a Chinese IME types it


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (f"{WIDE_2026}-12-28", f"（如 2026-12-21，用半角数字），实际为“{WIDE_2026}-12-28”"),
        ("2026年12月28日", "应写作 YYYY-MM-DD（如 2026-12-21），实际为“2026年12月28日”"),
        ("2026-02-30", "--publish-date 2026-02-30 不是存在的日期"),
    ],
)
def test_publish_date_in_full_width_digits_is_not_called_a_date_that_does_not_exist(
    filled_workbook: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    given: str,
    expected: str,
) -> None:
    # Before: a full-width year was "不是存在的日期（请核对月份和日）" (\d matched its digits).
    output = tmp_path / "汇总.xlsx"
    assert (
        main(["consolidate", str(filled_workbook), "-o", str(output), "--publish-date", given]) == 1
    )
    assert expected in capsys.readouterr().err
    assert not output.exists()


# --- survey import: the responses file ------------------------------------------------------


def responses_csv(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("".join(",".join(row) + "\n" for row in rows), encoding="utf-8-sig")
    return path


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--question-column", "1=第2题"], "第1题和第2题都取自第 1 行表头为“第2题”的同一列"),
        (["--question-column", "3=支部"], "支部名称和第3题都取自第 1 行表头为“支部”的同一列"),
    ],
)
def test_survey_import_refuses_one_column_for_two_questions(
    filled_workbook: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    expected: str,
) -> None:
    # Before: 1=第2题 counted the 第2题 column twice and the 第1题 column not at all, exit 0.
    rows = [["支部", "第1题", "第2题", "第3题"]] + [["第一支部", "不满意", "满意", "满意"]] * 10
    answers = responses_csv(tmp_path / "答卷.csv", rows)
    workbook = tmp_path / "表.xlsx"
    shutil.copy(filled_workbook, workbook)
    before = digest(workbook)
    assert main(["survey", "import", str(answers), "--into", str(workbook), *options]) == 1
    assert expected in capsys.readouterr().err
    assert digest(workbook) == before


def test_survey_import_of_a_damaged_xlsx_says_so_in_chinese(
    filled_workbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: "答卷.xlsx 无法读取：Cannot detect file format" (python-calamine's English).
    answers = tmp_path / "答卷.xlsx"
    answers.write_bytes(b"PK\x03\x04 not a workbook")
    workbook = tmp_path / "表.xlsx"
    shutil.copy(filled_workbook, workbook)
    before = digest(workbook)
    assert main(["survey", "import", str(answers), "--into", str(workbook)]) == 1
    err = capsys.readouterr().err
    assert "答卷.xlsx 不是可读取的 Excel 工作簿" in err
    assert "Cannot" not in err
    assert digest(workbook) == before


# --- email: a wrong port --------------------------------------------------------------------


@pytest.fixture
def ssh_like_server() -> Iterator[int]:
    """A real TCP server on 127.0.0.1 that greets like SSH (port 22 given as the mail port)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def greet() -> None:
        with contextlib.suppress(OSError):
            connection, _ = listener.accept()
            with connection:
                connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
                connection.settimeout(5)
                connection.recv(1024)

    thread = threading.Thread(target=greet, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    listener.close()
    thread.join(10)


def test_email_to_a_port_that_is_no_mail_server_says_so(
    tmp_path: Path,
    filled_workbook: Path,
    ssh_like_server: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before: "邮件服务器 127.0.0.1:N 返回错误：-1 2.0-OpenSSH_9.6" (smtplib's -1, a cut reply).
    summary = tmp_path / "汇总.xlsx"
    assert main(["consolidate", str(filled_workbook), "-o", str(summary)]) == 0
    capsys.readouterr()
    args = ["email", str(summary), "--to", "zuzhibu@example.org", "--from", "dangwei@example.org"]
    assert main([*args, "--smtp", f"127.0.0.1:{ssh_like_server}"]) == 1
    err = capsys.readouterr().err
    assert f"127.0.0.1:{ssh_like_server} 的应答不是邮件服务器（SMTP）的应答" in err
    assert "-1" not in err


# --- email: addresses copied with a full stop or typed with a blank -------------------------


@pytest.fixture(scope="module")
def summary_file(filled_workbook: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    summary = tmp_path_factory.mktemp("summary") / "汇总.xlsx"
    assert main(["consolidate", str(filled_workbook), "-o", str(summary)]) == 0
    return summary


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("zuzhibu@example.org。", "末尾多了“。”"),  # copied out of a Chinese sentence
        ("zuzhibu@example.org.", "末尾多了“.”"),
        ("县委组织部 <zuzhibu@example.org。>", "末尾多了“。”"),
        ("zu zhibu@example.org", "中有空格"),
        ("zuzhibu@exam ple.org", "中有空格"),  # was sent to zuzhibu@example.org
    ],
)
def test_email_refuses_an_address_with_a_full_stop_or_a_blank(
    summary_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    address: str,
    expected: str,
) -> None:
    # Before: the .eml was written with no valid recipient ("收件人：<>"), and over SMTP the
    # run ended in "拒绝了全部收件人：" naming nobody.
    eml = tmp_path / "汇总.eml"
    args = ["email", str(summary_file), "--to", address, "--from", "dangwei@example.org"]
    assert main([*args, "--eml", str(eml)]) == 1
    err = capsys.readouterr().err
    assert f"收件人“{address}”{expected}" in err
    assert not eml.exists()


def test_email_with_a_full_stop_sends_nothing(
    summary_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with smtp_server() as (port, handler):
        args = ["email", str(summary_file), "--from", "dangwei@example.org"]
        args += ["--to", "zuzhibu@example.org。", "--smtp", f"127.0.0.1:{port}"]
        assert main(args) == 1
    assert "末尾多了“。”" in capsys.readouterr().err
    assert handler.messages == []


def test_email_still_takes_a_display_name_with_blanks(summary_file: Path, tmp_path: Path) -> None:
    eml = tmp_path / "汇总.eml"
    args = ["email", str(summary_file), "--to", "县委 组织部 <zuzhibu@example.org>"]
    assert main([*args, "--from", "dangwei@example.org", "--eml", str(eml)]) == 0
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "zuzhibu@example.org"


QUESTIONS = [
    "1、党组织、党组织书记和服务中心、中心主任在党员中的威信",
    "2、党员在生产经营中的形象",
    "3、群众满意度测评情况",
]


def test_survey_import_takes_the_header_below_a_title_row(
    filled_workbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: the merged title "2026年群众测评结果" was taken as the header row: 4 problems,
    # none of which an option could fix.
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["2026年群众测评结果"])
    sheet.merge_cells("A1:E1")
    sheet.append([])
    sheet.append(["序号", "所在支部", *QUESTIONS])
    for number in range(1, 13):
        sheet.append([number, "第一支部", "满意", "基本满意", "不满意" if number == 12 else "满意"])
    sheet.append([13, "第二支部", "满意", "很好", "满意"])
    answers = tmp_path / "答卷.xlsx"
    book.save(answers)
    workbook = tmp_path / "表.xlsx"
    shutil.copy(filled_workbook, workbook)
    assert main(["survey", "import", str(answers), "--into", str(workbook)]) == 1
    err = capsys.readouterr().err
    assert "第 16 行第2题：答案“很好”无效" in err  # the file's own row number
    assert "找不到" not in err
    sheet.delete_rows(16)
    book.save(answers)
    assert main(["survey", "import", str(answers), "--into", str(workbook)]) == 0
    tally = openpyxl.load_workbook(workbook)["第一支部"]
    assert tally["D68"].value == 12  # survey_returned
    assert [tally[f"{c}72"].value for c in "DEF"] == [11, 0, 1]  # question 3: 满意, 不满意


def test_survey_import_finds_the_separator_below_a_title_line(
    filled_workbook: Path, tmp_path: Path
) -> None:
    text = "2026年群众测评结果\n" + "\t".join(["支部", "第1题", "第2题", "第3题"]) + "\n"
    text += "第二支部\t满意\t满意\t不了解\n"
    answers = tmp_path / "答卷.csv"
    answers.write_text(text, encoding="utf-8")
    workbook = tmp_path / "表.xlsx"
    shutil.copy(filled_workbook, workbook)
    assert main(["survey", "import", str(answers), "--into", str(workbook)]) == 0
    tally = openpyxl.load_workbook(workbook)["第二支部"]
    assert tally["D68"].value == 1
    assert tally["G72"].value == 1  # question 3: 不了解


# --- a formula typed in an input cell, saved by a program that calculates -------------------


@requires_libreoffice
def test_formula_warning_says_what_to_type_for_the_cell(
    filled_workbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: every such 提示 ended "建议直接填写数值", also for a 扣分说明 or a 是/否 cell.
    book = openpyxl.load_workbook(filled_workbook)
    sheet = book["第一支部"]
    sheet["E6"] = "=1+1"  # ded_1_2
    sheet["G6"] = '="三会一课"&"记录不全"'  # note_1_2
    sheet["E28"] = '="否"'  # veto_1
    typed = tmp_path / "typed" / "表.xlsx"
    typed.parent.mkdir()
    book.save(typed)
    saved = convert(typed, "xlsx:Calc MS Excel 2007 XML", tmp_path / "saved", recalculate=True)
    assert main(["consolidate", str(saved), "-o", str(tmp_path / "汇总.xlsx")]) == 0
    err = capsys.readouterr().err
    assert (
        "第一支部!E6：输入单元格是公式“=1+1”，已按文件中保存的计算结果“2”读取；建议直接填写数值"
        in err
    )
    assert "第一支部!G6：" in err
    assert "“三会一课记录不全”读取；建议直接填写文字" in err
    assert (
        '第一支部!E28：输入单元格是公式“="否"”，已按文件中保存的计算结果“否”读取；建议直接填写“是”或“否”'
        in err
    )


# --- email: the configuration file as Notepad saves it --------------------------------------

CONFIG_TEXT = '[mail]\nfrom = "dangwei@example.org"\nto = ["zuzhibu@example.org"]\nbody = "县委组织部：请审阅。"\n'


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("gbk", "是GBK（GB2312）编码的文本"), ("utf-16", "是UTF-16 编码的文本")],
)
def test_email_config_in_another_encoding_is_named(
    summary_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    encoding: str,
    expected: str,
) -> None:
    # Before: "内部错误：UnicodeDecodeError: 'utf-8' codec can't decode byte …", exit 2.
    config = tmp_path / "branch-assess.toml"
    config.write_bytes(CONFIG_TEXT.encode(encoding))
    eml = tmp_path / "汇总.eml"
    assert main(["email", str(summary_file), "--config", str(config), "--eml", str(eml)]) == 1
    err = capsys.readouterr().err
    assert f"配置文件 {config} {expected}" in err
    assert "不是 UTF-8 编码的文本；请用记事本打开，另存时选“UTF-8”编码" in err
    assert "内部错误" not in err
    assert not eml.exists()


def test_email_config_with_a_bom_is_read(summary_file: Path, tmp_path: Path) -> None:
    config = tmp_path / "branch-assess.toml"
    config.write_bytes(CONFIG_TEXT.encode("utf-8-sig"))
    eml = tmp_path / "汇总.eml"
    assert main(["email", str(summary_file), "--config", str(config), "--eml", str(eml)]) == 0
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "zuzhibu@example.org"


# --- consolidate: the thresholds ------------------------------------------------------------


@pytest.mark.parametrize("option", ["--self-threshold", "--spread-threshold"])
@pytest.mark.parametrize("value", ["nan", "inf", "-1", "100.5", "0x10"])
def test_threshold_that_is_not_a_score_is_a_usage_error(
    filled_workbook: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    option: str,
    value: str,
) -> None:
    # Before: --self-threshold nan ended in "内部错误：InvalidOperation", and
    # --spread-threshold nan was taken (a spread is never above nan: nothing flagged).
    output = tmp_path / "汇总.xlsx"
    assert main(["consolidate", str(filled_workbook), "-o", str(output), option, value]) == 2
    err = capsys.readouterr().err
    assert f"“{option}”的值无效：应为 0～100 之间的分数，实际为“{value}”" in err
    assert "内部错误" not in err
    assert not output.exists()


def test_threshold_takes_a_decimal_score(filled_workbook: Path, tmp_path: Path) -> None:
    output, report = tmp_path / "汇总.xlsx", tmp_path / "汇总.json"
    args = ["consolidate", str(filled_workbook), "-o", str(output), "--json", str(report)]
    assert main([*args, "--self-threshold", "7.5", "--spread-threshold", "100"]) == 0


@pytest.mark.parametrize(
    "args",
    [
        ["consolidate", "表.xlsx", "-o", "汇总.xlsx", "--publish-days", "abc"],
        ["survey", "ballot", "-o", "测评票.xlsx", "--branch", "第一支部", "--year", "二〇二六"],
        ["template", "-o", "模板.xlsx", "--branch", "第一支部", "--year", "2026.5"],
    ],
)
def test_a_number_option_that_is_not_a_number_is_named_in_chinese(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
) -> None:
    # Before: "'abc' 不是有效的integer range。" (click's type name in English).
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"“{args[-1]}”不是有效的整数。" in err
    assert "range" not in err
    assert list(tmp_path.iterdir()) == []


def test_email_without_user_to_a_server_that_requires_login_says_to_give_one(
    summary_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: "邮件服务器 … 拒绝了发件人 dangwei@example.org：530 5.7.0 Authentication required"
    # (the sender looked wrong; what was missing was --user).
    cert, key = make_certificate(tmp_path)
    with smtp_server(ssl_cert=(cert, key)) as (port, handler):
        args = ["email", str(summary_file), "--to", "zuzhibu@example.org"]
        args += ["--from", "dangwei@example.org", "--smtp", f"127.0.0.1:{port}", "--ssl"]
        assert main([*args, "--cafile", str(cert)]) == 1
    err = capsys.readouterr().err
    assert f"邮件服务器 127.0.0.1:{port} 要求先登录才能发信（服务器回复：530" in err
    assert "请用 --user 给出登录用户名" in err
    assert "拒绝了发件人" not in err
    assert handler.messages == []


def test_summary_below_a_dangling_link_fails_before_the_json(
    filled_workbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "汇总").symlink_to(tmp_path / "不存在的文件夹")
    summary, report = tmp_path / "汇总" / "汇总.xlsx", tmp_path / "汇总.json"
    args = ["consolidate", str(filled_workbook), "-o", str(summary), "--json", str(report)]
    assert main(args) == 1
    assert "路径中已有同名文件" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["汇总"]
