"""Year over year: grade movements between two years' results. Pure.

Input is what a consolidation's JSON gives per branch (total and grade; None while pending);
the caller reads the files. Branch names are matched exactly, after last year's names are
renamed by a rename map (old name -> new name).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from workbook.errors import ComparisonError

DEFAULT_FLAG_LEVELS = 2


@dataclass(frozen=True)
class YearResult:
    """One branch's result in one year."""

    total: Decimal | None  # None while the branch's inputs are invalid (待修正)
    grade: str | None
    rank: int | None = None


@dataclass(frozen=True)
class BranchMovement:
    """A branch present in both years."""

    branch: str  # this year's name
    previous_name: str  # last year's name (differs when renamed)
    previous: YearResult
    current: YearResult
    change: Decimal | None  # this year's total minus last year's
    levels: (
        int | None
    )  # grade levels moved: positive up (较好 -> 好 is +1), None if a grade is missing
    flagged: bool  # moved by the flag's number of levels or more, either way

    @property
    def renamed(self) -> bool:
        """True when the branch had another name last year."""
        return self.branch != self.previous_name


@dataclass(frozen=True)
class YearComparison:
    """Two years side by side."""

    grades: tuple[str, ...]  # highest first: the rows and columns of the matrix
    matrix: tuple[tuple[int, ...], ...]  # matrix[i][j]: branches from grades[i] to grades[j]
    movements: tuple[BranchMovement, ...]  # branches in both years, in this year's order
    new: tuple[str, ...]  # only this year, in this year's order
    gone: tuple[str, ...]  # only last year (last year's names), in last year's order
    unused_renames: tuple[str, ...]  # old names of the rename map not found last year
    flag_levels: int

    def count(self, from_grade: str, to_grade: str) -> int:
        """How many branches went from ``from_grade`` last year to ``to_grade`` this year."""
        return self.matrix[self.grades.index(from_grade)][self.grades.index(to_grade)]

    @property
    def flagged(self) -> tuple[BranchMovement, ...]:
        """The branches to look at again."""
        return tuple(m for m in self.movements if m.flagged)


MAX_RENAME_PROBLEMS = 10  # lines of a rename map named in one message


def parse_rename_rows(rows: Iterable[Sequence[object]], source: str = "改名表") -> dict[str, str]:
    """A rename map from two-column rows (old name, new name), first row already skipped if it
    is a header. Blank rows are ignored.

    Raises:
        ComparisonError: naming the row: a missing name, a name renamed twice, two old names
            given the same new name, or an old name equal to its new name.
    """
    renames: dict[str, str] = {}
    new_rows: dict[str, int] = {}
    problems: list[str] = []
    for number, row in enumerate(rows, start=1):
        cells = ["" if v is None else str(v).strip() for v in row]
        cells += [""] * (2 - len(cells))
        if not any(cells):
            continue
        where = f"{source} 第{number}行"
        old, new = cells[0], cells[1]
        if len(cells) > 2 and any(cells[2:]):
            problems.append(f"{where}：只应有两列（原名称、新名称）")
        elif not old or not new:
            sign = next((c for c in "，、；;" if c in old + new), None)
            if sign is not None:
                problems.append(
                    f"{where}：原名称和新名称之间应用英文逗号“,”或 Tab 分隔（本行用的是“{sign}”）"
                )
            else:
                problems.append(f"{where}：原名称和新名称都要填写")
        elif old == new:
            problems.append(f"{where}：原名称与新名称相同（“{old}”）")
        elif old in renames:
            problems.append(f"{where}：“{old}”已在前面改名为“{renames[old]}”")
        elif new in new_rows:
            problems.append(f"{where}：新名称“{new}”已在第{new_rows[new]}行使用")
        else:
            renames[old] = new
            new_rows[new] = number
    if problems:
        shown = problems[:MAX_RENAME_PROBLEMS]
        if len(problems) > len(shown):
            # A wrong file (a branch list, a JSON) would fill the screen with one line each.
            shown.append(
                f"{source} 共有 {len(problems)} 行有问题，只列出前 {len(shown)} 行；"
                "请确认给出的是改名表（每行“原名称,新名称”）"
            )
        raise ComparisonError("；".join(shown))
    return renames


def compare_years(
    grades: Sequence[str],
    previous: Mapping[str, YearResult],
    current: Mapping[str, YearResult],
    renames: Mapping[str, str] | None = None,
    flag_levels: int = DEFAULT_FLAG_LEVELS,
) -> YearComparison:
    """Compare last year's results with this year's.

    Args:
        grades: the grade names, highest first (``[g.name for g in standard.grades]``).
        previous: last year's name -> result, in last year's order.
        current: this year's name -> result, in this year's order.
        renames: last year's name -> this year's name.
        flag_levels: a move of this many grade levels or more is flagged.

    Raises:
        ComparisonError: a grade that is not one of ``grades``; a rename onto a name last year
            already had for another branch.
    """
    renames = dict(renames or {})
    problems: list[str] = []
    for year, results in (("上年", previous), ("本年", current)):
        for name, result in results.items():
            if result.grade is not None and result.grade not in grades:
                problems.append(
                    f"{year}“{name}”的等级“{result.grade}”不是本标准的等级（{'、'.join(grades)}）"
                )
    for old_name, new_name in renames.items():
        if old_name in previous and new_name in previous and renames.get(new_name) is None:
            problems.append(f"改名“{old_name}”→“{new_name}”：上年已有名为“{new_name}”的支部")
    if problems:
        raise ComparisonError("；".join(problems))

    by_new_name = {renames.get(name, name): name for name in previous}
    size = len(grades)
    matrix = [[0] * size for _ in range(size)]
    movements: list[BranchMovement] = []
    new: list[str] = []
    for name, result in current.items():
        matched_name = by_new_name.get(name)
        if matched_name is None:
            new.append(name)
            continue
        before = previous[matched_name]
        levels: int | None = None
        if before.grade is not None and result.grade is not None:
            from_index, to_index = grades.index(before.grade), grades.index(result.grade)
            matrix[from_index][to_index] += 1
            levels = from_index - to_index
        change = (
            result.total - before.total
            if result.total is not None and before.total is not None
            else None
        )
        movements.append(
            BranchMovement(
                branch=name,
                previous_name=matched_name,
                previous=before,
                current=result,
                change=change,
                levels=levels,
                flagged=levels is not None and abs(levels) >= flag_levels,
            )
        )
    matched = {m.previous_name for m in movements}
    return YearComparison(
        grades=tuple(grades),
        matrix=tuple(tuple(row) for row in matrix),
        movements=tuple(movements),
        new=tuple(new),
        gone=tuple(name for name in previous if name not in matched),
        unused_renames=tuple(old for old in renames if old not in previous),
        flag_levels=flag_levels,
    )
