"""What every reader checks in an xlsx package before it trusts a part.

- A part with a DTD, or with an entity reference XML does not define, is refused with a message
  naming the file and the part. OOXML parts never carry a DTD; an entity a parser does not know
  is read as blank by python-calamine, which would change a total without a word.
- A file that is not an xlsx package is told apart: an encrypted (password-protected) workbook,
  an old .xls or WPS .et file, an OpenDocument spreadsheet, anything else.
- XML safety, one approach for every reader: ``check_part`` runs on every XML part of a user's
  file before anything reads it, and ``parse_xml`` (defusedxml, DTDs forbidden) is the one XML
  parser for such parts (``workbook.xlsx.package.parse_part`` goes through it). The byte-level
  regular-expression scans of worksheet XML (``package``, ``values``, ``cells``) read only parts
  that passed ``check_part``: with no DTD there is no entity to expand or fetch, they decode only
  the five predefined entities and character references, and their patterns have no nested
  quantifiers (time linear in the part's size, itself bounded by ``zip_package``).
- One parser of the custom document properties (``docProps/custom.xml``), used by ``consolidate``,
  ``recalc`` and ``email``; the Excel adapter reads the same properties from Excel and hands them
  to the same ``template_identity``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as StdElementTree
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as DefusedElementTree

from workbook.core import names
from workbook.errors import WorkbookReadError

__all__ = [
    "CUSTOM_PROPERTIES_PART",
    "OLE2_MAGIC",
    "ZIP_MAGIC",
    "PartRefusedError",
    "TemplateIdentity",
    "check_part",
    "parse_custom_properties",
    "parse_xml",
    "property_text",
    "read_head",
    "refusal",
    "unreadable_reason",
    "year_number",
]

_NS_CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
CUSTOM_PROPERTIES_PART = "docProps/custom.xml"

# An entity reference other than the five XML defines and character references.
_UNDEFINED_ENTITY = re.compile(rb"&(?!(?:lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)")

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_HEAD_BYTES = 1 << 20


class PartRefusedError(WorkbookReadError):
    """A package part carries a DTD or an undefined entity."""


def refusal(file_name: str, part: str, what: str) -> PartRefusedError:
    """The error for a refused part (``what``: 文档类型定义（DTD） or 未定义的实体引用)."""
    return PartRefusedError(
        f"{file_name} 的 {part} 含有{what}，Excel 和 WPS 不会写出这种内容，本工具拒绝读取；"
        "请在 Excel 或 WPS 中打开该文件并另存为 .xlsx 后重试"
    )


def check_part(file_name: str, part: str, data: bytes) -> None:
    """Refuse a whole part with a DTD or an undefined entity.

    Raises:
        PartRefusedError: naming the file and the part.
    """
    if b"<!" in data and (b"<!DOCTYPE" in data or b"<!ENTITY" in data):
        raise refusal(file_name, part, "文档类型定义（DTD）")
    if b"&" in data and _UNDEFINED_ENTITY.search(data):
        raise refusal(file_name, part, "未定义的实体引用")


def parse_xml(file_name: str, part: str, data: bytes) -> Any:
    """Parse a package part, refusing any DTD or undefined entity (the one XML parser).

    Every XML attack defusedxml guards against (entity expansion, external entities) needs a
    DTD, which ``check_part`` refuses with a message first; defusedxml stays as the parser so
    that no path to the standard parser is left open.

    Raises:
        PartRefusedError: the part has a DTD or an undefined entity.
        xml.etree.ElementTree.ParseError: it is not well-formed.
    """
    check_part(file_name, part, data)
    try:
        return DefusedElementTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:  # a DTD the byte scan cannot see (UTF-16, UTF-32)
        raise refusal(file_name, part, "文档类型定义（DTD）") from None


def parse_custom_properties(file_name: str, data: bytes | None) -> dict[str, str]:
    """The custom document properties of ``docProps/custom.xml`` as text (stripped).

    A number is its text as written (``2026``); a property without a value is left out.

    Raises:
        PartRefusedError: the part has a DTD or an undefined entity.
        WorkbookReadError: the part is not well-formed.
    """
    if not data:
        return {}
    # Copies of one template carry the same part: parse it once (bounded).
    seen = _properties_seen.get(data)
    if seen is not None:
        return dict(seen)
    try:
        root = parse_xml(file_name, CUSTOM_PROPERTIES_PART, data)
    except StdElementTree.ParseError:
        raise WorkbookReadError(
            f"{file_name} 已损坏：{CUSTOM_PROPERTIES_PART}（文档属性）无法解析"
        ) from None
    properties: dict[str, str] = {}
    for prop in root.iter(f"{_NS_CUSTOM}property"):
        value = next(iter(prop), None)
        if value is not None and prop.get("name"):
            properties[prop.get("name", "")] = (value.text or "").strip()
    if len(_properties_seen) >= 64:
        _properties_seen.clear()
    _properties_seen[data] = dict(properties)
    return properties


_properties_seen: dict[bytes, dict[str, str]] = {}


def property_text(value: object) -> str | None:
    """A document property value as text, however it was stored (Excel may give 2026.0)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


class TemplateIdentity(NamedTuple):
    """The template a workbook was made from (its custom document properties)."""

    standard: str | None
    version: str | None
    year: str | None
    standard_hash: str | None = None  # absent in workbooks made before the hash was written
    summary: bool = False  # a summary, 整改清单 or 历年对比 this tool wrote (``kp_summary``)

    @classmethod
    def of(cls, properties: Mapping[str, object]) -> TemplateIdentity:
        """From custom document properties, as a file or Excel gives them."""
        return cls(
            property_text(properties.get(names.PROP_STANDARD)),
            property_text(properties.get(names.PROP_TEMPLATE_VERSION)),
            property_text(properties.get(names.PROP_YEAR)),
            property_text(properties.get(names.PROP_STANDARD_HASH)),
            property_text(properties.get(names.PROP_SUMMARY)) == "1",
        )

    def mismatch(self, standard_id: str, standard_hash: str = "") -> str | None:
        """Why a workbook of this identity cannot be read against ``standard_id`` (or None).

        A workbook that records its standard's content hash must match ``standard_hash`` too
        (the same id with other content is another standard); one without (older) is accepted by
        its id."""
        if self.summary:
            return (
                "这是本工具生成的汇总表（或整改清单、历年对比），不是考评定级表；"
                "请选择各支部填写的考评定级表"
            )
        if self.standard is None or self.version is None:
            return (
                "不是用本工具生成的考评定级表（缺少模板标识）；"
                "请用“branch-assess template”生成的模板填写"
            )
        if self.standard != standard_id or self.version not in names.READABLE_TEMPLATE_VERSIONS:
            return (
                f"模板不符：该文件按标准“{self.standard}”、模板版本 {self.version} 生成，"
                f"本工具要求标准“{standard_id}”、模板版本 "
                f"{' 或 '.join(names.READABLE_TEMPLATE_VERSIONS)}；"
                "请把数据转填到当前模板后重新计算或汇总"
            )
        if self.standard_hash and standard_hash and self.standard_hash != standard_hash:
            return (
                f"标准内容不符：该文件按标准“{self.standard}”生成（内容摘要 {self.standard_hash[:12]}），"
                f"但所用的标准“{standard_id}”内容不同（内容摘要 {standard_hash[:12]}），"
                "可能是标准文件被修改过；请用生成该模板时的标准文件（--standard-file），"
                "或用当前标准重新生成模板后转填"
            )
        return None

    def year_problem(self) -> str | None:
        """Why the recorded year is unusable (typed as text, say), or None."""
        if self.year is None or year_number(self.year) is not None:
            return None
        return (
            f"文档属性 {names.PROP_YEAR}（考评年度）为文字“{self.year}”，不是年份数字；"
            "请用“branch-assess template --year 年份”重新生成模板后转填"
        )


def year_number(value: object) -> int | None:
    """A year as a number (2026 from 2026, 2026.0 or "2026"); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    if isinstance(value, int):
        return value if 1900 <= value <= 9999 else None
    if isinstance(value, str) and re.fullmatch(r"\s*\d{4}\s*", value):
        return int(value)
    return None


def unreadable_reason(path: Path, head: bytes) -> str:
    """Why a file that is not a readable xlsx package cannot be read, from its first bytes."""
    if head.startswith(OLE2_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in head:
            return (
                "工作簿设有打开密码（已加密），本工具无法读取；请在 Excel 或 WPS 中打开，"
                "取消“用密码进行加密”后保存，再重新运行"
            )
        return "是旧版 Excel（.xls）或 WPS（.et）格式，本工具只读取 .xlsx；请在 Excel 或 WPS 中打开并另存为 .xlsx"
    if head.startswith(ZIP_MAGIC):
        if b"mimetypeapplication/vnd.oasis.opendocument" in head[:200]:
            return "是 OpenDocument 表格（.ods），本工具只读取 .xlsx；请在 WPS、Excel 或 LibreOffice 中另存为 .xlsx"
        return "不是可读取的 Excel 工作簿（压缩包中缺少工作簿内容或已损坏）；请确认文件是用 Excel 或 WPS 保存的 .xlsx"
    if not head:
        return "是空文件（0 字节），不是 Excel 工作簿"
    save_as = "请在 Excel 或 WPS 中打开并另存为 .xlsx（Excel 工作簿）"
    if head.startswith(b"%PDF"):
        return f"不是可读取的 Excel 工作簿：是一个 PDF 文件（扩展名被改成了 {path.suffix or '无'}）；请找回原来的 .xlsx 文件"
    start = head[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<html", b"<!doctype html", b"<table", b"<?xml", b"<meta")):
        # What "导出 Excel" of many web systems saves: a web page (or XML) named .xls/.xlsx.
        return f"不是可读取的 Excel 工作簿：是网页（HTML）或 XML 文本；{save_as}"
    if b"\x00" not in head[:4096] and any(
        _is_text(head[:4096], code) for code in ("utf-8", "gb18030")
    ):
        return f"不是可读取的 Excel 工作簿：是文本文件（如 CSV）；{save_as}"
    return "不是可读取的 Excel 工作簿（文件损坏或不是 .xlsx/.xlsm 格式）"


def _is_text(data: bytes, encoding: str) -> bool:
    """Whether ``data`` (the start of a file) decodes, allowing a character cut at its end."""
    try:
        data.decode(encoding)
    except UnicodeDecodeError as error:
        return error.start > len(data) - 4
    return True


def read_head(path: Path, data: bytes | None = None) -> bytes:
    """The first bytes of a file, enough to tell its kind (from ``data`` when read already).

    An encrypted workbook is a compound file whose directory, naming its encrypted package,
    comes after a few sectors.
    """
    if data is not None:
        return data[:_HEAD_BYTES]
    try:
        with path.open("rb") as handle:
            return handle.read(_HEAD_BYTES)
    except OSError:
        return b""
