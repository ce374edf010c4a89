"""Defects found by the hostile review of consolidate, email and history (review4)."""

from __future__ import annotations

import asyncio
import json
import unicodedata
from email import policy
from email.parser import BytesParser
from pathlib import Path

import openpyxl
import pytest
from aiosmtpd.controller import Controller

from workbook.cli.main import main
from workbook.core.scoring import RawBranchInputs, RawSurvey
from workbook.inputs.config import parse_config
from workbook.outputs.mail import parse_server
from workbook.outputs.template import TemplateOptions, write_template

from support.smtp_server import (
    PASSWORD,
    USER,
    RecordingHandler,
    free_port,
    make_certificate,
    smtp_server,
)
from support.workbook_helpers import fill_by_names


def _filled(path: Path, branches: list[str], deduction: int = 2) -> Path:
    write_template(
        path,
        TemplateOptions(
            branches=branches,
            year=2026,
            formulas="native",
            inputs={name: RawBranchInputs(deductions={"1.2": deduction}) for name in branches},
        ),
    )
    return path


def _assessor_copies(folder: Path, branch: str, inputs: dict[str, RawBranchInputs]) -> list[str]:
    """One single-branch workbook per assessor (考评人 = the key), written into ``folder``."""
    paths = []
    for name, typed in inputs.items():
        path = folder / f"{name}.xlsx"
        options = TemplateOptions(
            [branch], year=2026, formulas="native", inputs={branch: typed}, assessor={branch: name}
        )
        write_template(path, options)
        paths.append(str(path))
    return paths


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    return captured.err + captured.out


def test_a_linked_folder_in_an_input_folder_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A symbolic link to a folder of returned workbooks (a second batch kept elsewhere) was
    passed over without a word: its branches were missing from a summary called final."""
    inbox = tmp_path / "收 件"
    inbox.mkdir()
    elsewhere = tmp_path / "第二批"
    elsewhere.mkdir()
    _filled(inbox / "甲.xlsx", ["甲支部"])
    _filled(elsewhere / "乙.xlsx", ["乙支部"])
    (inbox / "第二批").symlink_to(elsewhere, target_is_directory=True)
    report = tmp_path / "汇总.json"
    args = ["consolidate", str(inbox), "-o", str(tmp_path / "汇总.xlsx"), "--json", str(report)]
    assert main(args) == 0, _err(capsys)
    branches = json.loads(report.read_text(encoding="utf-8"))["branches"]
    assert sorted(b["branch"] for b in branches) == ["乙支部", "甲支部"]


def test_a_link_to_its_own_or_a_parent_folder_is_named_and_passed_over(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = tmp_path / "收件"
    inbox.mkdir()
    _filled(inbox / "甲.xlsx", ["甲支部"])
    _filled(tmp_path / "别处.xlsx", ["丙支部"])  # beside the input folder: not an input
    (inbox / "回环").symlink_to(inbox, target_is_directory=True)
    (inbox / "上级").symlink_to(tmp_path, target_is_directory=True)
    report = tmp_path / "汇总.json"
    args = ["consolidate", str(inbox), "-o", str(tmp_path / "汇总.xlsx"), "--json", str(report)]
    assert main(args) == 0
    message = _err(capsys)
    assert f"提示：{inbox / '回环'}：是指向它所在的文件夹或上级文件夹" in message
    assert f"提示：{inbox / '上级'}：是指向它所在的文件夹或上级文件夹" in message
    branches = json.loads(report.read_text(encoding="utf-8"))["branches"]
    assert [b["branch"] for b in branches] == ["甲支部"]


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("summary")
    book = _filled(folder / "考评.xlsx", ["第一支部", "第二支部"])
    output = folder / "2026年度考评定级汇总.xlsx"
    assert main(["consolidate", str(book), "-o", str(output)]) == 0
    return output


class _QuitRefusingHandler(RecordingHandler):
    """Takes the message, then answers QUIT with an error (a server shutting down)."""

    async def handle_QUIT(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        return "421 4.3.2 Service shutting down"


def test_a_bad_answer_to_quit_after_delivery_is_not_a_failure(
    summary: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The server had the message; calling it a failure (exit 1) made the user send it again."""
    handler = _QuitRefusingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        args = ["email", str(summary), "--to", "a@example.org", "--from", "b@example.org"]
        assert main([*args, "--smtp", f"127.0.0.1:{port}"]) == 0, _err(capsys)
    finally:
        controller.stop()
    assert "已发送" in _err(capsys)
    assert len(handler.messages) == 1


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("cert"))


@pytest.mark.parametrize("login", [False, True])
def test_a_server_that_wants_starttls_says_so(
    summary: Path,
    certificate: tuple[Path, Path],
    login: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without --starttls, a server that requires it was said to want a login (--user), or
    not to support one: the user was sent after the wrong option."""
    monkeypatch.setenv("BRANCH_ASSESS_SMTP_PASSWORD", PASSWORD)
    with smtp_server(starttls_cert=certificate) as (port, handler):
        args = ["email", str(summary), "--to", "a@example.org", "--from", USER]
        args += ["--smtp", f"127.0.0.1:{port}", "--cafile", str(certificate[0])]
        assert main([*args, *(["--user", USER] if login else [])]) == 1
        message = _err(capsys)
        assert "要求先加密连接（STARTTLS）" in message
        assert "请加 --starttls" in message
        assert "--user" not in message
        assert "不支持登录" not in message
        assert main([*args, "--user", USER, "--starttls"]) == 0, _err(capsys)
    assert len(handler.messages) == 1


@pytest.fixture(scope="module")
def cycle_outputs(tmp_path_factory: pytest.TempPathFactory, summary: Path) -> dict[str, Path]:
    """A summary, one branch's 整改清单 and a 历年对比 of the same year."""
    folder = tmp_path_factory.mktemp("cycle")
    report = folder / "2026.json"
    rectification = folder / "整改清单"
    book = summary.parent / "考评.xlsx"
    args = ["consolidate", str(book), "-o", str(folder / "汇总.xlsx"), "--json", str(report)]
    assert main([*args, "--rectification", str(rectification)]) == 0
    history = folder / "历年对比.xlsx"
    assert main(["history", str(report), "-o", str(history)]) == 0
    return {
        "summary": folder / "汇总.xlsx",
        "rectification": rectification / "2026年度整改清单（第一支部）.xlsx",
        "history": history,
    }


@pytest.mark.parametrize(
    ("kind", "named"),
    [("rectification", "是一个支部的整改清单"), ("history", "是历年对比工作簿")],
)
def test_email_refuses_a_rectification_or_history_workbook(
    cycle_outputs: dict[str, Path],
    kind: str,
    named: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Both carry kp_summary (so consolidate skips them), and email sent them to the county as
    the 汇总表, subject and all."""
    eml = tmp_path / "x.eml"
    args = ["email", str(cycle_outputs[kind]), "--to", "a@example.org", "--from", "b@example.org"]
    assert main([*args, "--eml", str(eml)]) == 1
    assert f"{cycle_outputs[kind].name} {named}" in _err(capsys)
    assert not eml.exists()


@pytest.mark.parametrize(
    ("command", "target", "named"),
    [
        ("consolidate", "rectification", "是一个支部的整改清单，可能已填写整改措施"),
        ("consolidate", "history", "是一份历年对比工作簿"),
        ("history", "summary", "是一份考评定级汇总表"),
        ("history", "rectification", "是一个支部的整改清单，可能已填写整改措施"),
        ("template", "rectification", "是一个支部的整改清单，可能已填写整改措施"),
        ("template", "summary", "是一份考评定级汇总表"),
        ("ballot", "summary", "是一份考评定级汇总表"),
        ("ballot", "history", "是一份历年对比工作簿"),
    ],
)
def test_an_output_of_another_kind_is_not_replaced_without_overwrite(
    cycle_outputs: dict[str, Path],
    summary: Path,
    tmp_path: Path,
    command: str,
    target: str,
    named: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`history -o 2026年度考评定级汇总.xlsx` (or `template -o`, `survey ballot -o`) replaced
    the year's summary, and `consolidate -o` a branch's filled-in 整改清单, without a word."""
    victim = tmp_path / "同名.xlsx"
    victim.write_bytes(cycle_outputs[target].read_bytes())
    before = victim.read_bytes()
    args = {
        "consolidate": ["consolidate", str(summary.parent / "考评.xlsx")],
        "history": ["history", str(cycle_outputs["summary"].parent / "2026.json")],
        "template": ["template", "--branch", "甲支部"],
        "ballot": ["survey", "ballot", "--branch", "甲支部"],
    }[command]
    assert main([*args, "-o", str(victim)]) == 1
    assert named in _err(capsys)
    assert victim.read_bytes() == before
    assert main([*args, "-o", str(victim), "--overwrite"]) == 0
    assert victim.read_bytes() != before


def test_outputs_still_replace_their_own_kind(
    cycle_outputs: dict[str, Path], summary: Path, tmp_path: Path
) -> None:
    again = tmp_path / "汇总.xlsx"
    again.write_bytes(cycle_outputs["summary"].read_bytes())
    assert main(["consolidate", str(summary.parent / "考评.xlsx"), "-o", str(again)]) == 0
    history = tmp_path / "历年.xlsx"
    history.write_bytes(cycle_outputs["history"].read_bytes())
    report = cycle_outputs["summary"].parent / "2026.json"
    assert main(["history", str(report), "-o", str(history)]) == 0


@pytest.mark.parametrize(
    ("setting", "template", "named"),
    [
        ("body", "{year}年度汇总表{", "邮件正文（配置文件 [mail] body）有误：花括号“{”“}”不成对"),
        (
            "subject",
            "{year}年{单位}",
            "邮件主题（--subject 或配置文件 [mail] subject）中的“{单位}”",
        ),
        ("subject", "{year.real}年", "中的“{year.real}”不是可用的占位符"),
        ("subject", "{0}年", "中的“{0}”不是可用的占位符"),
    ],
)
def test_a_wrong_mail_template_is_named_in_chinese(
    summary: Path,
    tmp_path: Path,
    setting: str,
    template: str,
    named: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before: "邮件主题或正文模板有误（Single '{' encountered in format string）" (Python's
    English, and neither the setting nor how to write a brace)."""
    config = tmp_path / "branch-assess.toml"
    config.write_text(
        f'[mail]\nfrom = "b@example.org"\n{setting} = "{template}"\n', encoding="utf-8"
    )
    eml = tmp_path / "x.eml"
    args = ["email", str(summary), "--to", "a@example.org", "--config", str(config)]
    assert main([*args, "--eml", str(eml)]) == 1
    message = _err(capsys)
    assert named in message
    assert "要写花括号本身，请写两个：{{ 或 }}" in message
    assert "encountered" not in message
    assert "'" not in message
    assert not eml.exists()


def test_literal_braces_in_a_subject_are_written_once(summary: Path, tmp_path: Path) -> None:
    eml = tmp_path / "x.eml"
    args = ["email", str(summary), "--to", "a@example.org", "--from", "b@example.org"]
    assert main([*args, "--subject", "{{报送}}{year}年", "--eml", str(eml)]) == 0
    message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert message["Subject"] == "{报送}2026年"


@pytest.mark.parametrize(
    ("line", "shown"),
    [('port = "25x"', "smtp.port 应为 1～65535 的整数，实际为“25x”"), ("user = 5", "实际为 5")],
)
def test_config_values_are_quoted_in_chinese(
    summary: Path, tmp_path: Path, line: str, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[smtp]\nhost = "127.0.0.1"\n{line}\n', encoding="utf-8")
    args = ["email", str(summary), "--to", "a@example.org", "--from", "b@example.org"]
    assert main([*args, "--config", str(config)]) == 1
    message = _err(capsys)
    assert shown in message
    assert "'" not in message


@pytest.mark.parametrize(
    ("server", "named"),
    [
        ("smtp://127.0.0.1:25", "不要写 smtp://"),
        ("127.0.0.1 :25", "主机名中不能有空格"),
        ("::1", "主机名中不能有冒号"),
        ("[smtp.example.org]:25", "方括号中应为 IPv6 地址"),
    ],
)
def test_a_mistyped_smtp_server_is_named_before_connecting(
    summary: Path, server: str, named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: "找不到邮件服务器 smtp://127.0.0.1（域名无法解析）", "找不到邮件服务器 :" — a DNS
    look-up of what was never a host name."""
    args = ["email", str(summary), "--to", "a@example.org", "--from", "b@example.org"]
    assert main([*args, "--smtp", server]) == 1
    message = _err(capsys)
    assert f"邮件服务器“{server}”格式有误" in message
    assert named in message
    assert "域名无法解析" not in message


def test_a_port_in_the_configured_host_is_named(
    summary: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`host = "smtp.example.org:465"` (the port where the host goes) was looked up as a host
    name: "找不到邮件服务器 smtp.example.org:465（域名无法解析）"."""
    config = tmp_path / "c.toml"
    config.write_text('[smtp]\nhost = "smtp.example.org:465"\n', encoding="utf-8")
    args = ["email", str(summary), "--to", "a@example.org", "--from", "b@example.org"]
    assert main([*args, "--config", str(config)]) == 1
    message = _err(capsys)
    assert "smtp.host 应只写邮件服务器的主机名" in message
    assert "端口写在 smtp.port 中" in message
    assert "实际为“smtp.example.org:465”" in message


def test_host_names_and_ipv6_addresses_are_still_hosts() -> None:
    assert parse_server("smtp.example.org") == ("smtp.example.org", None)
    assert parse_server("[::1]:25") == ("::1", 25)
    assert parse_config({"smtp": {"host": "::1"}}).smtp_host == "::1"


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
            "不是可读取的 Excel 工作簿：是一个 PDF 文件（扩展名被改成了 .xlsx）",
        ),
        (
            b"<html><body><table><tr><td>1</td></tr></table>",
            "不是可读取的 Excel 工作簿：是网页（HTML）或 XML 文本",
        ),
        ("支部名称,扣分\n甲支部,2\n".encode(), "不是可读取的 Excel 工作簿：是文本文件（如 CSV）"),
        (
            "支部名称,扣分\n甲支部,2\n".encode("gbk"),
            "不是可读取的 Excel 工作簿：是文本文件（如 CSV）",
        ),
    ],
)
def test_a_file_renamed_xlsx_is_named_for_what_it_is(
    tmp_path: Path, content: bytes, named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A PDF, a web system's "导出 Excel" page or a CSV saved as .xlsx was "文件损坏或不是
    .xlsx/.xlsm 格式": the user looked for damage instead of the right file."""
    folder = tmp_path / "收件"
    folder.mkdir()
    _filled(folder / "甲.xlsx", ["甲支部"])
    (folder / "乙.xlsx").write_bytes(content)
    assert main(["consolidate", str(folder), "-o", str(tmp_path / "汇总.xlsx")]) == 1
    message = _err(capsys)
    assert f"{folder / '乙.xlsx'}：{named}" in message
    assert "文件损坏" not in message
    assert main(["recalc", str(folder / "乙.xlsx")]) == 1
    assert named in _err(capsys)
    assert (folder / "乙.xlsx").read_bytes() == content


def test_another_format_in_an_input_folder_reads_with_a_space(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "收件"
    folder.mkdir()
    _filled(folder / "甲.xlsx", ["甲支部"])
    (folder / "乙.ods").write_bytes(b"PK\x03\x04")
    (folder / "丙.csv").write_text("a,b\n", encoding="utf-8")
    assert main(["consolidate", str(folder), "-o", str(tmp_path / "汇总.xlsx")]) == 1
    message = _err(capsys)
    assert "乙.ods：是 OpenDocument 表格（.ods）" in message
    assert "丙.csv：是 CSV 文本（.csv）" in message


def test_a_draft_counts_its_pending_branches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "3 个支部：好 0 个，较好 2 个，一般 0 个，较差 0 个" did not add up: the branch with
    invalid input was in no count."""
    book = _filled(tmp_path / "考评.xlsx", ["甲支部", "乙支部", "丙支部"], deduction=3)
    fill_by_names(book, {"乙支部": {"ded_1_1": 7}})  # 1.1 allows 0 or 15
    assert main(["consolidate", str(book), "-o", str(tmp_path / "汇总.xlsx"), "--draft"]) == 1
    assert "3 个支部：好 2 个，较好 0 个，一般 0 个，较差 0 个，待修正 1 个" in _err(capsys)


class _SlowDataHandler(RecordingHandler):
    """Takes the message, then answers the end of DATA only after the client gave up."""

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        reply = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(3)
        return reply


def test_a_timeout_while_sending_says_the_mail_may_have_arrived(
    summary: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "在 1 秒内没有应答（超时）；…或稍后再试": the server had the message, and trying again
    sent the summary a second time."""
    handler = _SlowDataHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    config = tmp_path / "c.toml"
    config.write_text(f'[smtp]\nhost = "127.0.0.1"\nport = {port}\ntimeout = 1\n', encoding="utf-8")
    try:
        args = ["email", str(summary), "--to", "a@example.org", "--from", "b@example.org"]
        assert main([*args, "--config", str(config)]) == 1
    finally:
        controller.stop()
    message = _err(capsys)
    assert "在发信过程中 1 秒内没有应答（超时）" in message
    assert "邮件可能已经发出：重新发送前请先向收件人确认是否已收到" in message
    assert "稍后再试" not in message
    assert len(handler.messages) == 1


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_assessors_sheet_columns_fit_the_combined_total(tmp_path: Path) -> None:
    """In print (LibreOffice, A4), "93.33（平均" filled the 合并后总分 column and the closing
    bracket stood on a line of its own; "否（已去掉）" wrapped too."""
    losses = (("张三", 1), ("李四", 2), ("王五", 4))
    inputs = {name: RawBranchInputs({"7.1": lost}, {}, []) for name, lost in losses}
    paths = _assessor_copies(tmp_path, "甲支部", inputs)
    output = tmp_path / "汇总.xlsx"
    assert main(["consolidate", *paths, "--assessors", "mean", "-o", str(output)]) == 0
    sheet = openpyxl.load_workbook(output)["多人考评"]
    header = next(r for r in sheet.iter_rows() if any(c.value == "合并后总分" for c in r))
    columns = {c.value: c.column_letter for c in header}
    for title in ("合并后总分", "计入平均"):
        letter = columns[title]
        width = sheet.column_dimensions[letter].width
        texts = [sheet[f"{letter}{r}"].value for r in range(header[0].row + 1, sheet.max_row + 1)]
        assert "97.67（平均）" in texts or title == "计入平均"
        for text in texts:
            assert _display_width(str(text)) <= width, (title, text, width)


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (None, "无法读取证书文件"),
        (b"not a certificate\n", "中没有可用的证书"),
    ],
)
def test_a_missing_or_wrong_certificate_file_is_named(
    summary: Path,
    tmp_path: Path,
    content: bytes | None,
    named: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`[smtp] cafile` missing, or a file that is no PEM certificate (also via --cafile), was
    "内部错误：FileNotFoundError" / "内部错误：SSLError", exit 2."""
    folder = tmp_path / "设置"
    folder.mkdir()
    if content is not None:
        (folder / "ca.pem").write_bytes(content)
    config = folder / "branch-assess.toml"
    config.write_text('[smtp]\nhost = "127.0.0.1"\nport = 1\ncafile = "ca.pem"\n', encoding="utf-8")
    args = ["email", str(summary), "--to", "a@example.org", "--from", "b@example.org"]
    assert main([*args, "--config", str(config)]) == 1
    message = _err(capsys)
    assert f"证书文件 {folder / 'ca.pem'}" in message
    assert named in message
    assert "内部错误" not in message
    if content is not None:
        assert main([*args, "--smtp", "127.0.0.1:1", "--cafile", str(folder / "ca.pem")]) == 1
        assert named in _err(capsys)


def test_a_relative_cafile_is_found_beside_the_config_file(
    summary: Path,
    certificate: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`cafile = "ca.pem"` was looked up in the current folder, so the configuration named by
    BRANCH_ASSESS_CONFIG worked only when run from its own folder."""
    folder = tmp_path / "设置"
    folder.mkdir()
    (folder / "ca.pem").write_bytes(certificate[0].read_bytes())
    monkeypatch.setenv("BRANCH_ASSESS_SMTP_PASSWORD", PASSWORD)
    monkeypatch.chdir(tmp_path)
    with smtp_server(starttls_cert=certificate) as (port, handler):
        config = folder / "branch-assess.toml"
        config.write_text(
            f'[mail]\nfrom = "{USER}"\n[smtp]\nhost = "127.0.0.1"\nport = {port}\n'
            f'security = "starttls"\nuser = "{USER}"\ncafile = "ca.pem"\n',
            encoding="utf-8",
        )
        monkeypatch.setenv("BRANCH_ASSESS_CONFIG", str(config))
        assert main(["email", str(summary), "--to", "a@example.org"]) == 0, _err(capsys)
    assert len(handler.messages) == 1


def test_an_address_given_twice_gets_the_mail_once(summary: Path) -> None:
    """`--to a@… --cc a@…` (or the same address in another case or with a name) put it into
    the envelope as often, and a server that does not merge them delivered the summary twice."""
    with smtp_server() as (port, handler):
        args = ["email", str(summary), "--from", "b@example.org", "--smtp", f"127.0.0.1:{port}"]
        args += ["--to", "zuzhibu@example.org", "--to", "县委组织部 <ZuZhiBu@Example.org>"]
        args += ["--cc", "zuzhibu@example.org", "--cc", "jilu@example.org"]
        assert main(args) == 0
    (received,) = handler.messages
    assert received.rcpt_tos == ["zuzhibu@example.org", "jilu@example.org"]


def test_a_branch_of_several_assessors_shows_what_it_lost(tmp_path: Path) -> None:
    """A branch combined from three assessors (total 93.33) read 无扣分 in 汇总 (and 0 counted
    for rule 7.1 in 群众测评), and its 整改清单 said 无扣分项 — nothing to rectify."""
    deducted: dict[str, dict[str, object]] = {
        "周伟": {"3.3": 2, "7.1": 5},
        "钱芳": {"3.3": 2, "7.1": 7},
        "孙明": {"7.1": 4},
    }
    inputs = {
        name: RawBranchInputs(deductions, {rule: f"{name}所见" for rule in deductions}, [])
        for name, deductions in deducted.items()
    }
    paths = _assessor_copies(tmp_path, "上墅分会支部", inputs)
    output, folder = tmp_path / "汇总.xlsx", tmp_path / "整改清单"
    args = [*paths, "--assessors", "mean", "-o", str(output), "--rectification", str(folder)]
    assert main(["consolidate", *args]) == 0
    book = openpyxl.load_workbook(output)

    def rows(sheet: str) -> list[list[object]]:
        return [
            [c for c in row if c is not None]
            for row in book[sheet].iter_rows(values_only=True)
            if "上墅分会支部" in row
        ]

    (summary_row,) = rows("汇总")
    assert summary_row[-1] == (
        "7.1 根据群众测评结果酌情扣分（平均扣5.33分）；3.3 承诺未兑现的扣2分（平均扣1.33分）"
    )
    listed = [
        (row[3], row[5])
        for row in book["整改清单"].iter_rows(min_row=4, values_only=True)
        if row[1] is not None
    ]
    assert listed == [("3.3", "1.33"), ("7.1", "5.33")]
    branch_list = openpyxl.load_workbook(folder / "2026年度整改清单（上墅分会支部）.xlsx")
    texts = [c for row in branch_list.active.iter_rows(values_only=True) for c in row if c]
    assert "无扣分项、无未达标的自查项目" not in texts
    assert "3 位考评人平均：周伟扣2分（周伟所见）；钱芳扣2分（钱芳所见）" in texts


def test_next_years_template_says_whose_deduction_it_was(tmp_path: Path) -> None:
    """Last year's JSON of a branch of several assessors lists each one's deductions; the
    template's 上年整改事项核对 showed 7.1 three times (5, 7, 4 points) without saying why."""
    inputs = {
        name: RawBranchInputs({"7.1": lost}, {"7.1": "满意率88%"}, [])
        for name, lost in (("周伟", 5), ("钱芳", 7))
    }
    paths = _assessor_copies(tmp_path, "上墅分会支部", inputs)
    report = tmp_path / "2026.json"
    args = [*paths, "--assessors", "mean", "-o", str(tmp_path / "s.xlsx"), "--json", str(report)]
    assert main(["consolidate", *args]) == 0
    template = tmp_path / "2027.xlsx"
    args = ["-o", str(template), "--branch", "上墅分会支部", "--year", "2027"]
    assert main(["template", *args, "--previous", str(report)]) == 0
    sheet = openpyxl.load_workbook(template)["上墅分会支部"]
    texts = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert any("上年扣分说明：（考评人 周伟）满意率88%" in text for text in texts)
    assert any("上年扣分说明：（考评人 钱芳）满意率88%" in text for text in texts)


def test_details_of_a_branch_of_several_assessors_add_up_to_what_it_lost(tmp_path: Path) -> None:
    """扣分明细 lists every assessor's deductions (7 + 5 points for a branch that lost 6): its
    rows added up to twice the loss, where the sheet's rows add up to each branch's loss."""
    inputs = {
        name: RawBranchInputs({"7.1": lost}, {}, []) for name, lost in (("周伟", 5), ("钱芳", 7))
    }
    paths = _assessor_copies(tmp_path, "甲支部", inputs)
    output = tmp_path / "s.xlsx"
    assert main(["consolidate", *paths, "--assessors", "mean", "-o", str(output)]) == 0
    rows = [
        row
        for row in openpyxl.load_workbook(output)["扣分明细"].iter_rows(values_only=True)
        if "甲支部" in row
    ]
    assert sum(row[5] for row in rows) == 6
    assert rows[-1][3] == "注（2）"
    assert "以上为 2 位考评人各自的扣分，合计 12 分" in rows[-1][4]


def test_outputs_open_in_another_program_are_named(
    summary: Path,
    cycle_outputs: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """consolidate/history -o onto a summary open in Excel, WPS or LibreOffice wrote it without a
    word (saving in that window then overwrote the new one), and email sent the saved version
    of a summary being edited; recalc and survey import already said so."""
    output = tmp_path / "汇总.xlsx"
    output.write_bytes(cycle_outputs["summary"].read_bytes())
    (tmp_path / "~$汇总.xlsx").write_bytes(b"\x05user")
    assert main(["consolidate", str(summary.parent / "考评.xlsx"), "-o", str(output)]) == 0
    assert f"提示：{output} 似乎正在 Excel、WPS 或 LibreOffice 中打开" in _err(capsys)
    history = tmp_path / "历年.xlsx"
    (tmp_path / ".~lock.历年.xlsx#").write_text("user", encoding="utf-8")
    report = cycle_outputs["summary"].parent / "2026.json"
    assert main(["history", str(report), "-o", str(history)]) == 0
    assert f"提示：{history} 似乎正在" in _err(capsys)
    args = ["email", str(output), "--to", "a@example.org", "--from", "b@example.org"]
    assert main([*args, "--eml", str(tmp_path / "x.eml")]) == 0
    assert "附件是磁盘上已保存的版本" in _err(capsys)


def test_a_rectification_or_history_workbook_in_an_input_folder_is_named_as_such(
    cycle_outputs: dict[str, Path],
    summary: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Both were skipped with "这是汇总表，不是支部考评定级表"."""
    inbox = tmp_path / "收件"
    inbox.mkdir()
    (inbox / "考评.xlsx").write_bytes((summary.parent / "考评.xlsx").read_bytes())
    for kind in ("rectification", "history", "summary"):
        (inbox / f"{kind}.xlsx").write_bytes(cycle_outputs[kind].read_bytes())
    assert main(["consolidate", str(inbox), "-o", str(tmp_path / "新汇总.xlsx")]) == 0
    message = _err(capsys)
    assert f"{inbox / 'rectification.xlsx'}：这是整改清单，不是支部考评定级表，已跳过" in message
    assert f"{inbox / 'history.xlsx'}：这是历年对比，不是支部考评定级表，已跳过" in message
    assert f"{inbox / 'summary.xlsx'}：这是汇总表，不是支部考评定级表，已跳过" in message


@pytest.mark.parametrize("problem", ["invalid", "veto"])
def test_a_branch_of_several_assessors_that_cannot_be_combined_is_pending_in_a_draft(
    tmp_path: Path, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """With one assessor's sheet invalid (or a veto they disagree on), the draft showed the
    first assessor's total, grade and rank as the branch's, and wrote its 整改清单 from it."""
    paths = []
    for name in ("张三", "李四", "王五"):
        path = tmp_path / f"{name}.xlsx"
        deductions: dict[str, object] = {"7.1": 2}
        if name == "李四" and problem == "invalid":
            deductions["1.1"] = 7  # 1.1 allows 0 or 15
        vetoes = ["是"] if name == "李四" and problem == "veto" else []
        write_template(
            path,
            TemplateOptions(
                ["甲支部", "乙支部"],
                year=2026,
                formulas="native",
                inputs={
                    "甲支部": RawBranchInputs(deductions, {}, vetoes),
                    "乙支部": RawBranchInputs({}, {}, []),
                },
                assessor={"甲支部": name, "乙支部": name},
            ),
        )
        paths.append(str(path))
    report = tmp_path / "s.json"
    args = [*paths, "--assessors", "mean", "-o", str(tmp_path / "s.xlsx"), "--json", str(report)]
    assert main(["consolidate", *args, "--draft"]) == 1
    assert "好 1 个，较好 0 个，一般 0 个，较差 0 个，待修正 1 个" in _err(capsys)
    branches = {b["branch"]: b for b in json.loads(report.read_text(encoding="utf-8"))["branches"]}
    assert branches["甲支部"]["total"] is None
    assert branches["甲支部"]["grade"] == "待修正"
    assert branches["甲支部"]["rank"] is None
    assert branches["乙支部"]["rank"] == 1


def test_a_branch_of_several_assessors_keeps_its_self_assessment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The combined branch lost its 自评 and 自查表: 自评与考评 read 旧版模板/无自评栏 and
    自查情况 旧版模板，无自查表, although every copy was a version-2 sheet the branch had filled."""
    paths = []
    for name, self_lost in (("张三", 3), ("李四", 3), ("王五", 1)):
        path = tmp_path / f"{name}.xlsx"
        write_template(
            path,
            TemplateOptions(
                ["甲支部"],
                year=2026,
                formulas="native",
                inputs={"甲支部": RawBranchInputs({"7.1": 10}, {}, [])},
                self_inputs={"甲支部": RawBranchInputs({"7.1": self_lost}, {}, [])},
                assessor={"甲支部": name},
            ),
        )
        paths.append(str(path))
    report = tmp_path / "s.json"
    args = [*paths, "--assessors", "mean", "-o", str(tmp_path / "s.xlsx"), "--json", str(report)]
    assert main(["consolidate", *args]) == 0
    (branch,) = json.loads(report.read_text(encoding="utf-8"))["branches"]
    assert branch["self"]["total"] == 97
    assert branch["self"]["difference"] == 7
    assert branch["checklist"] is not None
    message = _err(capsys)
    assert "支部“甲支部”的自评在各考评人的考评表中不一致" in message
    assert f"{tmp_path / '王五.xlsx'}，甲支部 与 {tmp_path / '张三.xlsx'}，甲支部 不同" in message
    book = openpyxl.load_workbook(tmp_path / "s.xlsx")
    texts = [c for row in book["自评与考评"].iter_rows(values_only=True) for c in row if c]
    assert "旧版模板" not in texts


def test_the_counted_survey_deduction_of_several_assessors_is_their_mean(tmp_path: Path) -> None:
    """群众测评 and the JSON `survey.counted_deduction` of a combined branch gave the first
    assessor's 7.1 deduction (or 0), not the mean the branch's item 7 was scored with."""
    tally = RawSurvey(55, 50, [{"满意": 42, "基本满意": 5, "不满意": 3}] * 3)  # deduction 1.5
    inputs = {
        "张三": RawBranchInputs({}, {}, [], survey=tally),  # the tally counts: 1.5
        "李四": RawBranchInputs({"7.1": 4}, {"7.1": "群众来信"}, [], survey=tally),
        "王五": RawBranchInputs({"7.1": 6}, {"7.1": "走访意见多"}, [], survey=tally),
    }
    paths = _assessor_copies(tmp_path, "甲支部", inputs)
    report, output = tmp_path / "s.json", tmp_path / "s.xlsx"
    args = [*paths, "--assessors", "mean", "-o", str(output), "--json", str(report)]
    assert main(["consolidate", *args]) == 0
    (branch,) = json.loads(report.read_text(encoding="utf-8"))["branches"]
    assert branch["item_scores"][6] == 21.17  # 25 - (1.5 + 4 + 6) / 3
    assert branch["survey"]["counted_deduction"] == 3.83
    (row,) = [
        r
        for r in openpyxl.load_workbook(output)["群众测评"].iter_rows(values_only=True)
        if "甲支部" in r
    ]
    assert 3.83 in row


def test_a_branch_twice_by_two_assessors_points_to_the_assessors_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two assessors' sheets of one branch without --assessors said only "同一支部只能汇总一次";
    a new user never learnt the option exists."""
    paths = []
    for name in ("张三", "李四"):
        path = tmp_path / f"{name}.xlsx"
        write_template(
            path,
            TemplateOptions(["甲支部"], year=2026, formulas="native", assessor={"甲支部": name}),
        )
        paths.append(str(path))
    assert main(["consolidate", *paths, "-o", str(tmp_path / "s.xlsx")]) == 1
    message = _err(capsys)
    assert "两份的考评人不同（张三、李四）" in message
    assert "请加 --assessors mean（或 trimmed）合并计分" in message
    # The same assessor twice (a file copied): no such hint.
    (tmp_path / "副本.xlsx").write_bytes((tmp_path / "张三.xlsx").read_bytes())
    copies = [paths[0], str(tmp_path / "副本.xlsx")]
    assert main(["consolidate", *copies, "-o", str(tmp_path / "s.xlsx")]) == 1
    message = _err(capsys)
    assert "同一支部只能汇总一次" in message
    assert "--assessors" not in message


def test_an_empty_password_variable_is_named(
    summary: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`set BRANCH_ASSESS_SMTP_PASSWORD=` sent an empty password: the server's 535 was reported
    as a wrong user name or password."""
    monkeypatch.setenv("BRANCH_ASSESS_SMTP_PASSWORD", "")
    with smtp_server() as (port, handler):
        args = ["email", str(summary), "--to", "a@example.org", "--from", "b@example.org"]
        assert main([*args, "--smtp", f"127.0.0.1:{port}", "--user", USER]) == 1
    assert "环境变量 BRANCH_ASSESS_SMTP_PASSWORD 是空的" in _err(capsys)
    assert handler.messages == []


def test_a_missing_input_is_named_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`consolidate 不存在.xlsx` (or a folder holding only an .ods) said the problem, then a second,
    redundant `没有找到任何工作簿`."""
    folder = tmp_path / "收件"
    folder.mkdir()
    (folder / "甲.ods").write_bytes(b"PK\x03\x04")
    for given in (tmp_path / "不存在.xlsx", folder):
        assert main(["consolidate", str(given), "-o", str(tmp_path / "s.xlsx")]) == 1
        message = _err(capsys)
        assert "发现 1 个待修正项" in message
        assert "没有找到任何" not in message


def test_spread_threshold_without_assessors_says_it_does_nothing(
    summary: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = str(summary.parent / "考评.xlsx")
    args = ["consolidate", book, "-o", str(tmp_path / "s.xlsx")]
    assert main([*args, "--spread-threshold", "3"]) == 0
    assert "提示：--spread-threshold 只用于多人考评" in _err(capsys)
    assert main([*args, "--spread-threshold", "3", "--assessors", "mean"]) == 0
    assert "--spread-threshold" not in _err(capsys)
