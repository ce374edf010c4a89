"""``survey import``: respondents' answers into the tallies of an assessment workbook.

Only the tally's input cells of the branches in the responses change (ballots issued and
returned, every answer's count), and the cached results of those sheets' formula cells (the
tally's rates and points, item scores, total, grade, 检查 cells), computed as ``recalc`` computes
them; formulas stay as they are. The package is patched in place like ``recalc`` does, so every
other part and every other cell stays byte for byte. The tally is replaced, never added to.
The cached results matter: LibreOffice does not recalculate an xlsx file on opening it (its
default), so without them it would show the scores of the old tally.
"""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from workbook.core import names
from workbook.core.standard import load_standard
from workbook.core.survey import parse_count, tally_is_blank
from workbook.errors import CellValueError, InvalidInputError, TemplateMismatchError
from workbook.inputs.reader import BranchSheet, read_branch_workbook
from workbook.inputs.responses import (
    ResponsesError,
    find_columns,
    read_rows,
    tally_rows,
)
from workbook.xlsx.properties import TemplateIdentity

if TYPE_CHECKING:
    from workbook.core.cells import CellRef
    from workbook.core.standard import Standard
    from workbook.core.standard_sections import SurveyAnswer
    from workbook.outputs.recalc import CellValue
    from workbook.xlsx.parts import SheetEntry


@dataclass(frozen=True)
class ImportReport:
    """What the import wrote: one Chinese line per branch, and the branches left alone."""

    lines: tuple[str, ...]
    untouched: tuple[str, ...]
    respondents: int


def import_responses(
    responses: Path,
    workbook: Path,
    output: Path | None = None,
    branch_column: str | None = None,
    question_columns: Mapping[int, str] | None = None,
) -> ImportReport:
    """Replace the tallies of ``workbook`` with the responses' counts; write ``output``
    (default: ``workbook`` in place), atomically.

    Raises:
        ResponsesError: problems with the responses' columns or rows (all at once).
        WorkbookReadError, TemplateMismatchError: the workbook cannot take the tallies.
    """
    from workbook.atomic import atomic_output
    from workbook.xlsx.cell_edit import CellEdit, edit_cells, locate_cells, normalise_sheet_data
    from workbook.xlsx.package import Package

    book = read_branch_workbook(workbook)
    identity = TemplateIdentity.of(book.info.properties)
    standard_id = identity.standard
    if standard_id is None:
        raise TemplateMismatchError(
            f"{workbook.name} 不是本工具生成的考评定级表（没有文档属性 {names.PROP_STANDARD}）"
        )
    standard = load_standard(standard_id)
    # As recalc and consolidate: the same id with other content is another standard (its
    # questions and answers, in another order, would put the counts in the wrong cells).
    mismatch = identity.mismatch(standard.id, standard.content_hash)
    if mismatch is not None:
        raise TemplateMismatchError(f"{workbook.name}：{mismatch}")
    survey = standard.survey
    if survey is None:
        raise TemplateMismatchError(f"考评标准 {standard.id} 没有群众测评（[survey]），无法导入")
    wanted = names.survey_input_names(standard)
    sheets: dict[str, BranchSheet] = {}
    for sheet in book.sheets:
        missing = [n for n in wanted if n not in sheet.cells]
        if missing:
            raise TemplateMismatchError(
                f"{workbook.name} 的工作表“{sheet.sheet}”没有群众测评计票区（缺少名称 "
                f"{'、'.join(missing[:4])}{'等' if len(missing) > 4 else ''}）；"
                "请用新版模板（branch-assess template）重新生成考评定级表"
            )
        sheets.setdefault(sheet.branch_name, sheet)
    rows = read_rows(responses)
    columns = find_columns(rows, survey, responses, branch_column, question_columns)
    tallies = tally_rows(rows, columns, survey, list(sheets), responses)
    if not tallies:
        raise ResponsesError(["没有任何答卷"], responses)

    package = Package(workbook)
    try:
        parts = {entry.name: entry.part for entry in _sheets(package)}
        lines: list[str] = []
        for branch, tally in tallies.items():
            sheet = sheets[branch]
            values = sheet.values
            count_names = names.survey_count_names(standard)
            old_counts = [
                {a.text: values.get(n) for a, n in zip(survey.answers, row, strict=True)}
                for row in count_names
            ]
            old_issued, old_returned = (
                values.get(names.SURVEY_ISSUED),
                values.get(names.SURVEY_RETURNED),
            )
            try:
                kept = parse_count(old_issued, "", blank=None)
            except CellValueError:
                kept = None
            issued = kept if kept is not None and kept >= tally.returned else tally.returned
            numbers = {names.SURVEY_ISSUED: issued, names.SURVEY_RETURNED: tally.returned}
            for row, counts in zip(count_names, tally.counts, strict=True):
                for answer, name in zip(survey.answers, row, strict=True):
                    numbers[name] = counts[answer.text]
            edits = {
                (sheet.cells[name].row, sheet.cells[name].col): CellEdit(
                    Decimal(number), set_value=True
                )
                for name, number in numbers.items()
            }
            part = parts[sheet.sheet]
            before, cells, after = package.text_between(part, "<sheetData", "</sheetData>")
            cells = normalise_sheet_data(cells, workbook.name, sheet.sheet)
            cells, formulas = _without_formulas(
                cells, {name: sheet.cells[name] for name in numbers}, workbook.name
            )
            new_values = {**values, **{name: Decimal(n) for name, n in numbers.items()}}
            located = locate_cells(cells, [(r.row, r.col) for r in sheet.cells.values()])
            for spot, value in computed_values(standard, sheet, new_values).items():
                span = located.get(spot)
                # Only a formula's cached result: a computed cell typed over stays as typed.
                if span is not None and "<f" in cells[span[0] : span[1]]:
                    edits[spot] = CellEdit(value, set_value=True)
            package.parts[part] = before + edit_cells(cells, edits).encode("utf-8") + after
            line = _line(
                branch,
                sheet.label(names.SURVEY_RETURNED),
                tally.returned,
                issued,
                kept,
                old_issued,
                old_returned,
                old_counts,
                survey.answers,
            )
            if formulas:
                line += (
                    "；计票单元格中的公式已改为导入的票数（原公式："
                    + "、".join(f"{ref.a1} {formula}" for ref, formula in formulas)
                    + "）"
                )
            lines.append(line)
        with atomic_output(output or workbook) as temp:
            package.save(temp)
    finally:
        package.close()
    untouched = tuple(b for b in sheets if b not in tallies)
    return ImportReport(tuple(lines), untouched, sum(t.returned for t in tallies.values()))


_FORMULA_ELEMENT = re.compile(r"<f\b[^>]*?/>|<f\b[^>]*>.*?</f>", re.S)


def _without_formulas(
    cells_xml: str, tally: Mapping[str, CellRef], file_name: str
) -> tuple[str, list[tuple[CellRef, str]]]:
    """``cells_xml`` with the formulas of the ``tally`` cells taken out, and what they were.

    The import replaces the tally with numbers: a formula left in a count cell would keep its
    own result wherever the workbook is recalculated (Excel, WPS), while the file held the
    imported count as its cached value; the tool and the spreadsheet would disagree.

    Raises:
        InvalidInputError: a count cell holds the first cell of a shared or array formula (the
            other cells of that formula depend on it): the user changes it to numbers first.
    """
    from workbook.core.problems import Problem
    from workbook.xlsx.cell_edit import locate_cells

    refs = {(ref.row, ref.col): ref for ref in tally.values()}
    located = locate_cells(cells_xml, refs)
    found: list[tuple[int, int, str, CellRef, str]] = []
    for spot, (start, end) in located.items():
        element = cells_xml[start:end]
        formula = _FORMULA_ELEMENT.search(element)
        if formula is None:
            continue
        ref = refs[spot]
        if 'ref="' in formula.group(0):
            raise InvalidInputError(
                [
                    Problem(
                        f"{file_name}，{ref.label}：群众测评计票单元格是共享公式或数组公式的首个单元格，"
                        "导入会替换计票；请先把计票区的公式改为数值（复制后“选择性粘贴 > 数值”），"
                        "再重新导入"
                    )
                ]
            )
        text = html.unescape(re.sub(r"<[^>]*>", "", formula.group(0))).strip()
        shown = f"={text}" if text else "（共享公式）"
        found.append((start, end, element.replace(formula.group(0), "", 1), ref, shown))
    for start, end, element, _, _ in sorted(found, reverse=True):
        cells_xml = cells_xml[:start] + element + cells_xml[end:]
    replaced = sorted(
        ((ref, shown) for *_, ref, shown in found), key=lambda r: (r[0].row, r[0].col)
    )
    return cells_xml, replaced


def computed_values(
    standard: Standard, sheet: BranchSheet, values: Mapping[str, object]
) -> dict[tuple[int, int], CellValue]:
    """(row, col) -> the value ``recalc`` gives each computed cell of ``sheet`` (item scores,
    total, grade, the tally's results, 检查 cells, 自评 results) when it holds ``values``."""
    from workbook.core.scoring import assess_branch
    from workbook.core.self_sheet import read_version_two, version_two_outputs
    from workbook.outputs.recalc import (
        BranchSheetNames,
        ContractNames,
        sheet_update,
        version_two_inputs,
    )

    contract = ContractNames.of(standard)
    raw = BranchSheet(sheet.file, sheet.sheet, sheet.cells, dict(values)).raw_inputs(standard)
    assessment = assess_branch(standard, raw)
    two = None
    if names.SELF_TOTAL_SCORE in sheet.cells:  # template version 2
        own = read_version_two(standard, values)
        two = (
            version_two_outputs(standard, assessment, own),
            own.problems,
            version_two_inputs(standard),
        )
    update = sheet_update(contract, BranchSheetNames(sheet.sheet, sheet.cells), assessment, two)
    return {(ref.row, ref.col): value for ref, value in update.outputs.values()}


def _sheets(package: object) -> list[SheetEntry]:
    from workbook.xlsx.parts import workbook_sheets

    return workbook_sheets(package)  # type: ignore[arg-type]


def _line(
    branch: str,
    where: str,
    returned: int,
    issued: int,
    kept: int | None,
    old_issued: object,
    old_returned: object,
    old_counts: list[dict[str, object]],
    answers: tuple[SurveyAnswer, ...],
) -> str:
    issued_text = (
        f"发放 {issued} 张（保留原值）"
        if kept is not None and kept == issued
        else f"发放 {issued} 张（原为“{_shown(old_issued)}”，已改为收回票数）"
    )
    if tally_is_blank(old_issued, old_returned, old_counts):
        replaced = "原无计票"
    else:
        totals = []
        for answer in answers:
            total = 0
            for counts in old_counts:
                with contextlib.suppress(CellValueError):
                    total += parse_count(counts.get(answer.text), "")
            totals.append(f"{answer.text} {total}")
        replaced = (
            f"已替换原有计票（原收回“{_shown(old_returned)}”，原各题合计：{'、'.join(totals)}）"
        )
    return f"{branch}（{where.partition('!')[0]}）：收回 {returned} 张，{issued_text}；{replaced}"


def _shown(value: object) -> str:
    from workbook.xlsx.cells import describe

    return "空白" if value is None or value == "" else describe(value)
