"""A package's parts read straight from the file's bytes, with zipfile as the fallback.

``consolidate`` reads a dozen small parts of each of many packages. ``zipfile.ZipFile.read``
costs far more per part than inflating it: each read opens a stream object, seeks, re-reads
the local header and checks the CRC chunk by chunk. Here a part is located by zipfile's own
central directory (``ZipInfo.header_offset``), its local header is checked as zipfile checks
it, and it is inflated in one call. The bytes are returned only when they are exactly what
``zipfile`` returns: the size and the CRC match, the local header and its name agree with the
directory, the part is neither encrypted nor compressed by another method. In every other case
(including every corrupt or unusual member) the part is read by ``zipfile``, so its errors and
results stay what they are.

Parts that are identical in many packages (the theme, the styles, the relationships of copies
of one template) need only be checked for a DTD or an undefined entity once: a part whose
compressed bytes, method, CRC and size equal those of a part found clean before is clean too
(inflation is a function of those bytes). The memory of parts found clean is bounded.
"""

from __future__ import annotations

import struct
import zipfile
import zlib

from workbook.xlsx.properties import check_part

_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_END = struct.Struct("<4sHHHHIIH")
_END_SIGNATURE = b"PK\x05\x06"
_UTF8_FLAG = 0x800
# Encrypted, compressed patched data, strong encryption: zipfile refuses or decrypts these.
_UNSUPPORTED_FLAGS = 0x1 | 0x20 | 0x40
_CLEAN_PART_LIMIT = 1 << 16  # compressed bytes: larger parts are checked every time
_CLEAN_BYTES_KEPT = 1 << 20  # the parts remembered hold at most this many compressed bytes

_clean_parts: set[tuple[bytes, int, int, int]] = set()
_clean_bytes = 0


class PackageParts:
    """The parts of one open package, read from ``data`` (the whole file) when possible.

    Args:
        package: the package opened by zipfile over the same bytes (its directory is used).
        data: the file's bytes; None reads every part through zipfile.
    """

    def __init__(self, package: zipfile.ZipFile, data: bytes | None) -> None:
        self.package = package
        self._data = data
        self._ends: dict[int, int] | None = None

    def _end(self, offset: int) -> int:
        """Where the member whose local header is at ``offset`` must end: at the next member's
        header, or the last one at the central directory (newer zipfiles refuse overlapping
        members; they are left to zipfile here)."""
        if self._ends is None:
            data = self._data or b""
            end_record = data.rfind(_END_SIGNATURE, max(0, len(data) - (1 << 16) - 22))
            directory = -1
            if end_record >= 0 and len(data) >= end_record + _END.size:
                directory = end_record - _END.unpack_from(data, end_record)[5]
            offsets = sorted({info.header_offset for info in self.package.infolist()})
            self._ends = dict(zip(offsets, [*offsets[1:], directory], strict=True))
        return self._ends.get(offset, -1)

    def read(self, name: str) -> bytes:
        """The part's bytes, exactly as ``package.read(name)`` gives them.

        Raises:
            KeyError: no such part; or whatever ``zipfile`` raises for a corrupt part.
        """
        info = self.package.getinfo(name)
        located = self._compressed(info)
        if located is not None:
            content = _inflate(located, info)
            if content is not None:
                return content
        return self.package.read(info)

    def check(self, file_name: str, name: str) -> None:
        """``check_part`` of a part (read as ``read`` does), once for identical parts.

        Raises:
            PartRefused: the part has a DTD or an undefined entity.
            KeyError: no such part; or whatever ``zipfile`` raises for a corrupt part.
        """
        info = self.package.getinfo(name)
        located = self._compressed(info)
        if located is None or len(located) > _CLEAN_PART_LIMIT:
            check_part(file_name, name, self.package.read(info))
            return
        key = (located, info.compress_type, info.CRC, info.file_size)
        if key in _clean_parts:
            return
        content = _inflate(located, info)
        if content is None:
            content = self.package.read(info)
        check_part(file_name, name, content)
        global _clean_bytes
        if _clean_bytes + len(located) > _CLEAN_BYTES_KEPT:
            _clean_parts.clear()
            _clean_bytes = 0
        _clean_parts.add(key)
        _clean_bytes += len(located)

    def _compressed(self, info: zipfile.ZipInfo) -> bytes | None:
        """The member's compressed bytes, or None where zipfile must read it (see the module)."""
        data = self._data
        if data is None or info.flag_bits & _UNSUPPORTED_FLAGS:
            return None
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return None
        offset = info.header_offset
        header = data[offset : offset + _LOCAL.size]
        if len(header) != _LOCAL.size:
            return None
        signature, _, flags, *_, name_length, extra_length = _LOCAL.unpack(header)
        if signature != _LOCAL_SIGNATURE or flags & _UNSUPPORTED_FLAGS:
            return None
        name_start = offset + _LOCAL.size
        raw_name = data[name_start : name_start + name_length]
        try:
            # As zipfile decodes the local header's name before comparing it.
            name = raw_name.decode("utf-8" if flags & _UTF8_FLAG else "cp437")
        except UnicodeDecodeError:
            return None
        if name != info.orig_filename:
            return None
        start = name_start + name_length + extra_length
        if start + info.compress_size > self._end(offset):
            return None
        compressed = data[start : start + info.compress_size]
        return compressed if len(compressed) == info.compress_size else None


def _inflate(compressed: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """The member's content if it has exactly its declared size and CRC, else None."""
    if info.compress_type == zipfile.ZIP_STORED:
        content = compressed
    else:
        try:
            inflater = zlib.decompressobj(-15)
            # Bounded: one byte more than declared shows the member lies about its size.
            content = inflater.decompress(compressed, info.file_size + 1)
        except zlib.error:
            return None
    if len(content) != info.file_size or zlib.crc32(content) != info.CRC:
        return None
    return content
