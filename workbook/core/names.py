"""The workbook contract: sheet-scoped defined names of a branch sheet.

Readers find every input and output by these names, never by fixed row numbers.
"""

from __future__ import annotations

from workbook.core.problems import Problem
from workbook.core.standard import Rule, Standard
from workbook.core.standard_sections import Checklist, ChecklistEntry

BRANCH_NAME = "branch_name"
YEAR = "assess_year"
ASSESSOR = "assessor"
ASSESS_DATE = "assess_date"
TOTAL_SCORE = "total_score"
GRADE = "grade"

# Custom document properties that identify a template.
PROP_STANDARD = "kp_standard"
PROP_STANDARD_HASH = "kp_standard_hash"  # sha256 of the standard's content (Standard.content_hash)
PROP_TEMPLATE_VERSION = "kp_template_version"
PROP_YEAR = "kp_year"
PROP_FORMULAS = "kp_formulas"
# Marks a workbook as a summary written by this tool; such files are skipped when a folder is
# scanned (a summary saved into the input folder is not an input).
PROP_SUMMARY = "kp_summary"
# With it, what the summary-like workbook is: a 历年对比 or a branch's 整改清单.
PROP_HISTORY = "kp_history"
PROP_RECTIFICATION = "kp_rectification"

TEMPLATE_VERSION = "2"
# Versions this tool reads: 1 (the committee's 扣分 only) and 2 (自评 beside it, the checklist).
READABLE_TEMPLATE_VERSIONS = ("1", "2")
SELF_TOTAL_SCORE = "self_total_score"
SELF_GRADE = "self_grade"

# Markers of what the tool itself adds to a user's workbook, so it never mistakes a user's sheet
# or note for its own (titles and authors do not survive every program: LibreOffice rewrites a
# note's author, and a user may name a sheet 总览).
OVERVIEW_MARKER = "kp_overview"  # sheet-scoped defined name on the tool's 总览 sheet (its A1)
NOTE_MARKER = "【考评定级】"  # every note the tool writes starts with this text


def deduction_name(rule: Rule) -> str:
    """``ded_<item>_<rule>``: the 扣分 input of a rule."""
    return f"ded_{rule.name_suffix}"


def note_name(rule: Rule) -> str:
    """``note_<item>_<rule>``: the 扣分说明 input of a rule."""
    return f"note_{rule.name_suffix}"


def check_name(rule: Rule) -> str:
    """``check_<item>_<rule>``: the cell that shows whether the rule's input is valid."""
    return f"check_{rule.name_suffix}"


def veto_name(number: int) -> str:
    """``veto_<n>``: the 是/否 input of veto condition n (1-based)."""
    return f"veto_{number}"


def problem_name(problem: Problem) -> str | None:
    """The defined name of the input cell a problem is about: the rule's 扣分 or 扣分说明, the
    veto's cell, or, for another input (自评, checklist), its ``key``."""
    if problem.veto is not None:
        return veto_name(problem.veto)
    if problem.rule is None:
        return problem.key
    if problem.rule.startswith("B."):  # a bonus rule (B.<n>): its 加分 or 加分说明
        number = problem.rule.removeprefix("B.")
        return f"bonus_note_{number}" if problem.note else f"bonus_{number}"
    # A rule's id is <item>.<rule>, its names' suffix (Rule.name_suffix) <item>_<rule>.
    suffix = problem.rule.replace(".", "_")
    return f"note_{suffix}" if problem.note else f"ded_{suffix}"


def veto_check_name(number: int) -> str:
    """``veto_check_<n>``: the cell that shows whether veto input n is valid."""
    return f"veto_check_{number}"


def item_score_name(number: int) -> str:
    """``item_<n>_score``: the computed score of item n (1-based)."""
    return f"item_{number}_score"


def self_deduction_name(rule: Rule) -> str:
    """``self_ded_<item>_<rule>``: the 自评扣分 input of a rule (template version 2)."""
    return f"self_ded_{rule.name_suffix}"


def self_veto_name(number: int) -> str:
    """``self_veto_<n>``: the branch's own 是/否 answer to veto condition n (version 2)."""
    return f"self_veto_{number}"


def self_item_score_name(number: int) -> str:
    """``self_item_<n>_score``: the computed 自评 score of item n (version 2)."""
    return f"self_item_{number}_score"


def self_input_names(standard: Standard) -> list[str]:
    """The 自评 inputs of a version-2 branch sheet."""
    return [self_deduction_name(rule) for rule in standard.rules] + [
        self_veto_name(n) for n in range(1, len(standard.vetoes) + 1)
    ]


def self_output_names(standard: Standard) -> list[str]:
    """The computed 自评 cells of a version-2 branch sheet."""
    return [self_item_score_name(item.number) for item in standard.items] + [
        SELF_TOTAL_SCORE,
        SELF_GRADE,
    ]


def self_names(standard: Standard) -> list[str]:
    """Every 自评 name a version-2 branch sheet defines."""
    return self_input_names(standard) + self_output_names(standard)


def checklist_name(entry: ChecklistEntry) -> str:
    """``cl_<section>_<entry>``: the 是/否 answer of a checklist entry (version 2)."""
    return "cl_" + entry.key.replace(".", "_")


def checklist_note_name(entry: ChecklistEntry) -> str:
    """``cl_note_<section>_<entry>``: the note of a checklist entry (version 2)."""
    return "cl_note_" + entry.key.replace(".", "_")


def checklist_scope_name(number: int) -> str:
    """``cl_scope_<n>``: 是/否, the branch is of the checklist's scope n (e.g. 分会支部)."""
    return f"cl_scope_{number}"


def hint_rule_ids(checklist: Checklist) -> list[str]:
    """The rules a checklist entry (or a section's "choose N") bears on, in rule-id order."""
    ids = {e.rule_id for e in checklist.entries if e.rule_id is not None and e.hint is not None}
    ids |= {
        s.choice.rule_id
        for s in checklist.sections
        if s.choice is not None and s.choice.rule_id is not None and s.choice.hint is not None
    }
    return sorted(ids, key=lambda rule_id: tuple(int(p) for p in rule_id.split(".")))


def hint_name_of(rule_id: str) -> str:
    """``hint_<item>_<rule>`` from a rule id such as ``4.2``."""
    return "hint_" + rule_id.replace(".", "_")


def checklist_names(checklist: Checklist) -> list[str]:
    """Every name of the checklist block of a version-2 branch sheet, and its hint cells."""
    result = [checklist_scope_name(n) for n in range(1, len(checklist.scopes) + 1)]
    for entry in checklist.entries:
        result += [checklist_name(entry), checklist_note_name(entry)]
    return result + [hint_name_of(rule_id) for rule_id in hint_rule_ids(checklist)]


def version_names(standard: Standard, version: str | None) -> list[str]:
    """The names a branch sheet of template ``version`` defines beyond version 1's."""
    if version != "2":
        return []
    result = self_names(standard)
    if standard.checklist is not None:
        result += checklist_names(standard.checklist)
    return result


BONUS_SCORE = "bonus_score"  # the counted 加分 (capped), when the standard has a bonus section


def bonus_name(rule: Rule) -> str:
    """``bonus_<n>``: the 加分 input of bonus rule n (``B.n``)."""
    return f"bonus_{rule.number}"


def bonus_note_name(rule: Rule) -> str:
    """``bonus_note_<n>``: the 加分说明 input of bonus rule n."""
    return f"bonus_note_{rule.number}"


def bonus_check_name(rule: Rule) -> str:
    """``bonus_check_<n>``: the cell that shows whether bonus input n is valid."""
    return f"bonus_check_{rule.number}"


def input_names(standard: Standard) -> list[str]:
    """Every name a branch sheet must define for its inputs."""
    names = [BRANCH_NAME]
    for rule in standard.rules:
        names += [deduction_name(rule), note_name(rule)]
    names += [veto_name(n) for n in range(1, len(standard.vetoes) + 1)]
    if standard.bonus is not None:
        for rule in standard.bonus.rules:
            names += [bonus_name(rule), bonus_note_name(rule)]
    return names + survey_input_names(standard)


def output_names(standard: Standard) -> list[str]:
    """Every name a branch sheet must define for its computed cells."""
    return (
        [item_score_name(item.number) for item in standard.items]
        + ([BONUS_SCORE] if standard.bonus is not None else [])
        + [TOTAL_SCORE, GRADE]
        + survey_output_names(standard)
    )


# --- the 群众测评 tally (issue 9), on standards with a [survey] section -------------------------
SURVEY_ISSUED = "survey_issued"  # ballots issued (发放)
SURVEY_RETURNED = "survey_returned"  # ballots returned (收回)
SURVEY_VALID = "survey_valid"  # 有效票: the smallest number of valid votes over the questions
SURVEY_RATE = "survey_rate"  # overall 满意率
SURVEY_POINTS = "survey_points"  # the points the tally gives
SURVEY_DEDUCTION = "survey_deduction"  # the deduction they imply (counted when 扣分 is blank)
SURVEY_CHECK = "survey_check"  # "" or a short message about the tally


def survey_count_name(question: int, answer: int) -> str:
    """``survey_<q>_<a>``: the count of answer a (1-based, the standard's order) to question q."""
    return f"survey_{question}_{answer}"


def survey_rate_name(question: int) -> str:
    """``survey_rate_<q>``: the 满意率 of question q."""
    return f"survey_rate_{question}"


def survey_count_names(standard: Standard) -> list[list[str]]:
    """The count names per question, in question and answer order (empty without a survey)."""
    survey = standard.survey
    if survey is None:
        return []
    return [
        [survey_count_name(q, a) for a in range(1, len(survey.answers) + 1)]
        for q in range(1, len(survey.questions) + 1)
    ]


def survey_input_names(standard: Standard) -> list[str]:
    """The tally's input names (none without a survey)."""
    if standard.survey is None:
        return []
    counts = [name for row in survey_count_names(standard) for name in row]
    return [SURVEY_ISSUED, SURVEY_RETURNED, *counts]


def survey_output_names(standard: Standard) -> list[str]:
    """The tally's computed names (none without a survey)."""
    survey = standard.survey
    if survey is None:
        return []
    rates = [survey_rate_name(q) for q in range(1, len(survey.questions) + 1)]
    return [*rates, SURVEY_VALID, SURVEY_RATE, SURVEY_POINTS, SURVEY_DEDUCTION, SURVEY_CHECK]


def required_names(standard: Standard) -> list[str]:
    """The names every branch sheet of this standard must define."""
    return input_names(standard) + output_names(standard)
