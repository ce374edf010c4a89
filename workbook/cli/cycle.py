"""The options of ``consolidate`` for the rest of the assessment cycle (issue 10): the 公示
(``--publish-date``, ``--publish-days``, ``--holidays``), the rectification workbooks
(``--rectification``) and the comparison with last year (``--previous``, ``--rename-map``).

Files named by these options are read and checked before any input workbook is read, so a
mistyped date or a broken JSON costs nothing; what depends on the consolidation (its year, its
branches) is checked right after it, before anything is written.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from workbook.cli.options import rename_map_option
from workbook.errors import CalendarFileError, ComparisonError, OutputError, PublicationError

if TYPE_CHECKING:
    from workbook.core.workdays import Calendar, PublicationTexts
    from workbook.core.year_over_year import YearComparison
    from workbook.inputs.consolidate import Consolidation
    from workbook.inputs.previous_year import PreviousYear
    from workbook.outputs.rectification import RectificationFile

F = TypeVar("F", bound=Callable[..., Any])

_PATH = click.Path(readable=False, path_type=Path)
HOLIDAY_FILE_EXPECTED = (
    "节假日文件应为 UTF-8 编码的文本文件，每行一个日期，写作 YYYY-MM-DD（如 2026-10-01），"
    "可后跟“休”或“班”（调休上班），# 后为注释；可用记事本新建，另存时选“UTF-8”编码"
)


def cycle_options(function: F) -> F:
    """Add the cycle's options to a command (keyword arguments of the same names)."""
    options = [
        click.option(
            "--publish-date",
            metavar="YYYY-MM-DD",
            help="公示开始日期；汇总表“公示”工作表据此写明公示期。不给出时公示期留空，打印后手填。",
        ),
        click.option(
            "--publish-days",
            type=click.IntRange(1, 60),
            metavar="天数",
            help="公示期的工作日数（默认按考评标准文件 [publication] 的 working_days，安吉标准为 5）。",
        ),
        click.option(
            "--holidays",
            type=_PATH,
            metavar="文件",
            help="节假日文件（UTF-8 文本，每行一个日期 YYYY-MM-DD，后跟“休”或“班”（调休上班），"
            "# 后为注释）；计算公示期时跳过节假日。",
        ),
        click.option(
            "--rectification",
            type=_PATH,
            metavar="文件夹",
            help="另为每个支部生成一份可打印的整改清单工作簿，放在此文件夹中。",
        ),
        click.option(
            "--previous",
            type=_PATH,
            metavar="上年.json",
            help="上一年度 consolidate --json 生成的 JSON；汇总表增加上年得分、上年等级、上年排名、"
            "变化和“年度对比”工作表。",
        ),
        rename_map_option(),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def parse_publish_date(text: str) -> _dt.date:
    """``--publish-date`` as a date, or a Chinese error."""
    try:
        if len(text) != 10:
            raise ValueError
        return _dt.date.fromisoformat(text)
    except ValueError:
        # [0-9], not \d: a year in full-width digits is not a date that does not exist.
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise PublicationError(
                f"--publish-date {text} 不是存在的日期（请核对月份和日）"
            ) from None
        wide = any(ch.isdigit() and not ch.isascii() for ch in text)
        digits = "，用半角数字" if wide else ""
        raise PublicationError(
            f"--publish-date 应写作 YYYY-MM-DD（如 2026-12-21{digits}），实际为“{text}”"
        ) from None


def check_publish_date(day: _dt.date, year: int | None) -> None:
    """The 公示 follows the assessment: in its year or the next one."""
    if year is not None and not year <= day.year <= year + 1:
        raise PublicationError(
            f"--publish-date {day.isoformat()} 不在 {year} 年度考评结果的公示时间内"
            f"（应在 {year} 年或 {year + 1} 年）"
        )


def read_holidays(path: Path) -> Calendar:
    """The holiday file, or a Chinese error naming it."""
    from workbook.core.workdays import parse_calendar
    from workbook.errors import describe_os_error
    from workbook.inputs.text_file import SMALL_TEXT_LIMIT, file_kind, read_at_most

    try:
        read = read_at_most(path)
    except OSError as error:
        raise CalendarFileError(f"无法读取节假日文件 {path}：{describe_os_error(error)}") from None
    if read is None:
        raise CalendarFileError(
            f"节假日文件 {path} 超过 {SMALL_TEXT_LIMIT >> 20} MiB，不像节假日文件；{HOLIDAY_FILE_EXPECTED}"
        )
    data = read
    kind = file_kind(data)
    if kind is not None:
        raise CalendarFileError(
            f"节假日文件 {path} 是{kind}，不是 UTF-8 编码的文本文件；{HOLIDAY_FILE_EXPECTED}"
        )
    return parse_calendar(data.decode("utf-8-sig"), source=f"节假日文件 {path}")


@dataclass
class CycleExtras:
    """What the cycle adds to one consolidation's outputs."""

    publication: PublicationTexts | None = None
    comparison: YearComparison | None = None
    previous: PreviousYear | None = None
    rectification: list[RectificationFile] = field(default_factory=list)
    rectification_dir: Path | None = None
    notices: list[str] = field(default_factory=list)

    def summary_options(self) -> dict[str, Any]:
        """Keyword arguments of ``write_summary``."""
        options: dict[str, Any] = {"publication": self.publication}
        if self.comparison is not None:
            options["comparison"] = (self.comparison, self.previous)
        return options

    def json_text(self, consolidation: Consolidation) -> str:
        """The JSON report, with ``previous`` per branch when compared with last year."""
        from workbook.outputs.json_report import report_text, to_json
        from workbook.outputs.year_sheet import add_previous_to_json

        data = to_json(consolidation)
        if self.comparison is not None and self.previous is not None:
            add_previous_to_json(data, self.comparison, self.previous)
        return report_text(data)

    def finish(self, consolidation: Consolidation, echo: Callable[[str], Any]) -> None:
        """Write the rectification workbooks (after the summary) and say what was written."""
        from workbook.outputs.rectification import write_rectification_books

        if self.rectification_dir is None:
            return
        written = write_rectification_books(
            consolidation, self.rectification_dir, draft=bool(consolidation.errors)
        )
        echo(
            f"已生成整改清单：{self.rectification_dir}（{len(written)} 个支部，每个支部一个工作簿）"
        )


@dataclass
class CyclePlan:
    """The cycle's options, with their files read and checked."""

    standard_id: str
    publish_date: _dt.date | None
    publish_days: int | None
    calendar: Calendar | None
    rectification: Path | None
    previous: PreviousYear | None
    renames: dict[str, str]
    named_inputs: list[Path]
    rename_map: Path | None = None
    output: Path | None = None
    input_folders: list[Path] = field(default_factory=list)

    @classmethod
    def from_options(
        cls,
        standard_id: str,
        inputs: tuple[Path, ...],
        output: Path,
        *,
        publish_date: str | None = None,
        publish_days: int | None = None,
        holidays: Path | None = None,
        rectification: Path | None = None,
        previous: Path | None = None,
        rename_map: Path | None = None,
    ) -> CyclePlan:
        """Read and check the files the options name (before any input workbook is read)."""
        from workbook.core.standard import load_standard
        from workbook.inputs.previous_year import read_previous_year, read_rename_map

        standard = load_standard(standard_id)
        day = parse_publish_date(publish_date) if publish_date is not None else None
        if (day is not None or publish_days or holidays) and standard.publication is None:
            raise PublicationError(
                f"考评标准“{standard.id}”没有公示文字（[publication]），"
                "不能使用 --publish-date、--publish-days、--holidays"
            )
        if holidays is not None and day is None:
            raise PublicationError("--holidays 要与 --publish-date 一起使用")
        if rename_map is not None and previous is None:
            raise ComparisonError("--rename-map 要与 --previous 一起使用")
        calendar = read_holidays(holidays) if holidays is not None else None
        if rectification is not None and rectification.exists() and not rectification.is_dir():
            raise OutputError(
                f"--rectification {rectification} 是一个文件，应为文件夹；请换一个文件夹名"
            )
        last_year = read_previous_year(previous, standard, None) if previous else None
        renames = read_rename_map(rename_map) if rename_map is not None else {}
        return cls(
            standard_id=standard.id,
            publish_date=day,
            publish_days=publish_days,
            calendar=calendar,
            rectification=rectification,
            previous=last_year,
            renames=renames,
            rename_map=rename_map,
            output=output,
            named_inputs=[path for path in inputs if not path.is_dir()]
            + [output]
            + [path for path in (previous, holidays, rename_map) if path is not None],
            input_folders=[path for path in inputs if path.is_dir()],
        )

    def prepare(self, consolidation: Consolidation, *, overwrite: bool) -> CycleExtras:
        """Check what depends on the consolidation, and compute the extras (nothing written)."""
        from workbook.core.workdays import (
            WEEKDAYS_ONLY,
            publication_texts,
            undated_publication_texts,
        )

        extras = CycleExtras()
        standard = consolidation.standard
        year = consolidation.year
        if standard.publication is not None:
            if self.publish_date is not None:
                check_publish_date(self.publish_date, year)
                extras.publication = publication_texts(
                    standard.publication,
                    year or self.publish_date.year,
                    self.publish_date,
                    self.calendar or WEEKDAYS_ONLY,
                    self.publish_days,
                )
            else:
                extras.publication = undated_publication_texts(
                    standard.publication, year or "    ", self.publish_days
                )
        if self.previous is not None:
            self._compare(consolidation, extras)
        if self.rectification is not None:
            self._plan_rectification(consolidation, extras, overwrite)
        return extras

    def _compare(self, consolidation: Consolidation, extras: CycleExtras) -> None:
        from workbook.inputs.previous_year import refuse_renaming_current
        from workbook.outputs.year_sheet import compare_with_previous

        previous = self.previous
        assert previous is not None
        if self.rename_map is not None:
            current = (entry.branch for entry in consolidation.branches)
            refuse_renaming_current(self.rename_map, self.renames, current)
        comparison = compare_with_previous(consolidation, previous, self.renames)
        current_names = {entry.branch for entry in consolidation.branches}
        extras.previous = previous
        extras.comparison = comparison
        year = consolidation.year
        if year is not None and year - previous.year > 1:
            extras.notices.append(
                f"上年结果 {previous.source} 是 {previous.year} 年度的，与本次 {year} 年度相隔 "
                f"{year - previous.year} 年；汇总表中的“上年”各列和年度对比比较的是 {previous.year} 年度"
            )
        for old in comparison.unused_renames:
            extras.notices.append(
                f"改名表中的原名称“{old}”不在上年结果 {previous.source} 中，该行未使用"
            )
        for old, new in self.renames.items():
            if old not in comparison.unused_renames and new not in current_names:
                extras.notices.append(f"改名表中的新名称“{new}”不在本年度的支部中（原名称“{old}”）")

    def _plan_rectification(
        self, consolidation: Consolidation, extras: CycleExtras, overwrite: bool
    ) -> None:
        from workbook.atomic import refuse_inputs, refuse_replacing, resolve_target, same_file
        from workbook.outputs.rectification import rectification_files

        folder = self.rectification
        assert folder is not None
        files = rectification_files(consolidation, folder)
        existing: list[str] = []
        for file in files:
            resolve_target(file.path)
            if self.output is not None and (
                same_file(file.path, self.output) or file.path.absolute() == self.output.absolute()
            ):
                raise OutputError(
                    f"整改清单 {file.path} 与汇总表（-o）是同一个文件；"
                    "请给汇总表另取一个文件名，或换一个整改清单文件夹"
                )
            refuse_inputs(file.path, self.named_inputs, "整改清单")
            if not overwrite:
                refuse_replacing(file.path, "整改清单", writes="rectification")
                if file.path.exists() or file.path.is_symlink():
                    existing.append(file.path.name)
        self._refuse_found_inputs(files)
        if existing:
            # A branch may have filled in its 整改措施 in one of them: never replace silently.
            shown = "、".join(existing[:5]) + (
                f" 等 {len(existing)} 个" if len(existing) > 5 else ""
            )
            raise OutputError(
                f"整改清单文件夹 {folder} 中已有同名的整改清单：{shown}；其中可能已填写整改措施，"
                "不会替换；请换一个文件夹，或加 --overwrite 确认替换（原文件保持不变）"
            )
        extras.rectification = files
        extras.rectification_dir = folder

    def _refuse_found_inputs(self, files: list[RectificationFile]) -> None:
        """No rectification workbook may replace a workbook found in an input folder (even with
        --overwrite), except an earlier summary or rectification workbook of this tool."""
        from workbook.atomic import existing_kind, same_file
        from workbook.inputs.files import find_workbooks

        present = [file.path for file in files if file.path.exists()]
        if not present or not self.input_folders:
            return
        found = [path for path, _ in find_workbooks(self.input_folders)[0]]
        for path in present:
            if existing_kind(path) in ("summary", "rectification", "history"):
                continue
            if any(same_file(path, source) for source in found):
                raise OutputError(
                    f"整改清单 {path} 是输入文件夹中的工作簿，写入会覆盖它；"
                    "请换一个整改清单文件夹（输入文件保持不变）"
                )
