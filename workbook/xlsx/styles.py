"""Cell formats in ``xl/styles.xml``: the mark of an invalid input cell (added, recognised,
removed) and the few formats of a plain table.
"""

from __future__ import annotations

import re

from workbook.errors import WorkbookReadError
from workbook.xlsx.cell_edit import start_tag

__all__ = [
    "MARK_FILL",
    "MARK_RGB",
    "MarkStyles",
]

# The fill of a marked (invalid) input cell. An unusual colour, so a fill the user chose is
# never mistaken for a mark.
MARK_RGB = "FFF4B6B6"
MARK_FILL = (
    f'<fill><patternFill patternType="solid"><fgColor rgb="{MARK_RGB}"/>'
    '<bgColor indexed="64"/></patternFill></fill>'
)

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
        self._originals: dict[int, int] = {}  # format -> ``original`` of it

    @staticmethod
    def _key(xf: str) -> str:
        return _FILL_ID.sub("", xf)

    def _fill_id(self, xf: str) -> int:
        match = re.search(r'\bfillId="(\d+)"', xf)
        return int(match.group(1)) if match else 0

    def is_mark(self, style: int) -> bool:
        """True if format ``style`` is a mark format."""
        if self._mark_fill is None or style < 0:
            return False
        existing = len(self._xfs)
        if style < existing:
            xf = self._xfs[style]
        elif style - existing < len(self._new_xfs):
            xf = self._new_xfs[style - existing]
        else:
            return False
        return self._fill_id(xf) == self._mark_fill

    def marked(self, style: int) -> int:
        """The mark format for a cell whose format is ``style`` (created if needed)."""
        if self.is_mark(style):
            return style
        xfs = self._xfs + self._new_xfs
        base = xfs[style] if 0 <= style < len(xfs) else xfs[0]
        if self._mark_fill is None:
            self._mark_fill = len(self._fills) + len(self._new_fills)
            self._new_fills.append(MARK_FILL)
            self._originals.clear()
        key = self._key(base)
        for index, xf in enumerate(xfs):
            if self._fill_id(xf) == self._mark_fill and self._key(xf) == key:
                return index
        start = start_tag(base)
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
        # Formats are only ever appended, so what a format index is stays what it is: each
        # is looked at once (recalculation asks this for every input cell of every sheet).
        known = self._originals.get(style)
        if known is None:
            known = self._originals[style] = self._original(style)
        return known

    def _original(self, style: int) -> int:
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
    start = start_tag(match.group(0))
    if start.endswith("/>"):
        start = start[:-2].rstrip() + ">"
    start = re.sub(r'\bcount="\d+"', f'count="{len(children)}"', start)
    if "count=" not in start:
        start = start[:-1] + f' count="{len(children)}">'
    return xml[: match.start()] + start + "".join(children) + f"</{tag}>" + xml[match.end() :]
