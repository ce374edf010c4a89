"""Last year's results for the year-over-year comparison: the JSON a consolidation wrote
(``consolidate --json``), and a rename map (old name, new name).

Everything read is checked; a problem is a :class:`~workbook.errors.ComparisonError` whose
Chinese message names the file and the key (``branches[3].grade``) or the line.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from workbook.core.standard import Standard
from workbook.core.year_over_year import YearResult, parse_rename_rows
from workbook.errors import ComparisonError, describe_os_error

MIN_YEAR, MAX_YEAR = 1921, 9999  # a party branch's year of assessment
MAX_FILE_BYTES = 64 << 20  # a JSON of 10,000 branches is a few MiB
JSON_FORMAT = 1
PENDING_GRADE = "待修正"
_RENAME_HEADERS = {"原名称", "旧名称", "原支部名称", "上年名称", "old", "old name", "from"}


@dataclass(frozen=True)
class PreviousDeduction:
    """One of last year's deductions (a line of last year's rectification list)."""

    rule: str
    points: Decimal
    note: str


@dataclass(frozen=True)
class PreviousBranch:
    """One branch in last year's results."""

    name: str
    result: YearResult
    deductions: tuple[PreviousDeduction, ...]
    item_scores: tuple[Decimal, ...]  # in item order


@dataclass(frozen=True)
class PreviousYear:
    """Last year's consolidation as read from its JSON."""

    source: str  # the file as given
    year: int
    standard: str
    branches: tuple[PreviousBranch, ...]  # in the file's order (last year's ranking)

    def results(self) -> dict[str, YearResult]:
        """Name -> result, in the file's order."""
        return {branch.name: branch.result for branch in self.branches}

    def by_name(self) -> dict[str, PreviousBranch]:
        """Name -> branch."""
        return {branch.name: branch for branch in self.branches}


def _read_bytes(path: Path, what: str) -> bytes:
    from workbook.inputs.text_file import read_at_most

    try:
        # At most the limit is read: a device such as /dev/zero has no size to check first.
        data = read_at_most(path, MAX_FILE_BYTES)
        if data is None:
            raise ComparisonError(f"{what} {path} 超过上限 {MAX_FILE_BYTES >> 20} MiB")
        return data
    except IsADirectoryError:
        raise ComparisonError(f"{what} {path} 是一个文件夹，应为文件") from None
    except OSError as error:
        raise ComparisonError(f"无法读取{what} {path}：{describe_os_error(error)}") from None


def _decode(data: bytes, path: Path, what: str, expected: str) -> str:
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ComparisonError(f"{what} {path} 是一个 Excel 工作簿，不是文本文件；{expected}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ComparisonError(
            f"{what} {path} 第{line}行：不是 UTF-8 编码的文本；请用记事本或 WPS 另存为“UTF-8”编码"
        ) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} 不是数字")


@dataclass(frozen=True)
class _Wording:
    """How the messages name the file and what it is checked against, per command."""

    what: str  # the file
    hint: str  # what it should be
    standard: str  # the standard it must be of
    final: str  # what to use instead of a draft


_WORDING = {
    "consolidate": _Wording(
        "上年结果文件", "应为上一年度 consolidate --json 生成的文件", "本次汇总的标准", "上一年度"
    ),
    "template": _Wording(
        "上年结果文件", "应为上一年度 consolidate --json 生成的文件", "模板的标准", "上一年度"
    ),
    "history": _Wording(
        "年度结果文件",
        "应为某一年度 consolidate --json 生成的文件",
        " --standard 指定的标准",
        "该年度",
    ),
}


def read_previous_year(
    path: str | Path, standard: Standard, year: int | None, *, command: str = "consolidate"
) -> PreviousYear:
    """Read and check last year's JSON against this year's standard and year (``command``:
    consolidate, template or history, for the wording of the messages).

    Raises:
        ComparisonError: unreadable, not JSON, not a consolidation's JSON, another standard,
            not an earlier year, a draft, or a branch entry that is not as the JSON contract
            (docs/consolidation.md) says.
    """
    path = Path(path)
    wording = _WORDING[command]
    what = wording.what
    text = _decode(_read_bytes(path, what), path, what, wording.hint)
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise ComparisonError(
            f"{what} {path} 第{error.lineno}行第{error.colno}列：不是有效的 JSON（{error.msg}）；"
            f"{wording.hint}"
        ) from None
    except ValueError as error:
        raise ComparisonError(f"{what} {path}：不是有效的 JSON（{error}）") from None
    except RecursionError:
        raise ComparisonError(
            f"{what} {path}：不是汇总结果（列表或对象嵌套层数过多）；{wording.hint}"
        ) from None
    where = f"{what} {path}"
    if not isinstance(data, dict) or "branches" not in data or "format" not in data:
        raise ComparisonError(
            f"{where}：不是汇总结果（缺少 format、branches 等键）；{wording.hint}"
        )
    if data["format"] != JSON_FORMAT or isinstance(data["format"], bool):
        raise ComparisonError(
            f"{where}：format 应为 {JSON_FORMAT}，实际为 {_shown(data['format'])}（本工具不认识的格式）"
        )
    if data.get("standard") != standard.id:
        raise ComparisonError(
            f"{where}：standard 为 {_shown(data.get('standard'))}，与{wording.standard}“{standard.id}”不同，"
            "不能比较"
        )
    previous_year = data.get("year")
    if (
        not isinstance(previous_year, int)
        or isinstance(previous_year, bool)
        or not MIN_YEAR <= previous_year <= MAX_YEAR
    ):
        raise ComparisonError(
            f"{where}：year 应为年份（{MIN_YEAR}～{MAX_YEAR}），实际为 {_shown(previous_year)}"
        )
    if year is not None:
        check_previous_year(str(path), previous_year, year, command=command)
    if data.get("final") is not True:
        raise ComparisonError(
            f"{where}：final 为 {_shown(data.get('final'))}，是含待修正项的草稿结果；"
            f"请用{wording.final}的正式汇总结果"
        )
    raw_branches = data["branches"]
    if not isinstance(raw_branches, list):
        raise ComparisonError(f"{where}：branches 应为列表，实际为 {_shown(raw_branches)}")
    if not raw_branches:
        raise ComparisonError(f"{where}：branches 为空（没有任何支部的结果）；{wording.hint}")
    grades = [g.name for g in standard.grades]
    branches: list[PreviousBranch] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_branches):
        key = f"branches[{index}]"
        branch = _branch(
            raw, key, where, grades, [item.points for item in standard.items], standard.total_points
        )
        if branch.name in seen:
            raise ComparisonError(
                f"{where}：{key}.branch“{branch.name}”重复（已在 branches[{seen[branch.name]}] 出现）"
            )
        seen[branch.name] = index
        _check_branch(raw, branch, f"{where}：{key}", standard, len(raw_branches))
        branches.append(branch)
    return PreviousYear(str(path), previous_year, standard.id, tuple(branches))


def _check_branch(
    raw: dict[str, Any], branch: PreviousBranch, at: str, standard: Standard, count: int
) -> None:
    """One branch's numbers against the standard: rank, total = sum of the item scores, grade =
    the band of the total (or the veto grade with a veto), each deduction a known rule within
    its points and cap."""
    result = branch.result
    if result.rank is not None and result.rank > count:
        raise ComparisonError(
            f"{at}.rank 为 {result.rank}，应在 1～{count} 之间（共 {count} 个支部）"
        )
    items_sum = sum(branch.item_scores, Decimal(0))
    # Several assessors combined (`combination` set): the total and each item score are means
    # rounded to two places each, so their sum may differ from the total by the roundings
    # (at most 0.005 per item and 0.005 for the total).
    combined = isinstance(raw.get("combination"), dict)
    allowed = Decimal("0.005") * (len(branch.item_scores) + 1) if combined else Decimal(0)
    if result.total is not None and abs(items_sum - result.total) > allowed:
        raise ComparisonError(f"{at}.total 为 {result.total}，与 item_scores 之和 {items_sum} 不符")
    vetoes = raw.get("vetoes", [])
    if not isinstance(vetoes, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= len(standard.vetoes)
        for v in vetoes
    ):
        raise ComparisonError(
            f"{at}.vetoes 应为否决情形编号的列表（1～{len(standard.vetoes)}），实际为 {_shown(vetoes)}"
        )
    if result.total is not None:
        band = standard.grade_for(result.total)
        if vetoes and result.grade != standard.veto_grade:
            raise ComparisonError(
                f"{at}.grade 为“{result.grade}”，但有否决情形 {_shown(vetoes)}，"
                f"等级应为“{standard.veto_grade}”"
            )
        if not vetoes and result.grade != band:
            raise ComparisonError(
                f"{at}.grade 为“{result.grade}”，与总分 {result.total} 的等级“{band}”不符"
                "（没有否决情形）"
            )
    for number, line in enumerate(branch.deductions):
        where = f"{at}.deductions[{number}]"
        try:
            rule = standard.rule(line.rule)
        except KeyError:
            raise ComparisonError(
                f"{where}.rule 为 {_shown(line.rule)}，不是考评标准“{standard.id}”中的扣分规则"
            ) from None
        low = rule.max if rule.kind == "fixed" else rule.min
        if not low <= line.points <= rule.max:
            raise ComparisonError(
                f"{where}.points 为 {line.points}，不符合规则 {rule.id} 的扣分"
                f"（允许 {rule.allowed_text}）"
            )


def check_previous_year(
    source: str, previous_year: int, year: int, *, command: str = "consolidate"
) -> None:
    """Raise ``ComparisonError`` unless ``previous_year`` is before ``year``."""
    this = "模板的" if command == "template" else "本次汇总的"
    if previous_year >= year:
        raise ComparisonError(
            f"上年结果文件 {source}：year 为 {previous_year}，应早于{this} {year} 年度"
            "（--previous 应为往年的汇总结果）"
        )


def _shown(value: object) -> str:
    if isinstance(value, str):
        return f"“{value}”"
    if value is None:
        return "空（null）"
    return json.dumps(value, ensure_ascii=False, default=str)[:60]


def _score(value: object, most: Decimal) -> bool:
    """A score as the summary writes it: a number from 0 to ``most`` with at most two decimals."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return False
    number = Decimal(value)
    return number.is_finite() and 0 <= number <= most and number == number.quantize(Decimal("0.01"))


def _branch(
    raw: object,
    key: str,
    where: str,
    grades: list[str],
    item_points: list[Decimal],
    total_points: Decimal,
) -> PreviousBranch:
    if not isinstance(raw, dict):
        raise ComparisonError(f"{where}：{key} 应为对象（支部的结果），实际为 {_shown(raw)}")
    name = raw.get("branch")
    if not isinstance(name, str) or not name.strip():
        raise ComparisonError(f"{where}：{key}.branch 应为支部名称，实际为 {_shown(name)}")
    total = raw.get("total")
    grade = raw.get("grade")
    rank = raw.get("rank")
    if total is not None and not _score(total, total_points):
        raise ComparisonError(
            f"{where}：{key}.total 应为 0 至 {total_points} 的分数（最多两位小数），"
            f"实际为 {_shown(total)}"
        )
    if grade not in grades:
        raise ComparisonError(
            f"{where}：{key}.grade 应为 {'、'.join(grades)} 之一，实际为 {_shown(grade)}"
        )
    if rank is not None and (isinstance(rank, bool) or not isinstance(rank, int) or rank < 1):
        raise ComparisonError(f"{where}：{key}.rank 应为正整数，实际为 {_shown(rank)}")
    if total is None:
        raise ComparisonError(f"{where}：{key}.total 为空，但等级为“{grade}”")
    deductions = raw.get("deductions", [])
    if not isinstance(deductions, list):
        raise ComparisonError(f"{where}：{key}.deductions 应为列表，实际为 {_shown(deductions)}")
    lines: list[PreviousDeduction] = []
    for number, item in enumerate(deductions):
        at = f"{key}.deductions[{number}]"
        if not isinstance(item, dict):
            raise ComparisonError(f"{where}：{at} 应为对象，实际为 {_shown(item)}")
        rule, points, note = item.get("rule"), item.get("points"), item.get("note", "")
        if not isinstance(rule, str) or not rule:
            raise ComparisonError(f"{where}：{at}.rule 应为规则编号，实际为 {_shown(rule)}")
        if not _score(points, total_points) or points == 0:
            raise ComparisonError(
                f"{where}：{at}.points 应为大于 0、不超过 {total_points} 的扣分（最多两位小数），"
                f"实际为 {_shown(points)}"
            )
        if not isinstance(note, str):
            raise ComparisonError(f"{where}：{at}.note 应为文字，实际为 {_shown(note)}")
        assessor = item.get("assessor")
        if isinstance(assessor, str) and assessor.strip():
            # A branch of several assessors lists each one's deductions: say whose, as the
            # summary's 扣分明细 does, or the same rule stands there two or three times unexplained.
            note = f"（考评人 {assessor.strip()}）{note}"
        lines.append(PreviousDeduction(rule, Decimal(str(points)), note))
    scores = raw.get("item_scores")
    if (
        not isinstance(scores, list)
        or len(scores) != len(item_points)
        or not all(_score(v, most) for v, most in zip(scores, item_points, strict=False))
    ):
        allowed = "、".join(str(p) for p in item_points)
        raise ComparisonError(
            f"{where}：{key}.item_scores 应为 {len(item_points)} 个项目得分"
            f"（各项满分依次为 {allowed}，最多两位小数），"
            f"实际为 {_shown(scores)}"
        )
    return PreviousBranch(
        name=name.strip(),
        result=YearResult(Decimal(total), grade, rank),
        deductions=tuple(lines),
        item_scores=tuple(Decimal(v) for v in scores),
    )


def read_rename_map(path: str | Path) -> dict[str, str]:
    """A rename map: a UTF-8 text file, one ``old,new`` pair a line (comma or tab); a first
    line 原名称,新名称 is a header. Blank lines are ignored.

    Raises:
        ComparisonError: unreadable, not UTF-8, or a bad line (named).
    """
    path = Path(path)
    return parse_rename_rows(_rename_rows(path), source=f"改名表 {path}")


def _rename_rows(path: Path) -> list[list[str]]:
    """The rename map's rows, one per line of the file (the header blanked)."""
    what = "改名表"
    expected = "应为 UTF-8 文本（每行“原名称,新名称”）；在 Excel 中可另存为“CSV UTF-8（逗号分隔）”"
    text = _decode(_read_bytes(path, what), path, what, expected)
    if _is_json(text):
        raise ComparisonError(
            f"{what} {path} 是一个 JSON 文件（可能是 consolidate --json 生成的汇总结果），"
            f"不是改名表；{expected}"
        )
    lines = text.splitlines()
    delimiter = "\t" if any("\t" in line for line in lines) else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if rows and rows[0] and rows[0][0].strip().lower() in _RENAME_HEADERS:
        rows[0] = []  # the header: blank, so line numbers stay those of the file
    return rows


def _is_json(text: str) -> bool:
    """Whether a text is a JSON object or array (last year's results given as the rename map)."""
    if not text.lstrip().startswith(("{", "[")):
        return False
    try:
        return isinstance(json.loads(text), dict | list)
    except (ValueError, RecursionError):
        return False


def refuse_renaming_current(
    path: str | Path, renames: dict[str, str], current: Iterable[str]
) -> None:
    """Raise ``ComparisonError`` naming the lines of the rename map whose old name is still a
    branch this year: last year's result would go to the new name while the branch under the
    old name is shown as new."""
    names = set(current)
    clashes = [old for old in renames if old in names]
    if not clashes:
        return
    path = Path(path)
    lines: dict[str, int] = {}
    for number, row in enumerate(_rename_rows(path), start=1):
        if row and row[0].strip() in renames:
            lines.setdefault(row[0].strip(), number)
    raise ComparisonError(
        "；".join(
            f"改名表 {path} 第{lines.get(old, '?')}行：原名称“{old}”本年度仍是一个支部，"
            f"不能再改名为“{renames[old]}”（上年结果会算到“{renames[old]}”名下，"
            f"而“{old}”显示为新增）；请删去该行或改正名称"
            for old in clashes
        )
    )
