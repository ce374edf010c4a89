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
"""

from __future__ import annotations

from typing import Literal

from workbook.core.scoring import INVALID, PENDING, VETO_SHORT_MESSAGE, short_message
from workbook.core.standard import Item, Rule, Standard, fmt
from workbook.core.standard_sections import Checklist, ChecklistEntry

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
    udf = f"{UDF_ITEM_SCORE}({block},{item.number},{_text(standard.id)})"
    return _formula(mode, udf, native)


def check_formula(mode: FormulaMode, standard: Standard, rule: Rule, cell: str) -> str:
    """Formula of a rule's 检查 cell: empty when valid, a short message otherwise."""
    valid = native_rule_valid(rule, cell, standard.max_decimal_places)
    native = f'IF({valid},"",{_text(short_message(rule))})'
    udf = f"{UDF_CHECK}({cell},{_text(rule.id)},{_text(standard.id)})"
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
    return _formula(mode, f"{UDF_TOTAL}({score_block},{_text(standard.id)})", native)


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
    udf = f"{UDF_GRADE}({total_cell},{veto_block},{_text(standard.id)})"
    return _formula(mode, udf, native)


# Template version 2: the 自评 cells beside the committee's, and the checklist hints.

SELF_PREFIX = "自评"
NOT_ASSESSED = "未自评"


def combined_check_formula(
    mode: FormulaMode, standard: Standard, rule: Rule, cell: str, self_cell: str
) -> str:
    """A version-2 检查 cell: the committee 扣分's message, then the 自评扣分's (自评输入有误：…),
    joined by "；" (``self_assessment.check_text``)."""
    valid = native_rule_valid(rule, cell, standard.max_decimal_places)
    committee = _expression(
        mode,
        f"{UDF_CHECK}({cell},{_text(rule.id)},{_text(standard.id)})",
        f'IF({valid},"",{_text(short_message(rule))})',
    )
    own_valid = native_rule_valid(rule, self_cell, standard.max_decimal_places)
    udf = f"{UDF_CHECK}({self_cell},{_text(rule.id)},{_text(standard.id)})"
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
