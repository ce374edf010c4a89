"""Working-day arithmetic for the 公示期, and the 公示 texts filled in. Pure.

A working day is Monday to Friday, unless a holiday list makes it a holiday (休), and a
Saturday or Sunday the list makes a working day (班, 调休) is one. The texts themselves are data
(``[publication]`` in the standard file).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from workbook.core.standard_sections import Publication
from workbook.errors import CalendarFileError

HOLIDAY, WORKDAY = "休", "班"


@dataclass(frozen=True)
class Calendar:
    """Holidays on weekdays, and weekend days worked (调休)."""

    holidays: frozenset[_dt.date] = frozenset()
    workdays: frozenset[_dt.date] = frozenset()

    def is_working_day(self, day: _dt.date) -> bool:
        """True for a working day."""
        if day in self.holidays:
            return False
        return day in self.workdays or day.weekday() < 5


WEEKDAYS_ONLY = Calendar()


def parse_calendar(text: str, source: str = "节假日文件") -> Calendar:
    """Read a holiday list: one date a line, ``YYYY-MM-DD`` then optionally 休 (the default) or
    班 (a weekend day worked); ``#`` starts a comment; blank lines are ignored.

    Raises:
        CalendarFileError: naming the line: a bad date or mark, a date listed twice, 班 on a
            weekday.
    """
    holidays: set[_dt.date] = set()
    workdays: set[_dt.date] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        where = f"{source} 第{number}行"
        if len(words) > 2:
            raise CalendarFileError(f"{where}：应为“日期”或“日期 休/班”，实际为“{line.strip()}”")
        try:
            day = _dt.date.fromisoformat(words[0])
        except ValueError:
            raise CalendarFileError(
                f"{where}：日期应写作 YYYY-MM-DD（如 2026-10-01），实际为“{words[0]}”"
            ) from None
        if len(words[0]) != 10:
            raise CalendarFileError(f"{where}：日期应写作 YYYY-MM-DD，实际为“{words[0]}”")
        mark = words[1] if len(words) == 2 else HOLIDAY
        if mark not in (HOLIDAY, WORKDAY):
            raise CalendarFileError(f"{where}：标记应为“{HOLIDAY}”或“{WORKDAY}”，实际为“{mark}”")
        if day in holidays or day in workdays:
            raise CalendarFileError(f"{where}：日期 {day.isoformat()} 重复")
        if mark == WORKDAY and day.weekday() < 5:
            raise CalendarFileError(
                f"{where}：{day.isoformat()} 是工作日，标记“{WORKDAY}”只用于调休上班的周六、周日"
            )
        (workdays if mark == WORKDAY else holidays).add(day)
    return Calendar(frozenset(holidays), frozenset(workdays))


def working_period(
    start: _dt.date, days: int, calendar: Calendar = WEEKDAYS_ONLY
) -> tuple[_dt.date, _dt.date]:
    """The first and last day of a period of ``days`` working days from ``start``.

    ``start`` itself is the first day when it is a working day; otherwise the period starts on
    the next working day. Published on Monday with 5 days: Monday to Friday.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    day = start
    while not calendar.is_working_day(day):
        day += _dt.timedelta(days=1)
    first = day
    counted = 1
    while counted < days:
        day += _dt.timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return first, day


@dataclass(frozen=True)
class PublicationTexts:
    """The 公示 sheet's texts for one publication date."""

    title: str
    intro: str
    period: str
    objections: str
    issuer: str
    date: str  # the publication date as the standard writes dates
    first: _dt.date | None  # None for a form to date by hand (no publication date given)
    last: _dt.date | None


def format_date(publication: Publication, day: _dt.date) -> str:
    """A date as the standard writes it, e.g. 2026年12月21日."""
    return publication.date_format.format(year=day.year, month=day.month, day=day.day)


def publication_texts(
    publication: Publication,
    year: int | str,
    start: _dt.date,
    calendar: Calendar = WEEKDAYS_ONLY,
    days: int | None = None,
) -> PublicationTexts:
    """Fill in the 公示 texts: the period from ``start`` for ``days`` working days (the
    standard's ``working_days`` by default)."""
    count = publication.working_days if days is None else days
    first, last = working_period(start, count, calendar)
    date_text = format_date(publication, start)
    values: dict[str, object] = {
        "year": year,
        "start": format_date(publication, first),
        "end": format_date(publication, last),
        "days": count,
        "issuer": publication.issuer,
        "date": date_text,
    }
    return PublicationTexts(
        title=publication.title.format(**values),
        intro=publication.intro.format(**values),
        period=publication.period.format(**values),
        objections=publication.objections.format(**values),
        issuer=publication.issuer.format(**values),
        date=date_text,
        first=first,
        last=last,
    )


BLANK_DATE = "　　　　年　　月　　日"  # a date to write by hand on a printed form


def undated_publication_texts(
    publication: Publication, year: int | str, days: int | None = None
) -> PublicationTexts:
    """The 公示 texts with blank dates, to be dated by hand (no publication date given)."""
    count = publication.working_days if days is None else days
    values: dict[str, object] = {
        "year": year,
        "start": BLANK_DATE,
        "end": BLANK_DATE,
        "days": count,
        "issuer": publication.issuer,
        "date": BLANK_DATE,
    }
    return PublicationTexts(
        title=publication.title.format(**values),
        intro=publication.intro.format(**values),
        period=publication.period.format(**values),
        objections=publication.objections.format(**values),
        issuer=publication.issuer.format(**values),
        date=BLANK_DATE,
        first=None,
        last=None,
    )
