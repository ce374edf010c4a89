"""Wording of the template that a branch secretary reads (review of 2 December)."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from workbook.cli.main import main
from workbook.core.standard import Standard
from workbook.outputs.template import TemplateOptions, write_template


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
