"""The construction checklist (规范化建设自查表): answers -> hints beside rules, and counts. Pure.

The checklist itself is data (``[checklist]`` in the standard file, ``standard_sections``).
A hint never changes a score: it tells the assessor which rule a missing entry bears on, e.g.
"自查表缺项：一台工作电脑（活动场所设施不全的扣1-3分）" beside rule 4.2.

Problems are keyed by the entry's key (``<section>.<entry>``, e.g. ``3.4``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace

from workbook.core import names
from workbook.core.problems import Problem
from workbook.core.scoring import INVALID, display_value
from workbook.core.standard_sections import Checklist, ChecklistEntry, ChecklistSection

MET, MISSING, UNANSWERED = "met", "missing", "unanswered"


@dataclass(frozen=True)
class ChecklistHint:
    """A hint to show beside one rule."""

    rule_id: str
    hint: str  # the standard's hint (the rule's wording unless the file gives one)
    entries: tuple[ChecklistEntry, ...]  # the entries answered 否 (empty for a choice hint)
    text: str  # the whole sentence to show


@dataclass(frozen=True)
class SectionCount:
    """How many of a section's entries that apply to the branch are met."""

    section: ChecklistSection
    applicable: int
    met: int
    missing: int
    unanswered: int


@dataclass(frozen=True)
class ChecklistReport:
    """A branch's checklist: problems with the answers, counts per section, hints per rule."""

    problems: tuple[Problem, ...]
    sections: tuple[SectionCount, ...]
    hints: tuple[ChecklistHint, ...]  # in the order of the entries
    missing: tuple[ChecklistEntry, ...]  # every applicable entry answered 否

    @property
    def met(self) -> int:
        """Entries met over all sections."""
        return sum(count.met for count in self.sections)

    @property
    def applicable(self) -> int:
        """Entries that apply to the branch over all sections."""
        return sum(count.applicable for count in self.sections)

    def hints_for(self, rule_id: str) -> tuple[str, ...]:
        """The hint sentences to show beside rule ``rule_id``."""
        return tuple(hint.text for hint in self.hints if hint.rule_id == rule_id)


def answer_state(checklist: Checklist, raw: object) -> str:
    """MET, MISSING or UNANSWERED for one answer cell; ValueError for anything else.

    The standard's yes/no texts (是/否) and Excel's TRUE/FALSE are accepted; blank is unanswered.
    """
    if raw is None or raw == "":
        return UNANSWERED
    if raw == checklist.yes or raw is True:
        return MET
    if raw == checklist.no or raw is False:
        return MISSING
    raise ValueError(raw)


def check_checklist(
    checklist: Checklist, answers: Mapping[str, object], scopes: Collection[str] = ()
) -> ChecklistReport:
    """Validate a branch's checklist answers and derive the hints and counts.

    Args:
        checklist: the standard's checklist.
        answers: entry key (``"3.4"``) -> the raw answer cell (blank: not answered).
        scopes: the kinds the branch is (e.g. ``{"分会支部"}``); entries of another scope do
            not apply and are neither counted nor hinted.

    Raises:
        ValueError: an answer for an unknown entry, or an unknown scope (a caller's mistake).
    """
    keys = {entry.key for entry in checklist.entries}
    unknown = sorted(set(answers) - keys)
    if unknown:
        raise ValueError(f"unknown checklist entries {unknown}")
    if set(scopes) - set(checklist.scopes):
        raise ValueError(f"unknown scopes {sorted(set(scopes) - set(checklist.scopes))}")

    problems: list[Problem] = []
    counts: list[SectionCount] = []
    hints: list[ChecklistHint] = []
    missing: list[ChecklistEntry] = []
    for section in checklist.sections:
        states: dict[str, str] = {}
        for number, entry in enumerate(section.entries, start=1):
            if entry.scope is not None and entry.scope not in scopes:
                continue
            raw = answers.get(entry.key)
            try:
                states[entry.key] = answer_state(checklist, raw)
            except ValueError:
                problems.append(
                    Problem(
                        f"{checklist.title}第{section.number}部分“{section.name}”第{number}条"
                        f"“{entry.label}”应填“{checklist.yes}”或“{checklist.no}”（空白为未填），"
                        f"实际填写“{display_value(raw)}”",
                        key=entry.key,
                        short=f"{INVALID}：应为{checklist.yes}或{checklist.no}",
                        value=raw,
                    )
                )
                states[entry.key] = UNANSWERED
        applicable = [e for e in section.entries if e.key in states]
        section_missing = [e for e in applicable if states[e.key] == MISSING]
        missing += section_missing
        counts.append(
            SectionCount(
                section=section,
                applicable=len(applicable),
                met=sum(states[e.key] == MET for e in applicable),
                missing=len(section_missing),
                unanswered=sum(states[e.key] == UNANSWERED for e in applicable),
            )
        )
        hints += _entry_hints(section_missing)
        choice = section.choice
        if choice is not None and choice.rule_id is not None and choice.hint is not None:
            choosers = [e for e in applicable if e.choice]
            met = sum(states[e.key] == MET for e in choosers)
            open_ = sum(states[e.key] == UNANSWERED for e in choosers)
            if met + open_ < choice.count:  # certain to fall short, whatever the blanks are
                hints.append(
                    ChecklistHint(
                        choice.rule_id,
                        choice.hint,
                        (),
                        f"自查表：{choice.text}，实有 {met} 项（{choice.hint}）",
                    )
                )
    return ChecklistReport(tuple(problems), tuple(counts), tuple(hints), tuple(missing))


def single_hint_texts(checklist: Checklist, rule_id: str) -> list[str]:
    """Each text the hint cell beside ``rule_id`` shows when one entry is missing: what a
    template makes room for."""
    return [
        hint.text
        for entry in checklist.entries
        if entry.rule_id == rule_id
        for hint in _entry_hints([entry])
    ]


def _entry_hints(missing: list[ChecklistEntry]) -> list[ChecklistHint]:
    """One hint per (rule, hint text) for the missing entries of one section, in entry order."""
    groups: dict[tuple[str, str], list[ChecklistEntry]] = {}
    for entry in missing:
        if entry.rule_id is not None and entry.hint is not None:
            groups.setdefault((entry.rule_id, entry.hint), []).append(entry)
    return [
        ChecklistHint(
            rule_id,
            hint,
            tuple(entries),
            f"自查表缺项：{'、'.join(e.label for e in entries)}（{hint}）",
        )
        for (rule_id, hint), entries in groups.items()
    ]


def read_scopes(
    checklist: Checklist, values: Mapping[str, object]
) -> tuple[list[str], list[Problem]]:
    """The scopes a branch declared (its ``cl_scope_<n>`` cells answered 是), and problems with
    those cells (anything but 是/否/blank; such a scope counts as not declared)."""
    scopes: list[str] = []
    problems: list[Problem] = []
    for number, scope in enumerate(checklist.scopes, start=1):
        name = names.checklist_scope_name(number)
        raw = values.get(name)
        try:
            if answer_state(checklist, raw) == MET:
                scopes.append(scope)
        except ValueError:
            problems.append(
                Problem(
                    f"{checklist.title}“本支部是否为{scope}”应填“{checklist.yes}”或"
                    f"“{checklist.no}”（空白为“{checklist.no}”），实际填写“{display_value(raw)}”",
                    key=name,
                    short=f"{INVALID}：应为{checklist.yes}或{checklist.no}",
                    value=raw,
                )
            )
    return scopes, problems


def checklist_from_values(checklist: Checklist, values: Mapping[str, object]) -> ChecklistReport:
    """A version-2 branch sheet's checklist from its cell values by defined name
    (``cl_<s>_<e>``, ``cl_scope_<n>``); problems are keyed by those names."""
    scopes, scope_problems = read_scopes(checklist, values)
    answers = {entry.key: values.get(names.checklist_name(entry)) for entry in checklist.entries}
    report = check_checklist(checklist, answers, scopes)
    by_key = {entry.key: names.checklist_name(entry) for entry in checklist.entries}
    problems = tuple(scope_problems) + tuple(
        replace(p, key=by_key[p.key or ""]) for p in report.problems
    )
    return ChecklistReport(problems, report.sections, report.hints, report.missing)


def hint_text(report: ChecklistReport, rule_id: str) -> str:
    """What the hint cell beside rule ``rule_id`` shows: its hints, one a line ("" for none)."""
    return "\n".join(report.hints_for(rule_id))
