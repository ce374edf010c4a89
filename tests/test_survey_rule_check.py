"""The survey rule's 检查 cell says why its item is 输入有误 when the tally, not the rule's 扣分,
makes it so (review of 2 December).

The 群众测评 tally sits below the print area. Before this, a bad count (收回多于发放, 四十 typed
as a count) or a 扣分 other than the tally's without a 扣分说明 made 群众反映's 考评得分 show
输入有误 and the total 待修正, while the 检查 cell of that row in the printed table stayed
empty: the reason was only in the tally's own 检查 cell, which a branch secretary does not see
on the printed sheet. The row's 检查 cell now shows it, in LibreOffice, in Gnumeric, in the
template's cached values and after ``recalc``, exactly as the engine says.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workbook.cli.main import main
from workbook.core import names
from workbook.core.scoring import RawBranchInputs, RawSurvey, assess_branch
from workbook.core.self_sheet import read_version_two, version_two_outputs
from workbook.core.standard import Standard
from workbook.inputs.reader import read_branch_workbook
from workbook.outputs.template import TemplateOptions, write_template

from support.gnumeric import recalculate
from support.libreoffice_uno import edit_in_libreoffice, uno_available


def counts(a: int, b: int, c: int, d: int = 0) -> dict[str, int]:
    return {"满意": a, "基本满意": b, "不满意": c, "不了解": d}


GOOD = [counts(40, 5, 3), counts(44, 2, 2), counts(30, 10, 5, 3)]  # deduction 2
BRANCHES = {
    # Returned more than issued: the tally is invalid, 扣分 blank.
    "收回多于发放": RawBranchInputs({}, survey=RawSurvey(10, 20, GOOD)),
    # A typed 3 where the tally gives 2, without a 扣分说明.
    "改分无说明": RawBranchInputs({"7.1": 3}, survey=RawSurvey(50, 48, GOOD)),
    # The same with a 扣分说明: valid, nothing to show.
    "改分有说明": RawBranchInputs(
        {"7.1": 3}, {"7.1": "现场走访另有反映"}, survey=RawSurvey(50, 48, GOOD)
    ),
    # Its own 扣分 invalid and the tally invalid: the 扣分's own message comes first.
    "扣分超限": RawBranchInputs({"7.1": 30}, survey=RawSurvey(10, 20, GOOD)),
}
WANT = {
    "收回多于发放": "群众测评计票输入有误：收回多于发放",
    "改分无说明": "须填写扣分说明",
    "改分有说明": "",
    "扣分超限": "输入有误：应为0～25",
}


def check_7_1(standard: Standard, raw: RawBranchInputs) -> str:
    """The engine's text for the rule 7.1 检查 cell of a version-2 sheet."""
    assessment = assess_branch(standard, raw)
    outputs = version_two_outputs(standard, assessment, read_version_two(standard, {}))
    return str(outputs[names.check_name(standard.rule("7.1"))])


def test_the_engine_names_the_reason_in_the_rule_check(standard: Standard) -> None:
    got = {branch: check_7_1(standard, raw) for branch, raw in BRANCHES.items()}
    assert got == WANT
    # and the item is 输入有误 exactly where a reason is shown (or the 扣分 is wrong)
    items = {b: assess_branch(standard, raw).item_scores[6] for b, raw in BRANCHES.items()}
    assert [b for b, score in items.items() if score is None] == [
        "收回多于发放",
        "改分无说明",
        "扣分超限",
    ]


def steps_for(standard: Standard, sheet_cells: dict[str, dict[str, str]]) -> list[list[object]]:
    """lo_driver steps that type each branch's inputs into its cells, as a user would."""
    steps: list[list[object]] = []
    for branch, raw in BRANCHES.items():
        cells = sheet_cells[branch]
        survey = raw.survey
        assert survey is not None
        steps.append(["type", branch, cells[names.SURVEY_ISSUED], survey.issued])
        steps.append(["type", branch, cells[names.SURVEY_RETURNED], survey.returned])
        assert standard.survey is not None
        for q, answers in enumerate(survey.counts, start=1):
            for a, answer in enumerate(standard.survey.answers, start=1):
                value = answers.get(answer.text, 0)
                steps.append(["type", branch, cells[names.survey_count_name(q, a)], value])
        rule = standard.rule("7.1")
        if "7.1" in raw.deductions:
            steps.append(["type", branch, cells[names.deduction_name(rule)], raw.deductions["7.1"]])
        if "7.1" in raw.notes:
            steps.append(["type", branch, cells[names.note_name(rule)], raw.notes["7.1"]])
    return steps


@pytest.mark.libreoffice
@pytest.mark.skipif(not uno_available(), reason="LibreOffice's Python bridge is not installed")
@pytest.mark.parametrize("mode", ["native", "xlwings"])
def test_typed_in_libreoffice_the_rule_check_shows_the_reason(
    tmp_path: Path, standard: Standard, mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    template = write_template(
        tmp_path / "t.xlsx",
        TemplateOptions(list(BRANCHES), formulas=mode),  # type: ignore[arg-type]
    )
    sheets = read_branch_workbook(template).sheets
    sheet_cells = {s.branch_name: {n: s.cells[n].a1 for n in s.cells} for s in sheets}
    typed = edit_in_libreoffice(template, tmp_path / "typed.xlsx", steps_for(standard, sheet_cells))
    check = names.check_name(standard.rule("7.1"))
    item = names.item_score_name(7)

    def shown(path: Path) -> dict[str, tuple[object, object]]:
        return {
            s.branch_name: (s.values[check] or "", s.values[item])
            for s in read_branch_workbook(path).sheets
        }

    want = {b: (text, "输入有误" if b != "改分有说明" else 22) for b, text in WANT.items()}
    assert shown(typed) == want, "LibreOffice"
    assert shown(recalculate(typed, tmp_path / "gnumeric.xlsx")) == want, "Gnumeric"
    out = tmp_path / "recalc.xlsx"
    assert main(["recalc", str(typed), "-o", str(out)]) == 1
    capsys.readouterr()
    assert shown(out) == want, "recalc"
