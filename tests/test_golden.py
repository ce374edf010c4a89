"""Outputs against their golden files, part by part (tests/support/golden.py, tests/golden/).

A deliberate change to an output shows here first: regenerate with scripts/update_golden.py and
review ``git diff tests/golden`` (one element per line) before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.golden import (
    CASES,
    UPDATE_COMMAND,
    committed_parts,
    differences,
    normalised_parts,
)


@pytest.mark.parametrize("case", list(CASES))
def test_output_matches_its_golden_files(case: str, tmp_path: Path) -> None:
    got = normalised_parts(CASES[case](tmp_path))
    found = differences(committed_parts(case), got)
    assert not found, (
        f"{case} differs from tests/golden/{case}/. If the change is deliberate, run "
        f"`{UPDATE_COMMAND} {case}` and review `git diff tests/golden/{case}` before "
        "committing.\n" + "\n".join(found[:10])
    )


def test_only_the_times_of_core_xml_are_ignored(tmp_path: Path) -> None:
    first = normalised_parts(CASES["template-native"](tmp_path / "a"))
    second = normalised_parts(CASES["template-native"](tmp_path / "b"))
    assert differences(first, second) == []
    assert first["docProps/core.xml"].count(b">(time ignored)</dcterms:") == 2


def test_a_changed_missing_or_extra_part_is_named(tmp_path: Path) -> None:
    exp = normalised_parts(CASES["template-native"](tmp_path))
    got = dict(exp)
    got["docProps/core.xml"] = exp["docProps/core.xml"].replace("中共".encode(), "某某".encode())
    got["xl/worksheets/sheet2.xml"] += b"<!-- drift -->\n"
    got["xl/extra.xml"] = b"<x/>\n"
    del got["docProps/app.xml"]
    found = differences(exp, got)
    assert [line.split(" at ")[0] for line in found] == [
        "part missing from got: docProps/app.xml",
        "unexpected part in got: xl/extra.xml",
        "part docProps/core.xml differs",
        "part xl/worksheets/sheet2.xml differs",
    ]
    assert "got: <dc:creator" in found[2]
    assert "某某" in found[2]
