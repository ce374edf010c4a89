"""Package relationships: where a part's ``.rels`` lives and what its targets are.

The one relationships helper, used by the reader (``workbook_info``), the package editor
(``parts``), notes and values.
"""

from __future__ import annotations

import posixpath
from typing import Any

__all__ = [
    "NS_PKG_REL",
    "NS_REL",
    "relationship_targets",
    "relationships",
    "rels_part",
    "resolve_target",
]

NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_RELATIONSHIP = f"{{{NS_PKG_REL}}}Relationship"


def rels_part(part: str) -> str:
    """The relationships part of ``part``: ``xl/workbook.xml`` -> ``xl/_rels/workbook.xml.rels``."""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def resolve_target(source_part: str, target: str) -> str:
    """The part a relationship of ``source_part`` points to (its target may be absolute)."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def relationships(root: Any) -> list[dict[str, str]]:
    """The attributes of every relationship of a parsed ``.rels`` part."""
    return [dict(rel.attrib) for rel in root.iter(_RELATIONSHIP)]


def relationship_targets(root: Any, source_part: str) -> dict[str, str]:
    """Relationship id -> the part it points to, from the parsed ``.rels`` of ``source_part``."""
    return {
        rel.get("Id", ""): resolve_target(source_part, rel.get("Target", ""))
        for rel in root.iter(_RELATIONSHIP)
    }
