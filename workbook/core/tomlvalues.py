"""Reading typed values out of parsed TOML data, with Chinese messages that name the key.

Shared by the standard's loader and its optional sections, so every message about a standard
file has the same shape: ``标准文件中 survey.answers[2].weight 应为数值，实际为 'x'``.
Array positions in keys are 1-based, as a person counts them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from workbook.errors import StandardFileError

# What a TOML file nested past the parser's recursion limit is, for "格式错误：…" messages.
TOML_TOO_DEEP = "数组或表嵌套过深（文件可能已损坏或被恶意构造）"


def fmt(value: Decimal | int) -> str:
    """Format a points value without trailing zeros: 15, 0.5, 89.5, never 89.49999."""
    normal = Decimal(value).normalize()
    return format(normal + 0 if normal == 0 else normal, "f")  # "+ 0" turns -0 into 0


def unprintable_texts(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(key, message) for every text in parsed TOML ``value`` holding a control character
    (other than a line break or tab) or a noncharacter: it cannot be shown in a cell, and on a
    console it could recolour or rewrite the screen. Keys as in every message
    (``grades[1].name``, 1-based)."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from unprintable_texts(name, key or name)
            yield from unprintable_texts(item, f"{key}.{name}" if key else name)
    elif isinstance(value, list):
        for index, item in enumerate(value, start=1):
            yield from unprintable_texts(item, f"{key}[{index}]")
    elif isinstance(value, str):
        for char in value:
            if char not in "\n\r\t" and (
                unicodedata.category(char) in ("Cc", "Cs") or char in "\ufffe\uffff"
            ):
                yield key, f"含有不可显示的控制字符 U+{ord(char):04X}，请删除（实际为 {value!r}）"
                break


def problem(key: str, text: str) -> StandardFileError:
    """The error for a wrong value at ``key``."""
    return StandardFileError(f"标准文件中 {key} {text}")


def table_at(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    """The table at ``data[key]`` (``where`` is its full key for messages)."""
    value = data.get(key)
    if not isinstance(value, dict):
        raise problem(where, "应为表（[...] 或 {...}）")
    return value


def tables_at(data: dict[str, Any], key: str, where: str, *, required: bool = True) -> list[Any]:
    """The array of tables at ``data[key]``; empty is allowed only when not ``required``."""
    value = data.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise problem(where, "应为表的数组（[[...]]）")
    if required and not value:
        raise problem(where, "不能为空")
    return value


def text_at(data: dict[str, Any], key: str, where: str) -> str:
    """A non-blank string."""
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise problem(where, f"应为非空文字，实际为 {value!r}")
    return value


def optional_text_at(data: dict[str, Any], key: str, where: str) -> str | None:
    """A non-blank string, or None when the key is absent."""
    return None if key not in data else text_at(data, key, where)


def texts_at(data: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    """A non-empty list of non-blank, distinct strings."""
    value = data.get(key)
    if not isinstance(value, list) or not value:
        raise problem(where, "应为非空的文字列表")
    for index, text in enumerate(value, start=1):
        if not isinstance(text, str) or not text.strip():
            raise problem(f"{where}[{index}]", f"应为非空文字，实际为 {text!r}")
    if len(set(value)) != len(value):
        raise problem(where, "中有重复的文字")
    return tuple(value)


def decimal_at(data: dict[str, Any], key: str, where: str) -> Decimal:
    """A finite number (integer, float written in the file, or a numeric string)."""
    raw = data.get(key)
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise problem(where, f"应为数值，实际为 {raw!r}")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise problem(where, f"应为数值，实际为 {raw!r}") from None
    if not value.is_finite():
        raise problem(where, f"应为有限数值，实际为 {raw!r}")
    return value


def int_at(data: dict[str, Any], key: str, where: str, *, minimum: int) -> int:
    """An integer of at least ``minimum``."""
    raw = data.get(key)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < minimum:
        raise problem(where, f"应为不小于 {minimum} 的整数，实际为 {raw!r}")
    return raw


def bool_at(data: dict[str, Any], key: str, where: str, *, default: bool) -> bool:
    """true / false, ``default`` when absent."""
    raw = data.get(key, default)
    if not isinstance(raw, bool):
        raise problem(where, f"应为 true 或 false，实际为 {raw!r}")
    return raw


def choice_at(data: dict[str, Any], key: str, where: str, allowed: tuple[str, ...]) -> str:
    """One of ``allowed``."""
    raw = data.get(key)
    if raw not in allowed:
        raise problem(where, f"应为 {' 或 '.join(allowed)} 之一，实际为 {raw!r}")
    return str(raw)


def places_of(value: Decimal) -> int:
    """How many decimal places ``value`` needs (0.5 -> 1, 2 -> 0, 0.25 -> 2)."""
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite values only
    return max(0, -exponent)


def check_known_keys(data: dict[str, Any], known: set[str], where: str) -> None:
    """Reject keys this tool does not know, so a typo is not silently ignored."""
    unknown = sorted(set(data) - known)
    if unknown:
        raise problem(
            where, f"中有未知的键：{'、'.join(unknown)}（可用：{'、'.join(sorted(known))}）"
        )
