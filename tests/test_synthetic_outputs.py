"""The synthetic standard (tests/data/standard-synthetic.toml) through every output.

Its template in both formula modes (LibreOffice recalculates it to the engine's values), the
``recalc`` command, the ``consolidate`` summary and JSON are right for that standard and hold
none of the Anji standard's text; ``--standard-file`` and ``standard check`` as a user runs them.
"""

from __future__ import annotations

import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from workbook.cli.main import main
from workbook.core import names
from workbook.core.scoring import RawBranchInputs
from workbook.core.standard import STANDARD_FILE_ENV, Standard, load_standard, use_standard_file
from workbook.outputs.template import TemplateOptions, write_template

from support.libreoffice import convert, requires_libreoffice
from support.template_cases import (
    expected_cells,
    fill_template,
    mismatches,
    random_inputs,
    shown_values,
)

SYNTHETIC = Path(__file__).parent / "data" / "standard-synthetic.toml"
ANJI_FILE = Path(__file__).parent.parent / "workbook" / "standards" / "anji-2012-6.toml"
# Texts only the Anji standard (or code written for it) would put into a file.
ANJI_ONLY = (
    "安吉",
    "个体民营",
    "个民协",
    "党员服务中心",
    "〔2012〕",
    "较好",
    "较差",
    "一般",
    "89.5 分",
    "59.5 分",
    "0～25",
    "两位小数",
    "每个项目分值扣完为止",
    "满分100",
    "三项",
    "1～7",
    "第三部分",  # the Anji notice's section holding the checklist
)
BRANCHES = {
    # 44.5 + 加分 3.5 counted as 3 (the cap): 47.5 优秀
    "甲支部": RawBranchInputs(
        {"1.2": 0.5, "2.1": 5},
        {"1.2": "记录不全"},
        ["否", "否"],
        awards={"B.1": 2, "B.2": 1.5},
        award_notes={"B.1": "市级表彰"},
    ),
    # capped item: 30 合格
    "乙支部": RawBranchInputs({"1.1": 20, "1.2": 4, "1.3": 6}, {"1.1": "未建组织"}, []),
    # 38 + 2 = 40, vetoed: 不合格
    "丙支部": RawBranchInputs({"3.1": 12}, {}, ["是", ""], awards={"B.1": 2}),
    # a deduction with 2 places and an award the rule does not allow: 待修正
    "丁支部": RawBranchInputs({"2.3": 1.25}, {}, ["否", "否"], awards={"B.1": 1}),
    # 41.5 合格, lifted by 0.5 to the 优秀 edge
    "戊支部": RawBranchInputs({"2.1": 5, "2.2": 3, "1.2": 0.5}, {}, [], awards={"B.2": 0.5}),
}


@pytest.fixture
def synthetic(monkeypatch: pytest.MonkeyPatch) -> Standard:
    """The synthetic standard, used wherever its id is asked for (as --standard-file does)."""
    monkeypatch.setenv(STANDARD_FILE_ENV, "")
    return use_standard_file(SYNTHETIC)


def anji_text_in(path: Path) -> list[str]:
    """Each Anji-only text found in the text of any part of an xlsx package (or a text file)."""
    if path.suffix == ".xlsx":
        # The text of every part: XML text nodes (not attributes such as a row height of 59.5).
        with zipfile.ZipFile(path) as package:
            texts = {
                n: "\n".join(re.findall(r">([^<]+)<", package.read(n).decode("utf-8", "replace")))
                for n in package.namelist()
            }
    else:
        texts = {path.name: path.read_text(encoding="utf-8")}
    return [f"{name}: {s}" for name, text in texts.items() for s in ANJI_ONLY if s in text]


def test_the_anji_list_finds_anji_text(tmp_path: Path) -> None:
    """The scan is not empty-handed by construction: the Anji template is full of those texts."""
    path = write_template(tmp_path / "anji.xlsx", TemplateOptions(["甲支部"], formulas="native"))
    found = {hit.split(": ", 1)[1] for hit in anji_text_in(path)}
    assert {"安吉", "较好", "较差", "89.5 分", "0～25", "每个项目分值扣完为止"} <= found


@pytest.mark.parametrize("mode", ["xlwings", "native"])
def test_template_has_no_anji_text_and_its_cached_values_are_the_engines(
    tmp_path: Path, synthetic: Standard, mode: str
) -> None:
    options = TemplateOptions(
        list(BRANCHES), year=2030, formulas=mode, standard_id=synthetic.id, inputs=BRANCHES
    )  # type: ignore[arg-type]
    path = write_template(tmp_path / "syn.xlsx", options)
    assert anji_text_in(path) == []
    got = shown_values(path)
    want = {branch: expected_cells(synthetic, raw) for branch, raw in BRANCHES.items()}
    assert not mismatches(synthetic, got, want, "cached")
    assert [got[b][names.GRADE] for b in BRANCHES] == ["优秀", "合格", "不合格", "待修正", "优秀"]
    assert [got[b][names.BONUS_SCORE] for b in BRANCHES] == [3.0, 0.0, 2.0, "输入有误", 0.5]
    assert [got[b][names.TOTAL_SCORE] for b in BRANCHES] == [47.5, 30.0, 40.0, "待修正", 42.0]
    with zipfile.ZipFile(path) as package:
        core = package.read("docProps/core.xml").decode()
        custom = package.read("docProps/custom.xml").decode()
        shared = package.read("xl/sharedStrings.xml").decode()
    assert "2030年度考评定级表" in core  # the default sheet title (the file has none)
    assert synthetic.content_hash in custom
    assert "synthetic-test" in custom
    assert "42分及以上为“优秀”" in shared
    assert "最多 1 位小数" in shared
    assert "例如 41.5 分为“合格”，29.5 分为“不合格”" in shared


@requires_libreoffice
@pytest.mark.libreoffice
@pytest.mark.parametrize("mode", ["xlwings", "native"])
def test_libreoffice_recalculates_the_synthetic_template_to_engine_values(
    tmp_path: Path, synthetic: Standard, mode: str
) -> None:
    branches = {**BRANCHES, **random_inputs(synthetic, 40)}
    template = write_template(
        tmp_path / f"{mode}.xlsx",
        TemplateOptions(list(branches), formulas=mode, standard_id=synthetic.id),  # type: ignore[arg-type]
    )
    filled = fill_template(template, synthetic, branches, tmp_path / f"{mode}-filled.xlsx")
    recalculated = convert(filled, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo", recalculate=True)
    want = {branch: expected_cells(synthetic, raw) for branch, raw in branches.items()}
    wrong = mismatches(synthetic, shown_values(recalculated), want, "LibreOffice")
    assert not wrong, "\n".join(wrong[:30])


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_commands_with_a_standard_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(STANDARD_FILE_ENV, "")
    monkeypatch.chdir(tmp_path)
    std = ["--standard-file", str(SYNTHETIC)]
    branches = [a for b in BRANCHES for a in ("--branch", b)]
    code, _out, err = run(
        ["template", "-o", "syn.xlsx", "--formulas", "native", *branches, *std], capsys
    )
    assert code == 0, err
    synthetic = load_standard("synthetic-test")
    filled = fill_template(Path("syn.xlsx"), synthetic, BRANCHES, tmp_path / "filled.xlsx")

    # recalc: the workbook names its standard; the file supplies it.
    code, _out, err = run(["recalc", str(filled), "-o", "r.xlsx", *std], capsys)
    assert code == 1
    assert "丁支部" in err
    assert "扣分 1.25 的小数超过 1 位" in err
    assert "加分规则 B.1“获市级以上表彰的加2分”：加分 1 不符合此规则" in err
    got = shown_values(tmp_path / "r.xlsx")
    assert [got[b][names.TOTAL_SCORE] for b in BRANCHES] == [47.5, 30.0, 40.0, "待修正", 42.0]
    assert [got[b][names.BONUS_SCORE] for b in BRANCHES] == [3.0, 0.0, 2.0, "输入有误", 0.5]
    assert got["丁支部"][names.bonus_check_name(synthetic.bonus.rules[0])] == "输入有误：应为0或2"
    assert anji_text_in(tmp_path / "r.xlsx") == []

    # consolidate: summary and JSON, as a draft because 丁支部 is wrong.
    code, _out, err = run(
        [
            "consolidate",
            str(tmp_path / "r.xlsx"),
            "-o",
            "s.xlsx",
            "--json",
            "s.json",
            "--draft",
            *std,
        ],
        capsys,
    )
    assert code == 1, err
    assert "丁支部" in err, err
    assert (tmp_path / "s.xlsx").exists(), err
    assert anji_text_in(tmp_path / "s.xlsx") == []
    assert anji_text_in(tmp_path / "s.json") == []
    report = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    text = json.dumps(report, ensure_ascii=False)
    assert "synthetic-test" in text
    assert "优秀" in text
    assert "不合格" in text
    by_branch = {b["branch"]: b for b in report["branches"]}
    assert (by_branch["甲支部"]["total"], by_branch["甲支部"]["bonus"]) == (47.5, 3)
    assert by_branch["甲支部"]["awards"] == [
        {"rule": "B.1", "points": 2, "note": "市级表彰"},
        {"rule": "B.2", "points": 1.5, "note": ""},
    ]
    assert (by_branch["戊支部"]["total"], by_branch["戊支部"]["grade"]) == (42, "优秀")
    assert [b["branch"] for b in report["branches"] if b["rank"] == 1] == ["甲支部"]
    with zipfile.ZipFile(tmp_path / "s.xlsx") as package:
        shared = package.read("xl/sharedStrings.xml").decode()
    assert "某市测试协会考评定级汇总表" in shared  # the default summary title
    assert "加分项目（最多3分）" in shared
    assert "41.5 分为“合格”，29.5 分为“不合格”" in shared

    # Without the file, the workbook's standard is unknown: a clear message, exit 1.
    monkeypatch.setenv(STANDARD_FILE_ENV, "")
    code, _out, err = run(["recalc", str(filled), "-o", "r2.xlsx"], capsys)
    assert code == 1
    assert "找不到标准“synthetic-test”" in err
    assert "--standard-file" in err


def test_standard_and_standard_file_exclude_each_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(STANDARD_FILE_ENV, "")
    code, _, err = run(
        [
            "template",
            "-o",
            str(tmp_path / "x.xlsx"),
            "--branch",
            "甲",
            "--standard",
            "anji-2012-6",
            "--standard-file",
            str(SYNTHETIC),
        ],
        capsys,
    )
    assert code == 2
    assert "--standard 和 --standard-file 只能指定一个" in err
    assert not (tmp_path / "x.xlsx").exists()


def test_changed_standard_content_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Same id, other content: consolidate and recalc refuse; a workbook without the hash (made
    before it was recorded) is accepted by its id."""
    monkeypatch.setenv(STANDARD_FILE_ENV, "")
    monkeypatch.chdir(tmp_path)
    code, _, err = run(
        ["template", "-o", "syn.xlsx", "--branch", "甲支部", "--standard-file", str(SYNTHETIC)],
        capsys,
    )
    assert code == 0, err
    changed = tmp_path / "changed.toml"
    changed.write_text(
        SYNTHETIC.read_text(encoding="utf-8").replace(
            "走访不到位的扣1-2分", "走访不到位的扣1-2分（修订）"
        ),
        encoding="utf-8",
    )
    for args in (
        ["consolidate", "syn.xlsx", "-o", "s.xlsx"],
        ["recalc", "syn.xlsx", "-o", "r.xlsx"],
    ):
        code, _, err = run([*args, "--standard-file", str(changed)], capsys)
        assert code == 1
        assert "标准内容不符：该文件按标准“synthetic-test”生成" in err, err
    assert not (tmp_path / "s.xlsx").exists()
    assert not (tmp_path / "r.xlsx").exists()
    # Comments and spacing do not change the content.
    relaid = tmp_path / "relaid.toml"
    relaid.write_text("# 注释\n\n" + SYNTHETIC.read_text(encoding="utf-8"), encoding="utf-8")
    code, _, err = run(
        ["recalc", "syn.xlsx", "-o", "r.xlsx", "--standard-file", str(relaid)], capsys
    )
    assert code == 0, err
    # An older workbook without kp_standard_hash: accepted by its id.
    older = tmp_path / "older.xlsx"
    with zipfile.ZipFile(tmp_path / "syn.xlsx") as source, zipfile.ZipFile(older, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "docProps/custom.xml":
                text = data.decode()
                start = text.index(
                    '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="3" name="kp_standard_hash"'
                )
                end = text.index("</property>", start) + len("</property>")
                data = (text[:start] + text[end:]).encode()
            target.writestr(info, data)
    code, _, err = run(
        ["recalc", str(older), "-o", "r3.xlsx", "--standard-file", str(changed)], capsys
    )
    assert code == 0, err


@pytest.mark.parametrize("path", [SYNTHETIC, ANJI_FILE])
def test_standard_check_accepts_good_files(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["standard", "check", str(path)], capsys)
    assert code == 0, err
    assert "有效：编号" in out
    assert load_standard_hash(path)[:12] in out


def load_standard_hash(path: Path) -> str:
    from workbook.core.standard import load_standard_file

    return load_standard_file(path).content_hash


def test_standard_check_names_every_problem_by_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SYNTHETIC.read_text(encoding="utf-8")
    text = text.replace("total_points = 50", "total_points = 55\ntotle = 1")
    text = text.replace('min = "0.5", max = 4 }', "min = 5, max = 4 }", 1)
    text = text.replace('kind = "range", min = 1, max = 2 }', 'kind = "ranged", min = 1, max = 2 }')
    text = text.replace('name = "合格"\nmin = 30', 'name = "合格"\nmin = "x"')
    text = text.replace('indicators = "服务窗口、志愿服务、走访情况。"', 'indicators = ""')
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    lines = text.splitlines()

    def line_of(fragment: str) -> int:
        return next(n for n, line in enumerate(lines, start=1) if fragment in line)

    code, _out, err = run(["standard", "check", str(bad)], capsys)
    assert code == 1
    expected = [
        (line_of("total_points = 55"), "total_points", "各项目分值之和为 50，应等于总分 55"),
        (line_of("totle = 1"), "totle", "未知的键“totle”"),
        (line_of('min = "x"'), "grades[2].min", "第2个等级的下限 应为数值"),
        (line_of("min = 5, max = 4"), "items[1].rules[2]", "规则 1.2 的扣分范围 5-4 无效"),
        (line_of('indicators = ""'), "items[2].indicators", "缺少文字项“indicators”"),
        (line_of('"ranged"'), "items[2].rules[3]", "类型应为 fixed 或 range，实际为 'ranged'"),
    ]
    problem_lines = [line for line in err.splitlines() if line.startswith("  ")]
    assert len(problem_lines) == len(expected), err
    for line, (number, key, message) in zip(problem_lines, expected, strict=True):
        assert f"第{number}行（键 {key}）：" in line, line
        assert message in line, line
    assert "有 6 处问题" in err


def test_standard_check_reports_toml_syntax_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "syntax.toml"
    bad.write_text('id = "x"\ntitle = \n', encoding="utf-8")
    code, _, err = run(["standard", "check", str(bad)], capsys)
    assert code == 1
    assert "syntax.toml 第2行：TOML 格式错误" in err


def test_cached_values_use_decimal_places_of_the_standard(synthetic: Standard) -> None:
    assert synthetic.max_decimal_places == 1
    assert synthetic.band_examples.startswith("41.5")
    assert synthetic.bands_text == (
        "42分及以上为“优秀”，30分及以上不足42分为“合格”，不足30分为“不合格”"
    )
    assert Decimal(synthetic.total_points) == 50


def test_a_control_character_in_a_text_is_named_by_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An escape sequence in a grade name would recolour the console of `standard check` and
    land in every workbook cell that shows the grade; a line break in a text is fine."""
    text = SYNTHETIC.read_text(encoding="utf-8")
    text = text.replace('name = "合格"', 'name = "\\u001b[31m合格\\u0007"', 1)
    text = text.replace(
        'indicators = "服务窗口、志愿服务、走访情况。"',
        'indicators = "服务窗口、\\n志愿服务、走访情况。"',
    )
    bad = tmp_path / "控制字符.toml"
    bad.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "\\u001b" in row)
    code, out, err = run(["standard", "check", str(bad)], capsys)
    assert code == 1
    assert "\x1b" not in out + err
    assert (
        f"第{line}行（键 grades[2].name）：含有不可显示的控制字符 U+001B，请删除"
        f"（实际为 '\\x1b[31m合格\\x07'）" in err
    ), err
    assert "有 1 处问题" in err
    code, _, err = run(
        ["template", "--standard-file", str(bad), "-o", str(tmp_path / "t.xlsx")], capsys
    )
    assert code == 1
    assert "grades[2].name 含有不可显示的控制字符 U+001B" in err
    assert not (tmp_path / "t.xlsx").exists()
