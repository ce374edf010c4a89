"""The workbook's parts as a whole: its sheets and their parts, defined names, custom
properties; adding a worksheet or a defined name.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from workbook.core.cells import CellRef
from workbook.errors import WorkbookReadError
from workbook.xlsx.cell_edit import attrs_of
from workbook.xlsx.package import Package, insert_before_close, parse_part
from workbook.xlsx.properties import (
    CUSTOM_PROPERTIES_PART,
    parse_custom_properties,
)
from workbook.xlsx.relationships import (
    NS_REL,
    relationship_targets,
    rels_part,
)
from workbook.xlsx.workbook_info import parse_workbook_xml

__all__ = [
    "WORKSHEET_CONTENT_TYPE",
    "WORKSHEET_REL",
    "SheetEntry",
    "add_defined_name",
    "add_worksheet",
    "custom_properties",
    "iter_parts_differing",
    "quote_sheet_name",
    "sheet_scoped_names",
    "workbook_sheets",
]

WORKSHEET_REL = NS_REL + "/worksheet"
WORKSHEET_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


@dataclass(frozen=True)
class SheetEntry:
    """A sheet of the workbook: its name, position, relationship id and part name."""

    name: str
    index: int
    sheet_id: int
    rel_id: str
    part: str
    hidden: bool = False  # state="hidden" or "veryHidden": not shown in the sheet tabs


_SHEETS = re.compile(r"<sheets\b[^>]*>(.*?)</sheets>", re.S)
_SHEET = re.compile(r"<sheet\b([^>]*?)/?>")


def workbook_sheets(package: Package) -> list[SheetEntry]:
    """The workbook's sheets in tab order, with the part each one lives in.

    Only the ``<sheets>`` element is read (a workbook.xml with thousands of defined names is
    large), with the relationship prefix the file declares.
    """
    workbook = _workbook_head(package)
    prefix = _relationship_prefix(workbook)
    rels_name = rels_part("xl/workbook.xml")
    rels = parse_part(package, rels_name, b"<Relationships/>")
    targets = relationship_targets(rels, "xl/workbook.xml")
    block = _SHEETS.search(workbook)
    entries = []
    for index, match in enumerate(_SHEET.finditer(block.group(1) if block else "")):
        attrs = attrs_of(match.group(0))
        rel_id = attrs.get(f"{prefix}:id", "")
        entries.append(
            SheetEntry(
                name=html.unescape(attrs.get("name", "")),
                index=index,
                sheet_id=int(attrs.get("sheetId", "0")),
                rel_id=rel_id,
                part=targets.get(rel_id, ""),
                hidden=attrs.get("state", "visible") in ("hidden", "veryHidden"),
            )
        )
    return entries


def _workbook_head(package: Package) -> str:
    """``xl/workbook.xml`` up to the end of its ``<sheets>`` element, where the root's
    namespaces and the sheets are (the whole part if it has none): the defined names after
    it are most of a large workbook's part, and need not be decoded here."""
    data = package.parts.get("xl/workbook.xml")
    end = data.find(b"</sheets>") if data is not None else -1
    if data is None or end < 0:
        return package.text("xl/workbook.xml")  # raises the missing part's error
    try:
        return data[: end + len(b"</sheets>")].decode("utf-8")
    except UnicodeDecodeError:
        return package.text("xl/workbook.xml")  # raises the encoding error


def sheet_scoped_names(package: Package) -> dict[str, dict[str, CellRef | None]]:
    """Sheet -> name -> its cell for every sheet-scoped defined name of the package.

    The reader's parse (``reader.parse_workbook_xml``), on the package's own bytes.

    Raises:
        WorkbookReadError: the package has no ``xl/workbook.xml``.
        xml.etree.ElementTree.ParseError: it is not well-formed.
    """
    data = package.parts.get("xl/workbook.xml")
    if data is None:
        raise WorkbookReadError(f"{package.path.name} 已损坏：缺少 xl/workbook.xml")
    return parse_workbook_xml(data)[1]


def custom_properties(package: Package) -> dict[str, str]:
    """The custom document properties (docProps/custom.xml) as text (``xlsx_parts``' parser)."""
    return parse_custom_properties(package.path.name, package.parts.get(CUSTOM_PROPERTIES_PART))


def add_worksheet(
    package: Package, name: str, xml: str, sheets: Sequence[SheetEntry] | None = None
) -> SheetEntry:
    """Append a worksheet at the end of the tab order (so no ``localSheetId`` shifts).

    ``sheets`` are the workbook's sheets (``workbook_sheets``), when the caller has them already.
    """
    if sheets is None:
        sheets = workbook_sheets(package)
    used_parts = set(package.parts)
    number = len(sheets) + 1
    while f"xl/worksheets/sheet{number}.xml" in used_parts:
        number += 1
    part = f"xl/worksheets/sheet{number}.xml"
    package.set_text(part, xml)

    rels_name = rels_part("xl/workbook.xml")
    rels = package.text(rels_name)
    rel_ids = set(re.findall(r'\bId="([^"]*)"', rels))
    counter = len(rel_ids) + 1
    while f"rId{counter}" in rel_ids:
        counter += 1
    rel_id = f"rId{counter}"
    relationship = (
        f'<Relationship Id="{rel_id}" Type="{WORKSHEET_REL}" '
        f'Target="worksheets/sheet{number}.xml"/>'
    )
    package.set_text(rels_name, insert_before_close(rels, "Relationships", relationship))

    types = package.text("[Content_Types].xml")
    override = f'<Override PartName="/{part}" ContentType="{WORKSHEET_CONTENT_TYPE}"/>'
    package.set_text("[Content_Types].xml", insert_before_close(types, "Types", override))

    prefix = _relationship_prefix(_workbook_head(package))
    sheet_id = max((s.sheet_id for s in sheets), default=0) + 1
    element = f'<sheet name={quoteattr(name)} sheetId="{sheet_id}" {prefix}:id="{rel_id}"/>'
    package.insert_before_close("xl/workbook.xml", "sheets", element)
    return SheetEntry(name, len(sheets), sheet_id, rel_id, part)


def _relationship_prefix(workbook_xml: str) -> str:
    match = re.search(r'xmlns:(\w+)="' + re.escape(NS_REL) + '"', workbook_xml)
    if not match:
        raise WorkbookReadError("xl/workbook.xml 缺少关系命名空间，无法添加工作表")
    return match.group(1)


def add_defined_name(package: Package, name: str, sheet_index: int, refers_to: str) -> None:
    """Add a sheet-scoped defined name to ``xl/workbook.xml`` (the name must be new)."""
    element = (
        f'<definedName name="{escape(name)}" localSheetId="{sheet_index}">'
        f"{escape(refers_to)}</definedName>"
    )
    data = package.parts["xl/workbook.xml"]
    if b"</definedNames>" in data:
        package.insert_before_close("xl/workbook.xml", "definedNames", element)
        return
    text = package.text("xl/workbook.xml")
    if re.search(r"<definedNames\s*/>", text):
        text = re.sub(r"<definedNames\s*/>", f"<definedNames>{element}</definedNames>", text)
    else:
        # definedNames follows sheets (and externalReferences, if any).
        anchor = "</externalReferences>" if "</externalReferences>" in text else "</sheets>"
        close = text.index(anchor) + len(anchor)
        text = text[:close] + f"<definedNames>{element}</definedNames>" + text[close:]
    package.set_text("xl/workbook.xml", text)


def quote_sheet_name(name: str) -> str:
    """A sheet name as a formula reference writes it: ``'总览(2)'``."""
    return "'" + name.replace("'", "''") + "'"


def iter_parts_differing(before: Package, after: Package) -> Iterator[str]:
    """Names of parts that were added, removed or changed between two packages."""
    for name in sorted(set(before.parts) | set(after.parts)):
        if before.parts.get(name) != after.parts.get(name):
            yield name
