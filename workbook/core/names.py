"""The workbook contract: sheet-scoped defined names of a branch sheet.

Readers find every input and output by these names, never by fixed row numbers.
"""

from __future__ import annotations

from workbook.core.standard import Rule, Standard

BRANCH_NAME = "branch_name"
YEAR = "assess_year"
ASSESSOR = "assessor"
ASSESS_DATE = "assess_date"
TOTAL_SCORE = "total_score"
GRADE = "grade"

# Custom document properties that identify a template.
PROP_STANDARD = "kp_standard"
PROP_TEMPLATE_VERSION = "kp_template_version"
PROP_YEAR = "kp_year"
PROP_FORMULAS = "kp_formulas"
# Marks a workbook as a summary written by this tool; such files are skipped when a folder is
# scanned (a summary saved into the input folder is not an input).
PROP_SUMMARY = "kp_summary"

TEMPLATE_VERSION = "1"

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


def veto_check_name(number: int) -> str:
    """``veto_check_<n>``: the cell that shows whether veto input n is valid."""
    return f"veto_check_{number}"


def item_score_name(number: int) -> str:
    """``item_<n>_score``: the computed score of item n (1-based)."""
    return f"item_{number}_score"


def input_names(standard: Standard) -> list[str]:
    """Every name a branch sheet must define for its inputs."""
    names = [BRANCH_NAME]
    for rule in standard.rules:
        names += [deduction_name(rule), note_name(rule)]
    names += [veto_name(n) for n in range(1, len(standard.vetoes) + 1)]
    return names


def output_names(standard: Standard) -> list[str]:
    """Every name a branch sheet must define for its computed cells."""
    return [item_score_name(item.number) for item in standard.items] + [TOTAL_SCORE, GRADE]


def required_names(standard: Standard) -> list[str]:
    """The names every branch sheet of this standard must define."""
    return input_names(standard) + output_names(standard)
