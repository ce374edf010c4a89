"""What a template holds: the branches, the year, the formula mode and the standard."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workbook.core.formulas import FormulaMode
from workbook.core.scoring import RawBranchInputs
from workbook.core.standard import DEFAULT_STANDARD_ID

if TYPE_CHECKING:
    from workbook.outputs.previous_items import PreviousItems

DEFAULT_TEMPLATE_YEAR = 2026
DEMO_BRANCHES_FOR_TEMPLATE = ("第一支部", "第二支部", "第三支部")


@dataclass(frozen=True)
class TemplateOptions:
    """What a template holds: the branches, the year, the formula mode and the standard."""

    branches: Sequence[str]
    year: int = DEFAULT_TEMPLATE_YEAR
    formulas: FormulaMode = "xlwings"
    standard_id: str = DEFAULT_STANDARD_ID
    # Optional filled inputs per branch name (the demo and tests use this); blanks otherwise.
    inputs: Mapping[str, RawBranchInputs] = field(default_factory=dict)
    assessor: Mapping[str, str] = field(default_factory=dict)
    # Last year's rectification items per branch name (``template --previous``).
    previous_items: Mapping[str, PreviousItems] = field(default_factory=dict)
    # Optional 自评 inputs per branch name (deductions and veto answers; notes are shared).
    self_inputs: Mapping[str, RawBranchInputs] = field(default_factory=dict)
    # Optional checklist cells per branch name, by defined name (cl_3_4, cl_note_3_4, cl_scope_1).
    checklists: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
