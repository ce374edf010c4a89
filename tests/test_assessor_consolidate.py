"""consolidate --assessors: several assessors' workbooks of one branch combined."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from workbook.cli.main import main
from workbook.core.scoring import RawBranchInputs
from workbook.inputs.consolidate import consolidate
from workbook.outputs.json_report import to_json
from workbook.outputs.template import TemplateOptions, write_template

BRANCH = "第一支部"


def workbook(
    folder: Path, assessor: str, deductions: dict[str, object], vetoes: list[object] | None = None
) -> Path:
    path = folder / f"{assessor or '空白'}.xlsx"
    return write_template(
        path,
        TemplateOptions(
            [BRANCH, "第二支部"] if assessor == "张三" else [BRANCH],
            year=2026,
            inputs={BRANCH: RawBranchInputs(deductions, {"1.2": f"{assessor}所见"}, vetoes or [])},
            assessor={BRANCH: assessor},
        ),
    )


def totals_folder(tmp_path: Path, totals: dict[str, float]) -> list[Path]:
    """One workbook per assessor whose total is 100 minus a 7.1 deduction."""

    def deductions(total: float) -> dict[str, object]:
        lost = 100 - total
        return {"7.1": lost} if lost <= 25 else {"7.1": lost - 15, "1.1": 15}

    return [workbook(tmp_path, name, deductions(total)) for name, total in totals.items()]


def combined(paths: list[Path], method: str, **options) -> dict:
    result = consolidate(paths, assessors=method, **options)  # type: ignore[arg-type]
    assert result.ok, [p.text() for p in result.errors]
    return {b["branch"]: b for b in to_json(result)["branches"]}[BRANCH]


def test_mean_of_three(tmp_path: Path) -> None:
    paths = totals_folder(tmp_path, {"张三": 100, "李四": 95, "王五": 90.5})
    branch = combined(paths, "mean")
    # (100 + 95 + 90.5) / 3 = 95.1666... -> 95.17 (half up to 2 places); item 7: 25 - 4.83
    assert branch["total"] == 95.17
    assert branch["grade"] == "好"
    assert branch["item_scores"][6] == 20.17
    assert [a["assessor"] for a in branch["assessors"]] == ["张三", "李四", "王五"]
    assert [a["total"] for a in branch["assessors"]] == [100, 95, 90.5]
    assert all(a["counted"] for a in branch["assessors"])
    assert branch["combination"] == {
        "method": "mean",
        "trimmed": False,
        "spread": 9.5,
        "threshold": 10,
        "flagged": False,
    }
    # Which assessor made which deduction.
    assert {"rule": "7.1", "points": 5, "note": "", "assessor": "李四"} in branch["deductions"]
    assert not any(d["assessor"] == "张三" for d in branch["deductions"])


def test_trimmed_with_five_and_six(tmp_path: Path) -> None:
    five = {"甲": 100, "乙": 90, "丙": 85, "丁": 80, "戊": 60}
    paths = totals_folder(tmp_path, five)
    branch = combined(paths, "trimmed")
    # 100 and 60 dropped: (90 + 85 + 80) / 3 = 85
    assert branch["total"] == 85
    assert branch["grade"] == "较好"
    assert [a["counted"] for a in branch["assessors"]] == [False, True, True, True, False]
    assert branch["combination"]["trimmed"] is True
    assert branch["combination"]["spread"] == 40
    assert branch["combination"]["flagged"] is True
    six = tmp_path / "six"
    six.mkdir()
    paths = totals_folder(six, {**five, "己": 89.75})
    # drop 100 and 60: (90 + 85 + 80 + 89.75) / 4 = 86.1875 -> 86.19
    assert combined(paths, "trimmed")["total"] == 86.19
    assert combined(paths, "mean")["total"] == 84.13  # 504.75 / 6 = 84.125 -> 84.13
    # The threshold is an option.
    assert combined(paths, "mean", spread_threshold=Decimal(40))["combination"]["flagged"] is False


def test_veto_disagreement_names_files_and_cells(tmp_path: Path, capsys) -> None:
    a = workbook(tmp_path, "张三", {}, ["是"])
    b = workbook(tmp_path, "李四", {}, ["否"])
    code = main(
        ["consolidate", str(a), str(b), "--assessors", "mean", "-o", str(tmp_path / "s.xlsx")]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "否决情形（1）" in err
    assert "考评人意见应一致" in err
    assert f"{a}，第一支部!E31" in err or f"{a.name}，第一支部!E" in err
    assert "张三" in err
    assert "李四" in err
    assert "李四.xlsx，第一支部!E" in err


def test_duplicates_and_blank_assessors(tmp_path: Path, capsys) -> None:
    a = workbook(tmp_path, "张三", {})
    other = tmp_path / "again"
    other.mkdir()
    b = workbook(other, "张三", {"1.1": 15})
    out = tmp_path / "s.xlsx"
    assert main(["consolidate", str(a), str(b), "--assessors", "mean", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "考评人“张三”对同一支部提交了 2 份考评" in err
    # Without --assessors: the same branch twice stays an error.
    assert main(["consolidate", str(a), str(b), "-o", str(out)]) == 1
    assert "重复" in capsys.readouterr().err
    blank = workbook(other, "", {})
    assert main(["consolidate", str(a), str(blank), "--assessors", "mean", "-o", str(out)]) == 1
    assert "未填写考评人" in capsys.readouterr().err


def test_cli_writes_summary_and_json(tmp_path: Path) -> None:
    paths = totals_folder(tmp_path, {"张三": 100, "李四": 85, "王五": 88})
    out, js = tmp_path / "汇总.xlsx", tmp_path / "汇总.json"
    code = main(
        ["consolidate", *map(str, paths), "--assessors", "mean", "-o", str(out), "--json", str(js)]
    )
    assert code == 0
    data = json.loads(js.read_text(encoding="utf-8"))
    branch = {b["branch"]: b for b in data["branches"]}[BRANCH]
    assert branch["total"] == 91
    assert branch["combination"]["flagged"] is True
    assert out.exists()


def test_summary_shows_each_assessor_and_the_spread(tmp_path: Path) -> None:
    import openpyxl

    paths = totals_folder(tmp_path, {"张三": 100, "李四": 85, "王五": 88})
    out = tmp_path / "汇总.xlsx"
    assert main(["consolidate", *map(str, paths), "--assessors", "mean", "-o", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    rows = [[c for c in row] for row in book["多人考评"].iter_rows(values_only=True)]
    mine = [r for r in rows if r[0] == BRANCH]
    assert [(r[1], r[3], r[5]) for r in mine] == [
        ("张三", 100, "是"),
        ("李四", 85, "是"),
        ("王五", 88, "是"),
    ]
    assert all(r[6] == "91（平均）" for r in mine)
    assert all(r[7] == "15 分（超过 10 分，请复核）" for r in mine)
    detail = [r for r in book["扣分明细"].iter_rows(values_only=True) if r[1] == BRANCH]
    assert [(r[3], r[5], r[6]) for r in detail] == [("1.2", None, None)] * 0 + [
        ("7.1", 15, "（考评人 李四）"),
        ("7.1", 12, "（考评人 王五）"),
        ("注（2）", -18, "按平均核减 18 分"),  # the rows add up to the mean loss, 9
    ]
