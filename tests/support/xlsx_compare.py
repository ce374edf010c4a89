"""Compare two xlsx packages part by part, naming the part and the element that differs.

In the manner of XlsxWriter's own tests: ``exp`` (the committed reference) first, ``got`` second.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

_TOKENS = re.compile(rb"<[^>]+>|[^<]+")


def read_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def first_difference(exp: bytes, got: bytes) -> str:
    """The first differing XML token of two parts, with a little context."""
    exp_tokens, got_tokens = _TOKENS.findall(exp), _TOKENS.findall(got)
    for index, (a, b) in enumerate(zip(exp_tokens, got_tokens, strict=False)):
        if a != b:
            before = b"".join(exp_tokens[max(0, index - 2) : index]).decode(errors="replace")
            return (
                f"after ...{before[-120:]}\n"
                f"  exp: {a.decode(errors='replace')[:200]}\n"
                f"  got: {b.decode(errors='replace')[:200]}"
            )
    return f"lengths differ: exp {len(exp_tokens)} tokens, got {len(got_tokens)} tokens"


def package_differences(exp_path: Path, got_path: Path, ignore: tuple[str, ...] = ()) -> list[str]:
    """Human-readable differences between two packages (empty when they match)."""
    exp, got = read_parts(exp_path), read_parts(got_path)
    problems: list[str] = []
    for name in sorted(set(exp) - set(got)):
        problems.append(f"part missing from got: {name}")
    for name in sorted(set(got) - set(exp)):
        problems.append(f"unexpected part in got: {name}")
    for name in sorted(set(exp) & set(got)):
        if name in ignore or exp[name] == got[name]:
            continue
        problems.append(f"part {name} differs: {first_difference(exp[name], got[name])}")
    return problems
