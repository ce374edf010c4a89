"""The 群众测评 tally in the branch sheet: formulas in LibreOffice and Gnumeric, a standard
with a grade ceiling, recalc and consolidate with a tally, an override and bad counts."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter

from workbook.cli.main import main
from workbook.core import names
from workbook.core.scoring import RawBranchInputs, RawSurvey, assess_branch
from workbook.core.standard import Standard, load_standard_file
from workbook.inputs.consolidate import consolidate
from workbook.inputs.reader import read_branch_workbook
from workbook.outputs.json_report import to_json
from workbook.outputs.template import TemplateOptions, write_branch_sheet
from workbook.outputs.template.formats import Formats as _Formats

from support.gnumeric import recalculate
from support.libreoffice import convert
from support.template_cases import expected_cells, filled_template, mismatches, shown_values
from support.workbook_helpers import cells_for, fill_by_names

SYNTHETIC = Path(__file__).parent / "data" / "standard-synthetic.toml"
XLSX = "xlsx:Calc MS Excel 2007 XML"


def synthetic_counts(a: int, b: int, c: int, d: int = 0) -> dict[str, int]:
    return {"满意": a, "比较满意": b, "不满意": c, "不清楚": d}


CEILING_BRANCHES = {
    # 60% -> at best 合格 (below 80%), though 45.5 points would be 优秀.
    "上限合格": RawBranchInputs(
        {}, survey=RawSurvey(10, 10, [synthetic_counts(3, 3, 4), synthetic_counts(3, 3, 4)])
    ),
    # 50% -> below 60%: 不合格.
    "上限不合格": RawBranchInputs(
        {}, survey=RawSurvey(10, 10, [synthetic_counts(2, 3, 5), synthetic_counts(2, 3, 5)])
    ),
    "无上限": RawBranchInputs(
        {}, survey=RawSurvey(10, 10, [synthetic_counts(8, 1, 1), synthetic_counts(9, 1, 0)])
    ),
    # Too few valid ballots: no points and no ceiling.
    "票少": RawBranchInputs(
        {}, survey=RawSurvey(10, 10, [synthetic_counts(1, 1, 2, 6), synthetic_counts(1, 1, 2)])
    ),
    "空白": RawBranchInputs({}),
    "改分": RawBranchInputs(
        {"3.1": 1},
        {"3.1": "理由"},
        survey=RawSurvey(10, 10, [synthetic_counts(3, 3, 4), synthetic_counts(3, 3, 4)]),
    ),
}


@pytest.fixture(scope="module")
def synthetic() -> Standard:
    return load_standard_file(SYNTHETIC)


def test_the_engine_applies_a_grade_ceiling(synthetic: Standard) -> None:
    grades = {b: assess_branch(synthetic, raw).grade_text for b, raw in CEILING_BRANCHES.items()}
    totals = {b: assess_branch(synthetic, raw).total for b, raw in CEILING_BRANCHES.items()}
    assert grades == {
        "上限合格": "合格",
        "上限不合格": "不合格",
        "无上限": "优秀",
        "票少": "优秀",
        "空白": "优秀",
        "改分": "合格",
    }
    # weighted 63 -> 12 x 0.63 = 7.56, down to a tenth: 7.5 (deduction 4.5 from 50).
    assert totals["上限合格"] == Decimal("45.5")
    assert totals["改分"] == 49


@pytest.mark.libreoffice
@pytest.mark.parametrize("mode", ["xlwings", "native"])
def test_a_ceiling_standard_computes_alike_everywhere(
    tmp_path: Path, synthetic: Standard, mode: str
) -> None:
    """The synthetic standard (weighted, rounding down, two ceilings) in a branch sheet:
    LibreOffice and Gnumeric show the engine's values, capped grades included."""
    template = tmp_path / "t.xlsx"
    book = xlsxwriter.Workbook(str(template))
    formats = _Formats(book)
    options = TemplateOptions(list(CEILING_BRANCHES), formulas=mode)  # type: ignore[arg-type]
    for branch in CEILING_BRANCHES:
        write_branch_sheet(book, book.add_worksheet(branch), formats, synthetic, branch, options)
    book.close()
    filled = fill_by_names(
        template,
        {b: cells_for(synthetic, raw) for b, raw in CEILING_BRANCHES.items()},
        tmp_path / "filled.xlsx",
    )
    want = {b: expected_cells(synthetic, raw) for b, raw in CEILING_BRANCHES.items()}
    assert want["上限合格"][names.GRADE] == "合格"
    lo = convert(filled, XLSX, tmp_path / "lo", recalculate=True)
    assert not mismatches(synthetic, shown_values(lo), want, "LibreOffice")
    gnumeric = recalculate(filled, tmp_path / "gnumeric.xlsx")
    assert not mismatches(synthetic, shown_values(gnumeric), want, "Gnumeric")


def anji_counts(a: int, b: int, c: int, d: int = 0) -> dict[str, int]:
    return {"满意": a, "基本满意": b, "不满意": c, "不了解": d}


TALLY = RawSurvey(55, 50, [anji_counts(42, 5, 3), anji_counts(40, 6, 4), anji_counts(38, 7, 3, 2)])
RECALC_BRANCHES = {
    "第一支部": RawBranchInputs({}, survey=TALLY),  # 93.2% -> 23.5, deduction 1.5
    "第二支部": RawBranchInputs({"7.1": 3}, {"7.1": "有群众来信反映"}, survey=TALLY),
    "第三支部": RawBranchInputs({"7.1": 3}, survey=TALLY),  # override without a note
    "第四支部": RawBranchInputs(
        {}, survey=RawSurvey(40, 50.5, [anji_counts(-1, 5, 3)])
    ),  # bad counts
    "第五支部": RawBranchInputs({}, survey=RawSurvey(8, 8, [anji_counts(5, 2, 1)] * 3)),
}


@pytest.fixture
def filled(tmp_path: Path, standard: Standard) -> Path:
    return filled_template(tmp_path, standard, RECALC_BRANCHES, "xlwings")


def test_recalc_writes_the_tally_and_names_bad_counts(
    filled: Path, standard: Standard, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "out.xlsx"
    assert main(["recalc", str(filled), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    sheets = {s.branch_name: s for s in read_branch_workbook(out).sheets}
    first = sheets["第一支部"].values
    assert first[names.SURVEY_POINTS] == 23.5
    assert first[names.SURVEY_DEDUCTION] == 1.5
    assert first[names.item_score_name(7)] == 23.5
    assert first[names.SURVEY_VALID] == 48
    assert sheets["第二支部"].values[names.item_score_name(7)] == 22
    assert sheets["第三支部"].values[names.item_score_name(7)] == "输入有误"
    assert sheets["第三支部"].values[names.SURVEY_CHECK] == "须填写扣分说明"
    note_cell = sheets["第三支部"].label(names.note_name(standard.rule("7.1")))
    assert f"{note_cell}：规则 7.1" in err
    assert "须在扣分说明中写明理由" in err
    fourth = sheets["第四支部"]
    assert f"{fourth.label(names.survey_count_name(1, 1))}：" in err
    assert "不能为负数（-1）" in err
    assert f"{fourth.label(names.SURVEY_RETURNED)}：" in err
    assert "应为整数" in err
    fifth = sheets["第五支部"]
    assert f"提示：{filled}，{fifth.label(names.SURVEY_VALID)}：群众测评的有效票不足" in err
    assert fifth.values[names.item_score_name(7)] == 25
    # Every computed cell as the engine says (what the file now caches).
    want = {b: expected_cells(standard, raw) for b, raw in RECALC_BRANCHES.items()}
    assert not mismatches(standard, shown_values(out), want, "recalc")


def test_consolidate_counts_the_tally_with_its_note(
    filled: Path, standard: Standard, tmp_path: Path
) -> None:
    good = fill_by_names(
        filled,
        {
            "第三支部": {names.note_name(standard.rule("7.1")): "走访核实"},
            "第四支部": {names.SURVEY_RETURNED: 40, names.survey_count_name(1, 1): 1},
        },
        tmp_path / "good.xlsx",
    )
    result = consolidate([good])
    assert result.ok, [p.text() for p in result.errors]
    data = {b["branch"]: b for b in to_json(result)["branches"]}
    assert data["第一支部"]["deductions"] == [
        {"rule": "7.1", "points": 1.5, "note": "按群众测评：满意率 93.2%（有效票 48）"}
    ]
    assert data["第二支部"]["deductions"] == [
        {"rule": "7.1", "points": 3, "note": "有群众来信反映"}
    ]
    assert [w.message for w in result.warnings if "有效票不足" in w.message]


def test_the_tally_is_outside_the_print_area(tmp_path: Path, standard: Standard) -> None:
    """The branch sheet prints as before: the tally block sits below the print area."""
    import openpyxl

    from workbook.outputs.template import write_template

    from support.workbook_helpers import named_cell

    path = write_template(tmp_path / "t.xlsx", TemplateOptions(["第一支部"]))
    book = openpyxl.load_workbook(path)
    sheet = book["第一支部"]
    area = sheet.print_area
    assert isinstance(area, str)
    last_printed = int(re.sub(r"[^0-9]", "", area.split(":")[-1]))
    grade = named_cell(book, "第一支部", names.GRADE)
    issued = named_cell(book, "第一支部", names.SURVEY_ISSUED)
    assert grade.row < last_printed < issued.row
    for name in names.survey_input_names(standard) + names.survey_output_names(standard):
        assert named_cell(book, "第一支部", name).row > last_printed, name
