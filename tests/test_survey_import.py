"""``survey import``: respondents' answers (CSV in UTF-8/GBK, xlsx) into the tallies."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from workbook.cli.main import main
from workbook.core import names
from workbook.core.standard import STANDARD_FILE_ENV
from workbook.inputs.consolidate import consolidate
from workbook.inputs.reader import read_branch_workbook
from workbook.outputs.template import TemplateOptions, write_template

from support.libreoffice import convert, requires_libreoffice
from support.libreoffice_uno import edit_in_libreoffice, uno_available

BRANCHES = ["第一支部", "第二支部", "第三支部"]
Q1 = "1. 党组织、党组织书记和服务中心、中心主任在党员中的威信"
Q2 = "2、党员在生产经营中的形象"
Q3 = "第3题"
HEADER = ["序号", "所在支部", Q1, Q2, Q3]


def respondents() -> list[list[object]]:
    """第一支部: 12 ballots, 第二支部: 3 (one question skipped); 第三支部 none."""
    rows: list[list[object]] = []
    answers = ["满意"] * 8 + ["基本满意"] * 2 + ["不满意", "不了解"]
    for n, answer in enumerate(answers):
        rows.append([n + 1, "第一支部", answer, "满意", answer])
    rows.append([13, "第二支部", "不满意", "基本满意", ""])
    rows.append([14, " 第二支部 ", "满意", "满意", "满意"])
    rows.append([15, "第二支部", "基本满意", "不了解", "不满意"])
    return rows


def write_csv(path: Path, rows: list[list[object]], encoding: str, header=HEADER) -> Path:
    lines = [",".join(str(v) for v in row) for row in [header, *rows]]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]], header=HEADER) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("答卷")
    for r, row in enumerate([header, *rows]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    return path


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return write_template(tmp_path / "考评.xlsx", TemplateOptions(BRANCHES, year=2026))


def tallies(path: Path) -> dict[str, dict[str, object]]:
    sheets = read_branch_workbook(path).sheets
    result = {}
    for sheet in sheets:
        v = sheet.values
        result[sheet.branch_name] = {
            "issued": v[names.SURVEY_ISSUED],
            "returned": v[names.SURVEY_RETURNED],
            "q": [[v[names.survey_count_name(q, a)] for a in range(1, 5)] for q in range(1, 4)],
        }
    return result


EXPECTED = {
    "第一支部": {"issued": 12, "returned": 12, "q": [[8, 2, 1, 1], [12, 0, 0, 0], [8, 2, 1, 1]]},
    "第二支部": {"issued": 3, "returned": 3, "q": [[1, 1, 1, 0], [1, 1, 0, 1], [1, 0, 1, 0]]},
}


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def cells_of(xml: bytes) -> dict[str, str]:
    return dict(re.findall(r'<c r="([A-Z]+\d+)"(.*?)(?:/>|</c>)', xml.decode()))


@pytest.mark.parametrize("kind", ["utf-8-sig", "utf-8", "gbk", "xlsx"])
def test_import_fills_the_tallies_and_nothing_else(
    tmp_path: Path, workbook: Path, kind: str, capsys
) -> None:
    if kind == "xlsx":
        responses = write_xlsx(tmp_path / "答卷.xlsx", respondents())
    else:
        responses = write_csv(tmp_path / "答卷.csv", respondents(), kind)
    source = responses.read_bytes()
    before = parts(workbook)
    out = tmp_path / "out.xlsx"
    assert main(["survey", "import", str(responses), "--into", str(workbook), "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert "第一支部（第一支部）：收回 12 张，发放 12 张" in said
    assert "原无计票" in said
    assert "计票未改动：第三支部" in said
    assert "已导入 15 份答卷" in said
    got = tallies(out)
    for branch, want in EXPECTED.items():
        assert got[branch] == want, branch
    assert got["第三支部"]["returned"] is None
    assert responses.read_bytes() == source
    assert parts(workbook) == before
    after = parts(out)
    assert list(after) == list(before)
    sheet_parts = {"xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml"}
    for name in before:
        if name not in sheet_parts:
            assert after[name] == before[name], name
    # In the two sheets only the tally's input cells changed, and the cached results of
    # formula cells; no formula changed.
    book = read_branch_workbook(workbook)
    for sheet, part in zip(book.sheets[:2], sorted(sheet_parts), strict=True):
        inputs = {sheet.cells[n].a1 for n in names.survey_input_names(load())}
        old, new = cells_of(before[part]), cells_of(after[part])
        changed = {ref for ref in old.keys() | new.keys() if old.get(ref) != new.get(ref)}
        assert changed & inputs, part
        for ref in changed - inputs:
            assert "<f>" in old[ref], (part, ref)
            assert formula_of(old[ref]) == formula_of(new[ref]), (part, ref)


def formula_of(cell: str) -> str:
    found = re.search(r"<f>(.*?)</f>", cell)
    assert found is not None, cell
    return found.group(1)


def load():
    from workbook.core.standard import load_standard

    return load_standard()


def test_import_twice_replaces_and_says_what(tmp_path: Path, workbook: Path, capsys) -> None:
    responses = write_csv(tmp_path / "答卷.csv", respondents(), "utf-8")
    assert main(["survey", "import", str(responses), "--into", str(workbook)]) == 0
    capsys.readouterr()
    assert main(["survey", "import", str(responses), "--into", str(workbook)]) == 0
    said = capsys.readouterr().out
    assert "第一支部（第一支部）：收回 12 张，发放 12 张（保留原值）；已替换原有计票" in said
    assert "原收回“12”，原各题合计：满意 28、基本满意 4、不满意 2、不了解 2" in said
    got = tallies(workbook)
    assert got["第一支部"] == EXPECTED["第一支部"]  # not doubled
    # The imported tally counts: 第一支部 has 10 valid ballots per question at least.
    result = consolidate([workbook])
    first = next(b for b in result.branches if b.branch == "第一支部")
    assert first.result is not None
    (deduction,) = [d for d in first.result.deductions if d.rule.id == "7.1"]
    # Q1 8+2 of 11, Q2 12 of 12, Q3 8+2 of 11: 32/34 = 94.1% -> 25 x 32/34 = 23.53 -> 23.5
    assert deduction.points == 1.5
    assert "满意率 94.1%（有效票 11）" in deduction.note


def test_every_problem_by_row_and_nothing_written(tmp_path: Path, workbook: Path, capsys) -> None:
    rows = respondents()
    rows.insert(2, ["", "", "", "", ""])  # row 4 (the header is row 1): empty
    rows.append([16, "第九支部", "满意", "满意", "满意"])  # row 18: unknown branch
    rows.append([17, "第一支部", "很满意", "满意", "一般"])  # row 19: two unknown answers
    rows.append([18, "", "满意", "满意", "满意"])  # row 20: no branch
    responses = write_csv(tmp_path / "答卷.csv", rows, "gbk")
    before = workbook.read_bytes()
    assert main(["survey", "import", str(responses), "--into", str(workbook)]) == 1
    err = capsys.readouterr().err
    assert f"{responses}，第 4 行：空行" in err
    assert "第 18 行：支部“第九支部”不在考评表中" in err
    assert "第 19 行第1题：答案“很满意”无效；应为：满意、基本满意、不满意、不了解" in err
    assert "第 19 行第3题：答案“一般”无效" in err
    assert "第 20 行：未填写支部" in err
    assert "共 5 处问题，未导入任何数据" in err
    assert workbook.read_bytes() == before


def test_headers_found_or_named_by_options(tmp_path: Path, workbook: Path, capsys) -> None:
    header = ["编号", "单位", "威信", "形象", "满意度"]
    responses = write_xlsx(tmp_path / "答卷.xlsx", respondents(), header)
    assert main(["survey", "import", str(responses), "--into", str(workbook)]) == 1
    err = capsys.readouterr().err
    assert "没有表头含“支部”的列" in err
    assert "--branch-column" in err
    assert "找不到第1题“党组织、党组织书记和服务中心、中心主任在党员中的威信”的列" in err
    assert "“编号”、“单位”、“威信”、“形象”、“满意度”" in err
    code = main(
        [
            "survey",
            "import",
            str(responses),
            "--into",
            str(workbook),
            "--branch-column",
            "单位",
            "--question-column",
            "1=威信",
            "--question-column",
            "2=形象",
            "--question-column",
            "3=满意度",
        ]
    )
    assert code == 0
    assert tallies(workbook)["第一支部"] == EXPECTED["第一支部"]
    assert (
        main(
            ["survey", "import", str(responses), "--into", str(workbook), "--question-column", "x"]
        )
        == 2
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "是空文件"),
        (b"\xef\xbb\xbf", "是空文件"),
        ("\ufeff支部,第1题,第2题,第3题\r\n,,,\r\n".encode(), "只有表头，没有任何答卷"),
        (b"\xff\x00\xfe\x81\x00", "不是 UTF-8 或 GBK 编码的文本"),
        (  # a cell past the csv module's field limit was 内部错误：Error
            ("支部,第1题,第2题,第3题\r\n第一支部," + "满" * 200_000 + ",满意,满意\r\n").encode(),
            "答卷.csv 第 2 行无法按 CSV 读取：有一格的文字超过 131072 个字符",
        ),
    ],
)
def test_hostile_files(
    tmp_path: Path, workbook: Path, content: bytes, message: str, capsys
) -> None:
    responses = tmp_path / "答卷.csv"
    responses.write_bytes(content)
    before = workbook.read_bytes()
    code = main(["survey", "import", str(responses), "--into", str(workbook)])
    err = capsys.readouterr().err
    assert code == 1, err
    assert message in err, err
    assert "Traceback" not in err
    assert workbook.read_bytes() == before


def test_other_file_kinds_refused(tmp_path: Path, workbook: Path, capsys) -> None:
    responses = tmp_path / "答卷.ods"
    responses.write_bytes(b"PK")
    assert main(["survey", "import", str(responses), "--into", str(workbook)]) == 1
    assert "不支持的文件类型 .ods" in capsys.readouterr().err


def test_a_csv_named_xlsx_is_told_to_be_renamed(tmp_path: Path, workbook: Path, capsys) -> None:
    """An online survey's CSV export saved as 答卷.xlsx: this command reads CSV, so renaming it is
    all it takes (not 另存为 .xlsx in Excel)."""
    responses = write_csv(tmp_path / "答卷.xlsx", respondents(), "utf-8")
    before = workbook.read_bytes()
    assert main(["survey", "import", str(responses), "--into", str(workbook)]) == 1
    err = capsys.readouterr().err
    assert (
        "答卷.xlsx 不是 Excel 工作簿，而是文本文件（如 CSV）；如果是导出的 CSV 答卷，"
        "把扩展名改为 .csv（答卷.csv）后重新导入即可" in err
    ), err
    assert workbook.read_bytes() == before
    renamed = responses.rename(tmp_path / "答卷.csv")
    assert main(["survey", "import", str(renamed), "--into", str(workbook)]) == 0


def test_import_writes_the_results_recalc_gives(tmp_path: Path, workbook: Path, capsys) -> None:
    """The computed cells' cached results are the new tally's, exactly as ``recalc`` writes
    them: a program that does not recalculate on opening shows the right scores."""
    responses = write_csv(tmp_path / "答卷.csv", respondents(), "utf-8")
    out = tmp_path / "out.xlsx"
    assert main(["survey", "import", str(responses), "--into", str(workbook), "-o", str(out)]) == 0
    assert "已按新的计票重新计算" in capsys.readouterr().out
    again = tmp_path / "recalculated.xlsx"
    assert main(["recalc", str(out), "-o", str(again)]) == 0
    imported, recalculated = parts(out), parts(again)
    for part in ("xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml"):
        assert cells_of(imported[part]) == cells_of(recalculated[part]), part
    sheet = read_branch_workbook(out).sheets[0]
    # 第一支部 (不了解 is no valid vote): 满意 + 基本满意 32 of 34 valid answers,
    # 25 x 32/34 = 23.53, to half points 23.5.
    assert sheet.values[names.survey_rate_name(1)] == pytest.approx(10 / 11)
    assert sheet.values[names.item_score_name(7)] == 23.5
    assert sheet.values[names.TOTAL_SCORE] == 98.5
    assert sheet.values[names.GRADE] == "好"


@pytest.mark.libreoffice
@requires_libreoffice
def test_libreoffice_shows_the_imported_scores_without_recalculating(
    tmp_path: Path, workbook: Path, capsys
) -> None:
    """LibreOffice's default for an xlsx file is never to recalculate on opening: what it
    prints is what the file holds."""
    responses = write_csv(tmp_path / "答卷.csv", respondents(), "utf-8")
    out = tmp_path / "导入后.xlsx"
    assert main(["survey", "import", str(responses), "--into", str(workbook), "-o", str(out)]) == 0
    pdf = convert(out, "pdf", tmp_path / "pdf", recalculate=False)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    totals = re.findall(r"合计得分（满分100分）\s+(\S+)", text)
    assert totals[:3] == ["98.5", "100", "100"], totals


def test_a_changed_standard_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Like recalc and consolidate: a workbook made from one version of a standard file is not
    filled by another version's questions and answers."""
    monkeypatch.setenv(STANDARD_FILE_ENV, "")
    original = (Path(__file__).parent / "data" / "standard-synthetic.toml").read_text("utf-8")
    made_with = tmp_path / "标准.toml"
    made_with.write_text(original, encoding="utf-8")
    path = tmp_path / "考评.xlsx"
    assert (
        main(["template", "-o", str(path), "--branch", "甲支部", "--standard-file", str(made_with)])
        == 0
    )
    changed = tmp_path / "改过的标准.toml"
    # An answer renamed: the counts of the old answers would be read against the new ones.
    changed.write_text(original.replace('text = "满意"', 'text = "满意了"'), encoding="utf-8")
    answers = tmp_path / "答卷.csv"
    answers.write_text("支部,居民满意情况,居民知晓情况\n甲支部,满意了,不满意\n", encoding="utf-8")
    before = path.read_bytes()
    capsys.readouterr()
    code = main(
        ["survey", "import", str(answers), "--into", str(path), "--standard-file", str(changed)]
    )
    err = capsys.readouterr().err
    assert code == 1, err
    assert "考评.xlsx：标准内容不符" in err
    assert path.read_bytes() == before


@pytest.mark.parametrize("lock", ["~$考评.xlsx", ".~lock.考评.xlsx#"])
def test_a_workbook_open_elsewhere_is_written_with_a_warning(
    tmp_path: Path, workbook: Path, lock: str, capsys
) -> None:
    """As recalc warns: saving in the window that has the workbook open would throw the
    imported tallies away."""
    (workbook.parent / lock).write_bytes(b"")
    responses = write_csv(tmp_path / "答卷.csv", respondents(), "utf-8")
    before = workbook.read_bytes()
    assert main(["survey", "import", str(responses), "--into", str(workbook)]) == 0
    err = capsys.readouterr().err
    assert (
        f"提示：{workbook} 似乎正在 Excel、WPS 或 LibreOffice 中打开（有它的临时文件 {lock}）"
        in err
    )
    assert "在那个窗口中保存会覆盖这次导入的计票" in err
    assert workbook.read_bytes() != before


@pytest.mark.libreoffice
@pytest.mark.skipif(not uno_available(), reason="LibreOffice's Python bridge is not installed")
def test_formulas_in_the_tally_are_replaced_by_the_counts(
    tmp_path: Path, workbook: Path, capsys
) -> None:
    """Formulas typed into the tally kept their own results wherever the workbook was
    recalculated, while the file held the imported counts as their cached values: the tool
    said 98.5, LibreOffice and Excel something else."""
    sheet = read_branch_workbook(workbook).sheets[0]
    typed = {
        names.SURVEY_ISSUED: "=6+6",
        names.SURVEY_RETURNED: "=3",
        names.survey_count_name(1, 1): "=1+1",
    }
    steps: list[list[object]] = [
        ["formula", "第一支部", sheet.cells[name].a1, formula] for name, formula in typed.items()
    ]
    edited = edit_in_libreoffice(workbook, tmp_path / "有公式.xlsx", steps)
    responses = write_csv(tmp_path / "答卷.csv", respondents(), "utf-8")
    out = tmp_path / "导入后.xlsx"
    assert main(["survey", "import", str(responses), "--into", str(edited), "-o", str(out)]) == 0
    said = capsys.readouterr().out
    was = "、".join(f"{sheet.cells[name].a1} {formula}" for name, formula in typed.items())
    assert f"计票单元格中的公式已改为导入的票数（原公式：{was}）" in said
    assert "已导入 15 份答卷（2 个支部）" in said
    cells = cells_of(parts(out)["xl/worksheets/sheet2.xml"])
    for name in typed:
        assert "<f" not in cells[sheet.cells[name].a1], name
    # A program that recalculates everything shows what the tool wrote.
    pdf = convert(out, "pdf", tmp_path / "pdf", recalculate=True)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    totals = re.findall(r"合计得分（满分100分）\s+(\S+)", text)
    assert totals[:2] == ["98.5", "100"], totals


def test_the_first_cell_of_a_shared_formula_in_the_tally_is_refused(
    tmp_path: Path, workbook: Path, capsys
) -> None:
    """Excel writes a formula filled down as a shared formula: its other cells depend on the
    first one, so that one is not taken out; the user is told what to do, nothing is written."""
    cell = read_branch_workbook(workbook).sheets[0].cells[names.survey_count_name(1, 1)].a1
    with zipfile.ZipFile(workbook) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(workbook, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in members:
            if info.filename == "xl/worksheets/sheet2.xml":
                text = data.decode("utf-8")
                text, count = re.subn(
                    rf'<c r="{cell}"([^>]*?)/>',
                    rf'<c r="{cell}"\1><f t="shared" ref="{cell}:{cell}" si="0">1+1</f><v>2</v></c>',
                    text,
                )
                assert count == 1
                data = text.encode("utf-8")
            target.writestr(info, data)
    responses = write_csv(tmp_path / "答卷.csv", respondents(), "utf-8")
    before = workbook.read_bytes()
    assert main(["survey", "import", str(responses), "--into", str(workbook)]) == 1
    err = capsys.readouterr().err
    assert f"第一支部!{cell}：群众测评计票单元格是共享公式或数组公式的首个单元格" in err
    assert "请先把计票区的公式改为数值" in err
    assert workbook.read_bytes() == before


def test_a_responses_workbook_past_the_size_limits_is_refused(
    tmp_path: Path, workbook: Path, capsys
) -> None:
    """Every command refuses a part decompressing past 100 MiB; the responses workbook was
    inflated by python-calamine whatever its size."""
    responses = write_xlsx(tmp_path / "答卷.xlsx", respondents())
    with zipfile.ZipFile(responses) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(responses, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in members:
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (101 << 20), 1)
            target.writestr(info.filename, data)
    before = workbook.read_bytes()
    assert main(["survey", "import", str(responses), "--into", str(workbook)]) == 1
    err = capsys.readouterr().err
    assert (
        "答卷.xlsx 中的部件 xl/worksheets/sheet1.xml 解压后有 101 MiB，超过本工具的上限 100 MiB"
        in err
    )
    assert workbook.read_bytes() == before
