"""Text as a spreadsheet cell can hold it: characters XML cannot carry, and the length limit.

Every writer of the project passes user text (branch names, notes, file names, messages that
quote an input) through here:

- ``ooxml_escape`` for XML the project writes itself (``recalc``'s 总览, notes and cells):
  control characters become ``_xHHHH_`` as Excel writes them (a literal ``_xHHHH_`` is
  protected as ``_x005F_xHHHH_``), then ``& < >`` are escaped;
- ``visible_text`` for text handed to a library that escapes control characters itself
  (XlsxWriter's shared strings) or to JSON: what neither can carry (U+FFFE, U+FFFF, lone
  surrogates from undecodable file names) becomes U+FFFD, visibly;
- ``fit_cell`` cuts text longer than a cell holds (32,767 characters) and marks the cut.
"""

from __future__ import annotations

import re

MAX_CELL_CHARS = 32767  # Excel's limit, counted in UTF-16 code units
TRUNCATED_MARK = "…（已截断）"
REPLACEMENT = "\ufffd"

# Characters XML 1.0 cannot carry, and the literal escapes that must be protected.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_INVISIBLE = re.compile("[\ud800-\udfff\ufffe\uffff]")  # what ``visible_text`` replaces
_LITERAL_ESCAPE = re.compile("(_x[0-9A-Fa-f]{4}_)")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def visible_text(text: str) -> str:
    """``text`` with characters no XML or UTF-8 file can hold (U+FFFE, U+FFFF, lone
    surrogates) replaced by U+FFFD; control characters are left to the writer to escape."""
    return _INVISIBLE.sub(REPLACEMENT, text)


def without_control(text: str) -> str:
    """``text`` with every character XML cannot carry replaced by U+FFFD (for places where
    no escape exists, such as sheet names and attribute values)."""
    return _NOT_XML.sub(REPLACEMENT, text)


def ooxml_escape(text: str) -> str:
    """``text`` for an OOXML text element: ``_xHHHH_`` escapes, then XML escaping."""
    text = _SURROGATE.sub(REPLACEMENT, text)
    text = _LITERAL_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    return _escape(text)


def _escape(text: str) -> str:
    """``& < >`` escaped, as ``xml.sax.saxutils.escape`` does (not imported: it loads
    ``urllib.request``, and with it ``http``, ``ssl`` and ``email``, into every command)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def utf16_length(text: str) -> int:
    """The length Excel counts: UTF-16 code units (a character beyond U+FFFF counts 2)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def fit_cell(text: str, limit: int = MAX_CELL_CHARS) -> tuple[str, bool]:
    """``text`` cut to fit a cell (ending in ``…（已截断）``) and whether it was cut."""
    if len(text) <= limit // 2 or utf16_length(text) <= limit:
        return text, False
    room = limit - len(TRUNCATED_MARK)
    kept: list[str] = []
    used = 0
    for ch in text:
        size = 2 if ord(ch) > 0xFFFF else 1
        if used + size > room:
            break
        kept.append(ch)
        used += size
    return "".join(kept) + TRUNCATED_MARK, True


HEADER_FOOTER_LIMIT = 255  # characters of a page header or footer, codes included


def header_footer(before: str, text: str, after: str) -> str:
    """A page header/footer ``before + text + after`` with user ``text`` made safe: ``&``
    doubled (it starts a code), characters XML cannot carry replaced, and the text cut with
    ``…`` so the whole stays within Excel's 255 characters."""
    safe = without_control(text).replace("&", "&&")
    room = HEADER_FOOTER_LIMIT - len(before) - len(after)
    if len(safe) > room:
        safe = safe[: max(room - 1, 0)].rstrip("&") + "…"
    return before + safe + after
