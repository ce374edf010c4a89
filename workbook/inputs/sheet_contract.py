"""Checks of a workbook's sheets against the contract, shared by ``consolidate`` and ``recalc``.

Pure functions of what a reader found (names, cells, values); each problem names the sheet and,
where there is one, the cell. They catch what spreadsheet programs do to a sheet as people use
them: a cut and pasted cell carries its name along (two names on one cell, or a name outside
the table), a sheet copied with Ctrl+A/Ctrl+V carries no names, a row inserted inside an item
holds a number no name reads, last year's sheet is copied into this year's workbook.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from workbook.core import names
from workbook.core.cells import (
    FILL_NUMBER,
    FILL_TEXT,
    FILL_YES_NO,
    CellError,
    CellRef,
    UncachedFormula,
    describe,
    error_value_message,
    formula_warning,
    uncached_formula_message,
)
from workbook.core.layout import TABLE_HEADERS
from workbook.core.problems import Problem
from workbook.core.standard import Standard
from workbook.xlsx.cells import MergedRange, hidden_cells
from workbook.xlsx.properties import year_number

TYPE_DO_NOT_MOVE = (
    "请直接在正确的单元格中输入数值，不要剪切、粘贴或拖动单元格（移动单元格会把名称一起移走）；"
    "可用 Ctrl+Z 撤销移动，或在模板的新副本中重新填写该工作表"
)
ADD_BRANCH_PROPERLY = (
    "新增支部请右键单击已有的支部工作表标签，选“移动或复制”并勾选“建立副本”，"
    "再把副本中的支部名称改为新支部的名称，"
    "或用“branch-assess template”生成；用 Ctrl+A、Ctrl+C、Ctrl+V 复制的内容不带名称，不会被计分"
)
TITLE_MARK = "考评定级表"
# A copied branch sheet has its table headers within these rows (pasted a few rows down, too).
LOOKALIKE_ROWS = 40


def is_contract_name(name: str) -> bool:
    """True for a defined name the contract gives a branch sheet (any standard)."""
    try:
        return _contract_name_memo[name]
    except KeyError:
        if len(_contract_name_memo) >= _NAME_MEMO_KEPT:
            _contract_name_memo.clear()
        found = _contract_name_memo[name] = name in _FIXED_NAMES or name.startswith(_NAME_PREFIXES)
        return found


# Every copy of a template has the same names: each is classified once (bounded).
_contract_name_memo: dict[str, bool] = {}
_output_name_memo: dict[str, bool] = {}
_NAME_MEMO_KEPT = 8192


_FIXED_NAMES = frozenset(
    {
        names.BRANCH_NAME,
        names.YEAR,
        names.ASSESSOR,
        names.ASSESS_DATE,
        names.TOTAL_SCORE,
        names.GRADE,
    }
)
_NAME_PREFIXES = (
    "ded_",
    "note_",
    "check_",
    "veto_",
    "item_",
    "self_",
    "cl_",
    "hint_",
    "survey_",
    "bonus_",
)
_OUTPUT_PREFIXES = (
    "check_",
    "veto_check_",
    "item_",
    "self_item_",
    "hint_",
    "survey_rate",
    "survey_valid",
    "survey_points",
    "survey_deduction",
    "survey_check",
    "bonus_check_",
    names.BONUS_SCORE,
)


def is_output_name(name: str) -> bool:
    """True for a name of a computed cell (scores, grade, 检查 cells, hints)."""
    try:
        return _output_name_memo[name]
    except KeyError:
        if len(_output_name_memo) >= _NAME_MEMO_KEPT:
            _output_name_memo.clear()
        found = _output_name_memo[name] = name in (
            names.TOTAL_SCORE,
            names.GRADE,
            names.SELF_TOTAL_SCORE,
            names.SELF_GRADE,
        ) or name.startswith(_OUTPUT_PREFIXES)
        return found


class _Names(NamedTuple):
    """A standard's contract names, worked out once (see ``_names_of``)."""

    required: tuple[str, ...]
    deductions: tuple[str, ...]
    notes: tuple[str, ...]
    vetoes: tuple[str, ...]


_names_cache: dict[int, tuple[Standard, _Names]] = {}


def _names_of(standard: Standard) -> _Names:
    """The names of ``standard``'s contract, cached by identity (hashing a standard hashes
    every item and rule); each entry keeps its standard alive, so an id is never reused."""
    entry = _names_cache.get(id(standard))
    if entry is None:
        entry = _names_cache[id(standard)] = (
            standard,
            _Names(
                tuple(names.required_names(standard)),
                tuple(names.deduction_name(r) for r in standard.rules),
                tuple(names.note_name(r) for r in standard.rules),
                tuple(names.veto_name(n) for n in range(1, len(standard.vetoes) + 1)),
            ),
        )
    return entry[1]


def contract_problems(
    sheet: str,
    local: Mapping[str, CellRef | None],
    standard: Standard,
    version: str | None = None,
) -> list[Problem]:
    """Where a sheet's names break the contract of ``standard`` (empty when they keep it).

    ``local`` holds every name scoped to the sheet: a cell of the sheet, a cell of another
    sheet, or None for a reference that is not a single cell. ``version`` is the workbook's
    template version: version 2 also requires the 自评 and checklist names.
    """
    # Branch sheets are copies of one template: a layout found clean once is clean again.
    key = (
        id(standard),
        version,
        tuple(
            (n, None if r is None else (r.row, r.col, r.sheet == sheet)) for n, r in local.items()
        ),
    )
    if key in _clean_layouts:
        return []
    problems = _contract_problems(sheet, local, standard, version)
    if not problems:
        if len(_clean_layouts) > 1024:
            _clean_layouts.clear()
        _clean_layouts.add(key)
    return problems


_clean_layouts: set[tuple[object, ...]] = set()


def _contract_problems(
    sheet: str, local: Mapping[str, CellRef | None], standard: Standard, version: str | None
) -> list[Problem]:
    problems: list[Problem] = []
    required = _names_of(standard).required + tuple(names.version_names(standard, version))
    if version in (None, "1"):
        # The 群众测评 tally came with template version 2: a version-1 sheet has none and is
        # read, recalculated and consolidated as before (rule 7.1 typed by the assessor).
        survey = set(names.survey_input_names(standard) + names.survey_output_names(standard))
        required = tuple(n for n in required if n not in survey)
    contract = [n for n in local if is_contract_name(n)]
    if names.BRANCH_NAME not in local and contract:
        shown = "、".join(contract[:5]) + ("等" if len(contract) > 5 else "")
        problems.append(
            Problem(
                f"工作表带有考评定级表的部分名称（{shown}，共 {len(contract)} 个），"
                f"但没有 {names.BRANCH_NAME}，不是完整的支部工作表，未计分；{ADD_BRANCH_PROPERLY}"
            )
        )
        return problems
    missing = [n for n in required if n not in local]
    if missing:
        shown = "、".join(missing[:8]) + ("等" if len(missing) > 8 else "")
        problems.append(
            Problem(
                f"缺少 {len(missing)} 个定义名称（{shown}），工作表结构可能被改动；请用模板重新填写"
            )
        )
    for name in contract:
        ref = local[name]
        if ref is None:
            problems.append(
                Problem(
                    f"名称 {name} 不指向单个单元格（引用已失效，如“#REF!”）；{TYPE_DO_NOT_MOVE}"
                )
            )
        elif ref.sheet != sheet:
            problems.append(
                Problem(
                    f"名称 {name} 指向另一工作表的单元格 {ref.label}，不在本工作表内；{TYPE_DO_NOT_MOVE}"
                )
            )
    own = {n: ref for n, ref in local.items() if ref is not None and ref.sheet == sheet}
    shared = _shared_cells(own)
    problems += shared
    # A name that shares a cell is reported once, there.
    moved = {n for n, ref in own.items() if any(p.cell == ref.a1 for p in shared)}
    left = {n: r for n, r in own.items() if n not in moved}
    problems += _outside_table(left, standard)
    if version == "2":
        problems += _self_outside_table(left, standard)
        if standard.checklist is not None:
            problems += _checklist_outside_table(left, standard)
    return problems


def _shared_cells(own: Mapping[str, CellRef]) -> list[Problem]:
    by_cell: dict[CellRef, list[str]] = {}
    for name, ref in own.items():
        if is_contract_name(name):
            by_cell.setdefault(ref, []).append(name)
    return [
        Problem(
            f"名称 {' 和 '.join(shared)} 指向同一个单元格 {ref.label}（单元格很可能被剪切后粘贴到这里，"
            f"同一个值会被计算两次）；{TYPE_DO_NOT_MOVE}",
            cell=ref.a1,
        )
        for ref, shared in by_cell.items()
        if len(shared) > 1
    ]


def _outside_table(own: Mapping[str, CellRef], standard: Standard) -> list[Problem]:
    """Input names that left their column, their row order or their rule's row."""
    contract = _names_of(standard)
    deductions, notes, vetoes = contract.deductions, contract.notes, contract.vetoes
    problems: list[Problem] = []
    flagged: set[str] = set()

    def column_of(group: Sequence[str]) -> int | None:
        columns = Counter(own[n].col for n in group if n in own)
        return columns.most_common(1)[0][0] if columns else None

    input_column = column_of(deductions + vetoes)
    note_column = column_of(notes)
    for group, column, what in (
        (deductions + vetoes, input_column, "扣分"),
        (notes, note_column, "扣分说明"),
    ):
        for name in group:
            ref = own.get(name)
            if ref is not None and column is not None and ref.col != column:
                flagged.add(name)
                problems.append(
                    Problem(
                        f"名称 {name} 指向 {ref.label}，不在考评表的“{what}”栏内；{TYPE_DO_NOT_MOVE}",
                        cell=ref.a1,
                    )
                )
    # Rows: deductions in rule order, the vetoes after them in order; a note on its rule's row.
    previous: tuple[str, CellRef] | None = None
    for name in deductions + vetoes:
        ref = own.get(name)
        if ref is None or name in flagged:
            continue
        if previous is not None and ref.row <= previous[1].row:
            flagged.add(name)
            problems.append(
                Problem(
                    f"名称 {name} 指向 {ref.label}，在 {previous[0]}（{previous[1].label}）之上或同一行，"
                    f"不在考评表中它应在的行；{TYPE_DO_NOT_MOVE}",
                    cell=ref.a1,
                )
            )
            continue
        previous = (name, ref)
    for deduction, note in zip(deductions, notes, strict=True):
        ded_ref, note_ref = own.get(deduction), own.get(note)
        if ded_ref is None or note_ref is None or {deduction, note} & flagged:
            continue
        if ded_ref.row != note_ref.row:
            problems.append(
                Problem(
                    f"名称 {note} 指向 {note_ref.label}，与扣分单元格 {ded_ref.label} 不在同一行，"
                    f"不在考评表中它应在的位置；{TYPE_DO_NOT_MOVE}",
                    cell=note_ref.a1,
                )
            )
    return problems


def _moved(name: str, ref: CellRef, where: str) -> Problem:
    return Problem(f"名称 {name} 指向 {ref.label}，{where}；{TYPE_DO_NOT_MOVE}", cell=ref.a1)


def _in_column(
    own: Mapping[str, CellRef], group: Sequence[str], what: str, flagged: set[str]
) -> list[Problem]:
    """The names of ``group`` outside the column most of them are in (named ``what``)."""
    columns = Counter(own[n].col for n in group if n in own)
    if not columns:
        return []
    column = columns.most_common(1)[0][0]
    problems = []
    for name in group:
        ref = own.get(name)
        if ref is not None and ref.col != column:
            flagged.add(name)
            problems.append(_moved(name, ref, f"不在{what}栏内"))
    return problems


def _on_row_of(
    own: Mapping[str, CellRef],
    pairs: Iterable[tuple[str, str]],
    what: str,
    flagged: set[str],
) -> list[Problem]:
    """Each second name of ``pairs`` on the row of the first (named ``what``)."""
    problems = []
    for anchor, name in pairs:
        anchor_ref, ref = own.get(anchor), own.get(name)
        if anchor_ref is None or ref is None or {anchor, name} & flagged:
            continue
        if ref.row != anchor_ref.row:
            flagged.add(name)
            problems.append(
                _moved(name, ref, f"与{what} {anchor_ref.label} 不在同一行，不在它应在的位置")
            )
    return problems


def _self_outside_table(own: Mapping[str, CellRef], standard: Standard) -> list[Problem]:
    """自评 inputs (version 2) that left the 自评扣分 column or their rule's (veto's) row."""
    contract = _names_of(standard)
    own_inputs = names.self_input_names(standard)  # rules, then vetoes: as the committee's
    flagged: set[str] = set()
    problems = _in_column(own, own_inputs, "考评表的“自评扣分”", flagged)
    committee = contract.deductions + contract.vetoes
    problems += _on_row_of(own, zip(committee, own_inputs, strict=True), "考评扣分单元格", flagged)
    return problems


def _checklist_outside_table(own: Mapping[str, CellRef], standard: Standard) -> list[Problem]:
    """自查表 answers and notes (version 2) that left their column, their order or their
    entry's row."""
    checklist = standard.checklist
    assert checklist is not None
    answers = [names.checklist_name(e) for e in checklist.entries]
    notes = [names.checklist_note_name(e) for e in checklist.entries]
    flagged: set[str] = set()
    problems = _in_column(own, answers, "自查表的“是/否”", flagged)
    problems += _in_column(own, notes, "自查表的“说明”", flagged)
    previous: tuple[str, CellRef] | None = None
    for name in answers:
        ref = own.get(name)
        if ref is None or name in flagged:
            continue
        if previous is not None and ref.row <= previous[1].row:
            flagged.add(name)
            problems.append(
                _moved(
                    name,
                    ref,
                    f"在 {previous[0]}（{previous[1].label}）之上或同一行，不在自查表中它应在的行",
                )
            )
            continue
        previous = (name, ref)
    problems += _on_row_of(own, zip(answers, notes, strict=True), "自查单元格", flagged)
    return problems


def input_area(cells: Mapping[str, CellRef], standard: Standard) -> tuple[int, int, int] | None:
    """(column, first row, last row) of the 扣分 column from the first deduction to the last
    veto cell: every filled cell there must be a named input."""
    contract = _names_of(standard)
    refs = [cells[n] for n in contract.deductions + contract.vetoes if n in cells]
    if not refs:
        return None
    column = Counter(ref.col for ref in refs).most_common(1)[0][0]
    return column, min(ref.row for ref in refs), max(ref.row for ref in refs)


def stray_inputs(
    sheet: str,
    cells: Mapping[str, CellRef],
    filled: Iterable[tuple[int, int]],
) -> list[Problem]:
    """Filled cells of the input area that no name reads (a row inserted inside an item)."""
    named = {(ref.row, ref.col) for ref in cells.values()}
    return [
        Problem(
            f"{CellRef(sheet, row, col).label} 不在考评表的扣分栏内，未计分（可能是在项目中插入了行）；"
            "扣分只能填在考评表原有的扣分单元格中：请把它移到对应评分办法的“扣分”单元格"
            "（直接输入，不要剪切粘贴），并删除插入的行",
            cell=CellRef(sheet, row, col).a1,
        )
        for row, col in sorted(filled)
        if (row, col) not in named
    ]


def hidden_by_merge(
    cells: Mapping[str, CellRef], values: Mapping[str, object], merges: Sequence[MergedRange]
) -> list[Problem]:
    """Input cells that a merged range hides but that still hold a value.

    LibreOffice can merge cells and keep the contents of the hidden ones (Excel and WPS clear
    them): the sheet then shows one value while another, unseen, is scored. Each such cell is
    a problem naming it and the range, so the branch is not scored until the user sees it.
    """
    if not merges:
        return []
    small, large = hidden_cells(tuple(merges))
    problems = []
    for name, ref in cells.items():
        value = values.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        spot = (ref.row, ref.col)
        if spot not in small and not any(m.hides(*spot) for m in large):
            continue
        if is_output_name(name):
            continue
        merge = next((m for m in merges if m.hides(*spot)), None)
        if merge is not None:
            problems.append(
                Problem(
                    f"此单元格在合并单元格 {merge.ref} 中被遮住（只显示左上角单元格的内容），"
                    f"但仍有值“{describe(value)}”，看到的与计分的不一致；"
                    f"请取消合并单元格 {merge.ref}，核对 {ref.a1} 的值后再计分",
                    cell=ref.a1,
                )
            )
    return problems


def looks_like_branch_sheet(rows: Sequence[Sequence[object]]) -> bool:
    """True for a sheet with a branch sheet's table header row (项目及分值|评分指标|评分办法…)
    in its first ``LOOKALIKE_ROWS`` rows, in any column: the title is not needed, since a
    copy may be retitled, shifted or only the table (rows 4-33) pasted."""
    # The first four headers are the same in every template version.
    width = 4
    for row in rows[:LOOKALIKE_ROWS]:
        texts = [v.strip() if isinstance(v, str) else v for v in row]
        if TABLE_HEADERS[0] not in texts:
            continue
        for start in range(0, max(0, len(texts) - width + 1)):
            if tuple(texts[start : start + width]) == TABLE_HEADERS[:width]:
                return True
    return False


def lookalike_problem() -> Problem:
    """The problem of a sheet that looks like a branch sheet but carries no names."""
    return Problem(
        f"工作表看起来是支部考评定级表（有考评定级表的表头），但没有定义名称，未计分；{ADD_BRANCH_PROPERLY}"
    )


def year_problem(
    sheet: str,
    cell: CellRef | None,
    value: object,
    workbook_year: str | None,
) -> Problem | None:
    """A sheet's own 考评年度 that is no year, or differs from the workbook's ``kp_year``."""
    where = cell.a1 if cell else None
    if value is None:
        return None
    if isinstance(value, CellError | UncachedFormula):
        return Problem(f"考评年度：{_unusable(value)}", cell=where)
    number = year_number(value)
    if number is None:
        kind = "文字" if isinstance(value, str) else "值"
        return Problem(
            f"考评年度应为年份数字（如 2026），实际为{kind}“{describe(value)}”", cell=where
        )
    expected = year_number(workbook_year) if workbook_year is not None else None
    if expected is not None and number != expected:
        return Problem(
            f"本工作表的考评年度为 {number}，与工作簿的考评年度 {expected}（文档属性 {names.PROP_YEAR}）"
            "不同（可能是从其他年度的考评定级表复制来的），未计分；请把数据转填到本年度模板的支部工作表中",
            cell=where,
        )
    return None


def _unusable(value: CellError | UncachedFormula, fill: str = FILL_NUMBER) -> str:
    if isinstance(value, CellError):
        return error_value_message(value, fill)
    return uncached_formula_message(value, fill)


def unusable_cell_problems(
    cells: Mapping[str, CellRef], values: Mapping[str, object], wanted: Iterable[str]
) -> list[Problem]:
    """Error values and formulas without a result in cells the engine does not check
    (branch_name, assessor)."""
    problems = []
    for name in wanted:
        value = values.get(name)
        if isinstance(value, CellError | UncachedFormula) and name in cells:
            problems.append(
                Problem(f"名称 {name}：{_unusable(value, FILL_TEXT)}", cell=cells[name].a1)
            )
    return problems


_YES_NO_NAMES = re.compile(r"(self_)?veto_\d+|cl_(scope_)?\d+(_\d+)?")
_TEXT_NAMES = re.compile(r"(cl_|bonus_)?note_[\d_]+|branch_name|assessor|assess_date")


def _fill_for(name: str) -> str:
    """What a user should type in the input cell ``name`` instead of a formula."""
    if _YES_NO_NAMES.fullmatch(name):
        return FILL_YES_NO
    if _TEXT_NAMES.fullmatch(name):
        return FILL_TEXT
    return FILL_NUMBER


def formula_warnings(
    cells: Mapping[str, CellRef], formulas: Mapping[str, str], values: Mapping[str, object]
) -> list[Problem]:
    """One warning per input cell whose formula's result was used."""
    return [
        Problem(
            formula_warning(f, values.get(name), _fill_for(name)),
            cell=cells[name].a1 if name in cells else None,
        )
        for name, f in formulas.items()
        if not is_output_name(name) and name != names.YEAR
    ]
