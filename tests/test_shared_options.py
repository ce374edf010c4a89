"""Options that several commands take are defined once (workbook/cli/options.py): the same help
text in every ``--help`` and the same message for the same mistake, whichever command it is."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from workbook.cli import i18n as cli_i18n
from workbook.cli.main import cli, main

SHARED = ("--branch", "--branches-file", "--year", "--overwrite", "--standard", "--standard-file")
# The commands that list branches and a year.
BRANCH_COMMANDS = (["template", "-o", "t.xlsx"], ["survey", "ballot", "-o", "b.xlsx"])


def every_command(group: click.Group, prefix: tuple[str, ...] = ()) -> dict[str, click.Command]:
    """Each command and subcommand by its words (``survey ballot``)."""
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        words = (*prefix, name)
        if isinstance(command, click.Group):
            found.update(every_command(command, words))
        else:
            found[" ".join(words)] = command
    return found


def help_lines(words: str) -> dict[str, str]:
    """Option -> its help text, as ``branch-assess WORDS --help`` prints it (unwrapped)."""
    cli_i18n.install()  # as main() does: click keeps the help option it made first
    result = CliRunner().invoke(cli, [*words.split(), "--help"], terminal_width=400)
    assert result.exit_code == 0, result.output
    command = every_command(cli)[words]
    ctx = click.Context(command, info_name=words, max_content_width=400)
    shown: dict[str, str] = {}
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is not None:
            for name in param.opts:
                shown[name] = record[1]
    return shown


def test_each_shared_option_reads_the_same_in_every_command() -> None:
    from workbook.cli.main import _register_commands

    _register_commands()
    texts: dict[str, dict[str, str]] = {}
    for words in every_command(cli):
        for option, text in help_lines(words).items():
            if option in SHARED or option == "--rename-map":
                texts.setdefault(option, {})[words] = text
    assert set(texts["--branch"]) == set(texts["--branches-file"]) == set(texts["--year"])
    assert set(texts["--branch"]) == {"template", "survey ballot"}
    # template, recalc, consolidate, history, survey import, survey ballot
    assert len(texts["--overwrite"]) >= 6
    for option in ("--branch", "--branches-file", "--year", "--overwrite"):
        assert len(set(texts[option].values())) == 1, (option, texts[option])
    # --standard says what the standard must match; --standard-file has one text with --standard
    # and one where the workbook names the standard (recalc, email, survey import).
    assert all(
        text.startswith("考评标准编号") and text.endswith("默认 anji-2012-6。")
        for text in texts["--standard"].values()
    )
    assert len(set(texts["--standard-file"].values())) == 2
    # --rename-map: when it applies differs (with --previous, or in history), its format not.
    renames = texts["--rename-map"]
    assert set(renames) == {"template", "consolidate", "history"}
    assert {text.split("：", 1)[1] for text in renames.values()} == {
        "UTF-8 文本，每行“原名称,新名称”（逗号或制表符分隔）。"
    }
    assert "改名的支部按此对应到最新年度的名称" in renames["history"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--branch", "甲支部", "--year", "1999"],
            "错误：“--year”的值无效：1999 不在范围 2000<=x<=2100 内。",
        ),
        ([], "请用 --branch 或 --branches-file 至少给出一个支部名称。"),
    ],
)
def test_the_same_mistake_gets_the_same_message(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    errors = []
    for args in BRANCH_COMMANDS:
        assert main([*args, *extra]) == 2
        err = capsys.readouterr().err
        errors.append(err.splitlines()[-1])
        assert message in err, err
    assert errors[0] == errors[1]
    assert not list(tmp_path.iterdir())


def test_a_branches_file_that_is_a_workbook_is_named_in_both_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import xlsxwriter

    monkeypatch.chdir(tmp_path)
    names = tmp_path / "支部名单.xlsx"
    book = xlsxwriter.Workbook(str(names))
    book.add_worksheet().write("A1", "甲支部")
    book.close()
    errors = []
    for args in BRANCH_COMMANDS:
        assert main([*args, "--branches-file", str(names)]) == 1
        errors.append(capsys.readouterr().err.strip())
    assert (
        errors[0]
        == errors[1]
        == (
            f"错误：支部名单文件 {names} 是一个 Excel 工作簿（.xlsx），不是 UTF-8 编码的文本文件；"
            "支部名单文件应为 UTF-8 编码的文本文件，每行一个支部名称，可用记事本新建，"
            "另存时选“UTF-8”编码"
        )
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["支部名单.xlsx"]


def every_group(group: click.Group, prefix: tuple[str, ...] = ()) -> list[str]:
    """The words of the command group and of each group under it (``""``, ``survey``, ...)."""
    found = [" ".join(prefix)]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += every_group(command, (*prefix, name))
    return found


def branch_assess_process(*args: str) -> subprocess.CompletedProcess[str]:
    """``branch-assess ARGS`` in a fresh process, as a user runs it (click's Chinese messages
    installed by ``main()`` before any command is built)."""
    return subprocess.run(
        [sys.executable, "-c", "from workbook.cli.main import run; run()", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


ENGLISH_IN_HELP = (
    "Usage",
    "Options",
    "Commands",
    "COMMAND",
    "ARGS",
    "OPTIONS",
    "Show this",
    # click's metavars of an option without its own (click.Path, str, int)
    " PATH",
    " FILE",
    " DIRECTORY",
    " TEXT",
    " INTEGER",
)


@pytest.mark.parametrize("words", every_group(cli) + sorted(every_command(cli)))
def test_every_help_is_chinese(words: str) -> None:
    """Every ``--help``, of a group as of a command, is in Chinese, placeholders included (in a
    fresh process, as a user runs it)."""
    result = branch_assess_process(*words.split(), "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("用法： branch-assess"), result.stdout[:80]
    assert [word for word in ENGLISH_IN_HELP if word in result.stdout] == [], result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["standard", "check", "{folder}"], "“{folder}”是文件夹，这里应为文件。"),
        (["addin", "install", "--file", "{folder}"], "“{folder}”是文件夹，这里应为文件。"),
        (["addin", "build", "-o", "{file}"], "“{file}”是文件，这里应为文件夹。"),
    ],
)
def test_a_folder_for_a_file_is_said_in_chinese(
    tmp_path: Path, args: list[str], message: str
) -> None:
    """click names the kind of path when a command is defined, before the Chinese messages are
    installed: the message must not carry its English "File" or "Directory"."""
    file = tmp_path / "名单.txt"
    file.write_text("一支部\n", encoding="utf-8")
    values = {"folder": str(tmp_path), "file": str(file)}
    result = branch_assess_process(*(arg.format(**values) for arg in args))
    assert result.returncode == 2
    assert message.format(**values) in result.stderr
    assert not {"File", "Directory", "Path"} & set(re.findall(r"[A-Za-z]+", result.stderr))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["consolidate"], "错误：缺少参数“输入文件或文件夹”。"),
        (["consolidate", "文件夹"], "错误：缺少选项“-o / --output”。"),
        (["recalc"], "错误：缺少参数“文件”。"),
        (["standard", "check"], "错误：缺少参数“文件”。"),
    ],
)
def test_a_missing_argument_is_named_in_chinese(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.rstrip().endswith(message), err
    assert "用法： branch-assess" in err


def columns(text: str) -> int:
    """Terminal columns of ``text``: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def help_texts(command: click.Command) -> list[str]:
    """The texts ``command --help`` shows: its help and each option's."""
    texts = [command.help or ""]
    texts += [p.help for p in command.params if isinstance(p, click.Option) and p.help]
    return texts


def find_command(words: str) -> click.Command:
    command: click.Command = cli
    for word in words.split():
        assert isinstance(command, click.Group)
        command = command.commands[word]
    return command


@pytest.mark.parametrize("words", every_group(cli) + sorted(every_command(cli)))
def test_every_help_fits_an_80_column_console(words: str) -> None:
    """In an 80-column console (Windows' cmd, a terminal): no line runs over, no line starts
    with a closing mark, the option descriptions start in one column, and no word of the help
    is lost or cut ("LibreOffice", "--standard-file")."""
    result = subprocess.run(
        [sys.executable, "-c", "from workbook.cli.main import run; run()", *words.split(), "-h"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line for line in lines if columns(line) > 80] == []
    assert [line for line in lines if line.strip()[:1] in set("，。、；：）”")] == []
    options = lines[lines.index("选项:") + 1 :]
    starts = set()
    for line in options:
        if line.startswith("  -") and "  " in line.strip():
            first = re.match(r"  (\S.*?)\s{2,}\S", line)
            assert first is not None, line
            starts.add(columns(line[: first.end() - 1]))
    assert len(starts) <= 1, options
    shown = re.sub(r"\s", "", result.stdout)
    for text in help_texts(find_command(words)):
        for word in re.findall(r"[A-Za-z][A-Za-z0-9_.-]*", text):
            whole = rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])"
            assert re.search(whole, result.stdout), word
        assert re.sub(r"\s|\\b", "", text.split("\n\n")[0]) in shown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["template", "-o", "x.xlsx", "--branch", "甲", "--year", "abc"],
            "错误：“--year”的值无效：“abc”不是有效的整数。",
        ),
        (
            ["template", "-o", "x.xlsx", "--branch", "甲", "--formulas", "foo"],
            "错误：“--formulas”的值无效：“foo”不是可选值之一：",
        ),
        (
            ["addin", "install", "--file", "不存在.xlam"],
            "错误：“--file”的值无效：“不存在.xlam”不存在。",
        ),
    ],
)
def test_a_wrong_option_value_is_quoted_in_chinese(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    """click wrote ``'--year' 的值无效：'abc' 不是有效的整数。`` (English quotes around the option
    and the value)."""
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "'--" not in err
    assert list(tmp_path.iterdir()) == []


def path_params(group: click.Group) -> list[tuple[str, click.Parameter]]:
    """(command words, parameter) of every parameter that takes a path."""
    return [
        (words, param)
        for words, each in every_command(group).items()
        for param in each.params
        if isinstance(param.type, click.Path)
    ]


def test_every_path_parameter_refuses_an_empty_path() -> None:
    """``""`` (a script's unset variable) must not quietly mean the current folder."""
    from workbook.cli.options import NonEmptyPath

    found = path_params(cli)
    assert len(found) >= 20
    assert [(w, p.name) for w, p in found if not isinstance(p.type, NonEmptyPath)] == []


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["consolidate", "", "-o", "汇总.xlsx"], "“输入文件或文件夹”"),
        (["consolidate", "填好的.xlsx", "-o", ""], "“-o / --output”"),
        (["consolidate", "填好的.xlsx", "-o", "汇总.xlsx", "--json", " "], "“--json”"),
        (["recalc", ""], "“文件”"),
        (["template", "-o", ""], "“-o / --output”"),
        (["history", "", "-o", "历年.xlsx"], "“年度JSON”"),
    ],
)
def test_an_empty_path_is_refused_before_anything_is_read_or_written(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    name: str,
) -> None:
    """``consolidate "" -o 汇总.xlsx`` used to summarise whatever workbooks lay in the current
    folder and exit 0."""
    from workbook.outputs.template import TemplateOptions, write_template

    monkeypatch.chdir(tmp_path)
    write_template(tmp_path / "填好的.xlsx", TemplateOptions(branches=["第一支部"]))
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(args) == 2
    err = capsys.readouterr().err
    assert name in err, err
    assert "路径为空，应为文件或文件夹的路径" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
