"""The summary mail: .eml drafts and real SMTP delivery through aiosmtpd on 127.0.0.1."""

from __future__ import annotations

import email.header
import os
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser, Parser
from pathlib import Path

import pytest

from workbook.cli.main import main
from workbook.inputs.config import ConfigError, load_config
from workbook.inputs.consolidate import consolidate
from workbook.outputs.demo import DEMO_YEAR, run_demo
from workbook.outputs.mail import MailSettings, attachment_headers, build_message, message_bytes
from workbook.outputs.summary import write_summary

from support.smtp_server import (
    PASSWORD,
    USER,
    free_port,
    make_certificate,
    silent_server,
    smtp_server,
)

TO = "县委组织部 <zuzhibu@example.org>"
CC = "jilu@example.org"
SENDER = "dangwei@example.org"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    return run_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("cert"))


def parse(data: bytes) -> EmailMessage:
    if not data.isascii():  # RFC 6532 headers: the byte parser would not decode them
        return Parser(policy=policy.default).parsestr(data.decode("utf-8"))  # type: ignore[return-value]
    return BytesParser(policy=policy.default).parsebytes(data)


def only_attachment(message: EmailMessage) -> EmailMessage:
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1
    return attachments[0]


def raw_header(data: bytes, name: str, occurrence: int = 0) -> str:
    """The raw (folded) text of a header in the wire bytes, without its name."""
    text = data.decode("ascii")
    matches = re.findall(rf"^{name}: (.*?)\r\n(?! )", text, flags=re.M | re.S)
    return matches[occurrence]


def test_eml_has_subject_body_dates_and_the_summary_attached(demo, tmp_path: Path) -> None:
    eml = tmp_path / "汇总.eml"
    code = main(
        [
            "email",
            str(demo.summary),
            "--to",
            TO,
            "--cc",
            CC,
            "--from",
            SENDER,
            "--eml",
            str(eml),
        ]
    )
    assert code == 0
    data = eml.read_bytes()
    message = parse(data)
    assert message["Subject"] == (
        f"{DEMO_YEAR}年度安吉县个体民营企业协会党委支部（党员服务中心）规范化建设考评定级汇总表"
    )
    assert message["To"].addresses[0].addr_spec == "zuzhibu@example.org"
    assert message["To"].addresses[0].display_name == "县委组织部"
    assert message["Cc"].addresses[0].addr_spec == CC
    assert message["Date"].datetime is not None
    assert re.fullmatch(r"<.+@example\.org>", message["Message-ID"])
    body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"{DEMO_YEAR}年度安吉县个体民营企业协会" in body
    assert demo.summary.name in body
    attachment = only_attachment(message)
    assert attachment.get_content() == demo.summary.read_bytes()
    assert attachment.get_filename() == demo.summary.name
    assert (
        attachment.get_content_type()
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    # Every line fits the SMTP limit; our own attachment headers fold at 80 or fewer.
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))


def test_attachment_name_is_readable_in_both_encodings(demo, tmp_path: Path) -> None:
    message = build_message(demo.summary, MailSettings(sender=SENDER, to=[TO]))
    data = message_bytes(message)
    name = demo.summary.name
    disposition = raw_header(data, "Content-Disposition", occurrence=0)
    content_type = next(
        h
        for h in re.findall(r"^Content-Type: (.*?)\r\n(?! )", data.decode(), re.M | re.S)
        if "spreadsheetml" in h
    )
    # RFC 2047 (Outlook, Foxmail, QQ Mail): the quoted filename= and name= decode to the name.
    for header, param in ((disposition, "filename"), (content_type, "name")):
        quoted = re.search(rf'(?<![*\w]){param}="([^"]*)"', header, re.S)
        assert quoted, header
        words = quoted.group(1)
        assert words.startswith("=?UTF-8?B?")
        decoded = "".join(
            part.decode(charset or "ascii") if isinstance(part, bytes) else part
            for part, charset in email.header.decode_header(words.replace("\r\n", ""))
        )
        assert decoded == name
        assert all(len(w) <= 75 for w in words.split())
    # RFC 2231 (Thunderbird, Apple Mail, Gmail): filename*0*=UTF-8''..., continuations.
    sections = re.findall(r"filename\*(\d+)\*=([^;\r\n]*)", disposition)
    assert [int(n) for n, _ in sections] == list(range(len(sections)))
    joined = "".join(value for _, value in sections)
    assert joined.startswith("UTF-8''")
    from urllib.parse import unquote

    assert unquote(joined[len("UTF-8''") :], encoding="utf-8", errors="strict") == name
    # Each line of our attachment headers stays within 78 characters, except the MIME type
    # itself, which cannot be folded (80 with its header name).
    for line in (disposition + "\r\n" + content_type).split("\r\n"):
        assert len(line) <= 78 or line.startswith("application/vnd.openxml"), line


def test_ascii_file_names_are_written_plainly() -> None:
    content_type, disposition = attachment_headers("summary-2026.xlsx")
    assert 'name="summary-2026.xlsx"' in content_type
    assert disposition.replace("\n", "") == 'attachment; filename="summary-2026.xlsx"'


def test_sends_through_plain_smtp_with_to_and_cc(demo) -> None:
    with smtp_server() as (port, handler):
        code = main(
            [
                "email",
                str(demo.summary),
                "--to",
                TO,
                "--cc",
                CC,
                "--from",
                SENDER,
                "--smtp",
                f"127.0.0.1:{port}",
            ]
        )
    assert code == 0
    [received] = handler.messages
    assert received.mail_from == SENDER
    assert sorted(received.rcpt_tos) == sorted(["zuzhibu@example.org", CC])
    attachment = only_attachment(parse(received.data))
    assert attachment.get_content() == demo.summary.read_bytes()
    assert attachment.get_filename() == demo.summary.name


def send_over_tls(demo, port: int, certificate, tls_flag: str) -> list[str]:
    """``email`` arguments that send the demo summary to 127.0.0.1:port with a login over TLS."""
    return [
        "email",
        str(demo.summary),
        "--to",
        TO,
        "--from",
        SENDER,
        "--smtp",
        f"127.0.0.1:{port}",
        tls_flag,
        "--user",
        USER,
        "--cafile",
        str(certificate[0]),
    ]


def test_sends_with_starttls_and_login_password_from_environment(
    demo, certificate, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BRANCH_ASSESS_SMTP_PASSWORD", PASSWORD)
    with smtp_server(starttls_cert=certificate) as (port, handler):
        code = main(send_over_tls(demo, port, certificate, "--starttls"))
    assert code == 0, capsys.readouterr().err
    [received] = handler.messages
    assert received.tls
    assert received.login == USER
    attachment = only_attachment(parse(received.data))
    assert attachment.get_content() == demo.summary.read_bytes()
    assert attachment.get_filename() == demo.summary.name
    assert "已发送" in capsys.readouterr().out


def test_sends_over_ssl(demo, certificate, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRANCH_ASSESS_SMTP_PASSWORD", PASSWORD)
    with smtp_server(ssl_cert=certificate) as (port, handler):
        code = main(send_over_tls(demo, port, certificate, "--ssl"))
    assert code == 0
    [received] = handler.messages
    assert received.tls
    assert received.login == USER


def test_refused_login_is_a_clear_chinese_error(
    demo, certificate, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BRANCH_ASSESS_SMTP_PASSWORD", "wrong")
    with smtp_server(starttls_cert=certificate) as (port, handler):
        code = main(send_over_tls(demo, port, certificate, "--starttls"))
    assert code == 1
    err = capsys.readouterr().err
    assert f"邮件服务器 127.0.0.1:{port} 拒绝登录（用户 {USER}）" in err
    assert "535" in err
    assert "Traceback" not in err
    assert handler.messages == []


def test_untrusted_certificate_is_refused(demo, certificate, monkeypatch, capsys) -> None:
    monkeypatch.setenv("BRANCH_ASSESS_SMTP_PASSWORD", PASSWORD)
    with smtp_server(starttls_cert=certificate) as (port, handler):
        code = main(
            [
                "email",
                str(demo.summary),
                "--to",
                TO,
                "--from",
                SENDER,
                "--smtp",
                f"127.0.0.1:{port}",
                "--starttls",
                "--user",
                USER,
            ]
        )
    assert code == 1
    assert "加密连接失败" in capsys.readouterr().err
    assert handler.messages == []


def test_unreachable_server_is_a_clear_chinese_error(demo, capsys) -> None:
    port = free_port()
    code = main(
        ["email", str(demo.summary), "--to", TO, "--from", SENDER, "--smtp", f"127.0.0.1:{port}"]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert f"无法连接邮件服务器 127.0.0.1:{port}" in err
    assert "Traceback" not in err


def test_missing_password_names_the_environment_variable(demo, monkeypatch, capsys) -> None:
    monkeypatch.delenv("BRANCH_ASSESS_SMTP_PASSWORD", raising=False)
    with smtp_server() as (port, handler):
        code = main(
            [
                "email",
                str(demo.summary),
                "--to",
                TO,
                "--from",
                SENDER,
                "--smtp",
                f"127.0.0.1:{port}",
                "--user",
                USER,
            ]
        )
    assert code == 1
    assert "BRANCH_ASSESS_SMTP_PASSWORD" in capsys.readouterr().err
    assert handler.messages == []


def test_there_is_no_password_option(demo, capsys) -> None:
    code = main(["email", str(demo.summary), "--to", TO, "--password", "x", "--eml", "x.eml"])
    assert code == 2
    assert "--password" in capsys.readouterr().err


def test_defaults_come_from_the_config_file_in_the_current_folder(
    demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BRANCH_ASSESS_CONFIG", raising=False)
    with smtp_server() as (port, handler):
        (tmp_path / "branch-assess.toml").write_text(
            f"""
[mail]
from = "{SENDER}"
to = ["{TO}"]
subject = "{{year}}年度考评汇总（{{association}}）"

[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
""",
            encoding="utf-8",
        )
        monkeypatch.chdir(tmp_path)
        code = main(["email", str(demo.summary)])
    assert code == 0
    [received] = handler.messages
    assert received.rcpt_tos == ["zuzhibu@example.org"]
    assert parse(received.data)["Subject"] == f"{DEMO_YEAR}年度考评汇总（安吉县个体民营企业协会）"


def test_config_file_from_environment_variable_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "mail.toml"
    good.write_text('[mail]\nto = "a@example.org"\n[smtp]\nport = 465\nsecurity = "ssl"\n', "utf-8")
    config = load_config(env={"BRANCH_ASSESS_CONFIG": str(good)}, cwd=tmp_path)
    assert config.to == ("a@example.org",)
    assert config.smtp_port == 465
    assert config.security == "ssl"
    bad = tmp_path / "bad.toml"
    bad.write_text('[smtp]\nsecurty = "ssl"\n', "utf-8")
    with pytest.raises(ConfigError, match="未知的设置：securty"):
        load_config(bad)
    bad.write_text('[smtp]\nsecurity = "tls"\n', "utf-8")
    with pytest.raises(ConfigError, match="none、starttls 或 ssl"):
        load_config(bad)
    with pytest.raises(ConfigError, match="找不到配置文件"):
        load_config(env={"BRANCH_ASSESS_CONFIG": str(tmp_path / "none.toml")})
    assert load_config(env={}, cwd=tmp_path).source is None


def test_a_draft_summary_is_not_sent(tmp_path: Path, demo, capsys) -> None:
    result = consolidate([demo.template, tmp_path / "missing.xlsx"])
    assert result.errors
    draft = write_summary(tmp_path / "草稿.xlsx", result, draft=True)
    code = main(
        ["email", str(draft), "--to", TO, "--from", SENDER, "--eml", str(tmp_path / "x.eml")]
    )
    assert code == 1
    assert "草稿（含待修正项），不能报送" in capsys.readouterr().err
    assert not (tmp_path / "x.eml").exists()


def test_a_workbook_that_is_not_a_summary_is_not_sent(demo, tmp_path: Path, capsys) -> None:
    code = main(
        [
            "email",
            str(demo.template),
            "--to",
            TO,
            "--from",
            SENDER,
            "--eml",
            str(tmp_path / "x.eml"),
        ]
    )
    assert code == 1
    assert "不是本工具生成的汇总表" in capsys.readouterr().err


# --- addresses and servers (issue 7) -------------------------------------------------------


def test_a_chinese_local_part_is_sent_only_with_smtputf8(demo, capsys) -> None:
    to = "县委组织部 <张三@example.org>"
    with smtp_server(smtputf8=True) as (port, handler):
        code = main(
            [
                "email",
                str(demo.summary),
                "--to",
                to,
                "--from",
                SENDER,
                "--smtp",
                f"127.0.0.1:{port}",
            ]
        )
    assert code == 0, capsys.readouterr().err
    [received] = handler.messages
    assert received.rcpt_tos == ["张三@example.org"]
    # RFC 6532: the address in UTF-8 in the header, no encoded word inside it.
    assert "<张三@example.org>".encode() in received.data
    assert b"=?utf-8?b?5byg5LiJ?=@" not in received.data.lower()
    assert parse(received.data)["To"].addresses[0].addr_spec == "张三@example.org"


def test_a_chinese_local_part_is_refused_clearly_without_smtputf8(demo, capsys) -> None:
    with smtp_server() as (port, handler):
        code = main(
            [
                "email",
                str(demo.summary),
                "--to",
                "张三@example.org",
                "--from",
                SENDER,
                "--smtp",
                f"127.0.0.1:{port}",
            ]
        )
    assert code == 1
    err = capsys.readouterr().err
    assert "SMTPUTF8" in err
    assert "张三@example.org" in err
    assert "AUTH" not in err
    assert "登录" not in err
    assert handler.messages == []


def test_an_internationalized_eml_has_utf8_headers(demo, tmp_path: Path) -> None:
    eml = tmp_path / "国际.eml"
    code = main(
        [
            "email",
            str(demo.summary),
            "--to",
            "张三@example.org",
            "--from",
            SENDER,
            "--eml",
            str(eml),
        ]
    )
    assert code == 0
    data = eml.read_bytes()
    assert b"To: \xe5\xbc\xa0\xe4\xb8\x89@example.org" in data
    assert parse(data)["To"].addresses[0].addr_spec == "张三@example.org"


def test_idn_domains_are_punycoded(demo) -> None:
    with smtp_server() as (port, handler):
        code = main(
            [
                "email",
                str(demo.summary),
                "--to",
                "zuzhibu@组织部.中国",
                "--from",
                SENDER,
                "--smtp",
                f"127.0.0.1:{port}",
            ]
        )
    assert code == 0
    [received] = handler.messages
    assert received.rcpt_tos == ["zuzhibu@xn--tn0ag730l.xn--fiqs8s"]
    assert b"zuzhibu@xn--tn0ag730l.xn--fiqs8s" in received.data


def test_a_subject_with_a_line_break_is_refused(demo, tmp_path: Path, capsys) -> None:
    eml = tmp_path / "x.eml"
    for subject in ("第一行\r\nBcc: x@example.org", "第一行\n第二行"):
        code = main(
            [
                "email",
                str(demo.summary),
                "--to",
                TO,
                "--from",
                SENDER,
                "--subject",
                subject,
                "--eml",
                str(eml),
            ]
        )
        assert code == 1
        err = capsys.readouterr().err
        assert "邮件主题不能包含换行符" in err
        assert "内部错误" not in err
        assert not eml.exists()


def test_a_server_that_never_answers_ends_with_a_timeout_message(
    demo, tmp_path: Path, capsys
) -> None:
    config = tmp_path / "mail.toml"
    config.write_text("[smtp]\ntimeout = 1\n", encoding="utf-8")
    with silent_server() as port:
        code = main(
            [
                "email",
                str(demo.summary),
                "--to",
                TO,
                "--from",
                SENDER,
                "--smtp",
                f"127.0.0.1:{port}",
                "--config",
                str(config),
            ]
        )
    assert code == 1
    err = capsys.readouterr().err
    assert f"邮件服务器 127.0.0.1:{port} 在 1 秒内没有应答（超时）" in err


# --- hostile review: header values and file names ------------------------------------------


@pytest.mark.parametrize("brk", ["\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "\r", "\x7f"])
def test_a_subject_with_any_line_break_is_refused_in_chinese(
    demo, tmp_path: Path, capsys: pytest.CaptureFixture[str], brk: str
) -> None:
    eml = tmp_path / "m.eml"
    code = main(
        [
            "email",
            str(demo.summary),
            "--from",
            SENDER,
            "--to",
            CC,
            "--eml",
            str(eml),
            "--subject",
            f"abc{brk}def",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1, err
    assert "邮件主题" in err
    assert "换行" in err
    assert "内部错误" not in err
    assert not eml.exists()


@pytest.mark.parametrize("option", ["--to", "--cc", "--from"])
def test_an_address_with_a_unicode_line_break_is_refused(
    demo, tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    args = {"--to": CC, "--from": SENDER}
    args[option] = "jilu@example.org\u2028Bcc: x@example.org"
    command = ["email", str(demo.summary), "--eml", str(tmp_path / "m.eml")]
    for name, value in args.items():
        command += [name, value]
    code = main(command)
    err = capsys.readouterr().err
    assert code == 1
    assert "换行或控制字符" in err
    assert "内部错误" not in err


def test_a_summary_named_in_gbk_bytes_is_attached_with_replacement_characters(
    demo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = os.fsencode(tmp_path) + b"/" + "汇总表.xlsx".encode("gbk")
    named = Path(os.fsdecode(raw))
    named.write_bytes(demo.summary.read_bytes())
    eml = tmp_path / "m.eml"
    code = main(["email", str(named), "--from", SENDER, "--to", CC, "--eml", str(eml)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    filename = only_attachment(parse(eml.read_bytes())).get_filename()
    assert filename is not None
    assert "\ufffd" in filename
    assert filename.endswith(".xlsx")
    assert "\\udc" not in captured.out + captured.err


def test_eml_must_be_named_eml(demo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wrong = tmp_path / "m.txt"
    code = main(["email", str(demo.summary), "--from", SENDER, "--to", CC, "--eml", str(wrong)])
    assert code == 1
    assert ".eml" in capsys.readouterr().err
    assert not wrong.exists()
    upper = tmp_path / "M.EML"
    assert (
        main(["email", str(demo.summary), "--from", SENDER, "--to", CC, "--eml", str(upper)]) == 0
    )
