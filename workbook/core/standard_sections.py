"""The optional sections of a standard file: the survey (群众测评), the construction checklist
(规范化建设自查表) and the publication (公示) texts.

Only the data model and its validation live here; the computations are in ``survey.py``,
``checklist.py`` and ``workdays.py``. The loader in ``standard.py`` calls the ``parse_*``
functions after it has read the items, and passes what they must agree with (rules, grades).
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, cast

from workbook.core.exact import ROUNDING_MODES, RoundingMode
from workbook.core.tomlvalues import (
    bool_at,
    check_known_keys,
    choice_at,
    decimal_at,
    fmt,
    int_at,
    optional_text_at,
    places_of,
    problem,
    table_at,
    tables_at,
    text_at,
    texts_at,
)

SurveyMethod = Literal["rate", "weighted", "bands"]
SURVEY_METHODS: tuple[SurveyMethod, ...] = ("rate", "weighted", "bands")


@dataclass(frozen=True)
class SurveyAnswer:
    """One answer a respondent can tick, e.g. 基本满意."""

    text: str
    weight: Decimal | None  # 0..100 for the weighted score; None for an excluded answer
    satisfied: bool  # counts in the numerator of 满意率
    excluded: bool  # left out of the valid votes (不了解)


@dataclass(frozen=True)
class SurveyBand:
    """``method = "bands"``: an overall 满意率 from ``min_rate`` up gives ``deduction``."""

    min_rate: Decimal  # 0..1
    deduction: Decimal


@dataclass(frozen=True)
class GradeCeiling:
    """A branch whose overall 满意率 is below ``below`` gets at best ``grade``."""

    below: Decimal  # 0..1
    grade: str


@dataclass(frozen=True)
class Survey:
    """How a tally of ballots becomes points of one rule (e.g. rule 7.1 群众反映)."""

    name: str  # what the standard calls the survey, e.g. 群众测评 (used in messages)
    rule_id: str
    full_points: Decimal  # the rule's largest deduction: the points the tally distributes
    questions: tuple[str, ...]
    answers: tuple[SurveyAnswer, ...]
    method: SurveyMethod
    step: Decimal  # points are rounded to a multiple of this
    rounding: RoundingMode
    min_valid: int  # fewest valid ballots (per question) that give points
    percent_places: int  # decimals of a percentage in texts (92.0%)
    note: str  # the 扣分说明 text, with {rate} {valid} {points} {deduction}
    bands: tuple[SurveyBand, ...]  # highest min_rate first; only for method "bands"
    ceilings: tuple[GradeCeiling, ...]  # empty: no grade ceiling

    @property
    def valid_answers(self) -> tuple[SurveyAnswer, ...]:
        """The answers that count as valid votes."""
        return tuple(a for a in self.answers if not a.excluded)

    def answer(self, text: str) -> SurveyAnswer:
        """The answer with this text; KeyError if there is none."""
        for answer in self.answers:
            if answer.text == text:
                return answer
        raise KeyError(text)


NOTE_FIELDS = frozenset({"rate", "valid", "points", "deduction"})


def _placeholders(text: str, allowed: frozenset[str], where: str) -> None:
    """Reject a text template with an unknown ``{field}`` or broken braces."""
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:
        raise problem(where, f"中的花括号不成对（{error}）") from None
    unknown = sorted(fields - allowed)
    if unknown:
        raise problem(
            where,
            f"中有未知的占位符 {'、'.join('{' + u + '}' for u in unknown)}"
            f"（可用：{'、'.join('{' + a + '}' for a in sorted(allowed))}）",
        )


def _rate(data: dict[str, Any], key: str, where: str) -> Decimal:
    value = decimal_at(data, key, where)
    if not 0 <= value <= 1:
        raise problem(where, f"应为 0 到 1 之间的比率（如 0.9 表示 90%），实际为 {fmt(value)}")
    return value


def parse_survey(
    raw: dict[str, Any],
    rules: Mapping[str, tuple[str, Decimal, Decimal]],
    grades: tuple[str, ...],
    max_places: int,
) -> Survey:
    """Build and validate the ``[survey]`` section.

    Args:
        raw: the section's table.
        rules: rule id -> (kind, min, max) of every rule of the standard.
        grades: the grade names, highest first.
        max_places: the standard's ``max_decimal_places`` (a deduction may have no more).

    Raises:
        StandardFileError: naming the key that is wrong.
    """
    check_known_keys(
        raw,
        {
            "name",
            "rule",
            "questions",
            "answers",
            "method",
            "step",
            "rounding",
            "min_valid",
            "percent_places",
            "note",
            "bands",
            "ceilings",
        },
        "[survey]",
    )
    rule_id = text_at(raw, "rule", "survey.rule")
    if rule_id not in rules:
        raise problem("survey.rule", f"“{rule_id}”不是本标准的规则编号")
    kind, low, high = rules[rule_id]
    if kind != "range" or low != 0:
        raise problem(
            "survey.rule",
            f"应指向下限为 0 的区间规则（测评得出的扣分可为任意值），规则 {rule_id} 不是",
        )

    answers: list[SurveyAnswer] = []
    for index, item in enumerate(tables_at(raw, "answers", "survey.answers"), start=1):
        where = f"survey.answers[{index}]"
        check_known_keys(item, {"text", "weight", "satisfied", "excluded"}, where)
        text = text_at(item, "text", f"{where}.text")
        excluded = bool_at(item, "excluded", f"{where}.excluded", default=False)
        satisfied = bool_at(item, "satisfied", f"{where}.satisfied", default=False)
        weight: Decimal | None = None
        if excluded:
            if "weight" in item or satisfied:
                raise problem(
                    where, "不计入有效票（excluded = true），不应再有 weight 或 satisfied"
                )
        else:
            weight = decimal_at(item, "weight", f"{where}.weight")
            if not 0 <= weight <= 100:
                raise problem(f"{where}.weight", f"应在 0 到 100 之间，实际为 {fmt(weight)}")
        answers.append(SurveyAnswer(text, weight, satisfied, excluded))
    if len({a.text for a in answers}) != len(answers):
        raise problem("survey.answers", "中有重复的答案文字")
    if not any(a.satisfied for a in answers):
        raise problem("survey.answers", "中至少要有一个计入满意率的答案（satisfied = true）")
    if all(a.satisfied for a in answers if not a.excluded):
        raise problem("survey.answers", "中至少要有一个不计入满意率的有效答案（如“不满意”）")

    method = cast(SurveyMethod, choice_at(raw, "method", "survey.method", SURVEY_METHODS))
    step = decimal_at(raw, "step", "survey.step")
    if step <= 0 or places_of(step) > max_places:
        raise problem("survey.step", f"应大于 0 且最多 {max_places} 位小数，实际为 {fmt(step)}")
    if (high / step).to_integral_value() != high / step:
        raise problem("survey.step", f"{fmt(step)} 应能整除规则 {rule_id} 的最大扣分 {fmt(high)}")
    rounding = cast(RoundingMode, choice_at(raw, "rounding", "survey.rounding", ROUNDING_MODES))
    min_valid = int_at(raw, "min_valid", "survey.min_valid", minimum=1)
    percent_places = int_at(raw, "percent_places", "survey.percent_places", minimum=0)
    if percent_places > 4:
        raise problem("survey.percent_places", f"应为 0 到 4 的整数，实际为 {percent_places}")
    note = text_at(raw, "note", "survey.note")
    _placeholders(note, NOTE_FIELDS, "survey.note")

    bands: list[SurveyBand] = []
    for index, item in enumerate(
        tables_at(raw, "bands", "survey.bands", required=method == "bands"), start=1
    ):
        where = f"survey.bands[{index}]"
        check_known_keys(item, {"min_rate", "deduction"}, where)
        deduction = decimal_at(item, "deduction", f"{where}.deduction")
        if not 0 <= deduction <= high or places_of(deduction) > max_places:
            raise problem(
                f"{where}.deduction",
                f"应在 0 到 {fmt(high)} 之间且最多 {max_places} 位小数，实际为 {fmt(deduction)}",
            )
        bands.append(SurveyBand(_rate(item, "min_rate", f"{where}.min_rate"), deduction))
    if bands and method != "bands":
        raise problem("survey.bands", f'只用于 method = "bands"，本标准的 method 为 "{method}"')
    if bands:
        if any(a.min_rate <= b.min_rate for a, b in itertools.pairwise(bands)):
            raise problem("survey.bands", "应按 min_rate 从高到低排列，且互不相同")
        if bands[-1].min_rate != 0:
            raise problem("survey.bands", "最后一档的 min_rate 应为 0")
        if any(a.deduction > b.deduction for a, b in itertools.pairwise(bands)):
            raise problem("survey.bands", "满意率越低，扣分应越多（或相同）")

    ceilings: list[GradeCeiling] = []
    for index, item in enumerate(
        tables_at(raw, "ceilings", "survey.ceilings", required=False), start=1
    ):
        where = f"survey.ceilings[{index}]"
        check_known_keys(item, {"below", "grade"}, where)
        grade = text_at(item, "grade", f"{where}.grade")
        if grade not in grades:
            raise problem(f"{where}.grade", f"“{grade}”不是已定义的等级（{'、'.join(grades)}）")
        ceilings.append(GradeCeiling(_rate(item, "below", f"{where}.below"), grade))

    return Survey(
        name=text_at(raw, "name", "survey.name"),
        rule_id=rule_id,
        full_points=high,
        questions=texts_at(raw, "questions", "survey.questions"),
        answers=tuple(answers),
        method=method,
        step=step,
        rounding=rounding,
        min_valid=min_valid,
        percent_places=percent_places,
        note=note,
        bands=tuple(bands),
        ceilings=tuple(ceilings),
    )


@dataclass(frozen=True)
class ChecklistEntry:
    """One line of the checklist, answered 是/否."""

    key: str  # "<section>.<entry>", 1-based, e.g. "4.2"
    text: str  # verbatim from the notice
    label: str  # what a sheet shows; the text unless the file gives one
    rule_id: str | None  # the rule a missing entry bears on
    hint: str | None  # shown beside that rule; the rule's wording unless the file gives one
    scope: str | None  # only branches of this kind (e.g. 分会支部) answer it
    choice: bool  # one of the section's "choose about N" entries


@dataclass(frozen=True)
class ChecklistChoice:
    """A section's "choose about ``count`` of the ``choice`` entries" requirement."""

    count: int
    text: str  # verbatim, e.g. 可从中选择5项左右制度形成一个板块上墙
    rule_id: str | None
    hint: str | None


@dataclass(frozen=True)
class ChecklistSection:
    """One section of the checklist, e.g. 建立标准化活动场所."""

    number: int
    name: str
    entries: tuple[ChecklistEntry, ...]
    choice: ChecklistChoice | None


@dataclass(frozen=True)
class Checklist:
    """The construction checklist (规范化建设自查表)."""

    title: str
    yes: str
    no: str
    scopes: tuple[str, ...]  # kinds of branch some entries apply to only
    sections: tuple[ChecklistSection, ...]

    @property
    def entries(self) -> tuple[ChecklistEntry, ...]:
        """Every entry, in order."""
        return tuple(entry for section in self.sections for entry in section.entries)


def _rule_and_hint(
    raw: dict[str, Any], where: str, rules: Mapping[str, str]
) -> tuple[str | None, str | None]:
    rule_id = optional_text_at(raw, "rule", f"{where}.rule")
    hint = optional_text_at(raw, "hint", f"{where}.hint")
    if rule_id is None:
        if hint is not None:
            raise problem(f"{where}.hint", "需要同时给出 rule（提示显示在哪条规则旁）")
        return None, None
    if rule_id not in rules:
        raise problem(f"{where}.rule", f"“{rule_id}”不是本标准的规则编号")
    return rule_id, hint if hint is not None else rules[rule_id]


def parse_checklist(raw: dict[str, Any], rules: Mapping[str, str]) -> Checklist:
    """Build and validate the ``[checklist]`` section.

    Args:
        raw: the section's table.
        rules: rule id -> wording of every rule of the standard.
    """
    check_known_keys(raw, {"title", "yes", "no", "scopes", "sections"}, "[checklist]")
    scopes = texts_at(raw, "scopes", "checklist.scopes") if "scopes" in raw else ()
    yes = text_at(raw, "yes", "checklist.yes")
    no = text_at(raw, "no", "checklist.no")
    if yes == no:
        raise problem("checklist.no", "不能与 checklist.yes 相同")
    sections: list[ChecklistSection] = []
    for number, raw_section in enumerate(tables_at(raw, "sections", "checklist.sections"), start=1):
        where = f"checklist.sections[{number}]"
        check_known_keys(raw_section, {"name", "entries", "choose"}, where)
        entries: list[ChecklistEntry] = []
        for index, raw_entry in enumerate(
            tables_at(raw_section, "entries", f"{where}.entries"), start=1
        ):
            ewhere = f"{where}.entries[{index}]"
            check_known_keys(
                raw_entry, {"text", "label", "rule", "hint", "scope", "choice"}, ewhere
            )
            text = text_at(raw_entry, "text", f"{ewhere}.text")
            scope = optional_text_at(raw_entry, "scope", f"{ewhere}.scope")
            if scope is not None and scope not in scopes:
                raise problem(
                    f"{ewhere}.scope",
                    f"“{scope}”未在 checklist.scopes 中列出（{'、'.join(scopes)}）",
                )
            rule_id, hint = _rule_and_hint(raw_entry, ewhere, rules)
            entries.append(
                ChecklistEntry(
                    key=f"{number}.{index}",
                    text=text,
                    label=optional_text_at(raw_entry, "label", f"{ewhere}.label") or text,
                    rule_id=rule_id,
                    hint=hint,
                    scope=scope,
                    choice=bool_at(raw_entry, "choice", f"{ewhere}.choice", default=False),
                )
            )
        choice: ChecklistChoice | None = None
        choosers = [e for e in entries if e.choice]
        if "choose" in raw_section:
            raw_choice = table_at(raw_section, "choose", f"{where}.choose")
            check_known_keys(raw_choice, {"count", "text", "rule", "hint"}, f"{where}.choose")
            count = int_at(raw_choice, "count", f"{where}.choose.count", minimum=1)
            if count > len(choosers):
                raise problem(
                    f"{where}.choose.count",
                    f"为 {count}，多于可选的条目数 {len(choosers)}（choice = true 的条目）",
                )
            rule_id, hint = _rule_and_hint(raw_choice, f"{where}.choose", rules)
            choice = ChecklistChoice(
                count, text_at(raw_choice, "text", f"{where}.choose.text"), rule_id, hint
            )
        elif choosers:
            raise problem(where, "有 choice = true 的条目，但没有 choose 要求")
        sections.append(
            ChecklistSection(
                number, text_at(raw_section, "name", f"{where}.name"), tuple(entries), choice
            )
        )
    return Checklist(
        title=text_at(raw, "title", "checklist.title"),
        yes=yes,
        no=no,
        scopes=scopes,
        sections=tuple(sections),
    )


PUBLICATION_DATE_FIELDS = frozenset({"year", "month", "day"})
PUBLICATION_FIELDS = frozenset({"year", "start", "end", "days", "issuer", "date"})


@dataclass(frozen=True)
class Publication:
    """The texts of the 公示 sheet; ``{...}`` placeholders are filled by ``workdays.py``."""

    title: str
    intro: str
    period: str
    objections: str
    issuer: str
    date_format: str  # e.g. {year}年{month}月{day}日
    working_days: int


def parse_publication(raw: dict[str, Any]) -> Publication:
    """Build and validate the ``[publication]`` section."""
    keys = {"title", "intro", "period", "objections", "issuer", "date_format", "working_days"}
    check_known_keys(raw, keys, "[publication]")
    texts: dict[str, str] = {}
    for key in ("title", "intro", "period", "objections", "issuer"):
        texts[key] = text_at(raw, key, f"publication.{key}")
        _placeholders(texts[key], PUBLICATION_FIELDS, f"publication.{key}")
    date_format = text_at(raw, "date_format", "publication.date_format")
    _placeholders(date_format, PUBLICATION_DATE_FIELDS, "publication.date_format")
    days = int_at(raw, "working_days", "publication.working_days", minimum=1)
    return Publication(
        title=texts["title"],
        intro=texts["intro"],
        period=texts["period"],
        objections=texts["objections"],
        issuer=texts["issuer"],
        date_format=date_format,
        working_days=days,
    )
