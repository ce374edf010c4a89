"""Parts read straight from a package's bytes (``xlsx.zip_members``) are zipfile's parts.

The fast path must give exactly the bytes zipfile gives or leave the part to zipfile, so a
corrupt or unusual member ends as it always did; and a part found clean in one file must not
hide a DTD in another file's copy of it.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from workbook.core.scoring import RawBranchInputs
from workbook.inputs.consolidate import consolidate
from workbook.outputs.template import TemplateOptions, write_template
from workbook.xlsx.zip_members import PackageParts


def template(path: Path, branch: str = "第一支部") -> bytes:
    write_template(
        path,
        TemplateOptions(branches=[branch], year=2026, inputs={branch: RawBranchInputs({"7.1": 3})}),
    )
    return path.read_bytes()


def outcome(read: object, name: str) -> tuple[object, ...]:
    """What reading ``name`` gives: its bytes, or the type and text of the error."""
    try:
        return ("bytes", read(name))  # type: ignore[operator]
    except Exception as error:
        return ("error", type(error), str(error))


def both(data: bytes, name: str) -> tuple[tuple[object, ...], tuple[object, ...]]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return outcome(package.read, name), outcome(PackageParts(package, data).read, name)


class Unseekable(io.BytesIO):
    """A stream zipfile cannot seek back in, so it writes data descriptors."""

    def seekable(self) -> bool:
        return False

    def seek(self, *args: object) -> int:
        raise OSError("not seekable")


def test_every_part_is_read_as_zipfile_reads_it(tmp_path: Path) -> None:
    packages = [template(tmp_path / "a.xlsx")]
    unusual = Unseekable()
    with zipfile.ZipFile(unusual, "w", zipfile.ZIP_DEFLATED) as out:  # type: ignore[call-overload]
        out.writestr("xl/第一支部.xml", "<a>第一支部</a>" * 50)
        out.writestr(zipfile.ZipInfo("stored.xml"), b"<b/>" * 10, zipfile.ZIP_STORED)
        out.writestr("empty.xml", b"")
    packages.append(unusual.getvalue())
    for data in packages:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = package.namelist()
        for name in names:
            expected, got = both(data, name)
            assert expected[0] == "bytes"
            assert got == expected, name


@pytest.mark.parametrize("damage", ["data", "local name", "directory crc", "directory size"])
def test_a_damaged_part_ends_as_it_does_in_zipfile(tmp_path: Path, damage: str) -> None:
    data = template(tmp_path / "a.xlsx")
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        infos = package.infolist()
    directory = data.rfind(b"PK\x05\x06")
    central = directory - struct.unpack_from("<I", data, directory + 12)[0]
    for info in infos:
        changed = bytearray(data)
        name_length = struct.unpack_from("<H", data, info.header_offset + 26)[0]
        if damage == "data":
            start = info.header_offset + 30 + name_length
            changed[start + info.compress_size // 2] ^= 0x55
        elif damage == "local name":
            changed[info.header_offset + 30] ^= 0x01
        else:
            entry = data.find(info.filename.encode(), central, directory) - 46
            assert data[entry : entry + 4] == b"PK\x01\x02"
            field = 16 if damage == "directory crc" else 24  # CRC-32, uncompressed size
            value = struct.unpack_from("<I", data, entry + field)[0]
            struct.pack_into("<I", changed, entry + field, value ^ 0x10)
        expected, got = both(bytes(changed), info.filename)
        if damage != "directory size":  # zipfile reads some parts of another size as they are
            assert expected[0] == "error", (damage, info.filename)
        assert got == expected, (damage, info.filename)


def test_a_part_found_clean_does_not_hide_a_dtd_in_another_file(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    template(folder / "第一支部.xlsx")
    hostile = folder / "第二支部.xlsx"
    template(hostile, "第二支部")
    with zipfile.ZipFile(hostile) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(hostile, "w", zipfile.ZIP_DEFLATED) as target:
        for info, part in members:
            if info.filename == "xl/theme/theme1.xml":
                part = part.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY e "1">]>', 1)
            target.writestr(info, part)

    result = consolidate([folder], workers=1)

    assert [entry.branch for entry in result.branches] == ["第一支部"]
    assert len(result.errors) == 1
    text = result.errors[0].text()
    assert "第二支部.xlsx" in text
    assert "xl/theme/theme1.xml" in text
    assert "文档类型定义（DTD）" in text
