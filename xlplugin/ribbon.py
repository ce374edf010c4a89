"""The one ribbon button through the year: what it does depends on the active workbook.

- An assessment workbook (it has branch sheets): recalculate; when every input is valid, offer
  to write the summary workbook next to it and then a draft mail (``.eml``) to the county
  organization department, opened in the default mail program.
- A summary workbook written by this tool: consolidate a folder of returned workbooks, or write
  the draft mail for this summary.
- Any other workbook: with branch names selected, create the assessment workbook for them (the
  year asked for) and open it; with nothing usable selected, explain how, and offer to
  consolidate a folder of returned workbooks.

Everything is done by the same core functions as the command line (``write_template``,
``consolidate`` + ``write_summary``, ``build_message`` + ``draft_bytes``, ``load_config``).
Every step ends in one message box. A failure raises ``BranchAssessError``, which ``main()``
turns into one Chinese line for the add-in to show.
"""

from __future__ import annotations

import datetime as _dt
import ntpath
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbook.atomic import atomic_output
from workbook.core.names import PROP_HISTORY, PROP_RECTIFICATION, PROP_SUMMARY
from workbook.errors import AddinError, ConfigError, WorkbookReadError
from workbook.inputs.config import CONFIG_ENV, CONFIG_FILE_NAME, load_config
from workbook.inputs.consolidate import Consolidation, consolidate
from workbook.outputs.mail import MailSettings, build_message, draft_bytes
from workbook.outputs.summary import write_summary
from workbook.outputs.template import TemplateOptions, write_template
from workbook.xlsx.workbook_info import read_package_info

from .excel_book import (
    MAX_LISTED_PROBLEMS,
    READ_OPTIONS,
    TITLE,
    ExcelBook,
    platform_calls,
    recalc_excel_book_quietly,
)

MIN_YEAR, MAX_YEAR = 2000, 2100
TEMPLATE_FILE = "{year}年度考评定级表.xlsx"
SUMMARY_FILE = "{year}年度考评定级汇总.xlsx"


def open_with_default_program(path: Path) -> None:
    """Open a file as a double click would (the ``.eml`` in Outlook or Foxmail)."""
    if sys.platform == "win32":
        os.startfile(str(path))  # type: ignore[attr-defined,unused-ignore]
    else:
        subprocess.run(["open" if sys.platform == "darwin" else "xdg-open", str(path)], check=False)


@dataclass
class Ribbon:
    """One press of the button on ``book`` (an xlwings Book)."""

    book: Any
    platform: str = sys.platform
    today: _dt.date = field(default_factory=_dt.date.today)
    open_file: Callable[[Path], None] = open_with_default_program
    env: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        self.app = self.book.app
        self.calls = platform_calls(self.platform)
        self.excel = ExcelBook(self.book, self.platform)

    # --- dispatch -------------------------------------------------------------------------

    def press(self) -> None:
        """Do what fits the active workbook."""
        if self.excel.branch_sheets():
            self.assessment_step()
        elif self._is_summary():
            derived = self._derived_kind()
            if derived is None:
                self.summary_step()
            else:
                self.derived_step(derived)
        else:
            self.other_step()

    def _is_summary(self) -> bool:
        return self.excel.property(PROP_SUMMARY) == "1"

    def _derived_kind(self) -> str | None:
        """What a workbook marked as written by consolidate/history is when it is not the
        summary itself: a branch's 整改清单 or the 历年对比 (None for the summary)."""
        if self.excel.property(PROP_RECTIFICATION) == "1":
            return "整改清单"
        if self.excel.property(PROP_HISTORY) == "1":
            return "历年对比"
        return None

    def _alert(self, text: str, buttons: str = "ok", mode: str = "info") -> str:
        return str(self.app.alert(text, title=TITLE, buttons=buttons, mode=mode))

    def _folder(self) -> Path:
        """The folder of the active workbook; the Documents folder for a never-saved one."""
        try:
            path = Path(self.book.fullname)
        except Exception:  # not available: treat as never saved
            path = Path()
        if path.parent != Path() and path.parent.is_dir():
            return path.parent
        documents = Path.home() / "Documents"
        return documents if documents.is_dir() else Path.home()

    # --- an assessment workbook -----------------------------------------------------------

    def assessment_step(self) -> None:
        outcome = recalc_excel_book_quietly(self.book, self.platform, self.excel)
        if not outcome.valid:
            self._alert(outcome.text, mode="critical")
            return
        question = (
            outcome.text + "\n\n是否生成报送县委组织部的汇总表（保存在本工作簿所在的文件夹）？"
            "\n（会先保存本工作簿。）"
        )
        if self._alert(question, buttons="yes_no") != "yes":
            return
        source = self._saved_source()
        result = consolidate([source])
        if result.errors:
            self._alert(_problems_text("汇总时发现问题，未生成汇总表：", result), mode="critical")
            return
        summary, note = self._write_summary(result, source.parent)
        question = (
            f"已生成汇总表：{summary}\n（{_counts(result)}）{note}\n\n"
            "是否生成报送县委组织部的邮件草稿（.eml）并打开？"
        )
        if self._alert(question, buttons="yes_no") == "yes":
            self.mail_step(summary)

    def _saved_source(self) -> Path:
        """Save the workbook (the user agreed) and return its file."""
        try:
            path = Path(self.book.fullname)
        except Exception:  # never saved
            path = Path()
        if path.suffix.lower() not in (".xlsx", ".xlsm") or not path.parent.is_dir():
            raise AddinError(
                "本工作簿还没有保存为 .xlsx 文件：请先用“文件 → 另存为”保存，再点击“考评定级”选项卡中的按钮"
            )
        self.book.save()
        return path

    def _open_names(self) -> dict[str, str]:
        """File name (case-folded) -> full name of every workbook open in this Excel."""
        names: dict[str, str] = {}
        for book in self.app.books:
            full = str(book.fullname)
            names[ntpath.basename(full).casefold()] = full
        return names

    def _write_summary(self, result: Consolidation, folder: Path) -> tuple[Path, str]:
        """Write the summary into ``folder``; returns its path and a note for the message.

        A workbook open in Excel is never written over (Windows locks it) and Excel cannot open
        two workbooks of the same file name, so a name taken by an open workbook is skipped for
        the next free one, and the note says which workbook is open.
        """
        wanted = folder / SUMMARY_FILE.format(year=result.year or self.today.year)
        open_names = self._open_names()
        path = _own_or_free(wanted)
        note = ""
        if path.name.casefold() in open_names:
            taken = open_names[path.name.casefold()]
            path = _free(wanted, taken=set(open_names))
            note = (
                f"（{taken} 已在 Excel 中打开，不能覆盖，所以另存为 {path.name}；"
                "如要用原来的文件名，请先关闭该工作簿再点击按钮）"
            )
        write_summary(path, result)
        return path, note

    # --- a summary workbook ---------------------------------------------------------------

    def summary_step(self) -> None:
        answer = self._alert(
            "本工作簿是考评定级汇总表。\n\n"
            "是：汇总一个文件夹中各支部交回的考评定级表，生成新的汇总表\n"
            "否：为本汇总表生成报送县委组织部的邮件草稿（.eml）并打开\n"
            "取消：不做任何事",
            buttons="yes_no_cancel",
        )
        if answer == "yes":
            self.consolidate_step()
        elif answer == "no":
            self.mail_step(Path(self.book.fullname))

    def derived_step(self, kind: str) -> None:
        """A 整改清单 or 历年对比: neither recalculated nor mailed as the summary."""
        answer = self._alert(
            f"本工作簿是{kind}，不是考评定级表或汇总表：无需重新计算，也不作为汇总表报送。\n\n"
            "汇总各支部交回的考评定级表：点“是”，选择存放它们的文件夹。\n"
            "点“否”关闭。",
            buttons="yes_no",
        )
        if answer == "yes":
            self.consolidate_step()

    # --- consolidating returned workbooks -------------------------------------------------

    def consolidate_step(self) -> None:
        chosen = self.calls.pick_folder(
            self.app, "选择存放各支部交回的考评定级表的文件夹", str(self._folder())
        )
        if not chosen:
            return
        folder = Path(chosen)
        result = consolidate([folder])
        if not result.branches and not result.errors:
            raise AddinError(f"文件夹 {folder} 中没有考评定级表（.xlsx、.xlsm）")
        if result.errors:
            self._alert(_problems_text("发现待修正项，未生成汇总表：", result), mode="critical")
            return
        into, where = summary_folder(folder)
        summary, note = self._write_summary(result, into)
        note += where
        self.app.books.open(str(summary))
        self._alert(
            f"已汇总 {len(result.sources)} 个文件：{folder}\n"
            f"已生成汇总表：{summary}（{_counts(result)}），已在 Excel 中打开。{note}\n\n"
            "要报送县委组织部：在汇总表中再点击“考评定级”选项卡中的按钮，选“否”生成邮件草稿。"
        )

    # --- the draft mail -------------------------------------------------------------------

    def mail_step(self, summary: Path) -> None:
        config = load_config(env=self.env, cwd=summary.parent)
        if not config.sender or not config.to:
            raise ConfigError(
                "没有设置发件人或收件人：请在汇总表所在文件夹的 "
                f"{CONFIG_FILE_NAME}（或环境变量 {CONFIG_ENV} 指定的文件）中写明 "
                '[mail] from = "本单位邮箱" 和 to = ["县委组织部邮箱"]（见 docs/email.md）'
            )
        settings = MailSettings(
            sender=config.sender,
            to=list(config.to),
            cc=list(config.cc),
            subject=config.subject,
            body=config.body,
        )
        message = build_message(summary, settings)
        eml = summary.with_suffix(".eml")
        with atomic_output(eml) as temp:
            temp.write_bytes(draft_bytes(message))
        self.open_file(eml)
        self._alert(
            f"已生成邮件草稿：{eml}\n收件人：{message['To']}\n附件：{summary.name}\n\n"
            "已用默认邮件程序（如 Outlook）打开：核对后点击“发送”。"
        )

    # --- any other workbook ---------------------------------------------------------------

    def other_step(self) -> None:
        branches = self._selected_branches()
        if not branches:
            answer = self._alert(
                "本工作簿不是考评定级表。\n\n"
                "新建考评定级表：在工作表中选中写有支部名称的单元格（每格一个支部，例如一整列），"
                "再点击“考评定级”选项卡中的按钮。\n\n"
                "汇总各支部交回的考评定级表：点“是”，选择存放它们的文件夹。\n"
                "点“否”关闭。",
                buttons="yes_no",
            )
            if answer == "yes":
                self.consolidate_step()
            return
        year = self.calls.ask_year(
            self.app,
            f"为选中的 {len(branches)} 个支部新建考评定级表。\n考评年度：",
            self.today.year,
        )
        if year is None:
            return
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise AddinError(f"考评年度 {year} 不对：应为 {MIN_YEAR}～{MAX_YEAR} 之间的年份")
        path = _free(self._folder() / TEMPLATE_FILE.format(year=year))
        listed = "、".join(branches[:MAX_LISTED_PROBLEMS])
        if len(branches) > MAX_LISTED_PROBLEMS:
            listed += f"……共 {len(branches)} 个"
        question = (
            f"将为选中的 {len(branches)} 个支部新建 {year} 年度考评定级表：\n{listed}\n\n"
            f"保存为：{path}\n\n是否继续？"
        )
        if self._alert(question, buttons="yes_no") != "yes":
            return
        write_template(path, TemplateOptions(branches=branches, year=year))
        self.app.books.open(str(path))
        self._alert(
            f"已生成考评定级表：{path}\n（{year} 年度，{len(branches)} 个支部），已在 Excel 中打开。\n\n"
            "请在各支部工作表的黄色单元格中填写扣分、扣分说明和否决情形，"
            "填好后点击“考评定级”选项卡中的按钮重新计算。"
        )

    def _selected_branches(self) -> list[str]:
        """The text of the selected cells, in order, blanks skipped (None: no selection)."""
        selection = self.app.selection
        if selection is None:
            return []
        values = selection.options(**READ_OPTIONS).value
        rows = values if isinstance(values, list) else [[values]]
        found: list[str] = []
        for row in rows:
            for value in row if isinstance(row, list) else [row]:
                if isinstance(value, float) and value.is_integer():
                    value = str(int(value))  # a number typed as a name, e.g. 101
                if isinstance(value, str) and value.strip():
                    found.append(value.strip())
        return found


def _counts(result: Consolidation) -> str:
    grades = Counter(entry.grade_text for entry in result.scored)
    counts = "，".join(f"{g.name} {grades.get(g.name, 0)} 个" for g in result.standard.grades)
    return f"{result.year or '年度未知'}年度，{len(result.branches)} 个支部：{counts}"


def _problems_text(opening: str, result: Consolidation) -> str:
    lines = [opening, ""]
    lines += [p.text() for p in result.errors[:MAX_LISTED_PROBLEMS]]
    if len(result.errors) > MAX_LISTED_PROBLEMS:
        lines.append(f"……共 {len(result.errors)} 处。")
    lines += ["", "请在各支部的考评定级表中改正后再汇总。"]
    return "\n".join(lines)


def summary_folder(folder: Path) -> tuple[Path, str]:
    """Where the summary of ``folder`` goes, and a note for the message when not beside it.

    Beside the folder (its parent), so that the next consolidation of the folder does not meet
    it; a drive root (``D:\\``) has nothing beside it, so the summary goes into it then.
    """
    if folder.parent == folder:
        return folder, f"\n（所选文件夹 {folder} 是磁盘根目录，汇总表保存在这个文件夹中。）"
    return folder.parent, ""


def _free(path: Path, taken: Collection[str] = ()) -> Path:
    """``path``, or ``name(2).xlsx`` … when it exists: never overwrite a file.

    ``taken``: case-folded file names also to avoid (workbooks open in Excel).
    """
    number = 2
    candidate = path
    while candidate.exists() or candidate.name.casefold() in taken:
        candidate = path.with_name(f"{path.stem}({number}){path.suffix}")
        number += 1
    return candidate


def _own_or_free(path: Path) -> Path:
    """``path`` when it is free or a summary this tool wrote (refreshed), else a free name."""
    if not path.exists():
        return path
    try:
        properties = read_package_info(path).properties
    except WorkbookReadError:
        return _free(path)
    if properties.get(PROP_SUMMARY) == "1" and not (
        properties.get(PROP_RECTIFICATION) or properties.get(PROP_HISTORY)
    ):
        return path
    return _free(path)


def press_button(book: Any, **options: Any) -> None:
    """The ribbon button on ``book``: ``main()`` calls this with ``xw.Book.caller()``."""
    Ribbon(book, **options).press()
