"""What an xlsx package says about itself, before any cell is read: the sheets in tab order,
their parts, the sheet-scoped defined names and the custom document properties.

The one parser of ``xl/workbook.xml`` (``parse_workbook_xml``), used by the reader, the
recalculation's file book and the Excel adapter's tests alike. DTDs and undefined entities are
refused (``properties.check_part``).
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as StdElementTree
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbook.core.cells import CellRef, parse_a1, unquote_sheet
from workbook.errors import WorkbookReadError
from workbook.xlsx.properties import (
    check_part,
    parse_custom_properties,
    parse_xml,
    read_head,
    unreadable_reason,
)
from workbook.xlsx.relationships import relationship_targets, rels_part
from workbook.xlsx.zip_package import check_package

__all__ = [
    "PackageInfo",
    "open_package",
    "package_info",
    "parse_workbook_xml",
    "read_package_info",
    "unreadable",
]

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_WORKBOOK_RELS = rels_part("xl/workbook.xml")
# The parts ``package_info`` parses, each checked for DTDs and undefined entities as it is.
PACKAGE_INFO_PARTS = frozenset({"xl/workbook.xml", _WORKBOOK_RELS, "docProps/custom.xml"})
_new_tuple = tuple.__new__


@dataclass(frozen=True)
class PackageInfo:
    """What the xlsx package says about itself, before any cell is read."""

    sheet_names: tuple[str, ...]
    # sheet -> name -> its cell (a cell of another sheet if it points there; None if broken)
    local_names: dict[str, dict[str, CellRef | None]]
    properties: dict[str, str]  # custom document properties
    sheet_parts: dict[str, str] = field(default_factory=dict)  # sheet -> its worksheet part
    # Sheets not shown in the tabs (state="hidden" or "veryHidden").
    hidden_sheets: frozenset[str] = frozenset()


def open_package(path: Path, data: bytes | None) -> zipfile.ZipFile:
    """The zip package from ``data`` when the caller already read the file, else from disk."""
    return zipfile.ZipFile(io.BytesIO(data) if data is not None else path)


def unreadable(path: Path, data: bytes | None = None) -> WorkbookReadError:
    """The error for a file that is no readable xlsx package, saying what it is instead."""
    return WorkbookReadError(f"{path.name} {unreadable_reason(path, read_head(path, data))}")


def read_package_info(path: str | Path, *, data: bytes | None = None) -> PackageInfo:
    """Parse sheet order, sheet-scoped defined names and custom properties of an xlsx package.

    Args:
        path: the workbook file (named in messages).
        data: the file's contents when the caller has read them already; the file is then not
            opened again.

    Raises:
        WorkbookReadError: the file is missing, not a zip package or not a workbook, or a part
            read has a DTD or an undefined entity (``PartRefusedError``).
    """
    path = Path(path)
    try:
        with open_package(path, data) as package:
            info = package_info(path, package)
    except FileNotFoundError:
        raise WorkbookReadError(f"找不到文件 {path}") from None
    except (zipfile.BadZipFile, KeyError, OSError, EOFError):
        raise unreadable(path, data) from None
    return info


def package_info(
    path: Path, package: zipfile.ZipFile, read: Callable[[str], bytes] | None = None
) -> PackageInfo:
    """What ``package`` says about itself; ``read`` reads a part (``package.read`` by default;
    the reader passes ``zip_members.PackageParts.read``, which gives the same bytes)."""
    # Bounded decompression for every reader, python-calamine's included.
    check_package(package, path.name, verify=True)
    read = read or package.read
    workbook_xml = read("xl/workbook.xml")
    try:
        custom_xml: bytes | None = read("docProps/custom.xml")
    except KeyError:
        custom_xml = None
    try:
        rels_xml: bytes | None = read(_WORKBOOK_RELS)
    except KeyError:
        rels_xml = None
    try:
        sheet_names, local_names, rel_ids, hidden = _parse_workbook(workbook_xml, path.name)
        targets = _workbook_targets(path.name, rels_xml) if rels_xml else {}
    except StdElementTree.ParseError:
        raise WorkbookReadError(f"{path.name} 已损坏：xl/workbook.xml 无法解析") from None
    properties = parse_custom_properties(path.name, custom_xml)
    sheet_parts = {
        sheet: targets[rel]
        for sheet, rel in zip(sheet_names, rel_ids, strict=True)
        if rel in targets
    }
    return PackageInfo(sheet_names, local_names, properties, sheet_parts, hidden)


_targets_seen: dict[bytes, dict[str, str]] = {}


def _workbook_targets(file_name: str, rels_xml: bytes) -> dict[str, str]:
    """Relationship id -> part of ``xl/workbook.xml``; copies of one template share the same
    relationships part, so a part parsed before is not parsed again (bounded)."""
    targets = _targets_seen.get(rels_xml)
    if targets is None:
        targets = relationship_targets(
            parse_xml(file_name, _WORKBOOK_RELS, rels_xml), "xl/workbook.xml"
        )
        if len(_targets_seen) >= 64:
            _targets_seen.clear()
        _targets_seen[rels_xml] = targets
    return dict(targets)


# The definedNames block of xl/workbook.xml, and one name as Excel, XlsxWriter and openpyxl
# write it: the name first, then its sheet, then a reference with no entity in it.
_NAMES_OPEN, _NAMES_CLOSE = b"<definedNames>", b"</definedNames>"
_CANONICAL_NAME = re.compile(
    rb'<definedName name="([^"&<]*)" localSheetId="([0-9]+)">([^<&]*)</definedName>'
)
_UTF8_DECLARATION = re.compile(rb"""^<\?xml[^>]*encoding=["'](?!utf-?8["'])""", re.I)

DefinedName = tuple[str | None, str, str]  # (localSheetId, name, reference text)


class _NotCanonicalError(Exception):
    """The definedNames block is not all canonical names after all (see ``_canonical_names``)."""


def parse_workbook_xml(
    data: bytes, file_name: str = "workbook"
) -> tuple[tuple[str, ...], dict[str, dict[str, CellRef | None]]]:
    """The sheet names in tab order and the sheet-scoped defined names of ``xl/workbook.xml``.

    A workbook with a hundred branch sheets has thousands of names. When they are all written
    in the canonical form (see ``_canonical_defined_names``) they are read with one regular
    expression and only the rest of the document goes through the XML parser; anything else is
    parsed in full. Both ways give the same result (tests/test_reader.py).

    Raises:
        PartRefusedError: the document has a DTD or an undefined entity.
        xml.etree.ElementTree.ParseError: the document is not well-formed.
    """
    sheet_names, local_names, _, _ = _parse_workbook(data, file_name)
    return sheet_names, local_names


def _parse_workbook(
    data: bytes, file_name: str
) -> tuple[tuple[str, ...], dict[str, dict[str, CellRef | None]], list[str], frozenset[str]]:
    """``parse_workbook_xml``, the relationship id of each sheet and the hidden sheets."""
    canonical = _canonical_defined_names(data)
    if canonical is not None:
        rest, entries = canonical
        check_part(file_name, "xl/workbook.xml", data)
        root = parse_xml(file_name, "xl/workbook.xml", rest)
        sheet_names, rel_ids, hidden = _sheets_of(root)
        try:
            return sheet_names, _sheet_scoped_names(sheet_names, entries), rel_ids, hidden
        except _NotCanonicalError:
            pass  # parsed in full below
    root = parse_xml(file_name, "xl/workbook.xml", data)
    block = root.find(f"{_NS_MAIN}definedNames")
    full_entries = [
        (e.get("localSheetId"), e.get("name", ""), e.text or "")
        for e in (block if block is not None else ())
    ]
    sheet_names, rel_ids, hidden = _sheets_of(root)
    return sheet_names, _sheet_scoped_names(sheet_names, full_entries), rel_ids, hidden


def _sheets_of(root: Any) -> tuple[tuple[str, ...], list[str], frozenset[str]]:
    """The sheet names in tab order, their relationship ids, and the hidden ones
    (``state="hidden"`` or ``"veryHidden"``)."""
    sheets = list(root.iter(f"{_NS_MAIN}sheet"))
    hidden = frozenset(
        s.get("name", "") for s in sheets if s.get("state") in ("hidden", "veryHidden")
    )
    names = tuple(s.get("name", "") for s in sheets)
    return names, [s.get(f"{_NS_REL}id", "") for s in sheets], hidden


def _canonical_defined_names(data: bytes) -> tuple[bytes, Iterator[DefinedName]] | None:
    """The document without its definedNames block, and the names in it, when every name is
    canonical: ``<definedName name="N" localSheetId="I">REF</definedName>`` with no entity, in
    a UTF-8 document without comments or CDATA that mentions ``definedName`` nowhere else.
    None otherwise (the caller then parses the whole document).

    The names are read as they are iterated, straight from ``data``: a workbook with a
    thousand branch sheets has some 200,000, and neither the block as text nor a list of them
    is ever made. Counting tags here makes a block that is not canonical rare to find out only
    while iterating; the iterator raises ``_NotCanonicalError`` if it does.
    """
    if b"<!--" in data or b"<![CDATA[" in data or _UTF8_DECLARATION.match(data):
        return None
    start = data.find(_NAMES_OPEN)
    end = data.find(_NAMES_CLOSE, start)
    if start < 0 or end < 0:
        return None
    inner_start = start + len(_NAMES_OPEN)
    count = data.count(b"</definedName>", inner_start, end)
    # Every mention of "definedName" is the block's own two tags or a canonical name's two;
    # each name is one element with its two attributes in that order, and no entity.
    if (
        data.count(b"definedName") != 2 + 2 * count
        or data.count(b'<definedName name="', inner_start, end) != count
        or data.count(b'" localSheetId="', inner_start, end) != count
        or data.count(b"<", inner_start, end) != 2 * count
        or data.find(b"&", inner_start, end) >= 0
    ):
        return None
    return data[:start] + data[end + len(_NAMES_CLOSE) :], _canonical_names(
        data, inner_start, end, count
    )


def _canonical_names(data: bytes, start: int, end: int, count: int) -> Iterator[DefinedName]:
    """The names of ``data[start:end]``, all canonical (else ``_NotCanonicalError``), decoded once
    each: a branch sheet's ninety-odd names come back on every sheet."""
    decoded: dict[bytes, str] = {}
    position = start
    found = 0
    for match in _CANONICAL_NAME.finditer(data, start, end):
        if match.start() != position and data[position : match.start()].strip():
            raise _NotCanonicalError
        position = match.end()
        found += 1
        name_bytes, local_bytes, text_bytes = match.groups()
        try:
            name = decoded.get(name_bytes) or decoded.setdefault(
                name_bytes, name_bytes.decode("utf-8")
            )
            local = decoded.get(local_bytes) or decoded.setdefault(
                local_bytes, local_bytes.decode("ascii")
            )
            text = text_bytes.decode("utf-8")
        except UnicodeDecodeError:
            raise _NotCanonicalError from None
        yield local, name, text
    if found != count or data[position:end].strip():
        raise _NotCanonicalError


def _sheet_scoped_names(
    sheet_names: tuple[str, ...], defined_names: Iterable[DefinedName]
) -> dict[str, dict[str, CellRef | None]]:
    """Sheet -> name -> cell for every defined name scoped to a sheet.

    ``defined_names`` are (localSheetId, name, reference text) triples.

    A name whose reference is a single cell of another sheet maps to that cell (readers use
    only cells of the name's own sheet; the contract check reports the others); a reference
    that is not a single cell maps to None. A template has
    about ninety names a branch sheet, all referring to that sheet: each distinct
    ``localSheetId`` and sheet part of a reference is interpreted once per workbook.
    """
    local_names: dict[str, dict[str, CellRef | None]] = {s: {} for s in sheet_names}
    owners: dict[str | None, str | None] = {}  # localSheetId -> the sheet it scopes a name to
    referred: dict[str, str | None] = {}  # sheet part of a reference -> the sheet it names
    for local_id, name, text in defined_names:
        try:
            owner = owners[local_id]
        except KeyError:
            owner = owners[local_id] = _scope_sheet(local_id, sheet_names)
        if owner is None:
            continue
        sheet_text, bang, cell = text.rpartition("!")
        ref = None
        if bang:
            try:
                sheet = referred[sheet_text]
            except KeyError:
                sheet = referred[sheet_text] = unquote_sheet(sheet_text)
            if sheet is not None:
                try:
                    position = _positions[cell]
                except KeyError:
                    if len(_positions) >= _POSITIONS_KEPT:
                        _positions.clear()
                    position = _positions[cell] = parse_a1(cell.rstrip())
                if position is not None:
                    # The same as CellRef(sheet, *position) without the named tuple's
                    # Python-level __new__: a fifth of this loop's time.
                    ref = _new_tuple(CellRef, (sheet, *position))
        local_names[owner][name] = ref
    return local_names


# Cell text of a reference -> its position: a template's names refer to the same cells in
# every copy, so each is parsed once (bounded).
_positions: dict[str, tuple[int, int] | None] = {}
_POSITIONS_KEPT = 4096


def _scope_sheet(local_id: str | None, sheet_names: tuple[str, ...]) -> str | None:
    """The sheet a ``localSheetId`` attribute scopes a name to; None for a workbook name."""
    if local_id is None or not local_id.isdigit() or int(local_id) >= len(sheet_names):
        return None
    return sheet_names[int(local_id)]
