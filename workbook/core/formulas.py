"""Formula text for the template's computed cells, in two modes.

``xlwings``: the cells call the project's UDFs (``KP_`` prefix, implemented in ``xlplugin.udfs``).
``native``: built-in functions only (no ``_xlfn`` functions), so the sheet computes in WPS,
LibreOffice and Excel without the add-in. Both modes give the engine's values.

The UDF names and argument orders are fixed here and are part of the workbook contract:

- ``KP_ITEM_SCORE(deductions, item_number, standard_id)``: capped item score or 输入有误.
- ``KP_CHECK(value, rule_id, standard_id)``: "" or a short message for one 扣分 cell.
- ``KP_VETO_CHECK(value)``: "" or a short message for one 否决情形 cell.
- ``KP_TOTAL(item_scores, standard_id)``: the total, or 待修正 while an item is invalid.
- ``KP_GRADE(total, vetoes, standard_id)``: the grade, or 待修正.

``standard_id`` is ``standard.formula_key``: the id of a standard shipped in the package, or
``id@<content hash prefix>`` for a custom standard file, so that the functions refuse another
version of that file installed under the same id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from workbook.core.scoring import INVALID, PENDING, VETO_SHORT_MESSAGE, short_message
from workbook.core.standard import Item, Rule, Standard, fmt, formula_key
from workbook.core.standard_sections import Checklist, ChecklistEntry
from workbook.core.survey import NOTE_REQUIRED_SHORT

FormulaMode = Literal["xlwings", "native"]
FORMULA_MODES: tuple[FormulaMode, ...] = ("xlwings", "native")

UDF_ITEM_SCORE = "KP_ITEM_SCORE"
UDF_CHECK = "KP_CHECK"
UDF_VETO_CHECK = "KP_VETO_CHECK"
UDF_TOTAL = "KP_TOTAL"
UDF_GRADE = "KP_GRADE"


def _text(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def native_rule_valid(rule: Rule, cell: str, max_places: int) -> str:
    """A boolean expression: the 扣分 cell is blank or holds a value the rule allows.

    The rule is the engine's (``workbook.core.scoring.parse_deduction``): a number within 1E-9 of a
    number with at most ``max_places`` decimals counts as that number (floating-point noise of
    a sum such as 0.1+0.2, or Gnumeric reading 8.36 as 8.359999999999999), and that rounded
    number must fit the rule. A boolean is never a deduction, even where it is stored as a
    number (LibreOffice: TRUE is 1 there, so ISNUMBER alone would take it).
    Never an error value: an error in the cell (#N/A, #DIV/0! ...) makes it FALSE.
    """
    value = f"ROUND({cell},{max_places})"
    if rule.kind == "fixed":
        allowed = f"OR({value}=0,{value}={fmt(rule.max)})"
    elif rule.min == 0:
        allowed = f"AND({value}>=0,{value}<={fmt(rule.max)})"
    else:
        allowed = f"OR({value}=0,AND({value}>={fmt(rule.min)},{value}<={fmt(rule.max)}))"
    allowed = f"AND({allowed},ABS({value}-{cell})<1E-9)"
    # A number must fit the rule (ISNUMBER also guards ROUND against text); anything else is
    # valid only when empty, and an error value fails the comparison inside IFERROR.
    return f'IF(ISLOGICAL({cell}),FALSE,IF(ISNUMBER({cell}),{allowed},IFERROR({cell}="",FALSE)))'


def native_veto_valid(cell: str) -> str:
    """A boolean expression: the veto cell is blank, 是, 否 or an Excel boolean; FALSE on an error."""
    return f'IFERROR(OR({cell}="",{cell}="是",{cell}="否",ISLOGICAL({cell})),FALSE)'


def native_veto_yes(cell: str) -> str:
    """A boolean expression: the veto cell says 是 (or TRUE); only used once the cell is valid."""
    return f'IF(ISLOGICAL({cell}),{cell},{cell}="是")'


def _formula(mode: FormulaMode, udf_call: str, native: str) -> str:
    """The cell formula: the built-in expression, or in ``xlwings`` mode the UDF with it as fallback.

    IFERROR only catches error values, and a missing function is one (#NAME? in Excel and WPS,
    Err:525 in LibreOffice, #NAME? in Gnumeric). The UDFs never return an error value, so
    their own text (输入有误, 待修正, a 检查 message) is shown as is.
    """
    return "=" + _expression(mode, udf_call, native)


def _expression(mode: FormulaMode, udf_call: str, native: str) -> str:
    """``_formula`` without the "=": to combine in a larger formula."""
    if mode == "xlwings":
        return f"IFERROR({udf_call},{native})"
    return native


def item_score_formula(
    mode: FormulaMode, standard: Standard, item: Item, cells: list[str], places: int
) -> str:
    """Formula of an item's 项目得分 cell; ``cells`` are the item's 扣分 cells in rule order."""
    block = f"{cells[0]}:{cells[-1]}"
    checks = ",".join(
        native_rule_valid(r, c, places) for r, c in zip(item.rules, cells, strict=True)
    )
    native = (
        f"IF(AND({checks}),MAX(0,ROUND({fmt(item.points)}-SUM({block}),{places})),{_text(INVALID)})"
    )
    udf = f"{UDF_ITEM_SCORE}({block},{item.number},{_text(formula_key(standard))})"
    return _formula(mode, udf, native)


def check_formula(mode: FormulaMode, standard: Standard, rule: Rule, cell: str) -> str:
    """Formula of a rule's 检查 cell: empty when valid, a short message otherwise."""
    valid = native_rule_valid(rule, cell, standard.max_decimal_places)
    native = f'IF({valid},"",{_text(short_message(rule))})'
    udf = f"{UDF_CHECK}({cell},{_text(rule.id)},{_text(formula_key(standard))})"
    return _formula(mode, udf, native)


def veto_check_formula(mode: FormulaMode, cell: str) -> str:
    """Formula of a veto's 检查 cell."""
    native = f'IF({native_veto_valid(cell)},"",{_text(VETO_SHORT_MESSAGE)})'
    return _formula(mode, f"{UDF_VETO_CHECK}({cell})", native)


def total_formula(
    mode: FormulaMode, standard: Standard, score_block: str, score_cells: list[str]
) -> str:
    """Formula of 合计得分; ``score_block`` spans the 项目得分 column of the table."""
    cells = ",".join(score_cells)
    places = standard.max_decimal_places
    native = f"IF(COUNT({cells})={len(score_cells)},ROUND(SUM({cells}),{places}),{_text(PENDING)})"
    return _formula(mode, f"{UDF_TOTAL}({score_block},{_text(formula_key(standard))})", native)


def grade_formula(
    mode: FormulaMode, standard: Standard, total_cell: str, veto_block: str, veto_cells: list[str]
) -> str:
    """Formula of 定级 from the total and the veto cells."""
    by_score = _text(standard.grades[-1].name)
    for grade in reversed(standard.grades[:-1]):
        by_score = f"IF({total_cell}>={fmt(grade.min)},{_text(grade.name)},{by_score})"
    valid = ",".join(native_veto_valid(c) for c in veto_cells)
    vetoed = ",".join(native_veto_yes(c) for c in veto_cells)
    native = (
        f"IF(AND(ISNUMBER({total_cell}),{valid}),"
        f"IF(OR({vetoed}),{_text(standard.veto_grade)},{by_score}),{_text(PENDING)})"
    )
    udf = f"{UDF_GRADE}({total_cell},{veto_block},{_text(formula_key(standard))})"
    return _formula(mode, udf, native)


# Template version 2: the 自评 cells beside the committee's, and the checklist hints.

SELF_PREFIX = "自评"
NOT_ASSESSED = "未自评"


def combined_check_formula(
    mode: FormulaMode,
    standard: Standard,
    rule: Rule,
    cell: str,
    self_cell: str,
    survey_cells: SurveyCells | None = None,
) -> str:
    """A version-2 检查 cell: the committee 扣分's message, then the 自评扣分's (自评输入有误：…),
    joined by "；" (``self_assessment.check_text``).

    With ``survey_cells`` (the survey rule's row), a valid 扣分 whose item the tally makes
    输入有误 shows why (``survey.survey_rule_check_text``): the tally sits below the print area."""
    valid = native_rule_valid(rule, cell, standard.max_decimal_places)
    committee = _expression(
        mode,
        f"{UDF_CHECK}({cell},{_text(rule.id)},{_text(formula_key(standard))})",
        f'IF({valid},"",{_text(short_message(rule))})',
    )
    if survey_cells is not None:
        committee = _survey_rule_check(standard, survey_cells, valid, committee)
    own_valid = native_rule_valid(rule, self_cell, standard.max_decimal_places)
    udf = f"{UDF_CHECK}({self_cell},{_text(rule.id)},{_text(formula_key(standard))})"
    own = _expression(
        mode,
        f'IF({udf}="","",{_text(SELF_PREFIX)}&{udf})',
        f'IF({own_valid},"",{_text(SELF_PREFIX + short_message(rule))})',
    )
    return _joined(committee, own)


def combined_veto_check_formula(mode: FormulaMode, cell: str, self_cell: str) -> str:
    """A version-2 veto 检查 cell: the committee answer's message, then the branch's own."""
    committee = _expression(
        mode,
        f"{UDF_VETO_CHECK}({cell})",
        f'IF({native_veto_valid(cell)},"",{_text(VETO_SHORT_MESSAGE)})',
    )
    udf = f"{UDF_VETO_CHECK}({self_cell})"
    own = _expression(
        mode,
        f'IF({udf}="","",{_text(SELF_PREFIX)}&{udf})',
        f'IF({native_veto_valid(self_cell)},"",{_text(SELF_PREFIX + VETO_SHORT_MESSAGE)})',
    )
    return _joined(committee, own)


def _joined(first: str, second: str) -> str:
    return f'=IF({second}="",{first},IF({first}="",{second},{first}&"；"&{second}))'


def self_total_formula(
    mode: FormulaMode,
    standard: Standard,
    score_block: str,
    score_cells: list[str],
    input_blocks: list[str],
) -> str:
    """The 自评 total: 未自评 while every 自评 input (``input_blocks``) is blank."""
    total = total_formula(mode, standard, score_block, score_cells)[1:]
    return f"=IF(COUNTA({','.join(input_blocks)})=0,{_text(NOT_ASSESSED)},{total})"


def self_grade_formula(
    mode: FormulaMode, standard: Standard, total_cell: str, veto_block: str, veto_cells: list[str]
) -> str:
    """The 自评 grade: 未自评 with the total, else graded exactly as the committee's."""
    grade = grade_formula(mode, standard, total_cell, veto_block, veto_cells)[1:]
    return f"=IF(ISNUMBER({total_cell}),{grade},IF({total_cell}={_text(NOT_ASSESSED)},{_text(NOT_ASSESSED)},{grade}))"


def _answer_is(cell: str, word: str, logical: bool) -> str:
    """TRUE when a checklist cell holds ``word`` (or the boolean ``logical``); FALSE on an error."""
    test = cell if logical else f"NOT({cell})"
    return f"IFERROR(IF(ISLOGICAL({cell}),{test},{cell}={_text(word)}),FALSE)"


def checklist_hint_formula(
    checklist: Checklist,
    rule_id: str,
    answer_cells: dict[str, str],
    scope_cells: dict[str, str],
) -> str | None:
    """The live hint beside rule ``rule_id`` from the checklist answers (built-ins only, both
    modes): the texts of ``checklist.check_checklist(...).hints_for(rule_id)``, one a line.

    ``answer_cells``: entry key -> its answer cell; ``scope_cells``: scope -> its 是/否 cell.
    None when no entry of the checklist bears on the rule. A hint never feeds a score.
    """
    parts: list[str] = []

    def applies(entry: ChecklistEntry) -> str | None:
        if entry.scope is None:
            return None
        return _answer_is(scope_cells[entry.scope], checklist.yes, True)

    def when(entry: ChecklistEntry, test: str) -> str:
        scope = applies(entry)
        return test if scope is None else f"AND({scope},{test})"

    for section in checklist.sections:
        groups: dict[str, list[ChecklistEntry]] = {}
        for entry in section.entries:
            if entry.rule_id == rule_id and entry.hint is not None:
                groups.setdefault(entry.hint, []).append(entry)
        for hint, entries in groups.items():
            labels = "&".join(
                f"IF({when(e, _answer_is(answer_cells[e.key], checklist.no, False))},"
                f'{_text("、" + e.label)},"")'
                for e in entries
            )
            parts.append(
                f'IF(({labels})="","",CHAR(10)&{_text("自查表缺项：")}&MID({labels},2,1000)'
                f"&{_text(f'（{hint}）')})"
            )
        choice = section.choice
        if choice is not None and choice.rule_id == rule_id and choice.hint is not None:
            choosers = [e for e in section.entries if e.choice]
            not_missing = "+".join(
                f"IF({when(e, 'NOT(' + _answer_is(answer_cells[e.key], checklist.no, False) + ')')},1,0)"
                for e in choosers
            )
            met = "+".join(
                f"IF({when(e, _answer_is(answer_cells[e.key], checklist.yes, True))},1,0)"
                for e in choosers
            )
            parts.append(
                f"IF(({not_missing})<{choice.count},CHAR(10)&{_text(f'自查表：{choice.text}，实有 ')}"
                f'&({met})&{_text(f" 项（{choice.hint}）")},"")'
            )
    if not parts:
        return None
    return f"=MID({'&'.join(parts)},2,2000)"


# --- the 群众测评 tally (issue 9) --------------------------------------------------------------
#
# ``KP_SURVEY(issued, returned, counts, what, standard_id[, deduction, note])``: one computed
# cell of the tally (``what`` is rate_<q>, valid, rate, points, deduction or check; check also
# takes the survey rule's 扣分 and 扣分说明 cells). ``KP_ITEM_SCORE`` takes the tally's deduction
# cell and the rule's 扣分说明 as two more arguments for the survey rule's item, and
# ``KP_GRADE`` the overall rate when the standard has a grade ceiling.

UDF_SURVEY = "KP_SURVEY"


@dataclass(frozen=True)
class SurveyCells:
    """Where a branch sheet's tally cells are (A1 references on the sheet)."""

    issued: str
    returned: str
    counts: tuple[tuple[str, ...], ...]  # per question, per answer in the standard's order
    rates: tuple[str, ...]  # per question
    valid: str
    rate: str
    points: str
    deduction: str
    check: str
    rule_deduction: str  # the survey rule's 扣分 cell
    rule_note: str  # its 扣分说明 cell

    @property
    def block(self) -> str:
        """The range of every count."""
        return f"{self.counts[0][0]}:{self.counts[-1][-1]}"


def _count_ok(cell: str) -> str:
    return (
        f"IF(ISLOGICAL({cell}),FALSE,IF(ISNUMBER({cell}),AND({cell}>=0,{cell}=INT({cell})),"
        f'IFERROR({cell}="",FALSE)))'
    )


def _required_ok(cell: str) -> str:
    return (
        f"IF(ISLOGICAL({cell}),FALSE,IF(ISNUMBER({cell}),AND({cell}>=0,{cell}=INT({cell})),FALSE))"
    )


def _sum(cells: Sequence[str]) -> str:
    return f"SUM({','.join(cells)})" if cells else "0"


class _SurveyParts:
    """The built-in expressions a tally's formulas share."""

    def __init__(self, standard: Standard, cells: SurveyCells) -> None:
        survey = standard.survey
        assert survey is not None
        self.survey = survey
        self.cells = cells
        valid_index = [i for i, a in enumerate(survey.answers) if not a.excluded]
        satisfied_index = [i for i, a in enumerate(survey.answers) if a.satisfied]
        rows = cells.counts
        # COUNTBLANK counts empty text as blank, as the engine does (Excel, LibreOffice and
        # Gnumeric alike); an error value is no blank and never an error here.
        size = len(rows) * len(rows[0])
        self.blank = (
            f"COUNTBLANK({cells.issued})+COUNTBLANK({cells.returned})"
            f"+COUNTBLANK({cells.block})={size + 2}"
        )
        self.question_ok = [f"AND({','.join(_count_ok(c) for c in row)})" for row in rows]
        self.all_ok = (
            f"AND({_required_ok(cells.issued)},{_required_ok(cells.returned)},"
            f"{','.join(self.question_ok)})"
        )
        self.valid = [_sum([row[i] for i in valid_index]) for row in rows]
        self.satisfied = [_sum([row[i] for i in satisfied_index]) for row in rows]
        self.answered = [_sum(list(row)) for row in rows]
        every = [c for row in rows for c in row]
        self.sum_valid = _sum([row[i] for row in rows for i in valid_index])
        self.sum_satisfied = _sum([row[i] for row in rows for i in satisfied_index])
        self.min_valid = f"MIN({','.join(self.valid)})"
        weights = [
            f"N({row[i]})*{fmt(a.weight)}"
            for row in rows
            for i, a in enumerate(survey.answers)
            if not a.excluded and a.weight is not None
        ]
        self.weighted_sum = "+".join(weights) if weights else "0"
        self.counts_good = (
            f"IF({self.all_ok},AND({cells.returned}<={cells.issued},"
            + ",".join(f"{a}<={cells.returned}" for a in self.answered)
            + "),FALSE)"
        )
        del every

    def points(self) -> str:
        survey = self.survey
        full = fmt(survey.full_points)
        if survey.method == "bands":
            shown = (
                f"ROUND(ROUND({self.sum_satisfied}*100/{self.sum_valid},9),{survey.percent_places})"
            )
            deduction = full
            for band in reversed(survey.bands):
                deduction = (
                    f"IF({shown}>={fmt(band.min_rate * 100)},{fmt(band.deduction)},{deduction})"
                )
            return f"{full}-{deduction}"
        if survey.method == "rate":
            exact = f"{full}*{self.sum_satisfied}/{self.sum_valid}"
        else:
            exact = f"{full}*({self.weighted_sum})/(100*{self.sum_valid})"
        step = fmt(survey.step)
        steps = f"ROUND(({exact})/{step},9)"
        count = {
            "half_up": f"ROUND({steps},0)",
            "down": f"ROUNDDOWN({steps},0)",
            "up": f"ROUNDUP({steps},0)",
            "half_down": f"MAX(0,ROUNDUP({steps}-0.5,0))",
        }[survey.rounding]
        return f"ROUND({count}*{step},6)"

    def override_bad(self, standard: Standard) -> str:
        cells = self.cells
        rule = standard.rule(self.survey.rule_id)
        places = standard.max_decimal_places
        ded = cells.rule_deduction
        return (
            f'IFERROR(AND({native_rule_valid(rule, ded, places)},{ded}<>"",'
            f"ISNUMBER({cells.deduction}),ROUND({ded},{places})<>{cells.deduction},"
            f'TRIM({cells.rule_note})=""),FALSE)'
        )


def _survey_rule_check(
    standard: Standard, cells: SurveyCells, deduction_valid: str, committee: str
) -> str:
    """The committee part of the survey rule's 检查 cell (see ``combined_check_formula``).

    The tally's own cells say it all: its deduction is 输入有误 exactly when a count is wrong,
    and its 检查 is 须填写扣分说明 exactly when the counts are good and a typed 扣分 other than
    the tally's has no 扣分说明 (the two cases the item score refuses)."""
    survey = standard.survey
    assert survey is not None
    note = _text(NOTE_REQUIRED_SHORT)
    refused = f"IFERROR(OR({cells.check}={note},{cells.deduction}={_text(INVALID)}),FALSE)"
    reason = f"IF({cells.check}={note},{note},{_text(survey.name + '计票')}&{cells.check})"
    return f"IF(AND({deduction_valid},{refused}),{reason},{committee})"


def _survey_udf(standard: Standard, cells: SurveyCells, what: str, extra: str = "") -> str:
    return (
        f"{UDF_SURVEY}({cells.issued},{cells.returned},{cells.block},{_text(what)},"
        f"{_text(formula_key(standard))}{extra})"
    )


def survey_formulas(mode: FormulaMode, standard: Standard, cells: SurveyCells) -> dict[str, str]:
    """The formula of every computed tally cell, by the A1 reference of the cell."""
    from workbook.core.survey import (
        ANSWERED_SHORT,
        COUNTS_SHORT,
        NOTE_REQUIRED_SHORT,
        RETURNED_SHORT,
        too_few_short,
    )

    parts = _SurveyParts(standard, cells)
    survey = parts.survey
    formulas: dict[str, str] = {}
    for number, (cell, ok) in enumerate(zip(cells.rates, parts.question_ok, strict=True), 1):
        valid, satisfied = parts.valid[number - 1], parts.satisfied[number - 1]
        native = f'IF({ok},IF({valid}>0,{satisfied}/{valid},""),"")'
        formulas[cell] = _formula(mode, _survey_udf(standard, cells, f"rate_{number}"), native)
    all_questions = f"AND({','.join(parts.question_ok)})"
    native = f'IF({parts.blank},"",IF({all_questions},{parts.min_valid},""))'
    formulas[cells.valid] = _formula(mode, _survey_udf(standard, cells, "valid"), native)
    native = (
        f'IF({parts.blank},"",IF({all_questions},IF({parts.sum_valid}>0,'
        f'{parts.sum_satisfied}/{parts.sum_valid},""),""))'
    )
    formulas[cells.rate] = _formula(mode, _survey_udf(standard, cells, "rate"), native)
    native = (
        f'IF({parts.blank},"",IF({parts.counts_good},IF(AND({parts.min_valid}>={survey.min_valid},'
        f'{parts.sum_valid}>0),{parts.points()},""),{_text(INVALID)}))'
    )
    formulas[cells.points] = _formula(mode, _survey_udf(standard, cells, "points"), native)
    native = (
        f"IF(ISNUMBER({cells.points}),ROUND({fmt(survey.full_points)}-{cells.points},6),"
        f"{cells.points})"
    )
    formulas[cells.deduction] = _formula(mode, _survey_udf(standard, cells, "deduction"), native)
    answered = ",".join(f"{a}>{cells.returned}" for a in parts.answered)
    native = (
        f'IF({parts.blank},"",IF(NOT({parts.all_ok}),{_text(COUNTS_SHORT)},'
        f"IF({cells.returned}>{cells.issued},{_text(RETURNED_SHORT)},"
        f"IF(OR({answered}),{_text(ANSWERED_SHORT)},"
        f"IF({parts.min_valid}<{survey.min_valid},{_text(too_few_short(survey))},"
        f'IF({parts.override_bad(standard)},{_text(NOTE_REQUIRED_SHORT)},""))))))'
    )
    extra = f",{cells.rule_deduction},{cells.rule_note}"
    formulas[cells.check] = _formula(mode, _survey_udf(standard, cells, "check", extra), native)
    return formulas


def survey_item_score_formula(
    mode: FormulaMode,
    standard: Standard,
    item: Item,
    cells: list[str],
    places: int,
    survey_cells: SurveyCells,
) -> str:
    """Formula of the 项目得分 of the item that holds the survey's rule: with the rule's 扣分
    blank the tally's deduction counts; a typed value other than the tally's needs a note."""
    parts = _SurveyParts(standard, survey_cells)
    block = f"{cells[0]}:{cells[-1]}"
    checks: list[str] = []
    ded = survey_cells.rule_deduction
    for rule, cell in zip(item.rules, cells, strict=True):
        valid = native_rule_valid(rule, cell, places)
        if rule.id == parts.survey.rule_id:
            tally = survey_cells.deduction
            valid = (
                f"AND({valid},IFERROR({tally}<>{_text(INVALID)},FALSE),"
                f"NOT({parts.override_bad(standard)}))"
            )
        checks.append(valid)
    tally = survey_cells.deduction
    counted = f'SUM({block})+IF(AND({ded}="",ISNUMBER({tally})),{tally},0)'
    native = (
        f"IF(AND({','.join(checks)}),MAX(0,ROUND({fmt(item.points)}-({counted}),{places})),"
        f"{_text(INVALID)})"
    )
    udf = (
        f"{UDF_ITEM_SCORE}({block},{item.number},{_text(formula_key(standard))},"
        f"{tally},{survey_cells.rule_note})"
    )
    return _formula(mode, udf, native)


def ceiling_grade_formula(
    mode: FormulaMode,
    standard: Standard,
    total_cell: str,
    veto_block: str,
    veto_cells: list[str],
    survey_cells: SurveyCells,
) -> str:
    """Formula of 定级 on a standard whose survey sets a grade ceiling by 满意率."""
    survey = standard.survey
    assert survey is not None
    grades = [g.name for g in standard.grades]
    by_score = str(len(grades))
    for index in range(len(grades) - 2, -1, -1):
        by_score = f"IF({total_cell}>={fmt(standard.grades[index].min)},{index + 1},{by_score})"
    shown = f"ROUND(ROUND({survey_cells.rate}*100,9),{survey.percent_places})"
    caps = [
        f"IF(AND(ISNUMBER({survey_cells.points}),ISNUMBER({survey_cells.rate})),"
        f"IF({shown}<{fmt(c.below * 100)},{grades.index(c.grade) + 1},1),1)"
        for c in survey.ceilings
    ]
    choose = f"CHOOSE(MAX({by_score},{','.join(caps)}),{','.join(_text(g) for g in grades)})"
    valid = ",".join(native_veto_valid(c) for c in veto_cells)
    vetoed = ",".join(native_veto_yes(c) for c in veto_cells)
    native = (
        f"IF(AND(ISNUMBER({total_cell}),{valid}),"
        f"IF(OR({vetoed}),{_text(standard.veto_grade)},{choose}),{_text(PENDING)})"
    )
    rate = f'IF(ISNUMBER({survey_cells.points}),{survey_cells.rate},"")'
    udf = f"{UDF_GRADE}({total_cell},{veto_block},{_text(formula_key(standard))},{rate})"
    return _formula(mode, udf, native)


def survey_cells_by_name(standard: Standard, a1: Callable[[str], str]) -> SurveyCells:
    """The tally's cells of a branch sheet, found by their defined names (``a1`` gives a
    name's A1 reference)."""
    from workbook.core import names

    survey = standard.survey
    assert survey is not None
    rule = standard.rule(survey.rule_id)
    return SurveyCells(
        issued=a1(names.SURVEY_ISSUED),
        returned=a1(names.SURVEY_RETURNED),
        counts=tuple(tuple(a1(n) for n in row) for row in names.survey_count_names(standard)),
        rates=tuple(a1(names.survey_rate_name(q)) for q in range(1, len(survey.questions) + 1)),
        valid=a1(names.SURVEY_VALID),
        rate=a1(names.SURVEY_RATE),
        points=a1(names.SURVEY_POINTS),
        deduction=a1(names.SURVEY_DEDUCTION),
        check=a1(names.SURVEY_CHECK),
        rule_deduction=a1(names.deduction_name(rule)),
        rule_note=a1(names.note_name(rule)),
    )


def survey_formulas_by_name(
    mode: FormulaMode, standard: Standard, cells: SurveyCells
) -> dict[str, str]:
    """``survey_formulas`` keyed by the computed cells' defined names."""
    from workbook.core import names

    survey = standard.survey
    assert survey is not None
    by_cell = {
        cells.rates[q - 1]: names.survey_rate_name(q) for q in range(1, len(cells.rates) + 1)
    }
    by_cell |= {
        cells.valid: names.SURVEY_VALID,
        cells.rate: names.SURVEY_RATE,
        cells.points: names.SURVEY_POINTS,
        cells.deduction: names.SURVEY_DEDUCTION,
        cells.check: names.SURVEY_CHECK,
    }
    return {by_cell[c]: f for c, f in survey_formulas(mode, standard, cells).items()}


def bonus_check_formula(standard: Standard, rule: Rule, cell: str) -> str:
    """Formula of a bonus rule's 检查 cell, built-in in both modes (the UDFs know only the items)."""
    return check_formula("native", standard, rule, cell)


def bonus_score_formula(standard: Standard, rules: tuple[Rule, ...], cells: list[str]) -> str:
    """Formula of the counted 加分 cell: the sum of the awards up to the cap, or 输入有误.
    Built-in in both modes."""
    assert standard.bonus is not None
    places = standard.max_decimal_places
    block = f"{cells[0]}:{cells[-1]}"
    checks = ",".join(native_rule_valid(r, c, places) for r, c in zip(rules, cells, strict=True))
    cap = fmt(standard.bonus.cap)
    return f"=IF(AND({checks}),MIN({cap},ROUND(SUM({block}),{places})),{_text(INVALID)})"


def total_with_bonus_formula(standard: Standard, score_cells: list[str], bonus_cell: str) -> str:
    """Formula of 合计得分 with a bonus section: the item scores plus the counted bonus, or
    待修正 while either is invalid. Built-in in both modes."""
    cells = ",".join(score_cells)
    places = standard.max_decimal_places
    return (
        f"=IF(AND(COUNT({cells})={len(score_cells)},ISNUMBER({bonus_cell})),"
        f"ROUND(SUM({cells})+{bonus_cell},{places}),{_text(PENDING)})"
    )
