"""Cell notes (legacy comments) in an xlsx package, for the marks on invalid input cells.

A note needs three parts per sheet: ``xl/commentsN.xml`` (the texts), a VML drawing (the
boxes Excel shows on hover) and the sheet's relationships, plus ``<legacyDrawing>`` in the sheet
and content types. Notes this tool writes start with ``names.NOTE_MARKER`` and carry the author
``考评定级``; a note is ours if it has either (LibreOffice rewrites authors, the text survives).
A sheet whose comments are all ours is rewritten (or cleaned up) on every run. A sheet that
already has notes of its own keeps them untouched and gets no notes from us (its marks are the
fill and the 检查 cell).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping

from defusedxml import ElementTree

from workbook.core.cells import CellRef
from workbook.core.names import NOTE_MARKER
from workbook.xlsx.package import NS_MAIN, Package, insert_before_close, parse_part
from workbook.xlsx.relationships import NS_PKG_REL, NS_REL, relationships, rels_part, resolve_target
from workbook.xlsx.text import fit_cell, ooxml_escape

NOTE_AUTHOR = "考评定级"
COMMENTS_REL = NS_REL + "/comments"
VML_REL = NS_REL + "/vmlDrawing"
COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"

# The first of the elements that follow <legacyDrawing> in a worksheet (ECMA-376 order).
_AFTER_LEGACY = re.compile(
    r"<(?:legacyDrawingHF|drawingHF|picture|oleObjects|controls|webPublishItems|tableParts"
    r"|extLst)\b"
)


def _relationships(package: Package, part: str) -> list[dict[str, str]]:
    name = rels_part(part)
    if not package.parts.get(name):
        return []
    return relationships(parse_part(package, name))


def all_notes_ours(xml: bytes) -> bool:
    """True if every comment of a comments part is this tool's: by NOTE_AUTHOR, or with a
    text that starts with NOTE_MARKER."""
    root = ElementTree.fromstring(xml)
    authors = [a.text or "" for a in root.iter(f"{{{NS_MAIN}}}author")]
    for comment in root.iter(f"{{{NS_MAIN}}}comment"):
        index = int(comment.get("authorId", "0") or 0)
        author = authors[index] if 0 <= index < len(authors) else ""
        text = "".join(t.text or "" for t in comment.iter(f"{{{NS_MAIN}}}t"))
        if author != NOTE_AUTHOR and not text.lstrip().startswith(NOTE_MARKER):
            return False
    return True


def note_text(message: str) -> str:
    """A note's text as this tool writes it: the marker, the message, cut to fit a cell."""
    return fit_cell(NOTE_MARKER + message)[0]


def comments_xml(notes: Mapping[CellRef, str]) -> str:
    """A comments part with one note per cell, by NOTE_AUTHOR, each starting with
    NOTE_MARKER."""
    items = "".join(
        f'<comment ref="{ref.a1}" authorId="0"><text><r><rPr><sz val="9"/><rFont val="宋体"/>'
        f'</rPr><t xml:space="preserve">{ooxml_escape(note_text(text))}</t></r></text></comment>'
        for ref, text in sorted(notes.items(), key=lambda kv: (kv[0].row, kv[0].col))
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<comments xmlns="{NS_MAIN}"><authors><author>{NOTE_AUTHOR}</author></authors>'
        f"<commentList>{items}</commentList></comments>"
    )


def vml_xml(notes: Mapping[CellRef, str], drawing_number: int) -> str:
    """The VML boxes of the notes (hidden until hovered), as Excel writes them."""
    shapes = []
    for index, ref in enumerate(sorted(notes, key=lambda r: (r.row, r.col)), start=1):
        shape_id = drawing_number * 1024 + index
        anchor = (
            f"{ref.col + 1}, 15, {max(ref.row - 1, 0)}, 10, {ref.col + 4}, 15, {ref.row + 4}, 4"
        )
        shapes.append(
            f'<v:shape id="_x0000_s{shape_id}" type="#_x0000_t202" style="position:absolute;'
            "margin-left:0;margin-top:0;width:192pt;height:72pt;z-index:"
            f'{index};visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
            '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
            '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
            '<div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note">'
            f"<x:MoveWithCells/><x:SizeWithCells/><x:Anchor>{anchor}</x:Anchor>"
            f"<x:AutoFill>False</x:AutoFill><x:Row>{ref.row}</x:Row><x:Column>{ref.col}</x:Column>"
            "</x:ClientData></v:shape>"
        )
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
        ' xmlns:x="urn:schemas-microsoft-com:office:excel">'
        f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{drawing_number}"/></o:shapelayout>'
        '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
        'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
        '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
        + "".join(shapes)
        + "</xml>"
    )


def _free_name(package: Package, pattern: str) -> str:
    number = 1
    while pattern.format(number) in package.parts:
        number += 1
    return pattern.format(number)


def _add_content_types(package: Package, comments_part: str) -> None:
    types = package.text("[Content_Types].xml")
    if not re.search(r'<Default\b[^>]*Extension="vml"', types, re.I):
        types = insert_before_close(
            types, "Types", f'<Default Extension="vml" ContentType="{VML_TYPE}"/>'
        )
    override = f'<Override PartName="/{comments_part}" ContentType="{COMMENTS_TYPE}"/>'
    if f'PartName="/{comments_part}"' not in types:
        types = insert_before_close(types, "Types", override)
    package.set_text("[Content_Types].xml", types)


def _insert_legacy_drawing(sheet_xml: str, rel_id: str) -> str:
    root_start = sheet_xml.find("<worksheet")
    root_tag = sheet_xml[root_start : sheet_xml.index(">", root_start)]
    prefix_match = re.search(r'xmlns:(\w+)="' + re.escape(NS_REL) + '"', root_tag)
    element = (
        f'<legacyDrawing {prefix_match.group(1)}:id="{rel_id}"/>'
        if prefix_match
        else f'<legacyDrawing xmlns:r="{NS_REL}" r:id="{rel_id}"/>'
    )
    after = _AFTER_LEGACY.search(sheet_xml)
    at = after.start() if after else sheet_xml.rindex("</worksheet>")
    return sheet_xml[:at] + element + sheet_xml[at:]


def write_notes(
    package: Package, sheet_part: str, drawing_number: int, notes: Mapping[CellRef, str]
) -> bool:
    """Make the sheet's notes by this tool exactly ``notes`` (none removes them).

    Returns False (and changes nothing) when the sheet has notes or a VML drawing of its own.
    """
    rels = _relationships(package, sheet_part)
    comments_rel = next((r for r in rels if r.get("Type") == COMMENTS_REL), None)
    vml_rel = next((r for r in rels if r.get("Type") == VML_REL), None)
    if comments_rel is not None:
        comments_part = resolve_target(sheet_part, comments_rel.get("Target", ""))
        data = package.parts.get(comments_part, b"")
        try:
            ours = bool(data) and all_notes_ours(data)
        except (ElementTree.ParseError, ValueError):  # unreadable (or a DTD): not ours
            ours = False
        if not ours:
            return False
    elif vml_rel is not None:
        return False  # a VML drawing without notes (form controls): not ours to touch
    if comments_rel is None and not notes:
        return True

    if comments_rel is not None and vml_rel is not None:
        comments_part = resolve_target(sheet_part, comments_rel.get("Target", ""))
        vml_part = resolve_target(sheet_part, vml_rel.get("Target", ""))
        if notes:
            package.set_text(comments_part, comments_xml(notes))
            package.set_text(vml_part, vml_xml(notes, drawing_number))
        else:
            _remove_notes(package, sheet_part, comments_rel, vml_rel, comments_part, vml_part)
        return True

    comments_part = _free_name(package, "xl/comments{}.xml")
    vml_part = _free_name(package, "xl/drawings/vmlDrawing{}.vml")
    package.set_text(comments_part, comments_xml(notes))
    package.set_text(vml_part, vml_xml(notes, drawing_number))
    rels_name = rels_part(sheet_part)
    existing = (
        package.text(rels_name)
        if rels_name in package.parts
        else (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{NS_PKG_REL}"></Relationships>'
        )
    )
    ids = set(re.findall(r'\bId="([^"]*)"', existing))
    number = 1
    while f"rId{number}" in ids or f"rId{number + 1}" in ids:
        number += 1
    vml_id, comments_id = f"rId{number}", f"rId{number + 1}"
    vml_target = posixpath.relpath(vml_part, posixpath.dirname(sheet_part))
    comments_target = posixpath.relpath(comments_part, posixpath.dirname(sheet_part))
    existing = insert_before_close(
        existing,
        "Relationships",
        f'<Relationship Id="{vml_id}" Type="{VML_REL}" Target="{vml_target}"/>'
        f'<Relationship Id="{comments_id}" Type="{COMMENTS_REL}" Target="{comments_target}"/>',
    )
    package.set_text(rels_name, existing)
    package.set_text(sheet_part, _insert_legacy_drawing(package.text(sheet_part), vml_id))
    _add_content_types(package, comments_part)
    return True


def _remove_notes(
    package: Package,
    sheet_part: str,
    comments_rel: dict[str, str],
    vml_rel: dict[str, str],
    comments_part: str,
    vml_part: str,
) -> None:
    """Remove our notes: both parts, their relationships, <legacyDrawing> and the override."""
    package.parts.pop(comments_part, None)
    package.parts.pop(vml_part, None)
    rels_name = rels_part(sheet_part)
    rels = package.text(rels_name)
    for rel in (comments_rel, vml_rel):
        rels = re.sub(rf'<Relationship\b[^>]*\bId="{re.escape(rel["Id"])}"[^>]*/>', "", rels)
    if "<Relationship " in rels:
        package.set_text(rels_name, rels)
    else:
        package.parts.pop(rels_name, None)
    sheet = package.text(sheet_part)
    sheet = re.sub(rf'<legacyDrawing\b[^>]*"{re.escape(vml_rel["Id"])}"[^>]*/>', "", sheet)
    package.set_text(sheet_part, sheet)
    types = package.text("[Content_Types].xml")
    types = re.sub(rf'<Override PartName="/{re.escape(comments_part)}"[^>]*/>', "", types)
    package.set_text("[Content_Types].xml", types)
