"""Help text laid out by display width: Chinese characters take two columns of a terminal.

click measures and wraps help with ``len`` and breaks lines only at spaces, so a Chinese
option description overflows an 80-column console, a long sentence is cut at whatever space
it holds (or in the middle of "LibreOffice"), a line can begin with "，" and descriptions
after a Chinese metavar (``--branch 名称``) stand two columns off the others. The formatter
here keeps click's layout (the same paragraphs, ``\\b`` blocks, indents and columns) and
wraps by display width: between any two Chinese characters, at spaces between other words,
never before closing punctuation nor after opening punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence

import click

__all__ = ["HelpFormatter", "display_width", "use_for", "wrap_text"]

# A line never starts with these, nor ends with the opening ones (Chinese line-breaking rules).
_CLOSING = frozenset("，。、；：？！）》」』】〕”\u2019…～%,.;:?!)]}")
_OPENING = frozenset("（《「『【〔“\u2018([{")
# A unit of text: whitespace, a run of narrow characters that are no space, or one character.
_UNIT = re.compile(r"\s+|[!-~\u00a0-\u10ff]+|.", re.S)


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def _pieces(text: str) -> list[tuple[str, bool]]:
    """The pieces a line may break between: (text, whether a space came before it)."""
    pieces: list[tuple[str, bool]] = []
    spaced = False
    for unit in _UNIT.findall(text):
        if unit.isspace():
            spaced = bool(pieces)
            continue
        glue = bool(pieces) and not spaced
        if glue and (unit[0] in _CLOSING or pieces[-1][0][-1] in _OPENING):
            pieces[-1] = (pieces[-1][0] + unit, pieces[-1][1])
        else:
            pieces.append((unit, spaced))
        spaced = False
    return pieces


def _fill(text: str, width: int, initial_indent: str, subsequent_indent: str) -> str:
    lines: list[str] = []
    line, used = initial_indent, display_width(initial_indent)
    empty = True
    for piece, spaced in _pieces(text):
        size = display_width(piece)
        gap = 1 if spaced and not empty else 0
        if not empty and used + gap + size > width:
            lines.append(line)
            line, used, empty, gap = subsequent_indent, display_width(subsequent_indent), True, 0
        line += " " * gap + piece
        used += gap + size
        empty = False
    lines.append(line)
    return "\n".join(lines)


def _join(lines: Sequence[str]) -> str:
    """Lines of one paragraph as one text: a space between them, as between words, except
    where two Chinese characters meet (Chinese text has no spaces)."""
    text = ""
    for line in lines:
        if text and not (_wide(text[-1]) and _wide(line[0])):
            text += " "
        text += line
    return text


def wrap_text(
    text: str,
    width: int = 78,
    initial_indent: str = "",
    subsequent_indent: str = "",
    preserve_paragraphs: bool = False,
) -> str:
    """``click.wrap_text`` by display width (see the module's note): paragraphs are separated
    by blank lines; a paragraph whose first line is ``\\b`` is kept as written, only indented."""
    text = text.expandtabs()
    if not preserve_paragraphs:
        return _fill(_join(text.split("\n")), width, initial_indent, subsequent_indent)
    paragraphs: list[tuple[int, bool, list[str]]] = []
    block: list[str] = []
    indent: int | None = None

    def flush() -> None:
        if block:
            raw = block[0].strip() == "\b"
            paragraphs.append((indent or 0, raw, block[1:] if raw else list(block)))
            block.clear()

    for line in text.splitlines():
        if not line:
            flush()
            indent = None
            continue
        if indent is None:
            stripped = line.lstrip()
            indent = len(line) - len(stripped)
            line = stripped
        block.append(line)
    flush()
    result = []
    for extra, raw, lines in paragraphs:
        first, rest = initial_indent + " " * extra, subsequent_indent + " " * extra
        if raw:
            result.append("\n".join((first if i == 0 else rest) + s for i, s in enumerate(lines)))
        else:
            result.append(_fill(_join(lines), width, first, rest))
    return "\n\n".join(result)


class HelpFormatter(click.HelpFormatter):
    """click's help formatter, measuring and wrapping by display width."""

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        self.write(wrap_text(text, self.width, indent, indent, preserve_paragraphs=True))
        self.write("\n")

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = list(rows)
        if not rows:
            return
        first_width = min(max(display_width(first) for first, _ in rows), col_max)
        first_col = first_width + col_spacing
        margin = " " * self.current_indent
        for first, second in rows:
            self.write(f"{margin}{first}")
            if not second:
                self.write("\n")
                continue
            if display_width(first) <= first_width:
                self.write(" " * (first_col - display_width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            text_width = max(self.width - first_col - 2, 10)
            lines = wrap_text(second, text_width, preserve_paragraphs=True).splitlines()
            self.write(f"{lines[0]}\n" if lines else "\n")
            for line in lines[1:]:
                self.write(f"{' ' * (first_col + self.current_indent)}{line}\n" if line else "\n")


class _Context(click.Context):
    formatter_class = HelpFormatter


def use_for(command: click.Command) -> None:
    """Lay out the help of ``command`` and of every command under it with ``HelpFormatter``."""
    for each in _walk(command):
        each.context_class = _Context


def _walk(command: click.Command) -> Iterator[click.Command]:
    yield command
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _walk(sub)
