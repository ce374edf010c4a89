"""Helpers that act like a person editing a workbook: typing into named cells, inserting rows."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import openpyxl
from openpyxl.utils.cell import range_boundaries

from workbook.core import names
from workbook.core.scoring import RawBranchInputs
from workbook.core.standard import Standard


def named_cell(book: openpyxl.Workbook, sheet: str, name: str):
    """The openpyxl cell a sheet-scoped defined name points to."""
    worksheet = book[sheet]
    defined = worksheet.defined_names[name]
    ((title, ref),) = list(defined.destinations)
    assert title == sheet
    return book[title][ref.replace("$", "")]


def fill_by_names(
    path: Path, values: Mapping[str, Mapping[str, object]], out: Path | None = None
) -> Path:
    """Type values into named cells with openpyxl: ``{sheet: {name: value}}``; saves to ``out``."""
    book = openpyxl.load_workbook(path)
    for sheet, cells in values.items():
        for name, value in cells.items():
            named_cell(book, sheet, name).value = value
    target = out or path
    book.save(target)
    return target


def cells_for(standard: Standard, raw: RawBranchInputs) -> dict[str, object]:
    """The named input cells of a branch for the given raw inputs."""
    cells: dict[str, object] = {}
    for rule in standard.rules:
        if rule.id in raw.deductions:
            cells[names.deduction_name(rule)] = raw.deductions[rule.id]
        if rule.id in raw.notes:
            cells[names.note_name(rule)] = raw.notes[rule.id]
    for number, value in enumerate(raw.vetoes, start=1):
        cells[names.veto_name(number)] = value
    survey = standard.survey
    if survey is not None and raw.survey is not None:
        cells[names.SURVEY_ISSUED] = raw.survey.issued
        cells[names.SURVEY_RETURNED] = raw.survey.returned
        for q, counts in enumerate(raw.survey.counts, start=1):
            for a, answer in enumerate(survey.answers, start=1):
                if answer.text in counts:
                    cells[names.survey_count_name(q, a)] = counts[answer.text]
    for rule in standard.bonus.rules if standard.bonus is not None else ():
        if rule.id in raw.awards:
            cells[names.bonus_name(rule)] = raw.awards[rule.id]
        if rule.id in raw.award_notes:
            cells[names.bonus_note_name(rule)] = raw.award_notes[rule.id]
    return cells


_ROW_REF = re.compile(r"(\$?[A-Z]{1,3}\$?)(\d+)")


def insert_rows_above(path: Path, sheet: str, before_row: int, count: int, out: Path) -> Path:
    """Insert rows the way Excel does: cells, merged ranges and defined names below move down.

    openpyxl's ``insert_rows`` only moves cells, so merges and the sheet's names are shifted here.
    """
    book = openpyxl.load_workbook(path)
    worksheet = book[sheet]
    merged = [str(r) for r in worksheet.merged_cells.ranges]
    for ref in merged:
        worksheet.unmerge_cells(ref)
    worksheet.insert_rows(before_row, count)
    for ref in merged:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        if min_row >= before_row:
            min_row, max_row = min_row + count, max_row + count
        worksheet.merge_cells(
            start_row=min_row, start_column=min_col, end_row=max_row, end_column=max_col
        )

    def shift(match: re.Match[str]) -> str:
        row = int(match.group(2))
        return match.group(1) + str(row + count if row >= before_row else row)

    for defined in worksheet.defined_names.values():
        head, _, ref = defined.attr_text.rpartition("!")
        defined.attr_text = f"{head}!{_ROW_REF.sub(shift, ref)}"
    book.save(out)
    return out
