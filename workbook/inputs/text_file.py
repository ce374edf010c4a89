"""What a file that should be UTF-8 text is instead, in words a user recognises.

The small text inputs (the branches file, the holiday file, the rename map) are often given as
the workbook they were typed in, or saved in the Windows default encoding. Saying "不是 UTF-8"
of an Excel workbook helps nobody: :func:`file_kind` names what the bytes are. They are read
with :func:`read_at_most`, so a huge file or a device given by mistake (``/dev/zero``) is named,
not read until memory runs out.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc, .et, .wps before 2007
_ZIP_KINDS = (
    ("xl/", "一个 Excel 工作簿（.xlsx）"),
    ("word/", "一个 Word 文档（.docx）"),
    ("ppt/", "一个 PowerPoint 演示文稿（.pptx）"),
    ("content.xml", "一个 OpenDocument 文件（.ods/.odt）"),
)


def file_kind(data: bytes) -> str | None:
    """What ``data`` is when it is not UTF-8 text, to follow 是 (``"一个 Excel 工作簿（.xlsx）"``);
    None for UTF-8 text (a BOM is fine)."""
    if data.startswith(_ZIP):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                members = package.namelist()
        except (zipfile.BadZipFile, ValueError):
            members = []
        for prefix, kind in _ZIP_KINDS:
            if any(name.startswith(prefix) for name in members):
                return kind
        return "一个 ZIP 压缩文件"
    if data.startswith(_OLE):
        return "一个旧版 Excel 工作簿或 Word 文档（.xls/.doc）"
    if data.startswith(b"%PDF"):
        return "一个 PDF 文件"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 编码的文本（记事本的“Unicode”）"
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    else:
        return None
    if b"\x00" in data:
        return "一个二进制文件（不是文本）"
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        return "一个既不是 UTF-8 也不是 GBK 编码的文件"
    return "GBK（GB2312）编码的文本"


SMALL_TEXT_LIMIT = 1 << 20  # 1 MiB: some 50,000 branch names; a branches file is far smaller


def read_at_most(path: Path, limit: int = SMALL_TEXT_LIMIT) -> bytes | None:
    """The bytes of ``path`` if it holds at most ``limit`` of them, else None (only ``limit``
    + 1 bytes are read: a pipe such as ``/dev/stdin`` works, ``/dev/zero`` ends).

    Raises:
        OSError: the file cannot be opened or read.
    """
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    return data if len(data) <= limit else None
