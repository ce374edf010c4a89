"""Defects found by the "new user and hostile input" review of consolidate, email, survey and
history (1 December 2026), each with the test that failed before its fix: real files, real
libraries, the command as a user runs it (``main([...])``), then the bytes on disk and the
message checked.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from workbook.cli.main import main
from workbook.outputs.template import TemplateOptions, write_template


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
