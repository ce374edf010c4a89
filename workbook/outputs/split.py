"""``template --split DIR``: one workbook per branch, to hand out and collect back.

Each workbook is a whole template for one branch (its sheet with the checklist, and the
instructions), so ``consolidate`` reads the returned files exactly like one big template.
File names are the branch names made safe on Windows, macOS and Linux.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from workbook.atomic import ensure_folder, refuse_replacing
from workbook.inputs.branches import check_branch_names
from workbook.outputs.template import TemplateOptions, write_template

# Windows refuses these characters, control characters, names ending in a dot or a space, and
# device names (CON, NUL, COM1 ...) whatever their extension.
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{n}" for n in range(1, 10)}
    | {f"LPT{n}" for n in range(1, 10)}
)
MAX_STEM = 60  # characters: room for the folder within Windows' 260-character paths
SUFFIX = ".xlsx"


def safe_stem(branch: str) -> str:
    """A branch name as a file name stem that every common file system accepts."""
    text = unicodedata.normalize("NFC", branch)
    text = _UNSAFE.sub("_", text)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else "_" for ch in text)
    text = text.strip().rstrip(". ")[:MAX_STEM].rstrip(". ")
    if not text or set(text) <= {"_", "."}:
        text = "支部"
    if text.split(".")[0].strip().upper() in _DEVICES:
        text = "_" + text
    return text


def split_file_names(branches: Sequence[str]) -> list[str]:
    """One file name per branch, unique even where file names ignore case (Windows, macOS)."""
    taken: set[str] = set()
    result: list[str] = []
    for branch in branches:
        stem = safe_stem(branch)
        name, number = stem, 1
        while name.casefold() in taken:
            number += 1
            name = f"{stem}（{number}）"
        taken.add(name.casefold())
        result.append(name + SUFFIX)
    return result


def write_split(
    folder: str | Path, options: TemplateOptions, overwrite: bool = False
) -> list[Path]:
    """Write one template workbook per branch into ``folder`` (created if needed).

    Every target is checked before anything is written, so a refusal leaves the folder as it was.

    Raises:
        BranchListError: a branch name is empty or repeated.
        OutputError: the folder cannot be made, or a file would replace a filled workbook
            (without ``overwrite``).
    """
    branches = check_branch_names(options.branches)
    target = ensure_folder(folder)
    paths = [target / name for name in split_file_names(branches)]
    if not overwrite:
        for path in paths:
            refuse_replacing(path, "模板文件")
    for branch, path in zip(branches, paths, strict=True):
        write_template(path, replace(options, branches=[branch]))
    return paths
