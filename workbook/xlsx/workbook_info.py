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
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

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
_new_tuple = tuple.__new__


@dataclass(frozen=True)
class PackageInfo:
    """What the xlsx package says about itself, before any cell is read."""

    sheet_names: tuple[str, ...]
    # sheet -> name -> its cell (a cell of another sheet if it points there; None if broken)
    local_names: dict[str, dict[str, CellRef | None]]
    properties: dict[str, str]  # custom document properties
    sheet_parts: dict[str, str] = field(default_factory=dict)  # sheet -> its worksheet part


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


def package_info(path: Path, package: zipfile.ZipFile) -> PackageInfo:
    # Bounded decompression for every reader, python-calamine's included.
    check_package(package, path.name, verify=True)
    workbook_xml = package.read("xl/workbook.xml")
    try:
        custom_xml: bytes | None = package.read("docProps/custom.xml")
    except KeyError:
        custom_xml = None
    try:
        rels_xml: bytes | None = package.read(_WORKBOOK_RELS)
    except KeyError:
        rels_xml = None
    try:
        sheet_names, local_names, rel_ids = _parse_workbook(workbook_xml, path.name)
        targets = (
            relationship_targets(parse_xml(path.name, _WORKBOOK_RELS, rels_xml), "xl/workbook.xml")
            if rels_xml
            else {}
        )
    except StdElementTree.ParseError:
        raise WorkbookReadError(f"{path.name} 已损坏：xl/workbook.xml 无法解析") from None
    properties = parse_custom_properties(path.name, custom_xml)
    sheet_parts = {
        sheet: targets[rel]
        for sheet, rel in zip(sheet_names, rel_ids, strict=True)
        if rel in targets
    }
    return PackageInfo(sheet_names, local_names, properties, sheet_parts)


# The definedNames block of xl/workbook.xml, and one name as Excel, XlsxWriter and openpyxl
# write it: the name first, then its sheet, then a reference with no entity in it.
_NAMES_OPEN, _NAMES_CLOSE = b"<definedNames>", b"</definedNames>"
_CANONICAL_NAME = re.compile(
    r'<definedName name="([^"&<]*)" localSheetId="(\d+)">([^<&]*)</definedName>'
)
_UTF8_DECLARATION = re.compile(rb"""^<\?xml[^>]*encoding=["'](?!utf-?8["'])""", re.I)


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
    sheet_names, local_names, _ = _parse_workbook(data, file_name)
    return sheet_names, local_names


def _parse_workbook(
    data: bytes, file_name: str
) -> tuple[tuple[str, ...], dict[str, dict[str, CellRef | None]], list[str]]:
    """``parse_workbook_xml`` and the relationship id of each sheet."""
    canonical = _canonical_defined_names(data)
    if canonical is not None:
        rest, entries = canonical
        check_part(file_name, "xl/workbook.xml", data)
        root = parse_xml(file_name, "xl/workbook.xml", rest)
    else:
        root = parse_xml(file_name, "xl/workbook.xml", data)
        block = root.find(f"{_NS_MAIN}definedNames")
        entries = [
            (e.get("localSheetId"), e.get("name", ""), e.text or "")
            for e in (block if block is not None else ())
        ]
    sheets = list(root.iter(f"{_NS_MAIN}sheet"))
    sheet_names = tuple(s.get("name", "") for s in sheets)
    rel_ids = [s.get(f"{_NS_REL}id", "") for s in sheets]
    return sheet_names, _sheet_scoped_names(sheet_names, entries), rel_ids


def _canonical_defined_names(
    data: bytes,
) -> tuple[bytes, list[tuple[str | None, str, str]]] | None:
    """The document without its definedNames block, and the names in it, when every name is
    canonical: ``<definedName name="N" localSheetId="I">REF</definedName>`` with no entity, in
    a UTF-8 document without comments or CDATA that mentions ``definedName`` nowhere else.
    None otherwise (the caller then parses the whole document).
    """
    if b"<!--" in data or b"<![CDATA[" in data or _UTF8_DECLARATION.match(data):
        return None
    start = data.find(_NAMES_OPEN)
    end = data.find(_NAMES_CLOSE, start)
    if start < 0 or end < 0:
        return None
    try:
        block = data[start + len(_NAMES_OPEN) : end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    # One pass: [text, name, sheet id, reference, text, name, ...]; only whitespace may remain.
    pieces = _CANONICAL_NAME.split(block)
    count = len(pieces) // 4
    # Every mention of "definedName" is the block's own two tags or a canonical name's two.
    if data.count(b"definedName") != 2 + 2 * count or "".join(pieces[::4]).strip():
        return None
    entries = list(zip(pieces[2::4], pieces[1::4], pieces[3::4], strict=True))
    return data[:start] + data[end + len(_NAMES_CLOSE) :], entries


def _sheet_scoped_names(
    sheet_names: tuple[str, ...], defined_names: Iterable[tuple[str | None, str, str]]
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
                position = parse_a1(cell.rstrip())
                if position is not None:
                    # The same as CellRef(sheet, *position) without the named tuple's
                    # Python-level __new__: a fifth of this loop's time.
                    ref = _new_tuple(CellRef, (sheet, *position))
        local_names[owner][name] = ref
    return local_names


def _scope_sheet(local_id: str | None, sheet_names: tuple[str, ...]) -> str | None:
    """The sheet a ``localSheetId`` attribute scopes a name to; None for a workbook name."""
    if local_id is None or not local_id.isdigit() or int(local_id) >= len(sheet_names):
        return None
    return sheet_names[int(local_id)]
