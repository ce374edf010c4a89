"""The one problem type: something wrong with the inputs, said in the standard's terms.

The engine keys a problem by what it is about in the standard: a rule id (``"1.2"``: the rule's
扣分, or with ``note`` its 扣分说明; ``"B.1"`` a bonus rule's 加分 or 加分说明), a veto number
(``1`` for 否决情形（1）), or the key of another input (a survey count such as ``"q1.满意"``, a
checklist entry, the assessor, a key of a standard file such as ``items[2].rules[1]``). It knows
no file, sheet or cell: the edge that read the inputs adds where the problem is with ``at``
(``consolidate`` the file, sheet and cell; ``recalc`` and the Excel adapter the sheet and cell),
and ``names.problem_name`` gives the defined name of the cell a problem is about.

The same type carries the problems of a sheet's layout (``inputs.sheet_contract``: a cell, or
the whole sheet), of combining several assessors (``core.assessors``: the ``sources`` involved)
and of a standard file (``core.standard_check``: its ``line``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

__all__ = ["Problem"]


@dataclass(frozen=True)
class Problem:
    """Something wrong with the inputs: what (in Chinese), what it is about, and where."""

    message: str
    rule: str | None = None  # the rule ("1.2") whose 扣分 (with ``note``: 扣分说明) is wrong
    veto: int | None = None  # the veto (1-based) whose cell is wrong
    note: bool = False
    key: str | None = None  # any other input: a survey count, a checklist entry, a file's key
    short: str = ""  # the text a check cell shows, e.g. “输入有误：应为0或15”
    value: object = None  # the value as read
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None  # A1 address within ``sheet``
    line: int | None = None  # the line of a text file (a standard file) the problem is on
    sources: tuple[str, ...] = ()  # the inputs involved, when a problem spans several

    @property
    def subject(self) -> str:
        """What the problem is about in one word: ``1.2``, ``1.2说明``, ``否决1`` or the key."""
        if self.veto is not None:
            return f"否决{self.veto}"
        if self.rule is not None:
            return f"{self.rule}说明" if self.note else self.rule
        return self.key or ""

    def at(
        self, file: str | None = None, sheet: str | None = None, cell: str | None = None
    ) -> Problem:
        """The same problem located (only the parts given are set)."""
        return dataclasses.replace(
            self,
            file=self.file if file is None else file,
            sheet=self.sheet if sheet is None else sheet,
            cell=self.cell if cell is None else cell,
        )

    @property
    def place(self) -> str:
        """``文件，第一支部!E5`` (or ``第一支部!E5`` where there is no file) for messages."""
        if self.sheet and self.cell:
            where = f"{self.sheet}!{self.cell}"
        elif self.sheet:
            where = f"工作表“{self.sheet}”"
        else:
            return self.file or ""
        return f"{self.file}，{where}" if self.file else where

    def text(self) -> str:
        """One line for the terminal: the place, then the message."""
        return f"{self.place}：{self.message}" if self.place else self.message

    def __str__(self) -> str:
        return self.text()

    def as_json(self) -> dict[str, Any]:
        """The problem as the JSON report writes it."""
        return {"file": self.file, "sheet": self.sheet, "cell": self.cell, "message": self.message}
