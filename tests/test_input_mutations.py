"""Mutation test: a filled workbook changed at random must never give a wrong result with exit 0.

Each example takes the same filled workbook and applies a few random changes of the kinds people
and programs make: other cell types in input cells, formulas with and without a result, error
values, renamed, hidden and reordered sheets, deleted names, control characters in notes. Every
outcome must be either exit 1 naming a cell or a sheet, or exactly the result a hand computation
(the engine on the values that were meant) gives, in ``consolidate`` and in ``recalc``.
"""

from __future__ import annotations

import functools
import io
import json
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from workbook.cli.main import main
from workbook.core import names
from workbook.core.cells import CellError, UncachedFormula
from workbook.core.scoring import RawBranchInputs, assess_branch
from workbook.core.standard import load_standard
from workbook.outputs.template import TemplateOptions, write_template
from workbook.xlsx.workbook_info import read_package_info

STANDARD = load_standard()
BRANCHES = ("第一支部", "第二支部", "第三支部")
# What was meant: each branch's inputs, typed in by the template writer.
MEANT = {
    "第一支部": RawBranchInputs({"1.2": 2, "3.1": 3}, notes={"1.2": "记录不全"}),
    "第二支部": RawBranchInputs({"6.1": 1.5, "7.1": 3}),
    "第三支部": RawBranchInputs({}, vetoes=["否", "是"]),
}
# Values each rule allows (1.2 and 6.1: 0 or 1～3; 3.1: 0 or 3; 7.1: 0～25).
VALID_DEDUCTION = {"1.2": [0, 1, 2.5, 3], "3.1": [0, 3], "6.1": [0, 1, 1.5, 3], "7.1": [0, 3, 25]}


@functools.cache
def base_parts() -> tuple[tuple[str, bytes], ...]:
    """The filled workbook every example starts from, part by part."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "base.xlsx"
        write_template(
            path,
            TemplateOptions(branches=list(BRANCHES), year=2026, formulas="native", inputs=MEANT),
        )
        with zipfile.ZipFile(path) as archive:
            return tuple((info.filename, archive.read(info)) for info in archive.infolist())


@dataclass
class Mutated:
    """The workbook's parts as text, what is now meant, and where an error must be named."""

    parts: dict[str, bytes]
    meant: dict[str, dict[str, object]]  # sheet -> rule id -> deduction (None: blank)
    vetoes: dict[str, list[object]]
    sheet_names: dict[str, str] = field(default_factory=dict)  # original -> current title
    broken_sheets: list[str] = field(default_factory=list)  # sheets (original names) named
    expect_error: list[str] = field(default_factory=list)  # texts one of which must be printed


def _text(parts: dict[str, bytes], part: str) -> str:
    return parts[part].decode("utf-8")


def _set_cell(mutated: Mutated, sheet: str, name: str, attributes: str, inner: str) -> str:
    info = read_package_info("x.xlsx", data=_zip(mutated.parts))
    ref = info.local_names[mutated.sheet_names[sheet]][name]
    assert ref is not None
    part = info.sheet_parts[mutated.sheet_names[sheet]]
    xml = _text(mutated.parts, part)
    pattern = re.compile(rf'<c r="{ref.a1}"( s="\d+")?[^>]*?(?:/>|>.*?</c>)', re.S)
    match = pattern.search(xml)
    assert match
    element = f'<c r="{ref.a1}"{match.group(1) or ""}{attributes}>{inner}</c>'
    mutated.parts[part] = (xml[: match.start()] + element + xml[match.end() :]).encode("utf-8")
    return f"{mutated.sheet_names[sheet]}!{ref.a1}"


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- the mutations ---------------------------------------------------------------------------

deduction_cells = st.sampled_from([(s, rule) for s in BRANCHES for rule in VALID_DEDUCTION])


@st.composite
def typed_value(draw: st.DrawFn) -> tuple[str, str, object]:
    """(attributes, inner XML, the value meant) of a value typed into a 扣分 cell."""
    kind = draw(st.sampled_from(["number", "text", "boolean"]))
    if kind == "number":
        value = draw(st.sampled_from([0, 1, 2, 3, 0.5, 25, -1, 16, 2.345]))
        return "", f"<v>{value}</v>", value
    if kind == "text":
        return ' t="inlineStr"', "<is><t>两分</t></is>", "两分"
    return ' t="b"', "<v>1</v>", True


@st.composite
def mutation(draw: st.DrawFn) -> tuple:
    kind = draw(
        st.sampled_from(
            [
                "type",
                "formula_cached",
                "formula_uncached",
                "error",
                "rename",
                "hide",
                "reorder",
                "delete_name",
                "control_note",
            ]
        )
    )
    if kind in ("type", "formula_cached", "formula_uncached", "error"):
        return (kind, draw(deduction_cells), draw(typed_value()))
    if kind == "rename":
        return (
            kind,
            draw(st.sampled_from(BRANCHES)),
            draw(st.sampled_from(["新名称", "O'Neil", "支部 2"])),
        )
    if kind in ("hide", "control_note"):
        return (kind, draw(st.sampled_from(BRANCHES)))
    if kind == "delete_name":
        return (
            kind,
            draw(st.sampled_from(BRANCHES)),
            draw(st.sampled_from(["branch_name", "ded_1_1", "veto_2", "note_3_1", "total_score"])),
        )
    return (kind, draw(st.permutations(range(len(BRANCHES) + 1))))


def apply(mutated: Mutated, change: tuple) -> None:
    kind = change[0]
    if kind in ("type", "formula_cached", "formula_uncached", "error"):
        (sheet, rule_id), (attributes, inner, value) = change[1], change[2]
        name = names.deduction_name(STANDARD.rule(rule_id))
        # What is meant is what the engine must see; an error value or a formula without a
        # result is meant as itself, which no rule allows.
        if kind == "type":
            _set_cell(mutated, sheet, name, attributes, inner)
            mutated.meant[sheet][rule_id] = value
        elif kind == "formula_cached":
            number = VALID_DEDUCTION[rule_id][-1]
            _set_cell(mutated, sheet, name, "", f"<f>{number}+0</f><v>{number}</v>")
            mutated.meant[sheet][rule_id] = number
        elif kind == "formula_uncached":
            _set_cell(mutated, sheet, name, "", "<f>1+1</f><v></v>")
            mutated.meant[sheet][rule_id] = UncachedFormula("1+1")
        else:
            _set_cell(mutated, sheet, name, ' t="e"', "<v>#N/A</v>")
            mutated.meant[sheet][rule_id] = CellError("#N/A")
    elif kind == "rename":
        _rename(mutated, change[1], change[2])
    elif kind == "hide":
        title = mutated.sheet_names[change[1]]
        xml = _text(mutated.parts, "xl/workbook.xml")
        quoted = title.replace("&", "&amp;").replace("'", "&apos;")
        xml = re.sub(
            rf'(<sheet name="{re.escape(quoted)}")(?! state=)', r'\1 state="hidden"', xml, count=1
        )
        mutated.parts["xl/workbook.xml"] = xml.encode("utf-8")
    elif kind == "reorder":
        _reorder(mutated, change[1])
    elif kind == "delete_name":
        sheet, name = change[1], change[2]
        info = read_package_info("x.xlsx", data=_zip(mutated.parts))
        index = info.sheet_names.index(mutated.sheet_names[sheet])
        xml = _text(mutated.parts, "xl/workbook.xml")
        xml = re.sub(
            rf'<definedName name="{name}" localSheetId="{index}">[^<]*</definedName>', "", xml
        )
        mutated.parts["xl/workbook.xml"] = xml.encode("utf-8")
        mutated.broken_sheets.append(sheet)
    elif kind == "control_note":
        note = names.note_name(STANDARD.rule("1.1"))
        _set_cell(mutated, change[1], note, ' t="inlineStr"', "<is><t>甲_x000B_乙\x09丙</t></is>")


def _rename(mutated: Mutated, sheet: str, new: str) -> None:
    old = mutated.sheet_names[sheet]
    if new in mutated.sheet_names.values():
        return
    xml = _text(mutated.parts, "xl/workbook.xml")
    escaped_old, escaped_new = old.replace("'", "&apos;"), new.replace("'", "&apos;")
    xml = xml.replace(f'<sheet name="{escaped_old}"', f'<sheet name="{escaped_new}"')
    quoted_old = "'" + old.replace("'", "''") + "'!"
    xml = xml.replace(quoted_old, "'" + new.replace("'", "''") + "'!")
    mutated.parts["xl/workbook.xml"] = xml.encode("utf-8")
    mutated.sheet_names[sheet] = new


def _reorder(mutated: Mutated, order: list[int]) -> None:
    """Reorder the sheets (the tab order), remapping every localSheetId as Excel does."""
    xml = _text(mutated.parts, "xl/workbook.xml")
    sheets = re.findall(r"<sheet [^>]*/>", xml)
    block = "".join(sheets[i] for i in order)
    start = xml.index(sheets[0])
    end = xml.index(sheets[-1]) + len(sheets[-1])
    xml = xml[:start] + block + xml[end:]
    new_index = {old: new for new, old in enumerate(order)}
    xml = re.sub(
        r'localSheetId="(\d+)"', lambda m: f'localSheetId="{new_index[int(m.group(1))]}"', xml
    )
    mutated.parts["xl/workbook.xml"] = xml.encode("utf-8")


# --- the property ----------------------------------------------------------------------------


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=st.lists(mutation(), min_size=1, max_size=3))
def test_a_changed_workbook_is_refused_by_cell_or_scored_as_meant(
    changes: list[tuple], capsys: pytest.CaptureFixture[str]
) -> None:
    mutated = Mutated(
        dict(base_parts()),
        meant={s: dict(MEANT[s].deductions) for s in BRANCHES},
        vetoes={s: list(MEANT[s].vetoes) for s in BRANCHES},
        sheet_names={s: s for s in BRANCHES},
    )
    for change in changes:
        apply(mutated, change)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "变更.xlsx"
        path.write_bytes(_zip(mutated.parts))
        before = path.read_bytes()
        report = Path(folder) / "r.json"
        code = main(
            ["consolidate", str(path), "-o", str(Path(folder) / "s.xlsx"), "--json", str(report)]
        )
        _out, err = capsys.readouterr()
        assert "内部错误" not in err, err
        assert "Traceback" not in err, err
        assert path.read_bytes() == before
        copy = Path(folder) / "重算.xlsx"
        shutil.copy(path, copy)
        recalc_code = main(["recalc", str(copy)])
        _, recalc_err = capsys.readouterr()
        assert "内部错误" not in recalc_err, recalc_err
        assert "Traceback" not in recalc_err, recalc_err
        # The hand computation: the engine on what was meant; its problems are the cells that
        # must be named.
        info = read_package_info(path)
        mutated.expect_error += [mutated.sheet_names[sheet] for sheet in mutated.broken_sheets]
        expected = {}
        for sheet in BRANCHES:
            title = mutated.sheet_names[sheet]
            assessment = assess_branch(
                STANDARD, RawBranchInputs(mutated.meant[sheet], vetoes=mutated.vetoes[sheet])
            )
            for problem in assessment.problems:
                ref = info.local_names[title].get(names.problem_name(problem) or "")
                mutated.expect_error.append(f"{title}!{ref.a1}" if ref else title)
            if assessment.result is not None:
                expected[title] = (assessment.result.total, assessment.result.grade)
        event("refused by cell or sheet" if mutated.expect_error else "scored as meant")
        for change in changes:
            event(f"mutation: {change[0]}")
        if mutated.expect_error:
            assert code == 1, (changes, err)
            assert recalc_code == 1, (changes, err)
            assert any(place in err for place in mutated.expect_error), (changes, err)
            assert any(place in recalc_err for place in mutated.expect_error), (changes, recalc_err)
            return
        assert code == 0, (changes, err)
        assert recalc_code == 0, (changes, recalc_err)
        result = json.loads(report.read_text(encoding="utf-8"), parse_float=Decimal)
        got = {b["sheet"]: (Decimal(b["total"]), b["grade"]) for b in result["branches"]}
        assert got == expected, changes
