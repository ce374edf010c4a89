"""The default template's formulas: each calls its KP_ UDF and falls back to built-ins.

- The fallback (computed for real by LibreOffice and Gnumeric, which have no KP_ functions)
  and the UDFs (the Python functions, called with the arguments Excel passes) agree on every
  case in tests/cases and on error values in input cells.
- The UDFs never answer with an error value, so IFERROR never hides their own messages.
- Every formula stays within Excel's limits; the cached values are the engine's.
"""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import math
import re
from collections.abc import Mapping
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbook.core import formulas, names
from workbook.core.scoring import RawBranchInputs, RawSurvey
from workbook.core.standard import Standard
from workbook.inputs.reader import read_branch_workbook
from workbook.outputs.template import DEFAULT_TEMPLATE, TemplateOptions, write_template
from xlplugin import udfs

from support.gnumeric import recalculate, requires_gnumeric
from support.libreoffice import convert, requires_libreoffice
from support.template_cases import (
    ERROR_INPUTS,
    case_inputs,
    computed_names,
    error_inputs,
    expected_cells,
    filled_template,
    mismatches,
    noise_inputs,
    shown_values,
)


def excel_value(raw: object) -> object:
    """A typed input as Excel hands it to a UDF: numbers as floats, errors as their text."""
    if isinstance(raw, str):
        return ERROR_INPUTS.get(raw, raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        return float(raw)
    return raw


def column(values: list[object]) -> tuple[tuple[object, ...], ...]:
    """A one-column range as Excel's Range.Value gives it."""
    return tuple((value,) for value in values)


def udf_cells(standard: Standard, raw: RawBranchInputs) -> dict[str, object]:
    """Every computed cell as the UDFs compute it in Excel, each from the cells it reads."""
    sid = standard.id
    ded = {rule.id: excel_value(raw.deductions.get(rule.id)) for rule in standard.rules}
    vetoes = [excel_value(raw.vetoes[n] if n < len(raw.vetoes) else None) for n in range(3)]
    cells: dict[str, object] = {}
    survey = standard.survey
    survey_args: tuple[object, object] = (None, None)
    survey_item = None
    if survey is not None:
        tally = raw.survey or RawSurvey()
        counts = tuple(
            tuple(
                excel_value((tally.counts[q] if q < len(tally.counts) else {}).get(a.text))
                for a in survey.answers
            )
            for q in range(len(survey.questions))
        )
        rule = standard.rule(survey.rule_id)
        note = excel_value(raw.notes.get(rule.id))
        whats = {f"rate_{q}": names.survey_rate_name(q) for q in range(1, len(counts) + 1)}
        whats |= {
            "valid": names.SURVEY_VALID,
            "rate": names.SURVEY_RATE,
            "points": names.SURVEY_POINTS,
            "deduction": names.SURVEY_DEDUCTION,
            "check": names.SURVEY_CHECK,
        }
        for what, name in whats.items():
            value = udfs.KP_SURVEY(
                excel_value(tally.issued),
                excel_value(tally.returned),
                counts,
                what,
                sid,
                ded[rule.id],
                note,
            )
            cells[name] = None if value == "" else value
        survey_args = (cells[names.SURVEY_DEDUCTION] or "", note)
        survey_item = rule.item_number
    score_column: list[object] = []
    for item in standard.items:
        extra = survey_args if item.number == survey_item else ()
        score = udfs.KP_ITEM_SCORE(
            column([ded[rule.id] for rule in item.rules]), float(item.number), sid, *extra
        )
        cells[names.item_score_name(item.number)] = score
        score_column += [score] + [None] * (len(item.rules) - 1)  # merged cells are blank
    total = udfs.KP_TOTAL(column(score_column), sid)
    cells[names.TOTAL_SCORE] = total
    cells[names.GRADE] = udfs.KP_GRADE(total, column(vetoes), sid)
    for rule in standard.rules:
        text = udfs.KP_CHECK(ded[rule.id], rule.id, sid)
        if survey is not None and rule.id == survey.rule_id and not text:
            # The rule's 检查 also reads the tally's 检查 and deduction cells (formulas.py).
            check = cells[names.SURVEY_CHECK] or ""
            if check == "须填写扣分说明":
                text = check
            elif cells[names.SURVEY_DEDUCTION] == "输入有误":
                text = f"{survey.name}计票{check}"
        cells[names.check_name(rule)] = text or None
    for number, value in enumerate(vetoes, start=1):
        cells[names.veto_check_name(number)] = udfs.KP_VETO_CHECK(value) or None
    return cells


def udf_values(
    standard: Standard, branches: Mapping[str, RawBranchInputs]
) -> dict[str, dict[str, object]]:
    return {branch: udf_cells(standard, raw) for branch, raw in branches.items()}


def test_udfs_see_error_values_as_invalid_input(standard: Standard) -> None:
    """Errors reach the UDFs as text (err_to_str) and give the same result as in the engine."""
    for raw in error_inputs(standard).values():
        cells = udf_cells(standard, raw)
        assert cells == expected_cells(standard, raw)
        assert cells[names.GRADE] == "待修正"


@requires_libreoffice
@pytest.mark.libreoffice
def test_libreoffice_fallback_agrees_with_the_udfs(tmp_path: Path, standard: Standard) -> None:
    # TRUE typed as a deduction is 1 to LibreOffice, and still rejected (ISLOGICAL first).
    branches = {**case_inputs(), **error_inputs(standard), **noise_inputs(standard)}
    filled = filled_template(tmp_path, standard, branches, "xlwings")
    fallback = shown_values(
        convert(filled, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo", recalculate=True)
    )
    wrong = mismatches(standard, fallback, udf_values(standard, branches), "LibreOffice")
    assert not wrong, "\n".join(wrong[:30])


@requires_gnumeric
def test_gnumeric_fallback_agrees_with_the_udfs(tmp_path: Path, standard: Standard) -> None:
    branches = {**case_inputs(), **error_inputs(standard)}
    filled = filled_template(tmp_path, standard, branches, "xlwings")
    fallback = shown_values(recalculate(filled, tmp_path / "gnumeric.xlsx"))
    wrong = mismatches(standard, fallback, udf_values(standard, branches), "Gnumeric")
    assert not wrong, "\n".join(wrong[:30])


# --- the UDFs never answer with an error value ----------------------------------------------

_cell = st.one_of(
    st.none(),
    st.just(""),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.booleans(),
    st.text(max_size=5),
    st.sampled_from(["是", "否", "#N/A", "#DIV/0!", "#VALUE!", "输入有误", "待修正", "1.5"]),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
)
_range = st.one_of(
    _cell,
    st.lists(_cell, max_size=25),
    st.lists(st.tuples(_cell), max_size=25),
    st.lists(st.lists(_cell, max_size=3), max_size=5),
)


def _plain_result(value: object) -> bool:
    """A value Excel shows as itself: a finite float or text (never an error, never None)."""
    return (isinstance(value, float) and math.isfinite(value)) or isinstance(value, str)


@settings(max_examples=300, deadline=None)
@given(a=_range, b=_cell, c=st.one_of(_cell, st.just("anji-2012-6")))
def test_udfs_answer_with_a_number_or_text_whatever_they_get(
    a: object, b: object, c: object
) -> None:
    assert _plain_result(udfs.KP_ITEM_SCORE(a, b, c))
    assert _plain_result(udfs.KP_CHECK(b, a if isinstance(a, str) else "1.1", c))
    assert _plain_result(udfs.KP_VETO_CHECK(a))
    assert _plain_result(udfs.KP_TOTAL(a, c))
    assert _plain_result(udfs.KP_GRADE(b, a, c))


def test_every_cell_argument_takes_errors_as_text() -> None:
    """Without ``err_to_str`` xlwings hands an error cell (#N/A) to a UDF as None, a blank.

    ``xw.arg`` is a no-op off Windows, so this reads the decorators in the source: every
    argument that reads input or result cells must declare ``err_to_str=True``.
    """
    cell_arguments = {
        "KP_ITEM_SCORE": {"deductions"},
        "KP_CHECK": {"value"},
        "KP_VETO_CHECK": {"value"},
        "KP_TOTAL": {"item_scores"},
        "KP_GRADE": {"total_value", "vetoes"},
    }
    tree = ast.parse(inspect.getsource(udfs))
    seen: dict[str, set[str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name not in cell_arguments:
            continue
        seen[node.name] = set()
        for decorator in node.decorator_list:
            if not (isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "xw.arg"):
                continue
            options: dict[str, object] = {}
            for keyword in decorator.keywords:
                if keyword.arg is None:  # **OPTIONS: a dict defined in the module
                    assert isinstance(keyword.value, ast.Name)
                    options.update(getattr(udfs, keyword.value.id))
                else:
                    options[keyword.arg] = ast.literal_eval(keyword.value)
            if options.get("err_to_str") is True:
                seen[node.name].add(ast.literal_eval(decorator.args[0]))
    assert set(seen) == set(cell_arguments)
    for function, arguments in cell_arguments.items():
        assert arguments <= seen[function], function


# --- formula text -----------------------------------------------------------------------------


def all_formulas(path: Path) -> list[str]:
    book = openpyxl.load_workbook(path)
    return [
        cell.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith("=")
    ]


def nesting(formula: str) -> int:
    """How deeply function calls nest (parentheses outside string literals)."""
    depth = deepest = 0
    for token in re.findall(r'"(?:[^"]|"")*"|[()]', formula):
        if token == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif token == ")":
            depth -= 1
    return deepest


def test_default_template_formulas_fit_excel_limits(standard: Standard) -> None:
    found = all_formulas(DEFAULT_TEMPLATE)
    # Version 2: 检查 cells (committee then 自评), item scores, totals, veto checks and grades
    # of both columns, and the checklist hints.
    per_sheet = len(standard.rules) + 2 * len(standard.items) + 2 + len(standard.vetoes) + 2 + 3
    per_sheet += len(names.survey_output_names(standard))  # the 群众测评 tally
    assert len(found) == per_sheet * len(read_branch_workbook(DEFAULT_TEMPLATE).sheets)
    hints = [f for f in found if f.startswith("=MID(")]
    assert all(f.startswith(("=IFERROR(KP_", "=IF(", "=MID(")) for f in found)
    assert all("KP_" not in f for f in hints)  # built-ins only, in both modes
    longest = max(found, key=len)
    # The longest is the hint beside rule 4.2: it reads eighteen checklist answers.
    assert longest.startswith("=MID(")
    assert len(longest) <= 8192  # Excel's limit on a formula's length
    # The next longest is the 群众测评 tally's 检查: every count, then the override of rule 7.1.
    assert len(max((f for f in found if f not in hints), key=len)) < 2500
    assert max(nesting(f) for f in found) <= 64  # Excel's limit on nested functions


def test_validation_formulas_fit_excel_limits(standard: Standard) -> None:
    sheet = openpyxl.load_workbook(DEFAULT_TEMPLATE).worksheets[1]
    custom = [v.formula1 for v in sheet.data_validations.dataValidation if v.type == "custom"]
    assert len(custom) == 2 * len(standard.rules)  # 考评扣分 and 自评扣分
    assert max(len(f) for f in custom) <= 255  # Excel's limit on a validation formula


def test_a_udf_call_and_its_fallback_per_computed_cell(standard: Standard) -> None:
    item = standard.items[0]
    text = formulas.item_score_formula("xlwings", standard, item, ["E5", "E6", "E7", "E8"], 2)
    native = formulas.item_score_formula("native", standard, item, ["E5", "E6", "E7", "E8"], 2)
    assert text == f'=IFERROR(KP_ITEM_SCORE(E5:E8,1,"{standard.id}"),{native[1:]})'
    assert "KP_" not in native
    assert "IFERROR(KP" not in native


# --- cached values ------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_cached_values_are_the_engines(tmp_path: Path, standard: Standard, engine: str) -> None:
    """Read without recalculation, every computed cell holds the engine's value."""
    cases = case_inputs()
    path = write_template(tmp_path / "cases.xlsx", TemplateOptions(list(cases), inputs=cases))
    for source, branches in ((path, cases), (DEFAULT_TEMPLATE, None)):
        for sheet in read_branch_workbook(source, engine=engine).sheets:  # type: ignore[arg-type]
            raw = branches[sheet.branch_name] if branches else RawBranchInputs({})
            want = expected_cells(standard, raw)
            got = {
                n: (None if sheet.values[n] == "" else sheet.values[n])
                for n in computed_names(standard)
            }
            assert got == want, sheet.branch_name
