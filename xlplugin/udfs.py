"""The template's worksheet functions as xlwings UDFs (Windows Excel with the add-in).

Names and argument orders are fixed by ``workbook.core.formulas``. Excel passes ranges as lists,
blank cells as None, numbers as floats, booleans, text and dates; error cells (#N/A, #DIV/0!)
arrive as their text (``err_to_str``), so an error is invalid input, never a blank. Each
function validates with the engine and answers with a score (a float made from the exact
Decimal), an empty string, or a short Chinese message; none ever raises into Excel or returns
an error value, so the template's ``IFERROR`` fallback only runs when the function is missing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, TypeVar

import xlwings as xw

from workbook.core import names
from workbook.core.cells import normalise
from workbook.core.scoring import (
    INVALID,
    PENDING,
    VETO_SHORT_MESSAGE,
    note_text,
    parse_deduction,
    parse_veto,
    score_item,
)
from workbook.core.standard import (
    DEFAULT_STANDARD_ID,
    KEY_SEPARATOR,
    Standard,
    StandardMismatchError,
    installed_standard_file,
    standard_for_key,
    valid_standard_id,
)
from workbook.core.survey import (
    grade_ceiling,
    resolve_survey_rule,
    survey_cells,
    tally_is_blank,
    tally_survey,
)
from workbook.errors import CellValueError, StandardFileError

F = TypeVar("F", bound=Callable[..., Any])

UNKNOWN_STANDARD = f"{INVALID}：标准编号无效"
# A workbook made from a custom standard file computes in Excel once that file is installed on
# the computer (``branch-assess standard install``); until then each function says so.
NOT_INSTALLED = "{invalid}：本机未安装标准“{id}”，请运行 branch-assess standard install 标准文件"
BROKEN_INSTALLED = "{invalid}：已安装的标准“{id}”有误，请用 branch-assess standard install 重新安装"
# Installed under the same id, but another version of the file than the workbook was made from.
MISMATCHED = "{invalid}：{reason}，请用 branch-assess standard install 安装制作本表时所用的标准文件"


class _StandardMissingError(Exception):
    """The workbook names a standard this computer does not have: the cell's text."""


def _never_raise(fallback: str) -> Callable[[F], F]:
    """Turn any exception into ``fallback`` text: Excel must show a message, not a traceback."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except _StandardMissingError as missing:
                return str(missing)
            except StandardFileError:
                return UNKNOWN_STANDARD
            except Exception:
                return fallback

        return wrapper  # type: ignore[return-value]

    return decorate


def _standard(standard_id: object) -> Standard:
    """The standard a formula names: an id, or ``id@hash`` for a custom standard file
    (``formula_key``)."""
    text = (standard_id.strip() if isinstance(standard_id, str) else "") or DEFAULT_STANDARD_ID
    try:
        return standard_for_key(text)
    except StandardMismatchError as mismatch:
        raise _StandardMissingError(MISMATCHED.format(invalid=INVALID, reason=mismatch)) from None
    except StandardFileError:
        plain_id = text.partition(KEY_SEPARATOR)[0]
        if not valid_standard_id(plain_id):
            raise
        broken = installed_standard_file(plain_id) is not None
        raise _StandardMissingError(
            (BROKEN_INSTALLED if broken else NOT_INSTALLED).format(invalid=INVALID, id=plain_id)
        ) from None


def _flatten(values: object) -> list[object]:
    """A range argument as a flat list in reading order (a single cell becomes a 1-list), each
    value normalised (an error's text becomes ``CellError``)."""
    if isinstance(values, list | tuple):
        flat: list[object] = []
        for value in values:
            flat.extend(_flatten(value) if isinstance(value, list | tuple) else [_cell(value)])
        return flat
    return [_cell(values)]


def _cell(value: object) -> object:
    """One argument value as the engine takes it (``cells.normalise``)."""
    return normalise(value, error_strings=True)


def _number(value: object) -> Decimal | None:
    """A finite number passed by Excel as an exact Decimal, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


# --- typed implementations (plain functions, tested directly) -----------------------------


@_never_raise(INVALID)
def item_score(
    deductions: object,
    item_number: object,
    standard_id: object,
    survey_deduction: object = None,
    survey_note: object = None,
) -> float | str:
    """项目得分：该项目分值减去各条扣分（以该项目分值为限）；有输入错误时为“输入有误”。

    For the item of the survey's rule, ``survey_deduction`` is the tally's deduction cell and
    ``survey_note`` the rule's 扣分说明: a blank 扣分 counts the tally's deduction, a typed one
    other than the tally's needs a note.
    """
    standard = _standard(standard_id)
    number = _number(item_number)
    if number is None or number != number.to_integral_value():
        return INVALID
    item = standard.item(int(number))
    values = _flatten(deductions)
    if len(values) != len(item.rules):
        return INVALID
    parsed = {
        rule.id: parse_deduction(rule, value, standard.max_decimal_places)
        for rule, value in zip(item.rules, values, strict=True)
    }
    survey = standard.survey
    if survey is not None and survey.rule_id in parsed:
        tally = _cell(survey_deduction)
        if tally == INVALID or (isinstance(tally, str) and tally.startswith("#")):
            return INVALID
        counted = _number(tally)
        typed = values[[r.id for r in item.rules].index(survey.rule_id)]
        if typed is None or typed == "":
            if counted is not None:
                parsed[survey.rule_id] = counted
        elif (
            counted is not None
            and parsed[survey.rule_id] != counted
            and not note_text(_cell(survey_note))
        ):
            return INVALID
    return float(score_item(item, parsed).score)


@_never_raise(INVALID)
def check(value: object, rule_id: object, standard_id: object) -> str:
    """检查：扣分有效时为空，否则为简短提示（如“输入有误：应为0或规定分值”）。"""
    standard = _standard(standard_id)
    rule = standard.rule(str(rule_id).strip())
    try:
        parse_deduction(rule, _cell(value), standard.max_decimal_places)
    except CellValueError as error:
        return error.short
    return ""


@_never_raise(VETO_SHORT_MESSAGE)
def veto_check(value: object) -> str:
    """否决情形检查：填“是”“否”或空白时为空，否则为“输入有误：应为是或否”。"""
    try:
        parse_veto(_cell(value))
    except CellValueError:
        return VETO_SHORT_MESSAGE
    return ""


@_never_raise(PENDING)
def total(item_scores: object, standard_id: object) -> float | str:
    """合计得分：各项目得分之和；有项目“输入有误”时为“待修正”。

    The range spans the whole 项目得分 column; merged cells below each item's score are blank.
    """
    standard = _standard(standard_id)
    present = [v for v in _flatten(item_scores) if v is not None and v != ""]
    numbers = [_number(v) for v in present]
    scores = [n for n in numbers if n is not None]
    if len(numbers) != len(standard.items) or len(scores) != len(numbers):
        return PENDING
    for item, score in zip(standard.items, scores, strict=True):
        if not 0 <= score <= item.points:
            return PENDING
    return float(sum(scores, Decimal(0)))


@_never_raise(PENDING)
def grade(
    total_value: object, vetoes: object, standard_id: object, survey_rate: object = None
) -> str:
    """定级：按合计得分定级，有否决情形之一的定为标准规定的等级；输入有误时为“待修正”。"""
    standard = _standard(standard_id)
    score = _number(_cell(total_value))
    if score is None or not 0 <= score <= standard.total_points:
        return PENDING
    values = _flatten(vetoes)
    if len(values) != len(standard.vetoes):
        return PENDING
    try:
        applies = [parse_veto(value) for value in values]
    except CellValueError:
        return PENDING
    if any(applies):
        return standard.veto_grade
    by_score = standard.grade_for(score)
    rate = _number(_cell(survey_rate))
    if rate is None:
        return by_score
    # The cell holds the exact quotient as a float: recover the fraction of ballot counts.
    capped, _ = grade_ceiling(standard, by_score, Fraction(rate).limit_denominator(10**7))
    return capped


@_never_raise(INVALID)
def survey_cell(
    issued: object,
    returned: object,
    counts: object,
    what: object,
    standard_id: object,
    deduction: object = None,
    note: object = None,
) -> float | int | str:
    """群众测评计票：按 what 返回一题的满意率（rate_<题号>）、有效票（valid）、总体满意率（rate）、
    测评得分（points）、对应扣分（deduction）或检查（check）。"""
    standard = _standard(standard_id)
    survey = standard.survey
    if survey is None:
        return ""
    flat = _flatten(counts)
    width = len(survey.answers)
    if len(flat) != width * len(survey.questions):
        return INVALID
    rows = [
        {a.text: flat[q * width + i] for i, a in enumerate(survey.answers)}
        for q in range(len(survey.questions))
    ]
    issued_value, returned_value = _cell(issued), _cell(returned)
    tally = None
    if not tally_is_blank(issued_value, returned_value, rows):
        tally = tally_survey(survey, issued_value, returned_value, rows)
    outcome = None
    if tally is not None:
        outcome = resolve_survey_rule(standard, tally, _cell(deduction), _cell(note))
    cells = survey_cells(standard, tally, outcome)
    key = str(what).strip()
    name = {
        "valid": names.SURVEY_VALID,
        "rate": names.SURVEY_RATE,
        "points": names.SURVEY_POINTS,
        "deduction": names.SURVEY_DEDUCTION,
        "check": names.SURVEY_CHECK,
    }.get(key) or names.survey_rate_name(int(key.removeprefix("rate_")))
    return cells[name]


# --- the UDFs --------------------------------------------------------------------------------
# No annotations on purpose: xlwings reads parameter annotations as converters.


@xw.func
@xw.arg("deductions", ndim=1, err_to_str=True, doc="该项目各条评分办法的扣分单元格")
@xw.arg("item_number", doc="项目序号（从 1 起）")
@xw.arg("standard_id", doc="考评标准编号")
@xw.arg("survey_deduction", err_to_str=True, doc="群众测评对应扣分单元格（仅测评规则所在项目）")
@xw.arg("survey_note", err_to_str=True, doc="测评规则的扣分说明单元格（仅测评规则所在项目）")
def KP_ITEM_SCORE(deductions, item_number, standard_id, survey_deduction=None, survey_note=None):
    """项目得分：该项目分值减去各条扣分（以该项目分值为限）；有输入错误时为“输入有误”。"""
    return item_score(deductions, item_number, standard_id, survey_deduction, survey_note)


@xw.func
@xw.arg("value", err_to_str=True, doc="扣分单元格")
@xw.arg("rule_id", doc="评分办法编号，如 1.2")
@xw.arg("standard_id", doc="考评标准编号")
def KP_CHECK(value, rule_id, standard_id):
    """检查：扣分有效时为空，否则为简短提示（如“输入有误：应为0或规定分值”）。"""
    return check(value, rule_id, standard_id)


@xw.func
@xw.arg("value", err_to_str=True, doc="否决情形单元格")
def KP_VETO_CHECK(value):
    """否决情形检查：填“是”“否”或空白时为空，否则为“输入有误：应为是或否”。"""
    return veto_check(value)


@xw.func
@xw.arg("item_scores", ndim=1, err_to_str=True, doc="项目得分列")
@xw.arg("standard_id", doc="考评标准编号")
def KP_TOTAL(item_scores, standard_id):
    """合计得分：各项目得分之和；有项目“输入有误”时为“待修正”。"""
    return total(item_scores, standard_id)


@xw.func
@xw.arg("total_value", err_to_str=True, doc="合计得分单元格")
@xw.arg("vetoes", ndim=1, err_to_str=True, doc="各项否决情形单元格")
@xw.arg("standard_id", doc="考评标准编号")
@xw.arg("survey_rate", err_to_str=True, doc="群众测评总体满意率（标准设有等级上限时）")
def KP_GRADE(total_value, vetoes, standard_id, survey_rate=None):
    """定级：按合计得分定级，有否决情形之一的定为标准规定的等级；输入有误时为“待修正”。"""
    return grade(total_value, vetoes, standard_id, survey_rate)


@xw.func
@xw.arg("issued", err_to_str=True, doc="发放票数单元格")
@xw.arg("returned", err_to_str=True, doc="收回票数单元格")
@xw.arg("counts", ndim=2, err_to_str=True, doc="各题各答案票数")
@xw.arg("what", doc="rate_<题号>、valid、rate、points、deduction 或 check")
@xw.arg("standard_id", doc="考评标准编号")
@xw.arg("deduction", err_to_str=True, doc="规则7.1的扣分单元格（仅 check）")
@xw.arg("note", err_to_str=True, doc="规则7.1的扣分说明单元格（仅 check）")
def KP_SURVEY(issued, returned, counts, what, standard_id, deduction=None, note=None):
    """群众测评计票：满意率、有效票、测评得分、对应扣分或检查。"""
    return survey_cell(issued, returned, counts, what, standard_id, deduction, note)


UDF_FUNCTIONS = (KP_ITEM_SCORE, KP_CHECK, KP_VETO_CHECK, KP_TOTAL, KP_GRADE, KP_SURVEY)
