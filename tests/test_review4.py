"""Defects found by the hostile review of consolidate, email and history (review4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from workbook.cli.main import main
from workbook.core.scoring import RawBranchInputs
from workbook.outputs.template import TemplateOptions, write_template

from support.smtp_server import (
    PASSWORD,
    USER,
    RecordingHandler,
    free_port,
    make_certificate,
    smtp_server,
)


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
        assert "--user" not in message and "不支持登录" not in message
        assert main([*args, "--user", USER, "--starttls"]) == 0, _err(capsys)
    assert len(handler.messages) == 1
