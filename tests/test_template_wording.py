"""Wording of the template that a branch secretary reads (review of 2 December)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from workbook.cli.main import main
from workbook.core import names
from workbook.core.standard import Standard
from workbook.inputs.reader import read_branch_workbook
from workbook.outputs.template import TemplateOptions, write_template

from support.libreoffice_uno import edit_in_libreoffice, uno_available
from support.workbook_helpers import named_cell


def test_the_checklist_cites_the_document_it_comes_from(tmp_path: Path, standard: Standard) -> None:
    """The 自查表 comes from section 三 of the notice 〔2012〕6号, not from a 第三部分 of the
    scoring table (the 附件 is one table): the intro names the document, no section number."""
    path = write_template(tmp_path / "t.xlsx", TemplateOptions(["第一支部"], formulas="native"))
    sheet = openpyxl.load_workbook(path)["第一支部"]
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert standard.checklist is not None
    title_row = next(i for i, t in enumerate(texts) if t == standard.checklist.title)
    intro = texts[title_row + 1]
    assert intro.startswith("依据安个民协党委〔2012〕6号文件。每条填“是”或“否”"), intro
    assert not any("第三部分" in t for t in texts)


def instructions(path: Path) -> str:
    sheet = openpyxl.load_workbook(path)["填表说明"]
    return "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)


def test_the_instructions_use_the_standards_checklist_answers(tmp_path: Path) -> None:
    """A standard whose checklist answers are 有/无 gets 有/无 in the 填表说明 (its validation
    lists accept nothing else), and its own checklist title, not Anji's."""
    synthetic = Path(__file__).parent / "data" / "standard-synthetic.toml"
    out = tmp_path / "syn.xlsx"
    args = ["template", "-o", str(out), "--branch", "甲支部", "--standard-file", str(synthetic)]
    assert main(args) == 0
    text = instructions(out)
    assert "自查表每条填“有”或“无”" in text
    assert "并填写表下方的星级评定自查清单" in text
    assert "规范化建设自查表" not in text
    assert "填“是”或“否”，可加说明" not in text


def test_the_instructions_explain_the_survey_tally(tmp_path: Path) -> None:
    """The tally below each table is not printed; the 填表说明 says where it is, what to type
    and how it meets rule 7.1 (blank 扣分: the tally's deduction; another value: a 扣分说明)."""
    path = write_template(tmp_path / "t.xlsx", TemplateOptions(["第一支部"], formulas="native"))
    text = instructions(path)
    assert "群众测评计票：考评表下方（不在打印范围内）的“群众测评计票”区" in text
    assert "规则 7.1“根据群众测评结果酌情扣分”的考评扣分栏空白时按计票得出的扣分计入" in text
    assert "须在“扣分说明”中写明理由" in text
    assert "有效票（“不了解”不计入）少于 10 张的，计票不计分" in text


@pytest.mark.libreoffice
@pytest.mark.skipif(not uno_available(), reason="LibreOffice's Python bridge is not installed")
def test_each_note_cell_says_how_much_it_shows(tmp_path: Path, standard: Standard) -> None:
    """A 扣分说明 row has a fixed height (the signed page prints on one A4 page), so a longer
    note is cut off on screen and on paper. Each note cell's prompt says about how many
    characters it shows, and a longer text gets a warning (kept if the user says so). The
    estimate holds in LibreOffice: a note of that many characters needs no more lines than
    the row has (最佳行高), one twice as long needs more."""
    path = write_template(tmp_path / "t.xlsx", TemplateOptions(["甲支部"], formulas="native"))
    book = openpyxl.load_workbook(path)
    sheet = book["甲支部"]
    by_cell = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    capacity: dict[int, int] = {}
    for rule in standard.rules:
        note = named_cell(book, "甲支部", names.note_name(rule))
        validation = by_cell[note.coordinate]
        assert (validation.type, validation.operator, validation.errorStyle) == (
            "textLength",
            "lessThanOrEqual",
            "warning",
        )
        size = int(validation.formula1)
        assert f"本格约可显示 {size} 个字" in validation.prompt
        assert f"本格约可显示 {size} 个字，超出部分在表中和打印时看不到" in validation.error
        capacity[note.row] = size
    assert min(capacity.values()) >= 7  # not a limit no real note could meet
    by_lines: dict[int, int] = {}  # a note row for each number of lines a row has
    for row in sorted(capacity):
        by_lines.setdefault(int(sheet.row_dimensions[row].height // 13.5), row)
    assert set(by_lines) >= {1, 2, 3}, by_lines
    spare = [r for r in sorted(capacity) if r not in by_lines.values()]
    exact, twice, base, three = by_lines, {}, spare[0], spare[1]
    steps: list[list[object]] = [
        ["type", "甲支部", f"G{base}", "一"],
        ["type", "甲支部", f"G{three}", "一\n二\n三"],  # exactly three lines
    ]
    for lines, row in exact.items():
        steps.append(["type", "甲支部", f"G{row}", "测" * capacity[row]])
        twice[lines] = spare[1 + lines]
        steps.append(["type", "甲支部", f"G{twice[lines]}", "测" * (2 * capacity[row] + 2)])
    rows = [base, three, *exact.values(), *twice.values()]
    steps += [["optimal_height", "甲支部", row] for row in rows]
    edited = openpyxl.load_workbook(edit_in_libreoffice(path, tmp_path / "fit.xlsx", steps))
    height = {row: edited["甲支部"].row_dimensions[row].height for row in rows}
    line = (height[three] - height[base]) / 2  # LibreOffice's own line height

    def lines_shown(row: int) -> int:
        return round((height[row] - height[base]) / line) + 1

    for lines, row in exact.items():
        assert lines_shown(row) <= lines, (row, capacity[row], height[row], line)
        assert lines_shown(twice[lines]) > lines, (twice[lines], height[twice[lines]], line)


@pytest.mark.libreoffice
@pytest.mark.skipif(not uno_available(), reason="LibreOffice's Python bridge is not installed")
def test_a_checklist_hint_fits_its_row(tmp_path: Path, standard: Standard) -> None:
    """The 自查提示 beside rules 1.1, 4.2 and 5.3 holds a formula, so its text is only readable
    in the cell (the formula bar shows the formula), and the row's height is fixed. The longest
    hint one missing entry gives (rule 1.1: 分会一支部书记兼任党员服务中心主任, with the rule's
    wording) was cut off after two lines, on screen and on the signed page. Each hint row now
    keeps room for the longest single-entry hint: LibreOffice's 最佳行高 for the row with
    such a hint shown is no taller than the row."""
    path = write_template(tmp_path / "t.xlsx", TemplateOptions(["甲支部"], formulas="native"))
    (sheet,) = read_branch_workbook(path).sheets
    assert standard.checklist is not None
    entry = {e.key: e for e in standard.checklist.entries}
    answers = {names.checklist_scope_name(1): "是"}
    answers |= {names.checklist_name(entry[key]): "否" for key in ("2.3", "2.4", "3.2")}
    steps: list[list[object]] = [
        ["type", sheet.sheet, sheet.cells[name].a1, value] for name, value in answers.items()
    ]
    hint_rows = {r: sheet.cells[names.hint_name_of(r)].row + 1 for r in ("1.1", "4.2", "5.3")}
    steps += [["optimal_height", sheet.sheet, row] for row in hint_rows.values()]
    edited = edit_in_libreoffice(path, tmp_path / "hints.xlsx", steps)
    (shown,) = read_branch_workbook(edited).sheets
    assert "分会一支部书记兼任党员服务中心主任" in str(shown.values[names.hint_name_of("1.1")])
    assert "一个统一的书柜（档案柜）" in str(shown.values[names.hint_name_of("4.2")])
    assert "配备专职工作人员一名" in str(shown.values[names.hint_name_of("5.3")])
    before = openpyxl.load_workbook(path)["甲支部"].row_dimensions
    after = openpyxl.load_workbook(edited)["甲支部"].row_dimensions
    for rule_id, row in hint_rows.items():
        assert after[row].height <= before[row].height, (rule_id, after[row].height)
