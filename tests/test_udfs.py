"""The xlwings UDFs with the arguments Excel really passes, checked against the engine.

xlwings' own argument conversion (``xlwings.conversion.read``) needs a running Excel engine
(``xlwings.engines["excel"]``), which exists only on Windows with pywin32; off Windows
``xw.func``/``xw.arg`` are no-ops. So the UDFs are called here with the shapes Excel hands to
them: a column range as a list or as a 2-D tuple of 1-tuples, a single cell as a scalar, blanks
as None, numbers as floats, booleans, text and datetimes.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
from collections.abc import Sequence
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbook.core import formulas
from workbook.core.scoring import (
    INVALID,
    PENDING,
    VETO_SHORT_MESSAGE,
    RawBranchInputs,
    assess_branch,
)
from workbook.core.standard import load_standard
from xlplugin import udfs

STANDARD = load_standard()
SID = STANDARD.id


SURVEY_CELLS = formulas.SurveyCells(
    issued="D40",
    returned="D41",
    counts=(
        ("D43", "E43", "F43", "G43"),
        ("D44", "E44", "F44", "G44"),
        ("D45", "E45", "F45", "G45"),
    ),
    rates=("H43", "H44", "H45"),
    valid="D46",
    rate="D47",
    points="D48",
    deduction="D49",
    check="D50",
    rule_deduction="E25",
    rule_note="F25",
)


def count_arguments(text: str) -> int:
    """The number of top-level arguments in a formula's argument list."""
    depth, count, quoted = 0, 1, False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and char == "," and depth == 0:
            count += 1
    return count


def column(*values: object) -> tuple[tuple[object, ...], ...]:
    """A one-column range as Excel's Range.Value gives it."""
    return tuple((v,) for v in values)


def test_udf_names_and_arities_match_the_template_formulas() -> None:
    item = STANDARD.items[0]
    rule = item.rules[0]
    written = {
        formulas.item_score_formula("xlwings", STANDARD, item, ["E5", "E6", "E7", "E8"], 2),
        formulas.check_formula("xlwings", STANDARD, rule, "E5"),
        formulas.veto_check_formula("xlwings", "E28"),
        formulas.total_formula("xlwings", STANDARD, "G5:G25", ["G5"]),
        formulas.grade_formula("xlwings", STANDARD, "G26", "E28:E30", ["E28"]),
        *formulas.survey_formulas("xlwings", STANDARD, SURVEY_CELLS).values(),
        formulas.survey_item_score_formula(
            "xlwings", STANDARD, STANDARD.items[-1], ["E25"], 2, SURVEY_CELLS
        ),
        formulas.ceiling_grade_formula(
            "xlwings", STANDARD, "G26", "E28:E30", ["E28"], SURVEY_CELLS
        ),
    }
    seen: dict[str, set[int]] = {}
    for text in written:
        # =IFERROR(KP_X(args),<built-in fallback>): the UDF call is the first argument.
        match = re.match(
            r"=IFERROR\((KP_\w+)\(((?:\"[^\"]*\"|[^()]|\([^()]*\([^()]*\)[^()]*\))*)\),", text
        )
        assert match, text
        seen.setdefault(match.group(1), set()).add(count_arguments(match.group(2)))
    functions = {f.__name__: f for f in udfs.UDF_FUNCTIONS}
    assert set(seen) == set(functions)
    for name, arities in seen.items():
        parameters = inspect.signature(functions[name]).parameters.values()
        required = sum(p.default is inspect.Parameter.empty for p in parameters)
        assert all(required <= arity <= len(parameters) for arity in arities), (name, arities)


def test_udf_parameters_have_no_annotations() -> None:
    """xlwings reads parameter annotations as converters; the UDFs must have none."""
    for function in udfs.UDF_FUNCTIONS:
        signature = inspect.signature(function)
        assert all(p.annotation is inspect.Parameter.empty for p in signature.parameters.values())


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (column(None, None, None, None), 15.0),
        (column(None, 2.0, None, None), 13.0),
        ([None, 2.5, 1.0, 3.0], 8.5),
        (column(15.0, 3.0, 2.0, 3.0), 0.0),  # capped: 每个项目分值扣完为止
        (column(15.0, 0.0, "", None), 0.0),
        (column(None, 5.0, None, None), INVALID),  # outside 1-3
        (column(None, 0.5, None, None), INVALID),
        (column("三分", None, None, None), INVALID),
        (column(True, None, None, None), INVALID),
        (column(dt.datetime(2026, 1, 2), None, None, None), INVALID),
        (column(None, 2.125, None, None), INVALID),  # more than 2 decimals
        (column(None, None, None), INVALID),  # wrong range size
    ],
)
def test_item_score(values: object, expected: object) -> None:
    assert udfs.KP_ITEM_SCORE(values, 1.0, SID) == expected


def test_item_score_single_cell_item_and_bad_arguments() -> None:
    assert udfs.KP_ITEM_SCORE(12.5, 7.0, SID) == 12.5  # one-rule item: Excel passes a scalar
    assert udfs.KP_ITEM_SCORE(None, 7.0, SID) == 25.0
    assert udfs.KP_ITEM_SCORE(None, 8.0, SID) == INVALID
    assert udfs.KP_ITEM_SCORE(None, 1.5, SID) == INVALID
    assert udfs.KP_ITEM_SCORE(None, "一", SID) == INVALID
    assert udfs.KP_ITEM_SCORE(None, 7.0, "no such!") == f"{INVALID}：标准编号无效"


def test_check_and_veto_check() -> None:
    assert udfs.KP_CHECK(None, "1.1", SID) == ""
    assert udfs.KP_CHECK(15.0, "1.1", SID) == ""
    assert udfs.KP_CHECK(10.0, "1.1", SID) == "输入有误：应为0或15"
    assert udfs.KP_CHECK("扣三分", "1.2", SID) == "输入有误：应为0或1～3"
    assert udfs.KP_CHECK(26.0, "7.1", SID) == "输入有误：应为0～25"
    assert udfs.KP_CHECK(1.0, "9.9", SID) == INVALID
    for blank_or_yes_no in (None, "", "是", "否", True, False):
        assert udfs.KP_VETO_CHECK(blank_or_yes_no) == ""
    for other in ("可能", 1.0, dt.date(2026, 1, 1)):
        assert udfs.KP_VETO_CHECK(other) == VETO_SHORT_MESSAGE


def test_check_takes_float_noise_but_not_a_third_decimal() -> None:
    """One rule with the template's built-in formulas: within 1E-9 of 2 decimals is that number."""
    assert udfs.KP_CHECK(0.1 + 0.2, "7.1", SID) == ""  # 0.30000000000000004 is 0.3
    assert udfs.KP_CHECK(0.1 + 0.2 + 0.001, "7.1", SID) == "输入有误：应为0～25"
    assert udfs.KP_CHECK(1.0000000000001, "1.2", SID) == ""
    assert udfs.KP_CHECK(1.1, "1.2", SID) == ""
    assert udfs.KP_CHECK(15.000000000001, "1.1", SID) == ""
    for not_allowed in (1.001, 1.00000001, True, dt.time(0, 0), dt.datetime(1900, 1, 1)):
        assert udfs.KP_CHECK(not_allowed, "1.2", SID) == "输入有误：应为0或1～3", not_allowed
    # The noise is rounded away before the rule is applied, so the item score is exact.
    rest = [None] * (len(STANDARD.items[0].rules) - 2)
    score = udfs.KP_ITEM_SCORE(column(None, 2.0000000000001, 1.0000000000001, *rest[1:]), 1, SID)
    assert score == float(STANDARD.items[0].points) - 3


def _score_column(scores: Sequence[object]) -> tuple[tuple[object, ...], ...]:
    """The whole 项目得分 column: each item's score, then None for its merged rows."""
    cells: list[object] = []
    for item, score in zip(STANDARD.items, scores, strict=True):
        cells += [score] + [None] * (len(item.rules) - 1)
    return column(*cells)


def test_total() -> None:
    full: list[object] = [float(item.points) for item in STANDARD.items]
    assert udfs.KP_TOTAL(_score_column(full), SID) == 100.0
    assert udfs.KP_TOTAL(_score_column([13.0, 10.0, 10.0, 10.0, 10.0, 20.0, 12.5]), SID) == 85.5
    assert udfs.KP_TOTAL(_score_column([INVALID, *full[1:]]), SID) == PENDING
    assert udfs.KP_TOTAL(_score_column([None, *full[1:]]), SID) == PENDING  # #NAME? comes as None
    assert udfs.KP_TOTAL(_score_column([16.0, *full[1:]]), SID) == PENDING
    assert udfs.KP_TOTAL(column(*full), "no such!") == f"{INVALID}：标准编号无效"


def test_grade() -> None:
    none = column(None, None, None)
    assert udfs.KP_GRADE(90.0, none, SID) == "好"
    assert udfs.KP_GRADE(89.5, none, SID) == "较好"
    assert udfs.KP_GRADE(80.0, column("否", False, ""), SID) == "较好"
    assert udfs.KP_GRADE(60.0, none, SID) == "一般"
    assert udfs.KP_GRADE(59.5, none, SID) == "较差"
    assert udfs.KP_GRADE(100.0, column(None, "是", None), SID) == "较差"
    assert udfs.KP_GRADE(100.0, column(True, None, None), SID) == "较差"
    assert udfs.KP_GRADE(100.0, column("可能", None, None), SID) == PENDING
    assert udfs.KP_GRADE(PENDING, none, SID) == PENDING
    assert udfs.KP_GRADE(None, none, SID) == PENDING
    assert udfs.KP_GRADE(101.0, none, SID) == PENDING


def _raw_value(rule_max: Decimal) -> st.SearchStrategy[object]:
    return st.one_of(
        st.none(),
        st.just(""),
        st.just(float(rule_max)),
        st.decimals(min_value=0, max_value=rule_max + 2, places=2).map(float),
        st.sampled_from(["三分", True, -1.0]),
    )


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_udf_chain_equals_the_engine(data: st.DataObject) -> None:
    """Item scores -> total -> grade through the UDFs give exactly what the engine gives."""
    deductions = {r.id: data.draw(_raw_value(r.max), label=r.id) for r in STANDARD.rules}
    vetoes = [data.draw(st.sampled_from([None, "是", "否", "", "可能"])) for _ in STANDARD.vetoes]
    expected = assess_branch(STANDARD, RawBranchInputs(deductions=deductions, vetoes=vetoes))

    scores = [
        udfs.KP_ITEM_SCORE(column(*(deductions[r.id] for r in item.rules)), float(item.number), SID)
        for item in STANDARD.items
    ]
    assert scores == [float(s) if s is not None else INVALID for s in expected.item_scores]
    total = udfs.KP_TOTAL(_score_column(scores), SID)
    items_ok = all(s is not None for s in expected.item_scores)
    assert total == (float(sum(expected.item_scores)) if items_ok else PENDING)  # type: ignore[arg-type]
    assert udfs.KP_GRADE(total, column(*vetoes), SID) == expected.grade_text
    for rule in STANDARD.rules:
        problem = next((p for p in expected.problems if p.rule == rule.id and not p.note), None)
        assert udfs.KP_CHECK(deductions[rule.id], rule.id, SID) == (
            problem.short if problem else ""
        )


def test_survey_udfs_equal_the_engine() -> None:
    """KP_SURVEY, and KP_ITEM_SCORE of item 7 with the tally, on every survey data case,
    blank 7.1, a 7.1 that overrides the tally without and with a note."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from workbook.core import names
    from workbook.core.survey import survey_cells

    from support.template_cases import survey_inputs

    survey = STANDARD.survey
    assert survey is not None
    item = STANDARD.items[-1]
    checked = 0
    for label, raw in survey_inputs().items():
        assert raw.survey is not None
        assessment = assess_branch(STANDARD, raw)
        want = survey_cells(STANDARD, assessment.survey, assessment.survey_outcome)
        counts = tuple(
            tuple(
                (raw.survey.counts[q] if q < len(raw.survey.counts) else {}).get(a.text)
                for a in survey.answers
            )
            for q in range(len(survey.questions))
        )
        ded, note = raw.deductions.get("7.1"), raw.notes.get("7.1")
        got = {}
        for what in ["valid", "rate", "points", "deduction", "check", "rate_1", "rate_2", "rate_3"]:
            name = {
                "valid": names.SURVEY_VALID,
                "rate": names.SURVEY_RATE,
                "points": names.SURVEY_POINTS,
                "deduction": names.SURVEY_DEDUCTION,
                "check": names.SURVEY_CHECK,
            }.get(what) or names.survey_rate_name(int(what[-1]))
            got[name] = udfs.KP_SURVEY(
                raw.survey.issued, raw.survey.returned, counts, what, SID, ded, note
            )
        assert got == want, label
        score = udfs.KP_ITEM_SCORE(ded, 7.0, SID, want[names.SURVEY_DEDUCTION], note)
        engine = assessment.item_scores[item.number - 1]
        assert score == (float(engine) if engine is not None else INVALID), label
        checked += 1
    assert checked > 20
