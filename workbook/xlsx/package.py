"""An xlsx package read part by part: change a few parts, copy every other part unchanged.

openpyxl rewrites a whole workbook and drops what it does not model (images, some validation,
extension lists), so recalculation edits the package XML as text instead. Parts are only ever
read with defusedxml; edits are string splices at element boundaries (``cell_edit``,
``parts``, ``styles``). Every text inserted is XML-escaped where it is inserted.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import IO, Any, BinaryIO

from defusedxml import ElementTree

from workbook.errors import WorkbookReadError, describe_os_error
from workbook.xlsx.properties import (
    parse_xml,
    read_head,
    unreadable_reason,
)
from workbook.xlsx.relationships import (
    NS_PKG_REL,
    NS_REL,
)
from workbook.xlsx.zip_package import DEFAULT_DATE, RawZipWriter, check_package, read_part

__all__ = ["NS_MAIN", "NS_PKG_REL", "NS_REL", "Package", "parse_part"]

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


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
            raise WorkbookReadError(
                f"{display} {unreadable_reason(self.path, read_head(self.path))}"
            )
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
            # One new buffer (slicing bytes would copy the large part twice more on the way).
            view = memoryview(data)
            self.parts[name] = b"".join((view[:close], fragment.encode("utf-8"), view[close:]))

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
