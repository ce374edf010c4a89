"""Branch names: reading a branches file and turning names into legal, unique sheet names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from workbook.errors import BranchListError, describe_os_error

MAX_SHEET_NAME = 31
# Excel forbids []:*?/\ in sheet names; apostrophes and ! are legal but XlsxWriter refuses a
# defined name on such a sheet (it would have no contract names), so they are replaced too.
# Characters Excel forbids in sheet names, and those XML cannot carry.
_OOXML_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_ILLEGAL_SHEET_CHARS = re.compile(r"[\[\]:*?/\\'!\x00-\x1f\ufffe\uffff\ud800-\udfff]")
# Sheets of ours that a branch sheet must not collide with.
RESERVED_SHEET_NAMES = ("填表说明", "总览", "History")


def read_branches_file(path: str | Path) -> list[str]:
    """Read branch names from a UTF-8 text file (a BOM is fine), one name a line.

    Blank lines are ignored; surrounding spaces are dropped.

    Raises:
        BranchListError: the file cannot be read or decoded, is empty, repeats a name, or a
            line holds a tab or another control character (two columns copied from Excel).
    """
    from workbook.inputs.text_file import SMALL_TEXT_LIMIT, file_kind, read_at_most

    path = Path(path)
    try:
        read = read_at_most(path)
        if read is None:
            raise BranchListError(
                f"支部名单文件 {path} 超过 {SMALL_TEXT_LIMIT >> 20} MiB，不像支部名单；"
                "支部名单文件应为 UTF-8 编码的文本文件，每行一个支部名称"
            )
        data = read
        text = data.decode("utf-8-sig")
    except OSError as error:
        raise BranchListError(f"无法读取支部名单文件 {path}：{describe_os_error(error)}") from None
    except UnicodeDecodeError as error:
        kind = file_kind(data) or ""
        where = f"（第 {text_line_of(error)} 行附近）" if "编码" in kind else ""
        raise BranchListError(
            f"支部名单文件 {path} 是{kind}，不是 UTF-8 编码的文本文件{where}；"
            "支部名单文件应为 UTF-8 编码的文本文件，每行一个支部名称，"
            "可用记事本新建，另存时选“UTF-8”编码"
        ) from None
    names: list[str] = []
    first_line: dict[str, int] = {}
    # Only line breaks end a line: a form feed or a vertical tab is a character of the line
    # (str.splitlines would cut a name in two there), refused below.
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        name = line.strip()
        if not name:
            continue
        control = _control_character(name)
        if control is not None:
            raise BranchListError(
                f"支部名单文件 {path} 第 {number} 行“{_shown(name)}”含有{control}；"
                "每行只写一个支部名称（从 Excel 复制时只复制支部名称这一列）"
            )
        if name in first_line:
            raise BranchListError(
                f"支部名单文件 {path} 第 {number} 行的支部“{name}”与第 {first_line[name]} 行重复"
            )
        first_line[name] = number
        names.append(name)
    if not names:
        raise BranchListError(f"支部名单文件 {path} 中没有任何支部名称")
    return names


def text_line_of(error: UnicodeDecodeError) -> int:
    """1-based line number of the byte where decoding failed."""
    return error.object[: error.start].count(b"\n") + 1


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _control_character(name: str) -> str | None:
    """What the first control character of ``name`` is, in words; None if it has none."""
    found = _CONTROL.search(name)
    if found is None:
        return None
    char = found.group()
    if char == "\t":
        return "制表符（Tab）"
    if char in "\n\r\u2028\u2029":
        return "换行符"
    return f"控制字符（U+{ord(char):04X}）"


def _shown(name: str) -> str:
    """A name for a message, its control characters shown as spaces."""
    return _CONTROL.sub(" ", name)


def refuse_control_characters(names: Sequence[str]) -> None:
    """Refuse typed names (``--branch``) with a tab or a line break inside: two cells pasted
    as one name (messages count from 1). The library itself writes any name it is given.

    Raises:
        BranchListError: the first such name, with what it contains.
    """
    for number, raw in enumerate(names, start=1):
        control = _control_character(raw.strip())
        if control is not None:
            raise BranchListError(
                f"第 {number} 个支部名称“{_shown(raw.strip())}”含有{control}；"
                "支部名称只能是一行文字"
            )


# The longest branch name accepted: a full name with its 分会 and 党员服务中心 is under 40
# characters; a longer one is text pasted by mistake (and a cell holds at most 32,767).
MAX_BRANCH_NAME = 100


def check_branch_names(names: Sequence[str]) -> list[str]:
    """Strip names and reject empty, overlong or repeated ones (messages count from 1)."""
    result: list[str] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(names, start=1):
        name = raw.strip()
        if not name:
            raise BranchListError(f"第 {number} 个支部名称为空")
        if len(name) > MAX_BRANCH_NAME:
            raise BranchListError(
                f"第 {number} 个支部名称“{_shown(name[:20])}…”有 {len(name)} 个字，"
                f"超过 {MAX_BRANCH_NAME} 个字；请检查是否把多个名称或其他文字粘贴成了一个名称"
            )
        if name in seen:
            raise BranchListError(f"第 {number} 个支部名称“{name}”与第 {seen[name]} 个重复")
        seen[name] = number
        result.append(name)
    if not result:
        raise BranchListError("没有任何支部名称")
    return result


def legal_sheet_names(branches: Iterable[str]) -> list[str]:
    """Excel-legal, unique sheet names for the branches, in order.

    Illegal characters ``[]:*?/\\``, apostrophes, ``!`` and control characters become ``_`` (and
    ``_xHHHH_`` becomes ``-xHHHH_``),
    names are cut to 31 characters, and repeats (compared case-insensitively, as Excel does)
    get a suffix such as ``(2)``.
    """
    used = {name.casefold() for name in RESERVED_SHEET_NAMES}
    result: list[str] = []
    for branch in branches:
        base = _ILLEGAL_SHEET_CHARS.sub("_", branch)
        # Text that reads as an OOXML escape (_x000B_) is written escaped in some places and
        # not in others; keep it out of sheet names.
        base = _OOXML_ESCAPE.sub(r"-\1", base).strip() or "支部"
        candidate = _cut_utf16(base, MAX_SHEET_NAME)
        counter = 2
        while candidate.casefold() in used:
            suffix = f"({counter})"
            candidate = _cut_utf16(base, MAX_SHEET_NAME - len(suffix)) + suffix
            counter += 1
        used.add(candidate.casefold())
        result.append(candidate)
    return result


def _cut_utf16(text: str, units: int) -> str:
    """``text`` cut to ``units`` UTF-16 code units, as Excel counts a sheet name's length (a
    character beyond U+FFFF counts two), never inside a character."""
    length = 0
    for index, ch in enumerate(text):
        length += 2 if ord(ch) > 0xFFFF else 1
        if length > units:
            return text[:index]
    return text


def quote_sheet(sheet: str) -> str:
    """A sheet name quoted for a formula or a defined name: ``'第一支部'``."""
    return "'" + sheet.replace("'", "''") + "'"
