"""One branch's raw inputs and the parsers of one raw input value, with their messages.

What the engine (``core.scoring``) and the 群众测评 tally (``core.survey``) both read: the
values exactly as a reader found them (``RawBranchInputs``, ``RawSurvey``) and how one 扣分,
加分, 否决情形 or 扣分说明 value becomes a number, a yes/no or a text, or a ``CellValueError``
that says why not. ``core.scoring`` re-exports every name, so callers import them from there.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from workbook.core.cells import (
    FILL_NUMBER,
    FILL_YES_NO,
    CellError,
    UncachedFormula,
    describe,
    error_value_message,
    uncached_formula_message,
)
from workbook.core.standard import Rule, fmt
from workbook.errors import CellValueError

__all__ = [
    "INVALID",
    "NO",
    "VETO_SHORT_MESSAGE",
    "YES",
    "RawBranchInputs",
    "RawSurvey",
    "display_value",
    "note_text",
    "parse_award",
    "parse_deduction",
    "parse_veto",
    "short_message",
    "why_unusable",
]

INVALID = "输入有误"  # shown instead of an item score while its inputs are invalid
YES, NO = "是", "否"


def short_message(rule: Rule) -> str:
    """The few words a cell shows for an invalid deduction, e.g. ``输入有误：应为0或15``."""
    return f"{INVALID}：应为{rule.range_label}"


VETO_SHORT_MESSAGE = f"{INVALID}：应为是或否"


def display_value(raw: object) -> str:
    """A raw cell value as the user typed it, for messages (``cells.describe``)."""
    return describe(raw)


def why_unusable(raw: object, fill: str = FILL_NUMBER) -> str | None:
    """Why a cell value that is no input at all (an error value, a formula without a result)
    cannot be read; None for any other value (``fill``: what to type instead)."""
    if isinstance(raw, CellError):
        return error_value_message(raw, fill)
    if isinstance(raw, UncachedFormula):
        return uncached_formula_message(raw, fill)
    return None


def parse_deduction(rule: Rule, raw: object, max_places: int = 2) -> Decimal:
    """Turn one raw 扣分 cell value into an allowed deduction (``_parse_points``)."""
    return _parse_points(rule, raw, max_places, "扣分", "规则")


def parse_award(rule: Rule, raw: object, max_places: int = 2) -> Decimal:
    """Turn one raw 加分 cell value of a bonus rule into an allowed award (``_parse_points``)."""
    return _parse_points(rule, raw, max_places, "加分", "加分规则")


def _parse_points(rule: Rule, raw: object, max_places: int, word: str, label: str) -> Decimal:
    """Turn one raw 扣分 (or 加分: ``word``) cell value into a value the rule allows.

    Blank (``None`` or ``""``) means 0. Numbers must fit the rule: fixed rules take 0 or exactly
    their points, ranged rules 0 or any value in the range, with at most ``max_places`` decimals.

    Raises:
        CellValueError: text, a boolean, a date, a negative number, a value the rule does not
            allow, an error value or a formula whose result the file does not hold.
    """
    if raw is None or raw == "":
        return Decimal(0)

    def rejected(problem: str) -> CellValueError:
        # Messages are built only on failure: valid cells are the hot path of consolidation.
        return CellValueError(
            f"{label} {rule.id}“{rule.wording}”：{problem}；"
            f"允许的值：{rule.allowed_text}（空白视为 0）",
            short_message(rule),
        )

    unusable = why_unusable(raw)
    if unusable is not None:
        raise rejected(unusable)
    if isinstance(raw, (bool, _dt.date | _dt.time | _dt.timedelta)):
        raise rejected(f"{word}应为数字，实际为“{display_value(raw)}”")
    if isinstance(raw, str):
        raise rejected(f"{word}应为数字，实际填写了文字“{raw}”{_number_text_hint(raw)}")
    if isinstance(raw, float) and not math.isfinite(raw):
        raise rejected(f"{word}应为数字，实际为“{raw}”")
    try:
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise rejected(f"{word}应为数字，实际为“{display_value(raw)}”") from None
    if not value.is_finite():
        raise rejected(f"{word}应为数字，实际为“{display_value(raw)}”")
    # A number within 1E-9 of one with at most ``max_places`` decimals is that number: what a
    # sum such as =0.1+0.2 leaves in a cell (0.30000000000000004). The built-in formulas of
    # the template follow the same rule (workbook/core/formulas.py).
    try:
        rounded = value.quantize(_QUANTUM[max_places])
    except InvalidOperation:  # far too large for any rule: rejected below
        rounded = value
    close = abs(value - rounded) < _NOISE
    if close:
        value = rounded
    if value < 0:
        raise rejected(f"{word}不能为负数（{_shown(value)}）")
    if not rule.allows(value):
        raise rejected(f"{word} {_shown(value)} 不符合此规则")
    if not close:
        raise rejected(f"{word} {_shown(value)} 的小数超过 {max_places} 位")
    return value


def _shown(value: Decimal) -> str:
    """A number for a message: as ``fmt`` writes it, except a huge one, which a spreadsheet
    shows as 1E+300 and ``fmt`` would write with 300 digits."""
    if value.is_finite() and value.adjusted() >= 15:
        return format(value.normalize(), "E")
    return fmt(value)


def _number_text_hint(text: str) -> str:
    """What is wrong with a text that reads as a number (the cell shows 2, yet holds the text
    "2"), and what to type instead; "" for any other text."""
    plain = unicodedata.normalize("NFKC", text).strip()
    unit = plain.endswith("分")
    if unit:
        plain = plain[:-1].strip()
    if not re.fullmatch(r"\d+(\.\d*)?|\.\d+", plain):
        return ""  # not a plain non-negative number (a sign, an exponent, a word): no advice
    if unit:
        why = "带了“分”字"
    elif plain != text.strip():
        why = "用了全角数字"
    elif plain != text:
        why = "前后有空格"
    else:
        why = "可能是单元格格式为“文本”，或从别处粘贴而来"
    return f"（这是文字形式的数字，{why}；请直接输入数字 {plain}）"


_NOISE = Decimal("1E-9")
_QUANTUM = {places: Decimal(1).scaleb(-places) for places in range(0, 5)}


def parse_veto(raw: object) -> bool:
    """Turn one raw 否决情形 cell value into True (是) or False (否).

    Blank means 否; Excel booleans TRUE/FALSE are accepted.

    Raises:
        CellValueError: anything else.
    """
    if raw is None or raw == "" or raw == NO or raw is False:
        return False
    if raw == YES or raw is True:
        return True
    unusable = why_unusable(raw, FILL_YES_NO)
    if unusable is not None:
        raise CellValueError(f"否决情形应填“是”或“否”：{unusable}", VETO_SHORT_MESSAGE)
    hint = ""
    if isinstance(raw, str) and unicodedata.normalize("NFKC", raw).strip() in (YES, NO):
        hint = "（前后多了空格，请删去）"
    raise CellValueError(
        f"否决情形应填“是”或“否”（空白视为“否”），实际填写“{display_value(raw)}”{hint}",
        VETO_SHORT_MESSAGE,
    )


@dataclass(frozen=True)
class RawBranchInputs:
    """One branch's input cells exactly as read (None or "" for blanks)."""

    deductions: Mapping[str, object]  # rule id -> raw value
    notes: Mapping[str, object] = field(default_factory=dict)  # rule id -> raw value
    vetoes: Sequence[object] = ()  # one raw value per veto condition, in order
    survey: RawSurvey | None = None  # the 群众测评 tally cells, on a standard with a survey
    awards: Mapping[str, object] = field(default_factory=dict)  # bonus rule id (B.1) -> raw value
    award_notes: Mapping[str, object] = field(default_factory=dict)  # bonus rule id -> raw value


@dataclass(frozen=True)
class RawSurvey:
    """A branch's tally cells exactly as read: issued, returned, per question answer -> count."""

    issued: object = None
    returned: object = None
    counts: Sequence[Mapping[str, object]] = ()


def note_text(raw: object) -> str:
    """A 扣分说明 cell as text (blank is empty)."""
    if raw is None:
        return ""
    return display_value(raw).strip()
