"""LibreOffice and Gnumeric compute the version-2 cells (自评 scores, total, grade, the combined
检查 cells and the checklist hints) exactly as the engine does, in both formula modes."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbook.core.standard import Standard

from support.gnumeric import recalculate, requires_gnumeric
from support.libreoffice import convert, requires_libreoffice
from support.version_two_cases import all_cells, filled_version_two, version_two_mismatches


@pytest.mark.libreoffice
@requires_libreoffice
@pytest.mark.parametrize("mode", ["xlwings", "native"])
def test_libreoffice_agrees_on_version_two_cells(
    tmp_path: Path, standard: Standard, mode: str
) -> None:
    branches = all_cells(standard)
    filled = filled_version_two(tmp_path, standard, branches, mode)
    recalculated = convert(filled, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo", recalculate=True)
    wrong = version_two_mismatches(standard, recalculated, branches, "LibreOffice")
    assert not wrong, f"{len(wrong)} cells differ:\n" + "\n".join(wrong[:30])


def test_the_cases_cover_what_they_should(standard: Standard) -> None:
    """Flagged, exact-threshold, capped, vetoed, not filled and invalid 自评; every hint."""
    from support.version_two_cases import expected_version_two

    shown = [expected_version_two(standard, cells) for cells in all_cells(standard).values()]
    grades = {cells["self_grade"] for cells in shown}
    assert {"好", "较好", "较差", "未自评", "待修正"} <= grades
    for hint in ("hint_1_1", "hint_4_2", "hint_5_3"):
        assert any(cells[hint] for cells in shown), hint
    assert any("\n" in (cells["hint_4_2"] or "") for cells in shown)  # two hints beside 4.2
    assert any("；自评" in (cells["check_1_1"] or "") for cells in shown) or any(
        "；自评" in str(v) for cells in shown for v in cells.values()
    )


@requires_gnumeric
@pytest.mark.parametrize("mode", ["xlwings", "native"])
def test_gnumeric_agrees_on_version_two_cells(
    tmp_path: Path, standard: Standard, mode: str
) -> None:
    branches = all_cells(standard, random_count=30)
    filled = filled_version_two(tmp_path, standard, branches, mode)
    recalculated = recalculate(filled, tmp_path / "gnumeric.xlsx")
    wrong = version_two_mismatches(standard, recalculated, branches, "Gnumeric")
    assert not wrong, f"{len(wrong)} cells differ:\n" + "\n".join(wrong[:30])
