"""Checking a standard file: every problem, named by key and line (``branch-assess standard check``).

The loader (``parse_standard``) stops at the first problem. This check runs the same rules part
by part (each top-level text, each item and rule, the grades, the vetoes, each optional section)
so that one run names every problem, and finds the line of each key by scanning the text
(``tomllib`` gives no positions). Pure: text in, problems out.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from workbook.core.problems import Problem
from workbook.core.standard import (
    Rule,
    _decimal,
    _parse_bonus,
    _parse_rule,
    _text,
    parse_standard,
    valid_standard_id,
)
from workbook.core.standard_sections import parse_checklist, parse_publication, parse_survey
from workbook.core.tomlvalues import TOML_TOO_DEEP, fmt, unprintable_texts
from workbook.errors import StandardFileError

__all__ = [
    "KNOWN_KEYS",
    "REQUIRED_TEXTS",
    "check_standard_text",
    "problem_text",
]

# Every top-level key a standard file may have (docs/standard.md).
KNOWN_KEYS = frozenset(
    {
        "id",
        "title",
        "document",
        "issuer",
        "association",
        "total_points",
        "max_decimal_places",
        "note_1",
        "veto_intro",
        "veto_grade",
        "vetoes",
        "grades",
        "items",
        "sheet_title",
        "summary_title",
        "unit",
        "survey",
        "checklist",
        "publication",
        "bonus",
    }
)
REQUIRED_TEXTS = (
    "id",
    "title",
    "document",
    "issuer",
    "association",
    "note_1",
    "veto_intro",
    "veto_grade",
)
_KEY_IN_MESSAGE = re.compile(r"\b([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)+)")
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def problem_text(problem: Problem, file: str) -> str:
    """One problem of a standard file (keyed by ``items[2].rules[1]``, with its line) as
    ``文件 第N行（键 key）：message``."""
    where = f"第{problem.line}行" if problem.line else ""
    key = f"（键 {problem.key}）" if problem.key else ""
    return f"{file} {where}{key}：{problem.message}"


def check_standard_text(text: str) -> list[Problem]:
    """Every problem of a standard file's text, in file order; empty when it loads."""
    try:
        data = tomllib.loads(text)
    except RecursionError:  # tomllib parses nested arrays and tables by recursion
        return [Problem(f"TOML 格式错误（{TOML_TOO_DEEP}），文件无法读取", key="", line=None)]
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = _TOML_POSITION.search(message)
        line = int(found.group(1)) if found else None
        reason = _TOML_POSITION.sub("", message).strip()
        return [Problem(f"TOML 格式错误（{reason}），文件无法读取", key="", line=line)]
    locate = _Locator(text)
    problems: list[Problem] = []

    def check(key: str, run: Callable[[], object]) -> object | None:
        try:
            return run()
        except StandardFileError as error:
            message = str(error).removeprefix("标准文件中 ").strip()
            named = _KEY_IN_MESSAGE.search(message)
            where = (
                named.group(1) if named and named.group(1).startswith(key.split("[")[0]) else key
            )
            problems.append(Problem(message, key=where, line=locate(where)))
            return None

    for key in sorted(set(data) - KNOWN_KEYS):
        problems.append(
            Problem(
                f"未知的键“{key}”（可能拼写有误）；可用的键见 docs/standard.md",
                key=key,
                line=locate(key),
            )
        )
    for key, message in unprintable_texts(data):
        problems.append(Problem(message, key=key, line=locate(key)))
    for key in REQUIRED_TEXTS:
        check(key, partial(_text, data, key, ""))
    standard_id = data.get("id")
    if isinstance(standard_id, str) and standard_id.strip() and not valid_standard_id(standard_id):
        problems.append(
            Problem(
                f"编号（id）“{standard_id}”只能由字母、数字和 - _ . 组成，且不能以 . 开头"
                "（安装后它就是文件名）",
                key="id",
                line=locate("id"),
            )
        )
    for key in ("sheet_title", "summary_title", "unit"):
        if key in data and not isinstance(data[key], str):
            problems.append(Problem(f"“{key}”应为文字", key=key, line=locate(key)))

    points_sum = Decimal(0)
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        problems.append(Problem("没有任何项目（[[items]]）", key="items", line=locate("items")))
        raw_items = []
    for index, raw_item in enumerate(raw_items, start=1):
        key = f"items[{index}]"
        if not isinstance(raw_item, dict):
            problems.append(Problem("项目应为表（[[items]]）", key=key, line=locate(key)))
            continue
        for text_key in ("name", "indicators"):
            check(f"{key}.{text_key}", partial(_text, raw_item, text_key, f"第{index}项"))
        points = check(
            f"{key}.points", partial(_decimal, raw_item.get("points"), f"第{index}项的分值")
        )
        if isinstance(points, Decimal):
            if points <= 0:
                problems.append(
                    Problem("分值应大于 0", key=f"{key}.points", line=locate(f"{key}.points"))
                )
            points_sum += points
        raw_rules = raw_item.get("rules")
        if not isinstance(raw_rules, list) or not raw_rules:
            problems.append(
                Problem(
                    "没有任何评分办法（rules）", key=f"{key}.rules", line=locate(f"{key}.rules")
                )
            )
            continue
        for number, raw_rule in enumerate(raw_rules, start=1):
            rule_key = f"{key}.rules[{number}]"
            rule = check(rule_key, partial(_parse_rule, raw_rule, index, number, "扣分"))
            if isinstance(rule, Rule) and isinstance(points, Decimal) and rule.max > points:
                problems.append(
                    Problem(
                        f"规则 {index}.{number} 的最大扣分 {fmt(rule.max)} 超过该项分值 {fmt(points)}",
                        key=rule_key,
                        line=locate(rule_key),
                    )
                )

    total = check(
        "total_points", lambda: _decimal(data.get("total_points"), "总分（total_points）")
    )
    if isinstance(total, Decimal) and raw_items and points_sum != total:
        problems.append(
            Problem(
                f"各项目分值之和为 {fmt(points_sum)}，应等于总分 {fmt(total)}",
                key="total_points",
                line=locate("total_points"),
            )
        )

    places = data.get("max_decimal_places", 2)
    if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 4:
        problems.append(
            Problem(
                "max_decimal_places 应为 0 到 4 的整数",
                key="max_decimal_places",
                line=locate("max_decimal_places"),
            )
        )

    vetoes = data.get("vetoes")
    if not isinstance(vetoes, list) or not all(isinstance(v, str) and v for v in vetoes):
        problems.append(
            Problem("否决情形（vetoes）应为文字列表", key="vetoes", line=locate("vetoes"))
        )

    raw_grades = data.get("grades")
    if not isinstance(raw_grades, list) or not raw_grades:
        problems.append(Problem("没有等级（[[grades]]）", key="grades", line=locate("grades")))
        raw_grades = []
    for index, raw_grade in enumerate(raw_grades, start=1):
        key = f"grades[{index}]"
        if not isinstance(raw_grade, dict):
            problems.append(Problem("等级应为表（[[grades]]）", key=key, line=locate(key)))
            continue
        for text_key in ("name", "wording"):
            check(f"{key}.{text_key}", partial(_text, raw_grade, text_key, f"第{index}个等级"))
        check(f"{key}.min", partial(_decimal, raw_grade.get("min"), f"第{index}个等级的下限"))

    if not problems:
        # The rest needs every part above: bands in order, the veto grade, sections' references.
        sections: dict[str, Callable[[dict[str, Any]], object]] = {
            "survey": lambda s: parse_survey(s, _rule_ranges(data), _grade_names(data), places),
            "checklist": lambda s: parse_checklist(s, _wordings(data)),
            "publication": parse_publication,
            "bonus": _parse_bonus,
        }
        for name, parse in sections.items():
            if name in data:
                if not isinstance(data[name], dict):
                    problems.append(Problem(f"[{name}] 应为表", key=name, line=locate(name)))
                else:
                    check(name, partial(parse, data[name]))
    if not problems:
        check("", lambda: parse_standard(data, source="标准文件"))
    return sorted(problems, key=lambda p: p.line or 0)


def _rule_ranges(data: dict[str, Any]) -> dict[str, tuple[str, Decimal, Decimal]]:
    ranges: dict[str, tuple[str, Decimal, Decimal]] = {}
    for index, item in enumerate(data["items"], start=1):
        for number, raw in enumerate(item["rules"], start=1):
            rule = _parse_rule(raw, index, number, "扣分")
            ranges[rule.id] = (rule.kind, rule.min, rule.max)
    return ranges


def _wordings(data: dict[str, Any]) -> dict[str, str]:
    return {
        f"{index}.{number}": raw["wording"]
        for index, item in enumerate(data["items"], start=1)
        for number, raw in enumerate(item["rules"], start=1)
    }


def _grade_names(data: dict[str, Any]) -> tuple[str, ...]:
    return tuple(g["name"] for g in data["grades"])


class _Locator:
    """The line (1-based) of a key such as ``items[2].rules[1].max`` in a TOML text, found by
    scanning: array-of-tables headers are counted, inline arrays' elements are counted by line;
    the nearest line found is given when the exact key is not on a line of its own."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def __call__(self, key: str) -> int | None:
        if not key:
            return None
        start, end = 0, len(self.lines)
        found: int | None = None
        prefix = ""
        for part in key.split("."):
            match = re.fullmatch(r"([a-z_]+)(?:\[(\d+)\])?", part)
            if match is None:
                break
            name, index = match.group(1), match.group(2)
            dotted = f"{prefix}{name}"
            prefix = dotted + "."
            headers = [
                i
                for i in range(start, end)
                if re.match(rf"\s*\[\[\s*{re.escape(dotted)}\s*\]\]", self.lines[i])
            ]
            table = next(
                (
                    i
                    for i in range(start, end)
                    if re.match(rf"\s*\[\s*{re.escape(dotted)}\s*\]", self.lines[i])
                ),
                None,
            )
            assignment = next(
                (
                    i
                    for i in range(start, end)
                    if re.match(rf"\s*{re.escape(name)}\s*=", self.lines[i])
                    and (i == start or not self._header_between(start, i))
                ),
                None,
            )
            if headers and index is not None:
                position = int(index) - 1
                if position >= len(headers):
                    break
                start = headers[position]
                end = (
                    headers[position + 1]
                    if position + 1 < len(headers)
                    else self._next_header(start)
                )
                found = start
            elif table is not None:
                start, end, found = table, self._next_header(table), table
            elif assignment is not None:
                found = assignment
                if index is not None:
                    elements = self._elements(assignment, end)
                    position = int(index) - 1
                    if position < len(elements):
                        found = elements[position]
                start = found
                end = found + 1 if index is not None else end
            elif found is not None and re.search(rf"\b{re.escape(name)}\s*=", self.lines[found]):
                break  # a key of an inline table on the line found
            else:
                break
        return found + 1 if found is not None else None

    def _next_header(self, after: int) -> int:
        for i in range(after + 1, len(self.lines)):
            if re.match(r"\s*\[", self.lines[i]):
                return i
        return len(self.lines)

    def _header_between(self, start: int, stop: int) -> bool:
        return any(re.match(r"\s*\[", self.lines[i]) for i in range(start + 1, stop))

    def _elements(self, assignment: int, end: int) -> list[int]:
        """Lines of the elements of a multi-line array assigned at ``assignment``."""
        first = self.lines[assignment]
        if first.rstrip().endswith("]") and "[" in first.split("=", 1)[1]:
            return [assignment]  # all on one line
        lines: list[int] = []
        for i in range(assignment + 1, end):
            stripped = self.lines[i].strip()
            if stripped.startswith("]"):
                break
            if stripped and not stripped.startswith("#"):
                lines.append(i)
        return lines
