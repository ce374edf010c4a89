"""A problem found in the inputs, located by file, sheet and cell (the consolidation's edge)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """Something wrong with the inputs: where it is (file, sheet, cell) and what, in Chinese."""

    file: str
    sheet: str | None
    cell: str | None  # A1 address within ``sheet``
    message: str

    @property
    def place(self) -> str:
        """``文件 X，第一支部!E5`` style location for messages."""
        if self.sheet and self.cell:
            return f"{self.file}，{self.sheet}!{self.cell}"
        if self.sheet:
            return f"{self.file}，工作表“{self.sheet}”"
        return self.file

    def text(self) -> str:
        """One line for the terminal: the place, then the message."""
        return f"{self.place}：{self.message}"

    def as_json(self) -> dict[str, Any]:
        """The problem as the JSON report writes it."""
        return {"file": self.file, "sheet": self.sheet, "cell": self.cell, "message": self.message}
