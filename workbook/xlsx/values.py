"""Cell values read straight from worksheet XML, as python-calamine reads them.

Recalculation finds the cells it rewrites in each sheet's XML anyway, so it reads the input cells
from the same text instead of opening the package a second time with python-calamine (which
parses every cell of every sheet). Only values whose reading is certain are read here:

- numbers in a cell whose number format is no date or time (calamine turns those into dates),
  written as Excel writes numbers;
- shared and inline strings, plain or rich text, without phonetic runs, character references,
  ``_xHHHH_`` escapes, carriage returns or (outside ``xml:space="preserve"``) leading or
  trailing blanks, which calamine and XML parsers each treat in their own way;
- booleans and the cached strings of formulas.

Every other cell reads as ``UNREADABLE``, and the caller reads the sheet with python-calamine.
"""

from __future__ import annotations

import enum
import re
from xml.sax.saxutils import unescape

from workbook.core.cells import ERROR_CODES, CellError
from workbook.xlsx.package import Package, parse_part
from workbook.xlsx.relationships import NS_REL, relationships, rels_part, resolve_target

SHARED_STRINGS_REL = NS_REL + "/sharedStrings"
# python-calamine reads these two parts by these names, whatever the relationships say.
SHARED_STRINGS_PART = "xl/sharedStrings.xml"
STYLES_PART = "xl/styles.xml"
WORKBOOK_RELS = rels_part("xl/workbook.xml")


class Unreadable(enum.Enum):
    """The type of ``UNREADABLE``."""

    UNREADABLE = "unreadable"


UNREADABLE = Unreadable.UNREADABLE

# A cell with no attributes but r, s and t, in that order, as spreadsheet programs write them.
_CELL = re.compile(r'<c r="[A-Z]{1,3}\d+"(?: s="(\d+)")?(?: t="(\w+)")? ?(?:/>|>(.*)</c>)', re.S)
_FORMULA_AND_VALUE = re.compile(r"(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?(?:<v>([^<]*)</v>)?")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[Ee][-+]?\d+)?")
_INDEX = re.compile(r"\d+")
_INLINE = re.compile(r"<is>(.*)</is>", re.S)
_RUN_PROPERTIES = re.compile(r"<rPr>.*?</rPr>|<rPr/>|</?r>", re.S)
_TEXT_RUNS = re.compile(r'(?:<t(?: xml:space="preserve")?>[^<]*</t>|<t/>)*')
_TEXT_RUN = re.compile(r'<t( xml:space="preserve")?>([^<]*)</t>')
_SHARED_STRING = re.compile(r"<si\b[^>]*?(?:/>|>(.*?)</si>)", re.S)
_ENTITY = re.compile(r"&(?!(?:lt|gt|amp|quot|apos);)")
_XML_BLANKS = " \t\n\r"

_CELL_XFS = re.compile(r"<cellXfs\b[^>]*?(?:/>|>(.*?)</cellXfs>)", re.S)
_XF = re.compile(r"<xf\b([^>]*)>")
_NUM_FMT_ID = re.compile(r'\bnumFmtId="(\d+)"')
_NUM_FMT = re.compile(r"<numFmt\b([^>]*)/>")
_FORMAT_CODE = re.compile(r'\bformatCode="([^"]*)"')
# Built-in number formats that show a number as a number (general, decimals, thousands,
# percentages, scientific, fractions, accounting without currency).
_PLAIN_BUILT_IN_FORMATS = frozenset({0, 1, 2, 3, 4, 9, 10, 11, 12, 13, 37, 38, 39, 40, 48})
# A custom format code with only these characters (after quoted text and escaped characters
# are removed) has no date or time part.
_PLAIN_FORMAT_CHARACTERS = frozenset("0#?.,%E+-()/; ")
_LITERALS = re.compile(r'"[^"]*"|\\.|_.|\*.')


def _text(raw: str) -> str | Unreadable:
    """Element text as calamine gives it, or UNREADABLE where it would treat it specially."""
    if "\r" in raw or "_x" in raw:
        return UNREADABLE
    if "&" not in raw:
        return raw
    if _ENTITY.search(raw):
        return UNREADABLE  # a character reference (or an entity XML does not have)
    return unescape(raw, {"&quot;": '"', "&apos;": "'"})


def _rich_text(inner: str) -> str | Unreadable:
    """The text of a shared string item or an inline string: its runs, concatenated."""
    if "<rPh" in inner or "<phoneticPr" in inner:
        return UNREADABLE
    runs = _RUN_PROPERTIES.sub("", inner) if "<r" in inner else inner
    if not _TEXT_RUNS.fullmatch(runs):
        return UNREADABLE
    pieces = []
    for preserve, raw in _TEXT_RUN.findall(runs):
        if not preserve and raw != raw.strip(_XML_BLANKS):
            return UNREADABLE  # calamine trims it, openpyxl does not
        text = _text(raw)
        if text is UNREADABLE:
            return UNREADABLE
        pieces.append(text)
    return "".join(pieces)


def _plain_number_format(number_format: int, custom: dict[int, str]) -> bool:
    """True if a number in this format reads as a number (not a date, time or text)."""
    written = custom.get(number_format)
    if written is None:
        return number_format in _PLAIN_BUILT_IN_FORMATS
    code = _text(written)
    if code is UNREADABLE:
        return False
    return code.lower() == "general" or set(_LITERALS.sub("", code)) <= _PLAIN_FORMAT_CHARACTERS


class CellValueReader:
    """Reads cell elements of one package's worksheets (see the module docstring)."""

    def __init__(self, package: Package) -> None:
        self._package = package
        self._plain_styles: list[bool] | None = None
        self._shared_items: list[str] | None = None
        self._shared_texts: dict[int, str | Unreadable] = {}
        # Element -> value: branch sheets are copies of one template, so most input cells are
        # the same element on every sheet.
        self._known: dict[str, object] = {}

    def value(self, element: str | None) -> object:
        """The value of a ``<c>`` element (None for no element or a blank cell), or UNREADABLE."""
        if element is None:
            return None
        if element not in self._known:
            self._known[element] = self._read(element)
        return self._known[element]

    def _read(self, element: str) -> object:
        cell = _CELL.fullmatch(element)
        if cell is None:
            return UNREADABLE
        style, cell_type, inner = cell.groups()
        if not inner:
            return None if cell_type in (None, "n") else UNREADABLE
        if cell_type == "inlineStr":
            inline = _INLINE.fullmatch(inner)
            return _rich_text(inline.group(1)) if inline else UNREADABLE
        parts = _FORMULA_AND_VALUE.fullmatch(inner)
        if parts is None or parts.group(1) is None:
            return UNREADABLE  # no cached value, or more than a formula and a value
        raw = parts.group(1)
        if cell_type is None or cell_type == "n":
            if raw == "":
                return None
            if not _NUMBER.fullmatch(raw) or not self._plain_style(int(style or 0)):
                return UNREADABLE
            return float(raw)
        if cell_type == "s":
            return self._shared_string(int(raw)) if _INDEX.fullmatch(raw) else UNREADABLE
        if cell_type == "str":
            return _text(raw)
        if cell_type == "b" and raw in ("0", "1"):
            return raw == "1"
        if cell_type == "e" and raw in ERROR_CODES:
            # python-calamine refuses the whole sheet for Excel 365's error values.
            return CellError(raw)
        return UNREADABLE  # ISO dates and anything else

    def _plain_style(self, style: int) -> bool:
        if self._plain_styles is None:
            self._plain_styles = self._read_plain_styles()
        return 0 <= style < len(self._plain_styles) and self._plain_styles[style]

    def _read_plain_styles(self) -> list[bool]:
        """For each cell format of ``xl/styles.xml``: True if it shows numbers as numbers."""
        if STYLES_PART not in self._package.parts:
            return []
        styles = self._package.text(STYLES_PART)
        custom: dict[int, str] = {}
        for attributes in _NUM_FMT.findall(styles):
            number_format, code = _NUM_FMT_ID.search(attributes), _FORMAT_CODE.search(attributes)
            if number_format and code:
                custom[int(number_format.group(1))] = code.group(1)
        formats = _CELL_XFS.search(styles)
        plain = []
        for attributes in _XF.findall(formats.group(1) or "") if formats else []:
            number_format = _NUM_FMT_ID.search(attributes)
            plain.append(
                _plain_number_format(int(number_format.group(1)) if number_format else 0, custom)
            )
        return plain

    def _shared_string(self, index: int) -> str | Unreadable:
        if self._shared_items is None:
            self._shared_items = self._read_shared_items()
        if index >= len(self._shared_items):
            return UNREADABLE
        text = self._shared_texts.get(index)
        if text is None:
            text = self._shared_texts[index] = _rich_text(self._shared_items[index])
        return text

    def _read_shared_items(self) -> list[str]:
        """The inner XML of every shared string item (none if calamine would not find them)."""
        if SHARED_STRINGS_PART not in self._package.parts:
            return []
        rels = parse_part(self._package, WORKBOOK_RELS, b"<Relationships/>")
        targets = [
            resolve_target("xl/workbook.xml", rel.get("Target", ""))
            for rel in relationships(rels)
            if rel.get("Type") == SHARED_STRINGS_REL
        ]
        if targets != [SHARED_STRINGS_PART]:
            return []
        return _SHARED_STRING.findall(self._package.text(SHARED_STRINGS_PART))
