"""Zip packages read with bounds and written with unchanged members copied raw.

Reading: every command checks a package before it decompresses anything
(``check_package``): no part may declare more than ``MAX_PART_BYTES`` uncompressed, the parts
together no more than ``MAX_TOTAL_BYTES``, and there may be no more than ``MAX_PARTS`` of them. zipfile stops at the declared size of a member and
then checks its CRC, so a member that lies about its size fails rather than filling memory; a
member large enough to lie dangerously (compressed size times deflate's maximum ratio above the
part limit) is verified by streaming it once before another library (python-calamine) reads it.

Writing: ``RawZipWriter`` is a small zip writer of our own, because zipfile has no public call
to add a member whose data is compressed already. It writes exactly what zipfile writes for a
deflated or stored member without a data descriptor (local header, data, central directory,
end record; ZIP64 is never needed within the limits above, and refused otherwise), and it
copies a member of another zip file by streaming its compressed bytes, never holding it whole.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from workbook.errors import PackageTooLargeError, WorkbookReadError

__all__ = [
    "DEFAULT_DATE",
    "MAX_PART_BYTES",
    "MAX_TOTAL_BYTES",
    "Member",
    "RawZipWriter",
    "check_package",
    "read_part",
]

MAX_PART_BYTES = 100 << 20  # 100 MiB uncompressed, any one part
MAX_TOTAL_BYTES = 500 << 20  # 500 MiB uncompressed, all parts of one package together
# Parts of one package: a 1,000-branch workbook has about 3,000; recalc adds at most two a
# sheet, and the zip format without ZIP64 holds 65,535.
MAX_PARTS = 20_000
_DEFLATE_MAX_RATIO = 1032  # deflate cannot expand data by more than this
_CHUNK = 1 << 20

_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_END = struct.Struct("<4sHHHHIIH")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_UTF8_FLAG = 0x800
_DESCRIPTOR_FLAG = 0x8
_ZIP32_LIMIT = 0xFFFFFFFF


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.0f} MiB"


def check_package(archive: zipfile.ZipFile, display: str, *, verify: bool = False) -> None:
    """Refuse a package whose parts would decompress past the limits (see the module doc).

    ``verify`` streams each part that could lie about its size dangerously (zipfile's own reads
    are bounded by the declared size anyway; another library's may not be).

    Raises:
        WorkbookReadError: a part or the package is too large, or a part's data does not match
            its declared size and CRC.
    """
    members = archive.infolist()
    if len(members) > MAX_PARTS:
        reason = (
            f"有 {len(members)} 个部件，超过本工具的上限 {MAX_PARTS} 个"
            "（一千个支部的工作簿约有三千个）；文件可能已损坏或被恶意构造，未读取"
        )
        raise PackageTooLargeError(f"{display} {reason}", reason)
    total = 0
    for info in members:
        if info.file_size > MAX_PART_BYTES:
            reason = (
                f"部件 {info.filename} 解压后有 {_mib(info.file_size)}，"
                f"超过本工具的上限 {_mib(MAX_PART_BYTES)}；文件可能已损坏或被恶意构造，未读取"
            )
            raise PackageTooLargeError(f"{display} 中的{reason}", reason)
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            reason = f"解压后超过本工具的上限 {_mib(MAX_TOTAL_BYTES)}；文件可能已损坏或被恶意构造，未读取"
            raise PackageTooLargeError(f"{display} {reason}", reason)
    if not verify:
        return
    for info in archive.infolist():
        if info.compress_size * _DEFLATE_MAX_RATIO <= MAX_PART_BYTES:
            continue
        try:
            with archive.open(info) as stream:
                while stream.read(_CHUNK):
                    pass
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError):
            reason = f"已损坏：部件 {info.filename} 的数据与其声明的大小或校验和不符"
            raise PackageTooLargeError(f"{display} {reason}", reason) from None


def read_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, display: str) -> bytes:
    """One part's bytes (bounded by its declared size, which ``check_package`` bounded).

    Raises:
        WorkbookReadError: the part's data is corrupt.
    """
    try:
        if info.file_size <= _CHUNK:
            return archive.read(info)
        # A large part is read in chunks joined once: ``ZipFile.read`` grows one buffer by
        # concatenation, which holds about three copies of the part at its peak; this two.
        with archive.open(info) as stream:
            chunks = []
            while chunk := stream.read(_CHUNK):
                chunks.append(chunk)
        return b"".join(chunks)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError):
        raise WorkbookReadError(f"{display} 已损坏：部件 {info.filename} 无法解压") from None


@dataclass(frozen=True)
class Member:
    """A member as written: what its central directory entry needs."""

    name: bytes
    flags: int
    method: int
    dos_time: int
    dos_date: int
    crc: int
    compressed_size: int
    size: int
    offset: int
    external_attr: int
    create_system: int


def _encoded_name(name: str, flags: int) -> tuple[bytes, int]:
    """A member name's bytes and the UTF-8 flag, as zipfile decoded it (cp437 unless flagged)."""
    if not flags & _UTF8_FLAG:
        try:
            return name.encode("ascii"), flags
        except UnicodeEncodeError:
            try:
                return name.encode("cp437"), flags
            except UnicodeEncodeError:
                pass
    return name.encode("utf-8"), flags | _UTF8_FLAG


def _dos_time(date_time: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    year, month, day, hour, minute, second = date_time
    year = min(max(year, 1980), 2107)
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


DEFAULT_DATE = (1980, 1, 1, 0, 0, 0)


class RawZipWriter:
    """Write a zip file member by member to a binary stream (see the module docstring)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._out = stream
        self._members: list[Member] = []
        self._offset = 0

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._offset += len(data)

    def _start(
        self,
        name: str,
        flags: int,
        method: int,
        date_time: tuple[int, int, int, int, int, int],
        crc: int,
        compressed_size: int,
        size: int,
        external_attr: int,
        create_system: int,
    ) -> None:
        if max(compressed_size, size, self._offset) >= _ZIP32_LIMIT or len(self._members) >= 0xFFFF:
            raise WorkbookReadError("工作簿过大（需要 ZIP64），本工具不写入这样的文件")
        name_bytes, flags = _encoded_name(name, flags & ~_DESCRIPTOR_FLAG)
        dos_time, dos_date = _dos_time(date_time)
        member = Member(
            name_bytes,
            flags,
            method,
            dos_time,
            dos_date,
            crc,
            compressed_size,
            size,
            self._offset,
            external_attr,
            create_system,
        )
        self._members.append(member)
        self._write(
            _LOCAL.pack(
                _LOCAL_SIGNATURE,
                20,
                flags,
                method,
                dos_time,
                dos_date,
                crc,
                compressed_size,
                size,
                len(name_bytes),
                0,
            )
            + name_bytes
        )

    def add(
        self,
        name: str,
        data: bytes,
        *,
        date_time: tuple[int, int, int, int, int, int] = DEFAULT_DATE,
        method: int = zipfile.ZIP_DEFLATED,
        external_attr: int = 0o600 << 16,
    ) -> None:
        """Add a member from its uncompressed bytes (deflated, or stored)."""
        if method == zipfile.ZIP_DEFLATED:
            compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
            compressed = compressor.compress(data) + compressor.flush()
        else:
            method, compressed = zipfile.ZIP_STORED, data
        self.add_compressed(
            name,
            compressed,
            crc=zlib.crc32(data),
            size=len(data),
            method=method,
            date_time=date_time,
            external_attr=external_attr,
        )

    def add_compressed(
        self,
        name: str,
        compressed: bytes,
        *,
        crc: int,
        size: int,
        method: int,
        date_time: tuple[int, int, int, int, int, int] = DEFAULT_DATE,
        external_attr: int = 0o600 << 16,
        flags: int = 0,
    ) -> None:
        """Add a member whose data is compressed already (with its CRC and size)."""
        self._start(name, flags, method, date_time, crc, len(compressed), size, external_attr, 3)
        self._write(compressed)

    def copy_member(self, source: BinaryIO, info: zipfile.ZipInfo) -> None:
        """Copy a member of the zip file open as ``source`` without decompressing it.

        The data starts after the member's local header, whose name and extra field lengths
        are read from the header itself (they may differ from the central directory's).

        Raises:
            WorkbookReadError: the local header is not where the central directory says.
        """
        source.seek(info.header_offset)
        header = source.read(_LOCAL.size)
        if len(header) != _LOCAL.size or header[:4] != _LOCAL_SIGNATURE:
            raise WorkbookReadError(f"工作簿已损坏：部件 {info.filename} 的位置不对")
        name_length, extra_length = struct.unpack_from("<HH", header, 26)
        source.seek(info.header_offset + _LOCAL.size + name_length + extra_length)
        self._start(
            info.filename,
            info.flag_bits,
            info.compress_type,
            info.date_time,
            info.CRC,
            info.compress_size,
            info.file_size,
            info.external_attr or 0o600 << 16,
            info.create_system,
        )
        left = info.compress_size
        while left:
            chunk = source.read(min(left, _CHUNK))
            if not chunk:
                raise WorkbookReadError(f"工作簿已损坏：部件 {info.filename} 的数据不完整")
            self._write(chunk)
            left -= len(chunk)

    def close(self) -> None:
        """Write the central directory and the end record (the stream stays open)."""
        start = self._offset
        for m in self._members:
            self._write(
                _CENTRAL.pack(
                    b"PK\x01\x02",
                    (m.create_system << 8) | 20,
                    20,
                    m.flags,
                    m.method,
                    m.dos_time,
                    m.dos_date,
                    m.crc,
                    m.compressed_size,
                    m.size,
                    len(m.name),
                    0,
                    0,
                    0,
                    0,
                    m.external_attr,
                    m.offset,
                )
                + m.name
            )
        size = self._offset - start
        if self._offset >= _ZIP32_LIMIT:
            raise WorkbookReadError("工作簿过大（需要 ZIP64），本工具不写入这样的文件")
        count = len(self._members)
        self._write(_END.pack(b"PK\x05\x06", 0, 0, count, count, size, start, 0))
