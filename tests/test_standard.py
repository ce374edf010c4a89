"""The standard data file against the notice, and the loader's validation."""

from __future__ import annotations

import copy
import re
import tomllib
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from workbook.core.standard import (
    Standard,
    available_standards,
    fmt,
    load_standard,
    load_standard_file,
    parse_standard,
)
from workbook.errors import StandardFileError


def squash(text: str) -> str:
    """The notice's table is tab- and newline-formatted; compare without layout whitespace."""
    return re.sub(r"[\t\r\n]+", "", text)


@pytest.fixture
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
        (
            lambda d: d["grades"][0].update(min=900),  # 900 typed for 90: nobody is 好
            "等级“好”的下限 900 高于可能的最高得分 100，任何支部都评不到这一等级",
        ),
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
    from workbook.core.scoring import RawBranchInputs, assess_branch

    text = resources.files("workbook.standards").joinpath("anji-2012-6.toml").read_text("utf-8")
    text = text.replace('id = "anji-2012-6"', 'id = "anji-2027"').replace("min = 90", "min = 95")
    path = tmp_path / "anji-2027.toml"
    path.write_text(text, encoding="utf-8")
    other = load_standard_file(path)
    assert other.id == "anji-2027"
    result = assess_branch(other, RawBranchInputs({"7.1": 7})).result
    assert result is not None
    assert result.total == 93
    assert result.grade == "较好"


def test_checklist_is_verbatim_from_section_3(standard: Standard, notice_text: str) -> None:
    """Every checklist text is in the notice, and each list is the notice's whole list."""
    notice = squash(notice_text)
    checklist = standard.checklist
    assert checklist is not None
    for section in checklist.sections:
        assert section.name in notice
        for entry in section.entries:
            assert entry.text in notice, entry.text
        if section.choice is not None:
            assert section.choice.text in notice
    systems, wall = checklist.sections[0].entries[:10], checklist.sections[0].entries[10:]
    listed = "、".join(e.text for e in systems[:-1]) + "和" + systems[-1].text + "等"
    assert "即" + listed in notice
    assert all(e.choice for e in systems)
    assert not any(e.choice for e in wall)
    assert "悬挂党旗和入党誓词" in notice
    assert [e.text for e in wall] == ["悬挂党旗", "入党誓词"]
    room = checklist.sections[2].entries
    assert (
        "按照" + "、".join(e.text for e in room[:-1]) + "和" + room[-1].text + "等硬件要求"
        in notice
    )
    assert len(room) == 6
    carriers = checklist.sections[3].entries
    assert "创立" + "、".join(e.text for e in carriers) + "，" in notice
    assert [e.label for e in carriers] == ["党员网上教育平台", "QQ群", "微博", "短信平台"]
    organisation = checklist.sections[1].entries
    assert [e.scope for e in organisation] == [None, "分会支部", "分会支部", "分会支部"]


def test_checklist_hints_point_at_existing_rules(standard: Standard) -> None:
    assert standard.checklist is not None
    linked = {e.text: (e.rule_id, e.hint) for e in standard.checklist.entries if e.rule_id}
    assert linked["各支部设兼职支部书记一名"] == ("1.1", standard.rule("1.1").wording)
    assert linked["一台工作电脑"] == ("4.2", "活动场所设施不全的扣1-3分")
    assert linked["配备专职工作人员一名"] == ("5.3", "党务工作力量配备不齐的扣2分")


def test_survey_questions_are_verbatim(standard: Standard, notice_text: str) -> None:
    assert standard.survey is not None
    assert "根据" + standard.survey.name + "结果" in squash(notice_text)
    for question in standard.survey.questions:
        assert question in squash(notice_text)


def test_publication_texts_are_data(standard: Standard) -> None:
    publication = standard.publication
    assert publication is not None
    assert publication.working_days == 5
    assert publication.issuer == standard.issuer
    assert standard.bonus is None  # the notice has no 加分项


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["checklist"]["sections"][2]["entries"][0].update(rule="4.9"),
            "checklist.sections[3].entries[1].rule “4.9”不是本标准的规则编号",
        ),
        (
            lambda d: d["checklist"]["sections"][1]["entries"][1].update(scope="分会"),
            "checklist.sections[2].entries[2].scope “分会”未在 checklist.scopes 中列出",
        ),
        (
            lambda d: d["checklist"]["sections"][3]["entries"][0].update(hint="x"),
            "checklist.sections[4].entries[1].hint 需要同时给出 rule",
        ),
        (
            lambda d: d["checklist"]["sections"][0]["choose"].update(count=11),
            "checklist.sections[1].choose.count 为 11，多于可选的条目数 10",
        ),
        (lambda d: d["checklist"].update(no="是"), "checklist.no 不能与 checklist.yes 相同"),
        (lambda d: d["checklist"]["sections"][0].pop("name"), "checklist.sections[1].name"),
        (
            lambda d: d["publication"].update(working_days=0),
            "publication.working_days 应为不小于 1",
        ),
        (
            lambda d: d["publication"].update(title="{year}年{grade}"),
            "publication.title 中有未知的占位符 {grade}",
        ),
        (lambda d: d["publication"].update(period="{start"), "publication.period 中的花括号不成对"),
        (
            lambda d: d.update(bonus={"name": "加分", "wording": "x", "cap": 0, "rules": []}),
            "bonus.cap",
        ),
        (
            lambda d: d.update(
                bonus={
                    "name": "加分",
                    "wording": "加分不超过2分",
                    "cap": 2,
                    "rules": [{"wording": "表彰加3分", "kind": "fixed", "points": 3}],
                }
            ),
            "规则 B.1 的最大加分 3 超过加分上限 2",
        ),
        (lambda d: d.update(bonus={"name": "加分", "wording": "x", "cap": 2}), "bonus.rules"),
    ],
)
def test_invalid_optional_sections_name_the_key(data: dict, mutate, message: str) -> None:
    broken = copy.deepcopy(data)
    mutate(broken)
    with pytest.raises(StandardFileError, match=re.escape(message)):
        parse_standard(broken)


def test_optional_sections_may_be_left_out(data: dict) -> None:
    for key in ("survey", "checklist", "publication"):
        data.pop(key)
    bare = parse_standard(data)
    assert (bare.survey, bare.checklist, bare.publication, bare.bonus) == (None,) * 4
    assert bare.items == load_standard("anji-2012-6").items


def test_a_band_is_reachable_with_the_bonus() -> None:
    """With a bonus section the highest total is the total points plus the bonus cap."""
    synthetic = Path(__file__).parent / "data" / "standard-synthetic.toml"
    data = tomllib.loads(synthetic.read_text(encoding="utf-8"))
    assert (data["total_points"], data["bonus"]["cap"]) == (50, 3)
    data["grades"][0]["min"] = 53
    assert parse_standard(data).grades[0].min == 53
    data["grades"][0]["min"] = 53.5
    with pytest.raises(StandardFileError, match=re.escape("下限 53.5 高于可能的最高得分 53")):
        parse_standard(data)
