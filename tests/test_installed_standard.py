"""A workbook made from a custom standard file, in Excel: the add-in only sees the standard's id,
so the file is installed on the computer (``branch-assess standard install``); until then every
function and the ribbon say in Chinese what is missing and how to fix it."""

from __future__ import annotations

import email
import email.policy
import sys
from pathlib import Path

import pytest

import xlplugin
from workbook.cli.main import main
from workbook.core import names
from workbook.core.scoring import RawBranchInputs
from workbook.core.standard import (
    STANDARD_FILE_ENV,
    STANDARDS_DIR_ENV,
    load_standard,
    load_standard_file,
    use_standard_file,
)
from workbook.errors import StandardFileError
from workbook.outputs.template import TemplateOptions, write_template
from xlplugin import udfs

from support.recording_excel import RecordingExcel

SYNTHETIC = Path(__file__).parent / "data" / "standard-synthetic.toml"
MISSING = "输入有误：本机未安装标准“synthetic-test”，请运行 branch-assess standard install 标准文件"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty standards folder, and no --standard-file in this process (as in Excel's)."""
    standards = tmp_path / "standards"
    monkeypatch.setenv(STANDARDS_DIR_ENV, str(standards))
    monkeypatch.setenv(STANDARD_FILE_ENV, "")
    return standards


def synthetic_workbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A two-branch xlwings-mode workbook of the synthetic standard (made with --standard-file)."""
    standard = use_standard_file(SYNTHETIC)
    path = tmp_path / "syn.xlsx"
    inputs = {"甲支部": RawBranchInputs({"1.2": 0.5}), "乙支部": RawBranchInputs({"2.1": 5})}
    write_template(path, TemplateOptions(list(inputs), 2030, "xlwings", standard.id, inputs=inputs))
    monkeypatch.setenv(STANDARD_FILE_ENV, "")
    return path


def test_udfs_say_the_standard_is_not_installed_then_compute(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    points = [[v] for v in (20.0, 18.0, 12.0)]  # the synthetic items' full points
    assert udfs.KP_TOTAL(points, "synthetic-test") == MISSING
    assert udfs.KP_CHECK(1.0, "1.2", "synthetic-test") == MISSING
    assert udfs.KP_GRADE(50.0, [["否"], ["否"]], "synthetic-test") == MISSING
    with pytest.raises(StandardFileError, match="branch-assess standard install"):
        load_standard("synthetic-test")

    assert main(["standard", "install", str(SYNTHETIC)]) == 0
    out = capsys.readouterr().out
    assert "已安装标准 synthetic-test（《某市社区党组织星级评定细则（测试用）》" in out
    assert (folder / "synthetic-test.toml").read_bytes() == SYNTHETIC.read_bytes()

    assert udfs.KP_TOTAL(points, "synthetic-test") == 50.0
    assert udfs.KP_CHECK(0.5, "1.2", "synthetic-test") == ""
    assert udfs.KP_CHECK(0.25, "1.2", "synthetic-test").startswith("输入有误：")
    assert udfs.KP_GRADE(41.5, [["否"], ["否"]], "synthetic-test") == "合格"
    assert udfs.KP_GRADE(50.0, [["是"], ["否"]], "synthetic-test") == "不合格"
    # The packaged standard is untouched, a bad id is still named as such.
    assert udfs.KP_TOTAL(points, "bad id!") == "输入有误：标准编号无效"


def test_a_broken_installed_file_is_named_in_the_cell(folder: Path) -> None:
    folder.mkdir()
    (folder / "synthetic-test.toml").write_text('id = "synthetic-test"\n', encoding="utf-8")
    assert udfs.KP_TOTAL([[1.0]], "synthetic-test") == (
        "输入有误：已安装的标准“synthetic-test”有误，请用 branch-assess standard install 重新安装"
    )


def test_install_refuses_a_packaged_id_and_a_bad_file(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    anji = Path(__file__).parent.parent / "workbook" / "standards" / "anji-2012-6.toml"
    assert main(["standard", "install", str(anji)]) == 1
    assert "与本工具自带的标准相同" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\ntotal_points = "一百"\n', encoding="utf-8")
    assert main(["standard", "install", str(bad)]) == 1
    assert "处问题" in capsys.readouterr().err
    assert not folder.exists()


@pytest.mark.parametrize("bad_id", ["../../evil", "..", "a/b", "a\\\\b", ".hidden", "有 空格"])
def test_install_refuses_an_id_that_is_not_a_plain_file_name(
    bad_id: str, folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The id becomes the installed file's name: a path in it must not write elsewhere."""
    text = SYNTHETIC.read_text(encoding="utf-8").replace(
        'id = "synthetic-test"', f'id = "{bad_id}"', 1
    )
    assert f'id = "{bad_id}"' in text
    work = tmp_path / "work" / "deep"
    work.mkdir(parents=True)
    custom = work / "custom.toml"
    custom.write_text(text, encoding="utf-8")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    for command in ("check", "install"):
        assert main(["standard", command, str(custom)]) == 1
        err = capsys.readouterr().err
        assert "第6行（键 id）" in err
        assert "只能由字母、数字和 - _ . 组成" in err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert not folder.exists()


def test_ribbon_recalculates_a_custom_standard_workbook_once_installed(
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = synthetic_workbook(tmp_path, monkeypatch)
    monkeypatch.delenv(xlplugin.DEBUG_ENV, raising=False)

    def press() -> RecordingExcel:
        excel = RecordingExcel.from_file(path)
        excel.answers = ["no"]
        monkeypatch.setitem(sys.modules, "xlwings", excel.xlwings_module())
        xlplugin.main()
        return excel

    with pytest.raises(SystemExit) as stop:
        press()
    assert stop.value.code == 1
    line = capsys.readouterr().err.strip()
    assert line.startswith("错误：找不到标准“synthetic-test”")
    assert "Traceback" not in line
    assert "或用 branch-assess standard install 安装" in line

    assert main(["standard", "install", str(SYNTHETIC)]) == 0
    capsys.readouterr()
    after = press()
    assert after.alerts[0]["prompt"].startswith("已重新计算 2 个支部，全部输入有效。")
    got = {
        sheet: after.value(sheet, after.names_of(sheet)[names.GRADE].split("!")[1].replace("$", ""))
        for sheet in ("甲支部", "乙支部")
    }
    assert got == {"甲支部": "优秀", "乙支部": "优秀"}


def test_email_and_survey_import_take_the_standard_file(
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every command that reads a workbook naming a custom standard takes --standard-file."""
    path = synthetic_workbook(tmp_path, monkeypatch)
    std = ["--standard-file", str(SYNTHETIC)]
    summary, eml = tmp_path / "汇总.xlsx", tmp_path / "汇总.eml"
    assert main(["consolidate", str(path), "-o", str(summary), *std]) == 0
    mail = ["email", str(summary), "--to", "a@example.org", "--from", "b@example.org"]
    monkeypatch.setenv(STANDARD_FILE_ENV, "")
    capsys.readouterr()
    assert main([*mail, "--eml", str(eml)]) == 1
    assert "找不到标准“synthetic-test”" in capsys.readouterr().err
    assert not eml.exists()
    assert main([*mail, "--eml", str(eml), *std]) == 0
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "2030年度某市测试协会考评定级汇总表"

    answers = tmp_path / "答卷.csv"
    rows = ["支部,居民满意情况,居民知晓情况", *["甲支部,满意,满意"] * 4, "甲支部,满意,不满意"]
    answers.write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setenv(STANDARD_FILE_ENV, "")
    capsys.readouterr()
    assert main(["survey", "import", str(answers), "--into", str(path)]) == 1
    assert "找不到标准“synthetic-test”" in capsys.readouterr().err
    assert main(["survey", "import", str(answers), "--into", str(path), *std]) == 0
    assert "已导入 5 份答卷（1 个支部）" in capsys.readouterr().out


def test_another_version_of_the_file_installed_is_named_not_computed(
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The functions see only what a formula passes: a custom standard's formulas name it with
    its content hash, so a workbook is not computed in Excel with another version of the file
    installed under the same id (here its document number changed)."""
    import re

    import openpyxl

    path = synthetic_workbook(tmp_path, monkeypatch)
    original = load_standard_file(SYNTHETIC)
    formulas = [
        cell.value
        for row in openpyxl.load_workbook(path)["甲支部"].iter_rows()
        for cell in row
        if isinstance(cell.value, str) and "KP_" in cell.value
    ]
    keys = {key for f in formulas for key in re.findall(r'"(synthetic-test[^"]*)"', f)}
    assert keys == {f"synthetic-test@{original.content_hash[:12]}"}
    key = keys.pop()
    points = [[v] for v in (20.0, 18.0, 12.0)]

    changed = tmp_path / "changed" / "standard-synthetic.toml"
    changed.parent.mkdir()
    text = SYNTHETIC.read_text(encoding="utf-8")
    changed.write_text(text.replace("测试〔2030〕1号", "测试〔2030〕2号", 1), encoding="utf-8")
    assert load_standard_file(changed).content_hash != original.content_hash
    assert main(["standard", "install", str(changed)]) == 0
    capsys.readouterr()
    said = udfs.KP_TOTAL(points, key)
    assert said == (
        f"输入有误：本机的标准“synthetic-test”（内容摘要 "
        f"{load_standard_file(changed).content_hash[:12]}）与制作本表时所用的（内容摘要 "
        f"{original.content_hash[:12]}）不同，请用 branch-assess standard install "
        "安装制作本表时所用的标准文件"
    )
    assert udfs.KP_GRADE(50.0, [["否"], ["否"]], key) == said
    # The id alone (a workbook made before keys carried the hash) still computes.
    assert udfs.KP_TOTAL(points, "synthetic-test") == 50.0

    assert main(["standard", "install", str(SYNTHETIC)]) == 0
    assert udfs.KP_TOTAL(points, key) == 50.0
    assert udfs.KP_GRADE(41.5, [["否"], ["否"]], key) == "合格"


def test_a_packaged_standard_is_named_by_its_id_alone() -> None:
    """The default template's formulas are as before: the shipped standard needs no hash."""
    from workbook.core.standard import formula_key

    standard = load_standard()
    assert formula_key(standard) == standard.id == "anji-2012-6"


def test_installing_another_version_says_what_it_replaces(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Workbooks made from the version installed before no longer compute in Excel: installing
    another version over it says so (it said only 已更新)."""
    assert main(["standard", "install", str(SYNTHETIC)]) == 0
    old_hash = load_standard_file(SYNTHETIC).content_hash
    changed = tmp_path / "新版.toml"
    changed.write_text(
        SYNTHETIC.read_text(encoding="utf-8").replace("居民满意情况", "居民满意程度"),
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["standard", "install", str(changed)]) == 0
    captured = capsys.readouterr()
    assert "已更新标准 synthetic-test" in captured.out
    assert (
        f"提示：原先安装的标准 synthetic-test 内容不同（内容摘要 {old_hash[:12]}），已被替换"
        in captured.err
    )
    # The same file again: nothing to warn about.
    assert main(["standard", "install", str(changed)]) == 0
    assert "提示" not in capsys.readouterr().err
