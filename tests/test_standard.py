"""The standard data file against the notice, and the loader's validation."""

from __future__ import annotations

import copy
import re
import tomllib
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from workbook.errors import StandardFileError
from workbook.standard import (
    Standard,
    available_standards,
    fmt,
    load_standard,
    load_standard_file,
    parse_standard,
)


def squash(text: str) -> str:
    """The notice's table is tab- and newline-formatted; compare without layout whitespace."""
    return re.sub(r"[\t\r\n]+", "", text)


@pytest.fixture()
def data() -> dict:
    resource = resources.files("workbook.standards").joinpath("anji-2012-6.toml")
    with resource.open("rb") as handle:
        return tomllib.load(handle)


def test_seven_items_total_100(standard: Standard) -> None:
    assert [item.points for item in standard.items] == [15, 10, 10, 10, 10, 20, 25]
    assert standard.total_points == 100


def test_rule_numbering_follows_the_notice(standard: Standard) -> None:
    counts = {item.number: len(item.rules) for item in standard.items}
    assert counts == {1: 4, 2: 3, 3: 4, 4: 2, 5: 3, 6: 4, 7: 1}
    assert standard.rule("1.1").wording.startswith("没有配备党组织书记")
    assert standard.rule("1.1").wording.endswith("扣15分")
    assert standard.rule("7.1").wording == "根据群众测评结果酌情扣分"


def test_every_text_is_verbatim_from_the_notice(standard: Standard, notice_text: str) -> None:
    notice = squash(notice_text)
    for item in standard.items:
        # 项目及分值 as printed: name, then "（N分）".
        assert f"{item.name}（{fmt(item.points)}分）" in notice
        assert item.indicators in notice
        # The rules, joined as the notice joins them, give the whole 评分办法 cell.
        assert item.method in notice, item.method
        for rule in item.rules:
            assert rule.wording in notice
    for veto in standard.vetoes:
        assert veto in notice
    assert "注：（1）" + standard.note_1 in notice
    assert "（2）" + standard.note_2 in notice
    for grade in standard.grades:
        assert grade.wording in notice
    assert standard.title in notice
    assert standard.document in notice
    assert standard.issuer in notice


def test_deduction_ranges_read_from_the_wording(standard: Standard) -> None:
    """Each rule's kind and values match the "扣N分" / "扣a-b分" / "酌情扣分" in its wording."""
    for rule in standard.rules:
        fixed = re.search(r"扣(\d+(?:\.\d+)?)分$", rule.wording)
        ranged = re.search(r"扣(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)分$", rule.wording)
        if ranged:
            assert (rule.kind, rule.min, rule.max) == (
                "range",
                Decimal(ranged.group(1)),
                Decimal(ranged.group(2)),
            )
        elif fixed:
            assert (rule.kind, rule.max) == ("fixed", Decimal(fixed.group(1)))
        else:
            assert rule.wording.endswith("酌情扣分")
            item = standard.item(rule.item_number)
            assert (rule.kind, rule.min, rule.max) == ("range", 0, item.points)


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        ("100", "好"),
        ("90", "好"),
        ("89.5", "较好"),
        ("89.99", "较好"),
        ("80", "较好"),
        ("79.5", "一般"),
        ("60", "一般"),
        ("59.5", "较差"),
        ("0", "较差"),
    ],
)
def test_grade_bands(standard: Standard, total: str, grade: str) -> None:
    assert standard.grade_for(Decimal(total)) == grade


def test_fmt_never_shows_binary_noise() -> None:
    assert fmt(Decimal("89.5")) == "89.5"
    assert fmt(Decimal("15.0")) == "15"
    assert fmt(Decimal("0.50")) == "0.5"
    assert fmt(Decimal("100")) == "100"


def test_shipped_standards_are_listed() -> None:
    assert "anji-2012-6" in available_standards()


def test_unknown_standard_is_a_clear_error() -> None:
    with pytest.raises(StandardFileError, match="找不到标准“no-such”"):
        load_standard("no-such")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["items"][0].update(points=16), "各项目分值之和为 101，应等于总分 100"),
        (
            lambda d: d["items"][1]["rules"][0].update(kind="sometimes"),
            "规则 2.1 的类型应为 fixed 或 range",
        ),
        (lambda d: d["items"][0]["rules"][1].update(min=4), "规则 1.2 的扣分范围 4-3 无效"),
        (
            lambda d: d["items"][0]["rules"][0].update(points=20),
            "规则 1.1 的最大扣分 20 超过该项分值 15",
        ),
        (lambda d: d["items"][2]["rules"][0].pop("wording"), "规则 3.1 缺少文字项“wording”"),
        (lambda d: d["grades"].reverse(), "等级应按下限从高到低排列"),
        (lambda d: d["grades"][3].update(min=10), "最低等级的下限应为 0"),
        (lambda d: d["grades"][1].update(name="好"), "等级名称重复"),
        (lambda d: d.update(veto_grade="很差"), "否决后的等级“很差”不是已定义的等级"),
        (lambda d: d.update(items=[]), "没有任何项目"),
        (lambda d: d["items"][3]["rules"][1].update(max="三"), "应为数值"),
    ],
)
def test_invalid_standard_files_are_rejected(data: dict, mutate, message: str) -> None:
    broken = copy.deepcopy(data)
    mutate(broken)
    with pytest.raises(StandardFileError, match=re.escape(message)):
        parse_standard(broken)


def test_load_standard_file_reports_syntax_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("id = \n", encoding="utf-8")
    with pytest.raises(StandardFileError, match="格式错误"):
        load_standard_file(path)
    with pytest.raises(StandardFileError, match="文件或文件夹不存在"):
        load_standard_file(tmp_path / "missing.toml")


def test_another_year_is_a_new_file_not_code(tmp_path: Path, data: dict) -> None:
    """A changed standard loads from its own file, and the engine follows it."""
    from workbook.scoring import RawBranchInputs, assess_branch

    text = resources.files("workbook.standards").joinpath("anji-2012-6.toml").read_text("utf-8")
    text = text.replace('id = "anji-2012-6"', 'id = "anji-2027"').replace("min = 90", "min = 95")
    path = tmp_path / "anji-2027.toml"
    path.write_text(text, encoding="utf-8")
    other = load_standard_file(path)
    assert other.id == "anji-2027"
    result = assess_branch(other, RawBranchInputs({"7.1": 7})).result
    assert result is not None and result.total == 93 and result.grade == "较好"
