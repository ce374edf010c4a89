"""The official scoring standard, loaded from a TOML data file shipped in the package.

Another year's standard is a new TOML file next to ``anji-2012-6.toml``; no code changes.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from workbook.core.standard_sections import (
    Checklist,
    Publication,
    Survey,
    parse_checklist,
    parse_publication,
    parse_survey,
)
from workbook.core.tomlvalues import (
    TOML_TOO_DEEP,
    check_known_keys,
    fmt,
    problem,
    table_at,
    unprintable_texts,
)
from workbook.errors import StandardFileError, describe_os_error

__all__ = [
    "DEFAULT_STANDARD_ID",
    "Bonus",
    "Grade",
    "Item",
    "Rule",
    "Standard",
    "available_standards",
    "fmt",
    "load_standard",
    "load_standard_file",
    "parse_standard",
    "use_standard_file",
    "valid_standard_id",
]

DEFAULT_STANDARD_ID = "anji-2012-6"

RuleKind = Literal["fixed", "range"]


@dataclass(frozen=True)
class Rule:
    """One deduction rule of an item's 评分办法."""

    id: str  # "<item>.<rule>", e.g. "1.2"
    item_number: int
    number: int
    wording: str
    kind: RuleKind
    min: Decimal  # smallest non-zero deduction
    max: Decimal  # largest deduction; equals min for a fixed rule

    @property
    def name_suffix(self) -> str:
        """The part of defined names for this rule, e.g. ``1_2``."""
        return f"{self.item_number}_{self.number}"

    @property
    def allowed_text(self) -> str:
        """The allowed values in words, e.g. ``0 或 15``, ``0 或 1～3 之间``, ``0～25 之间``."""
        if self.kind == "fixed":
            return f"0 或 {fmt(self.max)}"
        if self.min == 0:
            return f"0～{fmt(self.max)} 之间"
        return f"0 或 {fmt(self.min)}～{fmt(self.max)} 之间"

    @property
    def range_label(self) -> str:
        """Short label for the 扣分范围 column, e.g. ``0或15``, ``0或1～3``, ``0～25``."""
        if self.kind == "fixed":
            return f"0或{fmt(self.max)}"
        if self.min == 0:
            return f"0～{fmt(self.max)}"
        return f"0或{fmt(self.min)}～{fmt(self.max)}"

    def allows(self, value: Decimal) -> bool:
        """True if ``value`` is a deduction this rule allows (0 always is)."""
        if value == 0:
            return True
        if self.kind == "fixed":
            return value == self.max
        return self.min <= value <= self.max


@dataclass(frozen=True)
class Item:
    """One of the seven 项目 with its points, 评分指标 and rules."""

    number: int
    name: str
    points: Decimal
    indicators: str
    rules: tuple[Rule, ...]

    @property
    def heading(self) -> str:
        """The 项目及分值 text as the notice prints it, e.g. ``工作思路（10分）``."""
        return f"{self.name}（{fmt(self.points)}分）"

    @property
    def method(self) -> str:
        """The whole 评分办法 text, rebuilt from the rules as the notice prints it."""
        return "；".join(rule.wording for rule in self.rules) + "。"


@dataclass(frozen=True)
class Grade:
    """A grade band: totals from ``min`` up (to the next band) get ``name``."""

    name: str
    min: Decimal
    wording: str


@dataclass(frozen=True)
class Bonus:
    """An optional, capped section of rules that add points (加分项) after the items.

    Its rules are ``Rule`` objects with ids ``B.1``, ``B.2``, ... and ``item_number`` 0; a
    rule's min/max are the points it adds. The sum of the awards counts up to ``cap``.
    """

    name: str
    cap: Decimal
    wording: str  # how the standard states the section, e.g. 加分合计不超过3分
    rules: tuple[Rule, ...]

    def rule(self, rule_id: str) -> Rule:
        """The bonus rule with id ``rule_id`` (e.g. ``"B.1"``); KeyError if there is none."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


@dataclass(frozen=True)
class Standard:
    """The whole scoring standard."""

    id: str
    title: str
    document: str
    issuer: str
    association: str
    total_points: Decimal
    max_decimal_places: int
    note_1: str
    veto_intro: str
    veto_grade: str
    vetoes: tuple[str, ...]
    grades: tuple[Grade, ...]  # highest band first
    items: tuple[Item, ...]
    # Texts of the outputs (optional keys; docs/standard.md). The year is put before the titles.
    sheet_title: str = "考评定级表"  # a branch sheet's title, after "2026年度"
    summary_title: str = (
        ""  # the summary's title, after "2026年度"; default: association + 考评定级汇总表
    )
    unit: str = "支部"  # what one sheet assesses, as the instructions name it
    content_hash: str = ""  # sha256 of the file's content, normalised (see content_hash)
    # Optional sections (None when the file has none); see docs/standard.md.
    survey: Survey | None = None  # [survey]: how a tally of ballots becomes a rule's points
    checklist: Checklist | None = None  # [checklist]: the construction checklist (自查表)
    publication: Publication | None = None  # [publication]: the 公示 texts
    bonus: Bonus | None = None  # [bonus]: capped 加分项, added after the items

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule of every item, in the notice's order."""
        return tuple(rule for item in self.items for rule in item.rules)

    def rule(self, rule_id: str) -> Rule:
        """The rule with id ``rule_id`` (e.g. ``"1.2"``); KeyError if there is none."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def item(self, number: int) -> Item:
        """Item ``number`` (1-based); KeyError if there is none."""
        if 1 <= number <= len(self.items):
            return self.items[number - 1]
        raise KeyError(number)

    def grade_for(self, total: Decimal) -> str:
        """The grade of a total before any veto."""
        for grade in self.grades:
            if total >= grade.min:
                return grade.name
        return self.grades[-1].name

    def sheet_title_for(self, year: int | str | None) -> str:
        """A branch sheet's (and the template's) title, e.g. ``2026年度…考评定级表``."""
        return (f"{year}年度" if year else "") + self.sheet_title

    def summary_title_for(self, year: int | str | None) -> str:
        """The summary's title, e.g. ``2026年度…考评定级汇总表``."""
        return (f"{year}年度" if year else "") + (
            self.summary_title or f"{self.association}考评定级汇总表"
        )

    @property
    def bands_text(self) -> str:
        """The bands as this tool applies them, e.g. ``90分及以上为“好”，80分及以上不足90分为“较好”…``."""
        parts: list[str] = []
        for upper, grade in zip((None, *self.grades), self.grades, strict=False):
            top = f"不足{fmt(upper.min)}分" if upper is not None else ""
            if grade.min > 0:
                low = f"{fmt(grade.min)}分及以上"
                parts.append(f"{low}{top}为“{grade.name}”")
            else:
                parts.append(f"{top or '所有得分'}为“{grade.name}”")
        return "，".join(parts)

    @property
    def band_examples(self) -> str:
        """Totals just under the highest and the lowest band edge, e.g. ``89.5 分为“较好”``."""
        step = Decimal("0.5") if self.max_decimal_places else Decimal(1)
        edges = [g.min for g in self.grades if g.min > 0]
        picked = sorted({edges[0], edges[-1]}, reverse=True) if edges else []
        return "，".join(f"{fmt(e - step)} 分为“{self.grade_for(e - step)}”" for e in picked)

    @property
    def note_2(self) -> str:
        """注（2） as the notice prints it."""
        return self.veto_intro + "；".join(self.vetoes) + "。"


def _decimal(raw: Any, where: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise StandardFileError(f"标准文件中 {where} 应为数值，实际为 {raw!r}")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise StandardFileError(f"标准文件中 {where} 应为数值，实际为 {raw!r}") from None
    if not value.is_finite():
        raise StandardFileError(f"标准文件中 {where} 应为有限数值，实际为 {raw!r}")
    return value


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise StandardFileError(f"标准文件中 {where} 缺少文字项“{key}”")
    return value


def _optional_text(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise StandardFileError(f"标准文件中“{key}”应为文字")
    return value.strip()


def content_hash(data: dict[str, Any]) -> str:
    """sha256 of a standard's content: its parsed TOML as canonical JSON (keys sorted, numbers
    and dates as TOML wrote them). Comments, spacing and key order do not change it; any value
    does. Written into every workbook (``kp_standard_hash``) so a workbook made from another
    version of a standard with the same id is refused."""
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_standard(data: dict[str, Any], source: str = "标准文件") -> Standard:
    """Build and validate a Standard from parsed TOML data.

    Raises:
        StandardFileError: a field is missing or the numbers do not add up.
    """
    try:
        for key, message in unprintable_texts(data):
            raise problem(key, message)
        return _parse_standard(data)
    except StandardFileError as error:
        raise StandardFileError(f"{source}：{error}") from None


def _parse_rule(raw_rule: Any, item_number: int, number: int, word: str) -> Rule:
    """One rule of an item (``word`` 扣分) or of the bonus section (``word`` 加分, item 0)."""
    rule_id = f"{item_number}.{number}" if item_number else f"B.{number}"
    rwhere = f"规则 {rule_id}"
    if not isinstance(raw_rule, dict):
        raise StandardFileError(f"{rwhere} 应为表（{{ wording = ..., kind = ... }}）")
    kind = raw_rule.get("kind")
    if kind == "fixed":
        low = high = _decimal(raw_rule.get("points"), f"{rwhere} 的{word}")
        if low <= 0:
            raise StandardFileError(f"{rwhere} 的{word}应大于 0")
    elif kind == "range":
        low = _decimal(raw_rule.get("min"), f"{rwhere} 的最小{word}")
        high = _decimal(raw_rule.get("max"), f"{rwhere} 的最大{word}")
        if low < 0 or high <= 0 or low > high:
            raise StandardFileError(
                f"{rwhere} 的{word}范围 {fmt(low)}-{fmt(high)} 无效（应 0 ≤ 最小 ≤ 最大，且最大 > 0）"
            )
    else:
        raise StandardFileError(f"{rwhere} 的类型应为 fixed 或 range，实际为 {kind!r}")
    return Rule(
        id=rule_id,
        item_number=item_number,
        number=number,
        wording=_text(raw_rule, "wording", rwhere),
        kind=kind,
        min=low,
        max=high,
    )


def _parse_bonus(raw: dict[str, Any]) -> Bonus:
    """The ``[bonus]`` section: a name, a cap and rules that add points."""
    check_known_keys(raw, {"name", "cap", "wording", "rules"}, "[bonus]")
    cap = _decimal(raw.get("cap"), "bonus.cap（加分上限）")
    if cap <= 0:
        raise StandardFileError("标准文件中 bonus.cap（加分上限）应大于 0")
    raw_rules = raw.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise StandardFileError("标准文件中 bonus.rules 应为非空的规则列表")
    rules = tuple(
        _parse_rule(raw_rule, 0, number, "加分")
        for number, raw_rule in enumerate(raw_rules, start=1)
    )
    for rule in rules:
        if rule.max > cap:
            raise StandardFileError(
                f"规则 {rule.id} 的最大加分 {fmt(rule.max)} 超过加分上限 {fmt(cap)}"
            )
    return Bonus(
        name=_text(raw, "name", "bonus"),
        cap=cap,
        wording=_text(raw, "wording", "bonus"),
        rules=rules,
    )


def _parse_standard(data: dict[str, Any]) -> Standard:
    items: list[Item] = []
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise StandardFileError("标准文件中没有任何项目（items）")
    seen_ids: set[str] = set()
    for item_index, raw_item in enumerate(raw_items, start=1):
        where = f"第{item_index}项"
        points = _decimal(raw_item.get("points"), f"{where}的分值")
        if points <= 0:
            raise StandardFileError(f"{where}的分值应大于 0")
        rules: list[Rule] = []
        raw_rules = raw_item.get("rules")
        if not isinstance(raw_rules, list) or not raw_rules:
            raise StandardFileError(f"{where}没有任何评分办法（rules）")
        for rule_index, raw_rule in enumerate(raw_rules, start=1):
            rule = _parse_rule(raw_rule, item_index, rule_index, "扣分")
            if rule.max > points:
                raise StandardFileError(
                    f"规则 {rule.id} 的最大扣分 {fmt(rule.max)} 超过该项分值 {fmt(points)}"
                )
            if rule.id in seen_ids:
                raise StandardFileError(f"规则编号 {rule.id} 重复")
            seen_ids.add(rule.id)
            rules.append(rule)
        items.append(
            Item(
                number=item_index,
                name=_text(raw_item, "name", where),
                points=points,
                indicators=_text(raw_item, "indicators", where),
                rules=tuple(rules),
            )
        )

    total_points = _decimal(data.get("total_points"), "总分（total_points）")
    points_sum = sum((item.points for item in items), Decimal(0))
    if points_sum != total_points:
        raise StandardFileError(
            f"各项目分值之和为 {fmt(points_sum)}，应等于总分 {fmt(total_points)}"
        )

    grades: list[Grade] = []
    for index, raw_grade in enumerate(data.get("grades") or [], start=1):
        grades.append(
            Grade(
                name=_text(raw_grade, "name", f"第{index}个等级"),
                min=_decimal(raw_grade.get("min"), f"第{index}个等级的下限"),
                wording=_text(raw_grade, "wording", f"第{index}个等级"),
            )
        )
    if not grades:
        raise StandardFileError("标准文件中没有等级（grades）")
    if any(a.min <= b.min for a, b in itertools.pairwise(grades)):
        raise StandardFileError("等级应按下限从高到低排列，且下限互不相同")
    if grades[-1].min != 0:
        raise StandardFileError("最低等级的下限应为 0")
    if len({g.name for g in grades}) != len(grades):
        raise StandardFileError("等级名称重复")

    vetoes = data.get("vetoes")
    if not isinstance(vetoes, list) or not all(isinstance(v, str) and v for v in vetoes):
        raise StandardFileError("否决情形（vetoes）应为文字列表")
    veto_grade = _text(data, "veto_grade", "")
    if veto_grade not in {g.name for g in grades}:
        raise StandardFileError(f"否决后的等级“{veto_grade}”不是已定义的等级")

    places = data.get("max_decimal_places", 2)
    if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 4:
        raise StandardFileError("max_decimal_places 应为 0 到 4 的整数")

    rule_ranges = {
        rule.id: (rule.kind, rule.min, rule.max) for item in items for rule in item.rules
    }
    grade_names = tuple(g.name for g in grades)
    survey = (
        parse_survey(table_at(data, "survey", "[survey]"), rule_ranges, grade_names, places)
        if "survey" in data
        else None
    )
    wordings = {rule.id: rule.wording for item in items for rule in item.rules}
    checklist = (
        parse_checklist(table_at(data, "checklist", "[checklist]"), wordings)
        if "checklist" in data
        else None
    )
    publication = (
        parse_publication(table_at(data, "publication", "[publication]"))
        if "publication" in data
        else None
    )
    bonus = _parse_bonus(table_at(data, "bonus", "[bonus]")) if "bonus" in data else None
    # A band above the highest total (900 typed for 90) would silently never be given.
    highest = total_points + (bonus.cap if bonus is not None else 0)
    for grade in grades:
        if grade.min > highest:
            raise StandardFileError(
                f"等级“{grade.name}”的下限 {fmt(grade.min)} 高于可能的最高得分 {fmt(highest)}，"
                "任何支部都评不到这一等级"
            )

    titles = {key: _optional_text(data, key) for key in ("sheet_title", "summary_title", "unit")}
    return Standard(
        sheet_title=titles["sheet_title"] or "考评定级表",
        summary_title=titles["summary_title"],
        unit=titles["unit"] or "支部",
        content_hash=content_hash(data),
        survey=survey,
        checklist=checklist,
        publication=publication,
        bonus=bonus,
        id=_text(data, "id", ""),
        title=_text(data, "title", ""),
        document=_text(data, "document", ""),
        issuer=_text(data, "issuer", ""),
        association=_text(data, "association", ""),
        total_points=total_points,
        max_decimal_places=places,
        note_1=_text(data, "note_1", ""),
        veto_intro=_text(data, "veto_intro", ""),
        veto_grade=veto_grade,
        vetoes=tuple(vetoes),
        grades=tuple(grades),
        items=tuple(items),
    )


STANDARD_FILE_LIMIT = 4 << 20  # 4 MiB: the Anji standard is 20 KB


def load_standard_file(path: str | Path) -> Standard:
    """Load and validate a standard from a TOML file on disk."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(STANDARD_FILE_LIMIT + 1)  # not /dev/zero until memory runs out
        if len(raw) > STANDARD_FILE_LIMIT:
            raise StandardFileError(
                f"标准文件 {path} 超过 {STANDARD_FILE_LIMIT >> 20} MiB，不像标准文件（TOML 文本）"
            )
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise StandardFileError(f"标准文件 {path} 不是 UTF-8 编码的文本") from None
    except OSError as error:
        raise StandardFileError(f"无法读取标准文件 {path}：{describe_os_error(error)}") from None
    except tomllib.TOMLDecodeError as error:
        raise StandardFileError(f"标准文件 {path} 格式错误：{error}") from None
    except RecursionError:  # tomllib parses nested arrays and tables by recursion
        raise StandardFileError(f"标准文件 {path} 格式错误：{TOML_TOO_DEEP}") from None
    return parse_standard(data, source=f"标准文件 {path.name}")


# A standard file given with --standard-file: its path, so that ``load_standard`` of its id gives
# it in this process and in worker processes (which inherit the environment).
STANDARD_FILE_ENV = "BRANCH_ASSESS_STANDARD_FILE"


def use_standard_file(path: str | Path) -> Standard:
    """Load a standard file and use it wherever its id is asked for, in this process and in the
    processes it starts (it overrides a packaged standard of the same id).

    Raises:
        StandardFileError: the file cannot be read or is not a valid standard.
    """
    standard = load_standard_file(path)
    os.environ[STANDARD_FILE_ENV] = str(Path(path).resolve())
    return standard


# Standard files installed for this user (``branch-assess standard install``): found by id by
# ``load_standard``, so the Excel add-in's functions and ribbon, which only see the id a workbook
# names, compute a workbook made from a custom standard file.
STANDARDS_DIR_ENV = "BRANCH_ASSESS_STANDARDS"


def installed_standards_folder() -> Path:
    """Where installed standard files live: ``$BRANCH_ASSESS_STANDARDS``, else
    ``%APPDATA%\\branch-assess\\standards`` on Windows, else ``~/.config/branch-assess/standards``."""
    configured = os.environ.get(STANDARDS_DIR_ENV)
    if configured:
        return Path(configured)
    appdata = os.environ.get("APPDATA")
    base = Path(appdata) if os.name == "nt" and appdata else Path.home() / ".config"
    return base / "branch-assess" / "standards"


def valid_standard_id(standard_id: str) -> bool:
    """Whether ``standard_id`` can name a standard: letters, digits, ``-``, ``_`` and ``.``, not
    starting with ``.`` (an installed standard's file is ``<id>.toml``: no path in it)."""
    return (
        bool(standard_id)
        and not standard_id.startswith(".")
        and all(ch.isalnum() or ch in "-_." for ch in standard_id)
    )


def installed_standard_file(standard_id: str) -> Path | None:
    """The installed file of this id, if there is one."""
    if not valid_standard_id(standard_id):
        return None
    path = installed_standards_folder() / f"{standard_id}.toml"
    return path if path.is_file() else None


def load_standard(standard_id: str = DEFAULT_STANDARD_ID) -> Standard:
    """The standard with this id: the file given with ``use_standard_file`` if it has this id,
    else the standard shipped in the package (the file name without ``.toml``), else the one
    installed with ``branch-assess standard install``."""
    custom = os.environ.get(STANDARD_FILE_ENV)
    if custom:
        standard = _cached_file(custom)
        if standard.id == standard_id:
            return standard
    try:
        return _packaged_standard(standard_id)
    except StandardFileError:
        path = installed_standard_file(standard_id)
        if path is None:
            raise
        return _installed(str(path), path.stat().st_mtime_ns)


@cache
def _installed(path: str, mtime_ns: int) -> Standard:
    """An installed standard file (read again when it is replaced)."""
    standard = load_standard_file(path)
    expected = Path(path).stem
    if standard.id != expected:
        raise StandardFileError(
            f"已安装的标准文件 {path} 中的编号为“{standard.id}”，与文件名不符；"
            "请用 branch-assess standard install 重新安装"
        )
    return standard


@cache
def _cached_file(path: str) -> Standard:
    return load_standard_file(path)


@cache
def _packaged_standard(standard_id: str) -> Standard:
    if not valid_standard_id(standard_id):
        raise StandardFileError(f"标准编号“{standard_id}”无效")
    resource = resources.files("workbook.standards").joinpath(f"{standard_id}.toml")
    if not resource.is_file():
        raise StandardFileError(
            f"找不到标准“{standard_id}”；可用的标准：{'、'.join(available_standards())}"
            "（自定义的标准文件请用 --standard-file 指定，或用 branch-assess standard install 安装）"
        )
    with resource.open("rb") as handle:
        try:
            data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            raise StandardFileError(f"标准文件 {standard_id}.toml 格式错误：{error}") from None
        except RecursionError:
            raise StandardFileError(
                f"标准文件 {standard_id}.toml 格式错误：{TOML_TOO_DEEP}"
            ) from None
    standard = parse_standard(data, source=f"标准文件 {standard_id}.toml")
    if standard.id != standard_id:
        raise StandardFileError(
            f"标准文件 {standard_id}.toml 中的编号为“{standard.id}”，与文件名不符"
        )
    return standard


# How a workbook's formulas name their standard for the add-in's functions (``formula_key``).
KEY_SEPARATOR = "@"
HASH_SHOWN = 12  # hex digits of a content hash shown to users (内容摘要) and put in a key


class StandardMismatchError(StandardFileError):
    """The standard of this id on this computer is not the one a workbook was made from."""


def formula_key(standard: Standard) -> str:
    """How a workbook's formulas name ``standard`` for the add-in's functions.

    A standard shipped in the package is named by its id. Any other (a custom standard file) is
    named ``id@<the first HASH_SHOWN digits of its content hash>``: the functions only see what
    a formula passes them, and a workbook made from one version of a custom file must not be
    computed in Excel with another version installed under the same id (``standard_for_key``).
    """
    try:
        if _packaged_standard(standard.id).content_hash == standard.content_hash:
            return standard.id
    except StandardFileError:
        pass
    return f"{standard.id}{KEY_SEPARATOR}{standard.content_hash[:HASH_SHOWN]}"


def standard_for_key(key: str) -> Standard:
    """The standard a formula names (``formula_key``), as ``load_standard`` finds its id.

    Raises:
        StandardMismatchError: the standard found has other content than the key says.
        StandardFileError: there is no standard of that id (see ``load_standard``).
    """
    standard_id, separator, digest = key.partition(KEY_SEPARATOR)
    standard = load_standard(standard_id)
    if separator and not (digest and standard.content_hash.startswith(digest.lower())):
        raise StandardMismatchError(
            f"本机的标准“{standard_id}”（内容摘要 {standard.content_hash[:HASH_SHOWN]}）"
            f"与制作本表时所用的（内容摘要 {digest}）不同"
        )
    return standard


def available_standards() -> list[str]:
    """Ids of the standards shipped in the package."""
    folder = resources.files("workbook.standards")
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))
