"""Working days for the 公示期 (tests/workday_cases.toml) and the 公示 texts as data."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from workbook.core.standard import Standard, load_standard_file
from workbook.core.workdays import Calendar, parse_calendar, publication_texts, working_period
from workbook.errors import CalendarFileError

TESTS = Path(__file__).parent
CASES = tomllib.loads((TESTS / "workday_cases.toml").read_text("utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["description"][:40] for c in CASES])
def test_case(case: dict) -> None:
    calendar = parse_calendar(case.get("calendar", ""))
    assert working_period(case["start"], case["days"], calendar) == (case["first"], case["last"])


def test_calendar_marks() -> None:
    calendar = parse_calendar("2026-10-01\n2026-10-10 班\n\n# note\n")
    assert calendar == Calendar(
        frozenset({dt.date(2026, 10, 1)}), frozenset({dt.date(2026, 10, 10)})
    )
    assert not calendar.is_working_day(dt.date(2026, 10, 1))
    assert calendar.is_working_day(dt.date(2026, 10, 10))  # a Saturday worked
    assert not calendar.is_working_day(dt.date(2026, 10, 11))  # a Sunday


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "2026-10-01\n2026/10/02",
            "节假日文件 第2行：日期应写作 YYYY-MM-DD（如 2026-10-01），实际为“2026/10/02”",
        ),
        ("20261001", "第1行：日期应写作 YYYY-MM-DD，实际为“20261001”"),
        ("2026-10-01 假", "第1行：标记应为“休”或“班”，实际为“假”"),
        ("2026-10-01\n\n2026-10-01 休", "第3行：日期 2026-10-01 重复"),
        ("2026-10-09 班", "第1行：2026-10-09 是工作日，标记“班”只用于调休上班的周六、周日"),
        ("2026-10-01 休 元旦", "第1行：应为“日期”或“日期 休/班”"),
    ],
)
def test_bad_calendar_lines_are_named(text: str, message: str) -> None:
    with pytest.raises(CalendarFileError, match=message):
        parse_calendar(text)


def test_anji_publication_texts(standard: Standard) -> None:
    assert standard.publication is not None
    texts = publication_texts(
        standard.publication, 2026, dt.date(2026, 12, 30), parse_calendar("2027-01-01")
    )
    assert texts.title == "2026年度支部（党员服务中心）规范化建设考评定级结果公示"
    assert texts.period == "公示期：2026年12月30日至2027年1月6日（5个工作日）。"
    assert texts.date == "2026年12月30日"
    assert texts.issuer == "中共安吉县个体民营企业协会委员会"
    assert "有异议" in texts.objections
    assert "{" not in texts.intro + texts.objections


def test_publication_texts_follow_the_standard_file() -> None:
    synthetic = load_standard_file(TESTS / "data" / "standard-synthetic.toml")
    assert synthetic.publication is not None
    texts = publication_texts(synthetic.publication, 2030, dt.date(2026, 12, 17))
    assert texts.title == "2030年星级评定结果公示"
    # 7 working days from Thursday 17 December: 17, 18, 21, 22, 23, 24, 25.
    assert texts.period == "公示时间：2026.12.17—2026.12.25，共7个工作日。"
    assert texts.last == dt.date(2026, 12, 25)
    other = publication_texts(synthetic.publication, 2030, dt.date(2026, 12, 17), days=2)
    assert other.period == "公示时间：2026.12.17—2026.12.18，共2个工作日。"
