"""The summary's 群众测评 sheet, its chart, and the JSON survey object."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import openpyxl

from workbook.cli.main import main
from workbook.core.scoring import RawBranchInputs, RawSurvey
from workbook.outputs.template import TemplateOptions, write_template


def counts(a: int, b: int, c: int, d: int = 0) -> dict[str, int]:
    return {"满意": a, "基本满意": b, "不满意": c, "不了解": d}


TALLY = RawSurvey(55, 50, [counts(42, 5, 3), counts(40, 6, 4), counts(38, 7, 3, 2)])
INPUTS = {
    "第一支部": RawBranchInputs({}, survey=TALLY),
    "第二支部": RawBranchInputs({"7.1": 3}, {"7.1": "有群众来信反映"}, survey=TALLY),
    "第三支部": RawBranchInputs({"7.1": 2}),
}


def test_survey_sheet_chart_and_json(tmp_path: Path) -> None:
    book = write_template(
        tmp_path / "考评.xlsx", TemplateOptions(list(INPUTS), year=2026, inputs=INPUTS)
    )
    out, js = tmp_path / "汇总.xlsx", tmp_path / "汇总.json"
    assert main(["consolidate", str(book), "-o", str(out), "--json", str(js)]) == 0
    sheet = openpyxl.load_workbook(out)["群众测评"]
    rows = {r[1]: r for r in sheet.iter_rows(values_only=True) if r[0] and isinstance(r[0], int)}
    first, second, third = rows["第一支部"], rows["第二支部"], rows["第三支部"]
    # 发放 收回 有效票 | 3 rates | overall | points | tally deduction | counted | overridden | note
    assert first[2:5] == (55, 50, 48)
    assert [round(v, 4) for v in first[5:9]] == [0.94, 0.92, 0.9375, 0.9324]
    assert first[9:] == (23.5, 1.5, 1.5, "否", "按群众测评：满意率 93.2%（有效票 48）")
    assert second[9:] == (23.5, 1.5, 3, "是", "有群众来信反映")
    assert third[2] is None
    assert third[11:] == (2, "", "未计票")
    with zipfile.ZipFile(out) as archive:
        charts = [
            archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/charts/chart")
        ]
    (chart,) = [c for c in charts if "群众测评总体满意率" in c]
    assert "<c:f>群众测评!$I$4:$I$6</c:f>" in chart  # the overall rate of the three branches
    assert "<c:f>群众测评!$B$4:$B$6</c:f>" in chart
    data = {b["branch"]: b for b in json.loads(js.read_text(encoding="utf-8"))["branches"]}
    assert data["第一支部"]["survey"] == {
        "issued": 55,
        "returned": 50,
        "valid": 48,
        "rates_percent": [94, 92, 93.8],
        "rate_percent": 93.2,
        "points": 23.5,
        "tally_deduction": 1.5,
        "counted_deduction": 1.5,
        "source": "tally",
        "overridden": False,
        "note": "按群众测评：满意率 93.2%（有效票 48）",
        "problems": [],
    }
    assert data["第二支部"]["survey"]["overridden"] is True
    assert data["第二支部"]["survey"]["counted_deduction"] == 3
    assert data["第三支部"]["survey"] is None
    assert [a["assessor"] for a in data["第一支部"]["assessors"]] == [""]
    assert data["第一支部"]["combination"] is None
