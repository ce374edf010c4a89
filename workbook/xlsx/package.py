"""Surgical edits of an xlsx package: change a few parts, copy every other part unchanged.

openpyxl rewrites a whole workbook and drops what it does not model (images, some validation,
extension lists), so recalculation edits the package XML as text instead. Parts are only ever
read with defusedxml; edits are string splices at element boundaries found by small regular
expressions over XML that spreadsheet programs write (no comments or CDATA inside sheetData).
Every text inserted is XML-escaped here.
"""

from __future__ import annotations

import functools
import html
import io
import posixpath
import re
import tempfile
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, BinaryIO, NamedTuple
from xml.sax.saxutils import escape, quoteattr

from defusedxml import ElementTree

from workbook.core.standard import fmt
from workbook.errors import WorkbookReadError, describe_os_error
from workbook.inputs.reader import CellRef, column_index, column_letters, parse_workbook_xml
from workbook.xlsx.properties import (
    CUSTOM_PROPERTIES_PART,
    parse_custom_properties,
    parse_xml,
    read_head,
    unreadable_reason,
)
from workbook.xlsx.text import ooxml_escape
from workbook.xlsx.zip_package import DEFAULT_DATE, RawZipWriter, check_package, read_part

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKSHEET_REL = NS_REL + "/worksheet"
WORKSHEET_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

# The fill of a marked (invalid) input cell. An unusual colour, so a fill the user chose is
# never mistaken for a mark.
MARK_RGB = "FFF4B6B6"
MARK_FILL = (
    f'<fill><patternFill patternType="solid"><fgColor rgb="{MARK_RGB}"/>'
    '<bgColor indexed="64"/></patternFill></fill>'
)

_ROW = re.compile(r"<row\b[^>]*?/>|<row\b[^>]*>.*?</row>", re.S)
_CELL = re.compile(r"<c\b[^>]*?/>|<c\b[^>]*>.*?</c>", re.S)
_FORMULA = re.compile(r"<f\b[^>]*?/>|<f\b[^>]*>.*?</f>", re.S)
_ATTR = re.compile(r'([\w:]+)\s*=\s*("[^"]*"|\'[^\']*\')')
_A1 = re.compile(r"^([A-Z]{1,3})(\d+)$")


def _sheet_data(xml: str) -> tuple[int, int] | None:
    """(start, end) of the text inside <sheetData>…</sheetData>; None if absent or empty-tag."""
    open_at = xml.find("<sheetData")
    if open_at < 0:
        return None
    tag_end = xml.index(">", open_at)
    if xml[tag_end - 1] == "/":
        return None
    close_at = xml.rfind("</sheetData>")
    return (tag_end + 1, close_at) if close_at > tag_end else None


CellValue = Decimal | str | None


class Package:
    """An xlsx package, part name -> bytes, read from its file when a part is asked for.

    ``parts`` is a mapping in the package's order (original parts first, new ones after).
    Only a few recently used parts are held in memory (``CACHE_BYTES``); a changed part that
    falls out of that cache is compressed into an anonymous temporary file, so memory stays
    bounded by the largest part, not the package. Parts that are not changed are copied to
    the output still compressed, streamed from the source file (``zip_package``). Declared
    sizes are checked against ``zip_package``'s limits when the package is opened.

    Close the package (``close`` or ``with``) to release the source file; ``save`` does not.
    """

    CACHE_BYTES = 8 << 20

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        display = self.path.name
        self._file: BinaryIO | None = None
        try:
            self._file = self.path.open("rb")
            self._archive = zipfile.ZipFile(self._file)
            self.infos = self._archive.infolist()
        except FileNotFoundError:
            raise WorkbookReadError(f"找不到文件 {self.path}") from None
        except (PermissionError, IsADirectoryError) as error:
            raise WorkbookReadError(f"无法读取 {self.path}：{describe_os_error(error)}") from None
        except (zipfile.BadZipFile, OSError, KeyError, EOFError, ValueError):
            self.close()
            reason = unreadable_reason(self.path, read_head(self.path))
            raise WorkbookReadError(f"{display} {reason}") from None
        try:
            check_package(self._archive, display)
        except WorkbookReadError:
            self.close()
            raise
        self._info = {info.filename: info for info in self.infos}
        self._names: dict[str, None] = dict.fromkeys(self._info)
        if "xl/workbook.xml" not in self._names:
            self.close()
            raise WorkbookReadError(f"{display} 不是 Excel 工作簿：缺少 xl/workbook.xml")
        self._dirty: set[str] = set()
        self._versions: dict[str, int] = {}
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cached_bytes = 0
        self._spool: IO[bytes] | None = None
        self._spooled: dict[str, tuple[int, int, int, int]] = {}  # offset, csize, crc, size
        # Part name -> (its bytes, their text): each version of a part is decoded only once.
        self._decoded: dict[str, tuple[bytes, str]] = {}
        self.parts: MutableMapping[str, bytes] = _Parts(self)

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the source file and the temporary store of changed parts."""
        if self._file is not None:
            self._file.close()
            self._file = None
        spool = getattr(self, "_spool", None)
        if spool is not None:
            spool.close()
            self._spool = None

    def version(self, name: str) -> int:
        """How often a part was set: a caller can tell whether it changed since it read it."""
        return self._versions.get(name, 0)

    # -- the parts mapping ------------------------------------------------------------------

    def _get(self, name: str) -> bytes:
        if name not in self._names:
            raise KeyError(name)
        data = self._cache.get(name)
        if data is not None:
            self._cache.move_to_end(name)
            return data
        spooled = self._spooled.get(name)
        if spooled is not None:
            assert self._spool is not None
            offset, size, _, _ = spooled
            self._spool.seek(offset)
            data = zlib.decompress(self._spool.read(size), -15)
        elif name in self._dirty:  # pragma: no cover - a dirty part is cached or spooled
            raise KeyError(name)
        else:
            if self._file is None:
                raise WorkbookReadError(f"{self.path.name} 已关闭，无法读取 {name}")
            data = read_part(self._archive, self._info[name], self.path.name)
        self._remember(name, data)
        return data

    def _set(self, name: str, data: bytes) -> None:
        self._names.setdefault(name, None)
        self._dirty.add(name)
        self._spooled.pop(name, None)
        self._versions[name] = self._versions.get(name, 0) + 1
        self._forget(name)
        self._remember(name, data)

    def _remove(self, name: str) -> None:
        if name not in self._names:
            raise KeyError(name)
        del self._names[name]
        self._dirty.discard(name)
        self._spooled.pop(name, None)
        self._versions[name] = self._versions.get(name, 0) + 1
        self._forget(name)

    def _remember(self, name: str, data: bytes) -> None:
        self._cache[name] = data
        self._cached_bytes += len(data)
        while self._cached_bytes > self.CACHE_BYTES and len(self._cache) > 1:
            old, old_data = self._cache.popitem(last=False)
            self._cached_bytes -= len(old_data)
            self._decoded.pop(old, None)
            if old in self._dirty and old not in self._spooled:
                self._spool_part(old, old_data)

    def _forget(self, name: str) -> None:
        data = self._cache.pop(name, None)
        if data is not None:
            self._cached_bytes -= len(data)
        self._decoded.pop(name, None)

    def _spool_part(self, name: str, data: bytes) -> None:
        if self._spool is None:
            self._spool = tempfile.TemporaryFile(prefix="branch-assess-")  # noqa: SIM115 - closed in close()
        compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        compressed = compressor.compress(data) + compressor.flush()
        offset = self._spool.seek(0, io.SEEK_END)
        self._spool.write(compressed)
        self._spooled[name] = (offset, len(compressed), zlib.crc32(data), len(data))

    # -- text -------------------------------------------------------------------------------

    def text(self, name: str) -> str:
        """A part decoded as UTF-8 (the encoding every xlsx producer uses)."""
        try:
            data = self.parts[name]
        except KeyError:
            raise WorkbookReadError(f"{self.path.name} 已损坏：缺少 {name}") from None
        decoded = self._decoded.get(name)
        if decoded is not None and decoded[0] is data:
            return decoded[1]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise WorkbookReadError(f"{self.path.name} 已损坏：{name} 不是 UTF-8 文本") from None
        self._decoded[name] = (data, text)
        return text

    def text_between(self, name: str, start: str, end: str) -> tuple[bytes, str, bytes]:
        """A part as (its bytes before ``start``, the text from ``start`` to ``end`` and
        including it, its bytes after): decoding and encoding again only the element a caller
        edits (a worksheet's sheetData) is cheaper than the whole part. The whole part is the
        text if it lacks ``start`` or ``end``."""
        data = self.parts.get(name)
        if data is None:
            return b"", self.text(name), b""  # raises the missing part's error
        start_bytes, end_bytes = start.encode(), end.encode()
        first = data.find(start_bytes)
        last = data.rfind(end_bytes)
        if first < 0 or last < first:
            return b"", self.text(name), b""
        last += len(end_bytes)
        try:
            return data[:first], data[first:last].decode("utf-8"), data[last:]
        except UnicodeDecodeError:
            raise WorkbookReadError(f"{self.path.name} 已损坏：{name} 不是 UTF-8 文本") from None

    def insert_before_close(self, name: str, tag: str, fragment: str) -> None:
        """``insert_before_close`` on a part's bytes: a large part (a workbook.xml with
        thousands of defined names) is not encoded again for a small insertion."""
        data = self.parts[name]
        close = data.rfind(f"</{tag}>".encode())
        if close < 0:
            self.set_text(name, insert_before_close(self.text(name), tag, fragment))
        else:
            self.parts[name] = data[:close] + fragment.encode("utf-8") + data[close:]

    def set_text(self, name: str, text: str) -> None:
        """Replace (or add) a part."""
        data = text.encode("utf-8")
        self.parts[name] = data
        self._decoded[name] = (data, text)

    def save(self, path: str | Path) -> None:
        """Write the package: original parts in their original order, new parts after them.

        A part that is not changed is copied as it was compressed, streamed from the source;
        the others are compressed (once: a changed part that was stored away compressed is
        copied from there).

        Raises:
            WorkbookReadError: the package is closed or a part cannot be copied.
        """
        if self._file is None:
            raise WorkbookReadError(f"{self.path.name} 已关闭，无法保存")
        from workbook.atomic import atomic_output, same_file

        if same_file(path, self.path):
            # Parts are still read from the source: write beside it, then replace it.
            with atomic_output(path) as temp:
                self.save(temp)
            return
        with open(path, "wb") as out:
            writer = RawZipWriter(out)
            for name in self._names:
                info = self._info.get(name)
                if name not in self._dirty:
                    assert info is not None
                    writer.copy_member(self._file, info)
                    continue
                date_time = info.date_time if info is not None else DEFAULT_DATE
                attr = (
                    info.external_attr if info is not None and info.external_attr else 0o600 << 16
                )
                spooled = self._spooled.get(name)
                if spooled is not None and self._spool is not None:
                    offset, size, crc, length = spooled
                    self._spool.seek(offset)
                    writer.add_compressed(
                        name,
                        self._spool.read(size),
                        crc=crc,
                        size=length,
                        method=zipfile.ZIP_DEFLATED,
                        date_time=date_time,
                        external_attr=attr,
                    )
                else:
                    method = (
                        zipfile.ZIP_STORED
                        if info is not None and info.compress_type == zipfile.ZIP_STORED
                        else zipfile.ZIP_DEFLATED
                    )
                    writer.add(
                        name,
                        self._get(name),
                        date_time=date_time,
                        method=method,
                        external_attr=attr,
                    )
            writer.close()

    def calamine_check(self) -> None:
        """Verify the package before python-calamine reads it (it may not bound sizes)."""
        if self._file is not None:
            check_package(self._archive, self.path.name, verify=True)


class _Parts(MutableMapping[str, bytes]):
    """The parts of a ``Package`` as a mapping (read on demand; see ``Package``)."""

    def __init__(self, package: Package) -> None:
        self._package = package

    def __getitem__(self, name: str) -> bytes:
        return self._package._get(name)

    def __setitem__(self, name: str, data: bytes) -> None:
        self._package._set(name, data)

    def __delitem__(self, name: str) -> None:
        self._package._remove(name)

    def __contains__(self, name: object) -> bool:
        return name in self._package._names

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._package._names))

    def __len__(self) -> int:
        return len(self._package._names)


def parse_part(package: Package, name: str, default: bytes | None = None) -> Any:
    """A package part parsed as XML (``default`` if the part is missing).

    Raises:
        WorkbookReadError: the part has a DTD or an undefined entity (OOXML parts never do;
            such a part is refused rather than read: ``parse_xml``), or it is not well-formed.
    """
    data = package.parts.get(name, default)
    if data is None:
        raise WorkbookReadError(f"{package.path.name} 已损坏：缺少 {name}")
    try:
        return parse_xml(package.path.name, name, data)
    except (ElementTree.ParseError, ValueError):
        raise WorkbookReadError(f"{package.path.name} 已损坏：{name} 无法解析") from None


@dataclass(frozen=True)
class SheetEntry:
    """A sheet of the workbook: its name, position, relationship id and part name."""

    name: str
    index: int
    sheet_id: int
    rel_id: str
    part: str


def _rels_path(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def resolve_target(source_part: str, target: str) -> str:
    """The part a relationship of ``source_part`` points to (its target may be absolute)."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


_SHEETS = re.compile(r"<sheets\b[^>]*>(.*?)</sheets>", re.S)
_SHEET = re.compile(r"<sheet\b([^>]*?)/?>")


def workbook_sheets(package: Package) -> list[SheetEntry]:
    """The workbook's sheets in tab order, with the part each one lives in.

    Only the ``<sheets>`` element is read (a workbook.xml with thousands of defined names is
    large), with the relationship prefix the file declares.
    """
    workbook = package.text("xl/workbook.xml")
    prefix = _relationship_prefix(workbook)
    rels_name = _rels_path("xl/workbook.xml")
    rels = parse_part(package, rels_name, b"<Relationships/>")
    targets = {
        rel.get("Id"): resolve_target("xl/workbook.xml", rel.get("Target", ""))
        for rel in rels.iter(f"{{{NS_PKG_REL}}}Relationship")
    }
    block = _SHEETS.search(workbook)
    entries = []
    for index, match in enumerate(_SHEET.finditer(block.group(1) if block else "")):
        attrs = _attrs(match.group(0))
        rel_id = attrs.get(f"{prefix}:id", "")
        entries.append(
            SheetEntry(
                name=html.unescape(attrs.get("name", "")),
                index=index,
                sheet_id=int(attrs.get("sheetId", "0")),
                rel_id=rel_id,
                part=targets.get(rel_id, ""),
            )
        )
    return entries


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

    rels_name = _rels_path("xl/workbook.xml")
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

    workbook = package.text("xl/workbook.xml")
    prefix = _relationship_prefix(workbook)
    sheet_id = max((s.sheet_id for s in sheets), default=0) + 1
    element = f'<sheet name={quoteattr(name)} sheetId="{sheet_id}" {prefix}:id="{rel_id}"/>'
    package.insert_before_close("xl/workbook.xml", "sheets", element)
    return SheetEntry(name, len(sheets), sheet_id, rel_id, part)


def _relationship_prefix(workbook_xml: str) -> str:
    match = re.search(r'xmlns:(\w+)="' + re.escape(NS_REL) + '"', workbook_xml)
    if not match:
        raise WorkbookReadError("xl/workbook.xml 缺少关系命名空间，无法添加工作表")
    return match.group(1)


def insert_before_close(xml: str, tag: str, fragment: str) -> str:
    """Insert ``fragment`` as the last child of the (last) ``<tag>`` element of ``xml``."""
    close = xml.rfind(f"</{tag}>")
    if close < 0:
        # An empty element written as <tag .../>: open it up.
        match = re.search(rf"<{tag}\b([^>]*?)/>", xml)
        if not match:
            raise WorkbookReadError(f"包结构异常：找不到 <{tag}>")
        return (
            xml[: match.start()] + f"<{tag}{match.group(1)}>{fragment}</{tag}>" + xml[match.end() :]
        )
    return xml[:close] + fragment + xml[close:]


# --- cells -----------------------------------------------------------------------------------


def split_a1(ref: str) -> tuple[int, int]:
    """``G5`` -> (row 4, col 6), 0-based."""
    match = _A1.match(ref)
    if not match:
        raise ValueError(ref)
    return int(match.group(2)) - 1, column_index(match.group(1))


def _attrs(start_tag: str) -> dict[str, str]:
    return {key: value[1:-1] for key, value in _ATTR.findall(start_tag)}


def _start_tag(element: str) -> str:
    return element[: element.index(">") + 1]


def _render_attrs(attrs: Mapping[str, str]) -> str:
    return "".join(f' {key}="{_quote(value)}"' for key, value in attrs.items())


class CellEdit(NamedTuple):
    """What to change in one cell: its computed value and/or its style index.

    ``set_value`` False leaves the value alone (a style-only edit). A value on a formula cell
    becomes the formula's cached value; on a plain cell it becomes the cell's constant. (A named
    tuple rather than a dataclass: recalculation makes thousands, and tuples are made faster.)
    """

    value: CellValue = None
    set_value: bool = False
    style: int | None = None
    restyle: Callable[[int], int] | None = None  # new style from the current one
    formula: str | None = None  # a formula (without "=") replacing the cell's own, if any


def _value_markup(value: CellValue, has_formula: bool) -> tuple[str | None, str]:
    """The cell's ``t`` attribute and the markup after any formula."""
    if value is None:
        return None, ""
    if isinstance(value, Decimal):
        return None, f"<v>{fmt(value)}</v>"
    if has_formula:
        return "str", f"<v>{ooxml_escape(value)}</v>"
    return "inlineStr", f'<is><t xml:space="preserve">{ooxml_escape(value)}</t></is>'


# The start tag of a cell as spreadsheet programs write it: r, then s and t if present.
_PLAIN_CELL_START = re.compile(r'<c r="([A-Z]{1,3}\d+)"(?: s="(\d+)")?(?: t="(\w+)")? ?(/?)>')


def _split_cell(element: str) -> tuple[str, str | None, str | None, dict[str, str], str]:
    """A cell element's r, s and t attributes, its other attributes and its content."""
    plain = _PLAIN_CELL_START.match(element)
    if plain is not None:
        ref, style, cell_type, self_closing = plain.groups()
        inner = "" if self_closing else element[plain.end() : element.rindex("</c>")]
        return ref, style, cell_type, {}, inner
    end = element.index(">")
    attrs = _attrs(element[:end])
    inner = "" if element[end - 1] == "/" else element[end + 1 : element.rindex("</c>")]
    return attrs.pop("r"), attrs.pop("s", None), attrs.pop("t", None), attrs, inner


def _edit_cell(element: str | None, ref: str, edit: CellEdit) -> str:
    plain = edit.style is None and edit.restyle is None and edit.formula is None
    if element is not None and edit.set_value and plain:
        return _cell_with_value(element, edit.value)
    return _edit_cell_uncached(element, ref, edit)


@functools.lru_cache(maxsize=4096)
def _cell_with_value(element: str, value: CellValue) -> str:
    """An existing cell with a new value. Branch sheets are copies of one template, so the same
    computed cell mostly gets the same value on many sheets: the result is cached."""
    return _edit_cell_uncached(element, "", CellEdit(value=value, set_value=True))


def _edit_cell_uncached(element: str | None, ref: str, edit: CellEdit) -> str:
    others: dict[str, str] = {}
    if element is None:
        style, cell_type, inner = None, None, ""
    else:
        ref, style, cell_type, others, inner = _split_cell(element)
    if edit.style is not None:
        style = str(edit.style)
    if edit.restyle is not None:
        current = int(style or "0")
        restyled = edit.restyle(current)
        if restyled != current:
            style = str(restyled)
        elif element is not None and not edit.set_value and edit.style is None:
            return element  # nothing to change: keep the bytes as they are
    if edit.set_value:
        formula = ""
        if edit.formula:  # a formula put back, over any other the cell has
            formula = f"<f>{escape(edit.formula)}</f>"
        elif "<f" in inner:
            match = _FORMULA.search(inner)
            formula = match.group(0) if match else ""
        cell_type, markup = _value_markup(edit.value, bool(formula))
        inner = formula + markup
    # Attribute order as Excel writes it: r, s, t, then the rest.
    start = f'<c r="{_quote(ref)}"'
    if style is not None:
        start += f' s="{_quote(style)}"'
    if cell_type is not None:
        start += f' t="{_quote(cell_type)}"'
    if others:
        start += _render_attrs(others)
    return f"{start}>{inner}</c>" if inner else f"{start}/>"


def _quote(value: str) -> str:
    # Values are kept as written (already escaped); only a bare double quote needs escaping.
    return value.replace('"', "&quot;")


def _edit_row(row_xml: str | None, row_number: int, edits: dict[int, tuple[str, CellEdit]]) -> str:
    """Apply edits (col -> (ref, edit)) to one row; missing cells are inserted in column order."""
    if row_xml is None:
        start, inner, self_closing = f'<row r="{row_number}">', "", True
    else:
        start = _start_tag(row_xml)
        self_closing = row_xml.endswith("/>") and start == row_xml
        inner = "" if self_closing else row_xml[len(start) : row_xml.rindex("</row>")]
        if self_closing:
            start = start[:-2].rstrip() + ">"
    pending = dict(edits)
    inserted = row_xml is None
    pieces: list[str] = []
    position = 0
    for match in _CELL.finditer(inner):
        element = match.group(0)
        ref = _attrs(_start_tag(element)).get("r")
        col = split_a1(ref)[1] if ref else None
        if col is None:
            pieces.append(inner[position : match.end()])
            position = match.end()
            continue
        for missing in sorted(c for c in pending if c < col):
            pieces.append(inner[position : match.start()])
            position = match.start()
            pieces.append(_edit_cell(None, *pending.pop(missing)))
            inserted = True
        pieces.append(inner[position : match.start()])
        if col in pending:
            pieces.append(_edit_cell(element, *pending.pop(col)))
        else:
            pieces.append(element)
        position = match.end()
    pieces.append(inner[position:])
    tail = "".join(_edit_cell(None, *pending[c]) for c in sorted(pending))
    if inserted or pending:
        # "spans" is an optional hint of the row's columns; a new cell may fall outside it.
        start = re.sub(r'\sspans="[^"]*"', "", start)
    return start + "".join(pieces) + tail + "</row>"


# A cell start tag in the form every function here expects: r first, double-quoted, upper case.
_CANONICAL_CELL = re.compile(r'<c\b(?! r="[A-Z]{1,3}\d+")')
_ROW_WITHOUT_R = re.compile(r'<row\b(?![^>]*\sr=")[^>]*>')
_CANONICAL_REF = re.compile(r'<c r="([A-Z]{1,3}\d+)"')


def normalise_sheet_data(cells_xml: str, file: str, sheet: str) -> str:
    """``<sheetData>`` text with every cell and row carrying an explicit, upper-case,
    double-quoted r attribute first (positions implied by order made explicit), so finding
    and editing cells by text sees every cell as a spreadsheet program does.

    Text already in that form is returned as it is. ``file`` and ``sheet`` name it in messages.

    Raises:
        WorkbookReadError: a cell appears twice (two elements for one reference), or a
            reference is no cell reference: which element counts is not certain, so the
            file is refused rather than read one way here and another way elsewhere.
    """
    if _CANONICAL_CELL.search(cells_xml) is None and _ROW_WITHOUT_R.search(cells_xml) is None:
        refs = _CANONICAL_REF.findall(cells_xml)
        if len(refs) == len(set(refs)):
            return cells_xml
    pieces: list[str] = []
    position = 0
    row_number = 0
    seen: set[str] = set()
    for row_match in _ROW.finditer(cells_xml):
        row_xml = row_match.group(0)
        start = _start_tag(row_xml)
        row_attrs = _attrs(start)
        written = row_attrs.pop("r", None)
        if written is not None:
            if not written.strip().isdigit():
                raise WorkbookReadError(
                    f"{file} 的工作表“{sheet}”中有行号无法识别的行（r=“{written}”），未读取"
                )
            row_number = int(written.strip())
        else:
            row_number += 1
        self_closing = start.endswith("/>")
        new_start = f'<row r="{row_number}"{_render_attrs(row_attrs)}' + (
            "/>" if self_closing else ">"
        )
        if self_closing:
            pieces.append(cells_xml[position : row_match.start()] + new_start)
            position = row_match.end()
            continue
        inner = row_xml[len(start) : row_xml.rindex("</row>")]
        cells: list[str] = []
        cell_position = 0
        col = -1
        for cell_match in _CELL.finditer(inner):
            element = cell_match.group(0)
            cell_start = _start_tag(element)
            closing = cell_start.endswith("/>")
            attrs = _attrs(cell_start[: -2 if closing else -1])
            ref_text = attrs.pop("r", None)
            if ref_text is None:
                col += 1
            else:
                match = _A1.match(ref_text.strip().upper())
                if match is None or int(match.group(2)) != row_number:
                    raise WorkbookReadError(
                        f"{file} 的工作表“{sheet}”第 {row_number} 行有单元格引用无法识别"
                        f"（r=“{ref_text}”），未读取"
                    )
                col = column_index(match.group(1))
            ref = a1_ref(row_number - 1, col)
            if ref in seen:
                raise WorkbookReadError(
                    f"{file} 中 {sheet}!{ref} 出现了两次（工作表 XML 中重复），无法确定哪一个有效，"
                    "未读取；请用 Excel 打开并另存后再试"
                )
            seen.add(ref)
            cell_start_new = f'<c r="{ref}"{_render_attrs(attrs)}' + ("/>" if closing else ">")
            cells.append(inner[cell_position : cell_match.start()])
            cells.append(cell_start_new + element[len(cell_start) :])
            cell_position = cell_match.end()
        cells.append(inner[cell_position:])
        pieces.append(cells_xml[position : row_match.start()])
        pieces.append(new_start + "".join(cells) + "</row>")
        position = row_match.end()
    pieces.append(cells_xml[position:])
    return "".join(pieces)


CellSpans = dict[tuple[int, int], tuple[int, int]]


@functools.lru_cache(maxsize=4096)
def a1_ref(row: int, col: int) -> str:
    """(row 4, col 6), 0-based -> ``G5``."""
    return f"{column_letters(col)}{row + 1}"


@functools.lru_cache(maxsize=4096)
def _cell_start(row: int, col: int) -> str:
    """The start of a cell element whose r is its first attribute: ``<c r="G5"``."""
    return f'<c r="{a1_ref(row, col)}"'


def locate_cells(sheet_xml: str, cells: Iterable[tuple[int, int]]) -> CellSpans:
    """(row, col) 0-based -> (start, end) of the cell's element, for the ``cells`` that exist.

    Spreadsheet programs write a cell's r attribute first and the cells in row and column
    order, so each cell is found by a plain text search from where the cell before it was found
    (and from the start of sheetData for a cell out of order); of a duplicated cell, the
    element found first counts. Cells whose r is not the first attribute are found by a
    regular expression.
    """
    span = _sheet_data(sheet_xml)
    if span is None:
        return {}
    begin, end = span
    find = sheet_xml.find
    found: CellSpans = {}
    not_found: dict[str, tuple[int, int]] = {}
    cursor = begin
    for cell in sorted(cells):
        start_text = _cell_start(*cell)
        at = find(start_text, cursor, end)
        if at < 0:
            at = find(start_text, begin, cursor)
        else:
            cursor = at
        close = find(">", at, end) if at >= 0 else -1
        if close < 0:
            not_found[a1_ref(*cell)] = cell
        elif sheet_xml[close - 1] == "/":
            found[cell] = (at, close + 1)
        else:
            element_end = find("</c>", close, end)
            if element_end < 0:
                not_found[a1_ref(*cell)] = cell
            else:
                found[cell] = (at, element_end + 4)
    if not_found:
        alternatives = "|".join(sorted(not_found, key=len, reverse=True))
        for match in _target_cells(alternatives).finditer(sheet_xml, begin, end):
            found.setdefault(not_found[match.group(1)], match.span())
    return found


def edit_cells(
    sheet_xml: str, edits: Mapping[tuple[int, int], CellEdit], located: CellSpans | None = None
) -> str:
    """Apply cell edits ((row, col) 0-based -> edit) to a worksheet's XML and return it.

    Existing cells are found with ``locate_cells`` (pass its result as ``located`` if the
    caller has it already); cells that do not exist yet are inserted in row and column order.
    """
    if not edits:
        return sheet_xml
    if located is None:
        located = locate_cells(sheet_xml, edits)
    pieces: list[str] = []
    position = 0
    for start, end, cell in sorted((*located[cell], cell) for cell in edits if cell in located):
        pieces.append(sheet_xml[position:start])
        pieces.append(_edit_cell(sheet_xml[start:end], a1_ref(*cell), edits[cell]))
        position = end
    pieces.append(sheet_xml[position:])
    sheet_xml = "".join(pieces)
    missing = {cell: edit for cell, edit in edits.items() if cell not in located}
    return _insert_cells(sheet_xml, missing) if missing else sheet_xml


@functools.lru_cache(maxsize=64)
def _target_cells(alternatives: str) -> re.Pattern[str]:
    """Cell elements with one of the references ``alternatives`` in an r attribute."""
    return re.compile(rf'<c\b[^>]*?\br="({alternatives})"[^>]*?(?:/>|>.*?</c>)', re.S)


def _insert_cells(sheet_xml: str, edits: Mapping[tuple[int, int], CellEdit]) -> str:
    """Insert cells that do not exist yet (and their rows), keeping row and column order."""
    span = _sheet_data(sheet_xml)
    if span is None:
        empty = re.search(r"<sheetData\s*/>", sheet_xml)
        if not empty:
            raise WorkbookReadError("工作表 XML 缺少 sheetData，无法写入")
        sheet_xml = (
            sheet_xml[: empty.start()] + "<sheetData></sheetData>" + sheet_xml[empty.end() :]
        )
        span = _sheet_data(sheet_xml)
        assert span is not None
    inner = sheet_xml[span[0] : span[1]]
    by_row: dict[int, dict[int, tuple[str, CellEdit]]] = {}
    for (row, col), edit in edits.items():
        by_row.setdefault(row + 1, {})[col] = (a1_ref(row, col), edit)
    pieces: list[str] = []
    position = 0
    for match in _ROW.finditer(inner):
        number_text = _attrs(_start_tag(match.group(0))).get("r")
        if number_text is None:
            continue
        number = int(number_text)
        for missing in sorted(r for r in by_row if r < number):
            pieces.append(inner[position : match.start()])
            position = match.start()
            pieces.append(_edit_row(None, missing, by_row.pop(missing)))
        if number in by_row:
            pieces.append(inner[position : match.start()])
            pieces.append(_edit_row(match.group(0), number, by_row.pop(number)))
            position = match.end()
    pieces.append(inner[position:])
    pieces += [_edit_row(None, r, by_row[r]) for r in sorted(by_row)]
    return sheet_xml[: span[0]] + "".join(pieces) + sheet_xml[span[1] :]


# --- styles ----------------------------------------------------------------------------------

_FILLS = re.compile(r"<fills\b[^>]*?(?:/>|>(.*?)</fills>)", re.S)
_FILL = re.compile(r"<fill\b[^>]*?/>|<fill\b[^>]*>.*?</fill>", re.S)
_CELL_XFS = re.compile(r"<cellXfs\b[^>]*?(?:/>|>(.*?)</cellXfs>)", re.S)
_XF = re.compile(r"<xf\b[^>]*?/>|<xf\b[^>]*>.*?</xf>", re.S)
_FILL_ID = re.compile(r'\s(?:fillId|applyFill)="[^"]*"')
_FONTS = re.compile(r"<fonts\b[^>]*?(?:/>|>(.*?)</fonts>)", re.S)
_FONT = re.compile(r"<font\b[^>]*?/>|<font\b[^>]*>.*?</font>", re.S)
_BORDERS = re.compile(r"<borders\b[^>]*?(?:/>|>(.*?)</borders>)", re.S)
_BORDER = re.compile(r"<border\b[^>]*?/>|<border\b[^>]*>.*?</border>", re.S)


class MarkStyles:
    """Cell formats for marked input cells, kept in ``xl/styles.xml``.

    A mark format is a copy of a cell's own format with the mark fill, appended after the
    existing formats; clearing a mark finds the original again (the earliest format equal to
    the mark format but for its fill). Reusing existing mark formats keeps repeated runs from
    growing the style table.
    """

    def __init__(self, styles_xml: str) -> None:
        self.xml = styles_xml
        self.changed = False
        fills = _FILLS.search(styles_xml)
        xfs = _CELL_XFS.search(styles_xml)
        if not fills or not xfs or xfs.group(1) is None:
            raise WorkbookReadError("xl/styles.xml 缺少 fills 或 cellXfs，无法标记单元格")
        self._fills = [m.group(0) for m in _FILL.finditer(fills.group(1) or "")]
        self._xfs = [m.group(0) for m in _XF.finditer(xfs.group(1))]
        self._mark_fill = next(
            (i for i, f in enumerate(self._fills) if f'rgb="{MARK_RGB}"' in f), None
        )
        self._new_fills: list[str] = []
        self._new_xfs: list[str] = []
        fonts, borders = _FONTS.search(styles_xml), _BORDERS.search(styles_xml)
        self._fonts = [m.group(0) for m in _FONT.finditer(fonts.group(1) or "")] if fonts else []
        self._borders = (
            [m.group(0) for m in _BORDER.finditer(borders.group(1) or "")] if borders else []
        )
        self._new_fonts: list[str] = []
        self._new_borders: list[str] = []
        # No mark fill in the file yet means no cell of it can carry a mark.
        self.had_marks = self._mark_fill is not None

    @staticmethod
    def _key(xf: str) -> str:
        return _FILL_ID.sub("", xf)

    def _fill_id(self, xf: str) -> int:
        match = re.search(r'\bfillId="(\d+)"', xf)
        return int(match.group(1)) if match else 0

    def is_mark(self, style: int) -> bool:
        """True if format ``style`` is a mark format."""
        xfs = self._xfs + self._new_xfs
        return (
            self._mark_fill is not None
            and 0 <= style < len(xfs)
            and self._fill_id(xfs[style]) == self._mark_fill
        )

    def marked(self, style: int) -> int:
        """The mark format for a cell whose format is ``style`` (created if needed)."""
        if self.is_mark(style):
            return style
        xfs = self._xfs + self._new_xfs
        base = xfs[style] if 0 <= style < len(xfs) else xfs[0]
        if self._mark_fill is None:
            self._mark_fill = len(self._fills) + len(self._new_fills)
            self._new_fills.append(MARK_FILL)
        key = self._key(base)
        for index, xf in enumerate(xfs):
            if self._fill_id(xf) == self._mark_fill and self._key(xf) == key:
                return index
        start = _start_tag(base)
        rest = base[len(start) :]
        closing = start.endswith("/>")
        attrs_text = _FILL_ID.sub("", start[3 : -2 if closing else -1])
        new_start = f'<xf{attrs_text} fillId="{self._mark_fill}" applyFill="1"' + (
            "/>" if closing else ">"
        )
        self._new_xfs.append(new_start + rest)
        return len(xfs)

    def original(self, style: int) -> int:
        """The format a marked cell had before it was marked (``style`` if it is no mark)."""
        if not self.is_mark(style):
            return style
        xfs = self._xfs + self._new_xfs
        key = self._key(xfs[style])
        for index, xf in enumerate(xfs[:style]):
            if self._fill_id(xf) != self._mark_fill and self._key(xf) == key:
                return index
        return 0

    @staticmethod
    def _find_or_add(existing: list[str], new: list[str], element: str) -> int:
        every = existing + new
        if element in every:
            return every.index(element)
        new.append(element)
        return len(every)

    def cell_format(self, font: str, fill: str, border: str, alignment: str) -> int | None:
        """The index of a cell format with these font, fill, border and alignment elements,
        reused if the file has it already (so reruns do not grow the style table); None if
        the file's styles have no fonts or borders to extend."""
        if not self._fonts or not self._borders:
            return None
        font_id = self._find_or_add(self._fonts, self._new_fonts, font)
        fill_id = self._find_or_add(self._fills, self._new_fills, fill)
        border_id = self._find_or_add(self._borders, self._new_borders, border)
        xf = (
            f'<xf numFmtId="0" fontId="{font_id}" fillId="{fill_id}" borderId="{border_id}" '
            'xfId="0" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1">'
            f"{alignment}</xf>"
        )
        return self._find_or_add(self._xfs, self._new_xfs, xf)

    def render(self) -> str:
        """``styles.xml`` with any new fill and formats appended (counts updated)."""
        if not (self._new_fills or self._new_xfs or self._new_fonts or self._new_borders):
            return self.xml
        xml = self.xml
        if self._new_fonts:
            xml = _append_children(xml, "fonts", _FONTS, self._fonts + self._new_fonts)
        if self._new_fills:
            xml = _append_children(xml, "fills", _FILLS, self._fills + self._new_fills)
        if self._new_borders:
            xml = _append_children(xml, "borders", _BORDERS, self._borders + self._new_borders)
        xml = _append_children(xml, "cellXfs", _CELL_XFS, self._xfs + self._new_xfs)
        return xml


def _append_children(xml: str, tag: str, pattern: re.Pattern[str], children: list[str]) -> str:
    match = pattern.search(xml)
    assert match is not None
    start = _start_tag(match.group(0))
    if start.endswith("/>"):
        start = start[:-2].rstrip() + ">"
    start = re.sub(r'\bcount="\d+"', f'count="{len(children)}"', start)
    if "count=" not in start:
        start = start[:-1] + f' count="{len(children)}">'
    return xml[: match.start()] + start + "".join(children) + f"</{tag}>" + xml[match.end() :]


# --- a plain worksheet -----------------------------------------------------------------------


# Scores repeat from row to row; equal values format alike (fmt normalises them).
_format_number = functools.lru_cache(maxsize=1024)(fmt)


class SheetFormats(NamedTuple):
    """Cell format indexes of a formatted table: header, text, wrapped text, number."""

    header: int
    text: int
    wrapped: int
    number: int


_THIN = '<left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right><top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/>'


def table_formats(styles: MarkStyles) -> SheetFormats | None:
    """The formats of a table sheet such as 总览 (added to ``styles`` where missing)."""
    font = '<font><sz val="10"/><name val="宋体"/><family val="3"/><charset val="134"/></font>'
    bold = '<font><b/><sz val="10"/><name val="宋体"/><family val="3"/><charset val="134"/></font>'
    no_fill = '<fill><patternFill patternType="none"/></fill>'
    grey = (
        '<fill><patternFill patternType="solid"><fgColor rgb="FFF2F2F2"/>'
        '<bgColor indexed="64"/></patternFill></fill>'
    )
    border = f"<border>{_THIN}</border>"
    header = styles.cell_format(
        bold, grey, border, '<alignment horizontal="center" vertical="center" wrapText="1"/>'
    )
    text = styles.cell_format(font, no_fill, border, '<alignment vertical="top"/>')
    wrapped = styles.cell_format(font, no_fill, border, '<alignment vertical="top" wrapText="1"/>')
    number = styles.cell_format(
        font, no_fill, border, '<alignment horizontal="center" vertical="top"/>'
    )
    if header is None or text is None or wrapped is None or number is None:
        return None
    return SheetFormats(header, text, wrapped, number)


def text_lines(text: str, width: float) -> int:
    """How many lines ``text`` takes wrapped in a column ``width`` characters wide (a CJK
    character is two wide)."""
    lines = 0
    for paragraph in text.split("\n"):
        used = sum(2 if ord(ch) > 0x2E7F else 1 for ch in paragraph)
        lines += max(1, -(-used // max(int(width) - 1, 1)))
    return lines


MAX_ROW_LINES = 27  # a row is at most 409 points high


def plain_worksheet(
    rows: list[list[CellValue]],
    widths: list[float],
    frozen_rows: int = 1,
    formats: SheetFormats | None = None,
    wrapped: Sequence[int] = (),
) -> str:
    """A new worksheet with inline strings and numbers, frozen header rows, printed on A4
    landscape fitted to one page wide.

    With ``formats``: the header row in the header format, the columns ``wrapped`` (0-based)
    wrapped, and each row as high as its wrapped text needs. Text is escaped with
    ``ooxml_escape``; callers cut it to the cell limit (``cell_text.fit_cell``) first.
    """
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
        for i, w in enumerate(widths, start=1)
    )
    wrap = set(wrapped)
    body: list[str] = []
    letters = [column_letters(c) for c in range(max(map(len, rows), default=0))]
    for r, row in enumerate(rows, start=1):
        cells = []
        lines = 1
        header = r <= frozen_rows
        for c, value in enumerate(row):
            style = ""
            if formats is not None:
                if header:
                    index = formats.header
                elif isinstance(value, Decimal):
                    index = formats.number
                else:
                    index = formats.wrapped if c in wrap else formats.text
                style = f' s="{index}"'
            if isinstance(value, str) and value and (header or c in wrap) and c < len(widths):
                lines = max(lines, text_lines(value, widths[c]))
            if value is None or value == "":
                if style:
                    cells.append(f'<c r="{letters[c]}{r}"{style}/>')
                continue
            ref = f"{letters[c]}{r}"
            if isinstance(value, Decimal):
                cells.append(f'<c r="{ref}"{style}><v>{_format_number(value)}</v></c>')
            else:
                cells.append(
                    f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">'
                    f"{ooxml_escape(value)}</t></is></c>"
                )
        height = (
            f' ht="{min(lines, MAX_ROW_LINES) * 13.5 + 3:g}" customHeight="1"'
            if formats is not None
            else ""
        )
        body.append(f'<row r="{r}"{height}>{"".join(cells)}</row>')
    pane = (
        f'<pane ySplit="{frozen_rows}" topLeftCell="A{frozen_rows + 1}" activePane="bottomLeft" '
        'state="frozen"/><selection pane="bottomLeft"/>'
        if frozen_rows
        else ""
    )
    last = f"{column_letters(max(len(widths), 1) - 1)}{max(len(rows), 1)}"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">'
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<dimension ref="A1:{last}"/>'
        f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        f"<cols>{cols}</cols>"
        f"<sheetData>{''.join(body)}</sheetData>"
        '<printOptions horizontalCentered="1"/>'
        '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
        # A4 landscape, one page wide (as many pages down as needed): the long text columns
        # wrap, so the table stays readable at the fitted scale.
        '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
        "</worksheet>"
    )


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
