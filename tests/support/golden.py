"""Golden files in XlsxWriter's test style: outputs compared part by part with committed ones.

Each case writes one output package; ``normalised_parts`` turns it into text that a reviewer can
diff: every XML part canonicalised (C14N 2.0) with one element per line, and in
``docProps/core.xml`` the creation and modification times blanked (the only parts of an output
that change from run to run). Other parts are kept as bytes. ``tests/golden/<case>/`` holds the
committed parts; ``scripts/update_golden.py`` rewrites them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Callable
from pathlib import Path

from workbook.core.formulas import FormulaMode
from workbook.core.scoring import RawBranchInputs
from workbook.inputs.consolidate import consolidate
from workbook.outputs.demo import filled_demo_options
from workbook.outputs.file_book import recalc_file
from workbook.outputs.summary import write_summary
from workbook.outputs.template import TemplateOptions, write_template

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
UPDATE_COMMAND = ".venv/bin/python scripts/update_golden.py"
SOURCE_MTIME = 1_796_112_000  # 2026-12-01 08:00 UTC: the demo file's time in the 来源 sheet

# The creation and modification times in docProps/core.xml (as canonicalised).
_TIMES = re.compile(
    r"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*(</dcterms:(?:created|modified)>)"
)


def _template(formulas: FormulaMode) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        options = TemplateOptions(branches=["第一支部"], formulas=formulas)
        return write_template(folder / "考评定级表.xlsx", options)

    return write


def _demo_summary(folder: Path) -> Path:
    template = write_template(folder / "考评定级表.xlsx", filled_demo_options())
    os.utime(template, (SOURCE_MTIME, SOURCE_MTIME))  # the 来源 sheet shows it (local time)
    with contextlib.chdir(folder):  # the 来源 sheet shows the path as given
        result = consolidate([Path("考评定级表.xlsx")])
    assert result.ok, [p.text() for p in result.errors]
    return write_summary(folder / "汇总.xlsx", result)


def _recalc_output(folder: Path) -> Path:
    """A native template with a valid branch and one with a wrong 扣分 and veto, recalculated."""
    inputs = {
        "第一支部": RawBranchInputs({"1.2": 2, "7.1": 3.5}, vetoes=["否"]),
        "第二支部": RawBranchInputs({"1.1": 7, "3.1": "两分"}, vetoes=["也许"]),
    }
    options = TemplateOptions(branches=list(inputs), formulas="native", inputs=inputs)
    template = write_template(folder / "考评定级表.xlsx", options)
    recalc_file(template, folder / "重算.xlsx")
    return folder / "重算.xlsx"


CASES: dict[str, Callable[[Path], Path]] = {
    "template-xlwings": _template("xlwings"),
    "template-native": _template("native"),
    "demo-summary": _demo_summary,
    "recalc-output": _recalc_output,
}


def _normalised_xml(name: str, data: bytes) -> bytes:
    text = ElementTree.canonicalize(data.decode("utf-8"))
    if name == "docProps/core.xml":
        text = _TIMES.sub(r"\1(time ignored)\2", text)
    # Newlines in text become character references, so that every newline left separates two
    # tags and no two different parts normalise to the same text.
    text = text.replace("\n", "&#xA;").replace("><", ">\n<")
    return (text + "\n").encode("utf-8")


def normalised_parts(package: Path) -> dict[str, bytes]:
    """Every part of ``package`` as compared and committed."""
    parts: dict[str, bytes] = {}
    with zipfile.ZipFile(package) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            if name.endswith((".xml", ".rels", ".vml")):
                data = _normalised_xml(name, data)
            parts[name] = data
    return parts


def committed_parts(case: str) -> dict[str, bytes]:
    folder = GOLDEN / case
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def write_golden(case: str, parts: dict[str, bytes]) -> Path:
    folder = GOLDEN / case
    if folder.exists():
        shutil.rmtree(folder)
    for name, data in parts.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder


def _first_line_difference(exp: bytes, got: bytes) -> str:
    exp_lines, got_lines = exp.split(b"\n"), got.split(b"\n")
    for number, (a, b) in enumerate(zip(exp_lines, got_lines, strict=False), start=1):
        if a != b:
            return (
                f"line {number}\n  exp: {a.decode(errors='replace')[:200]}\n"
                f"  got: {b.decode(errors='replace')[:200]}"
            )
    return f"exp has {len(exp_lines)} lines, got {len(got_lines)}"


def differences(exp: dict[str, bytes], got: dict[str, bytes]) -> list[str]:
    """Human-readable differences, part by part (empty when the packages match)."""
    found = [f"part missing from got: {name}" for name in sorted(set(exp) - set(got))]
    found += [f"unexpected part in got: {name}" for name in sorted(set(got) - set(exp))]
    for name in sorted(set(exp) & set(got)):
        if exp[name] != got[name]:
            found.append(f"part {name} differs at {_first_line_difference(exp[name], got[name])}")
    return found
