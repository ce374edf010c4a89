"""templates/assessment_template.xlsx is exactly what the code generates."""

from __future__ import annotations

from pathlib import Path

from workbook.inputs.reader import read_branch_workbook
from workbook.outputs.demo import default_template_options
from workbook.outputs.template import DEFAULT_TEMPLATE, write_template

from support.xlsx_compare import package_differences


def test_default_template_has_not_drifted(tmp_path: Path) -> None:
    got = write_template(tmp_path / "got.xlsx", default_template_options())
    differences = package_differences(DEFAULT_TEMPLATE, got)
    assert not differences, (
        "templates/assessment_template.xlsx differs from the generated template; if the change is"
        " deliberate, run scripts/update_default_template.py.\n" + "\n".join(differences[:10])
    )
    assert DEFAULT_TEMPLATE.read_bytes() == got.read_bytes()


def test_default_template_holds_the_demo_branches() -> None:
    book = read_branch_workbook(DEFAULT_TEMPLATE)
    options = default_template_options()
    assert [sheet.branch_name for sheet in book.sheets] == list(options.branches)
    assert book.standard_id == "anji-2012-6"
    assert book.year == str(options.year)


def test_comparison_names_the_drifted_part(tmp_path: Path) -> None:
    """The drift check itself can fail, and says where."""
    options = default_template_options()
    changed = write_template(
        tmp_path / "changed.xlsx",
        type(options)([*list(options.branches)[:-1], "改名支部"], options.year, options.formulas),
    )
    differences = package_differences(DEFAULT_TEMPLATE, changed)
    assert any(d.startswith("part xl/workbook.xml differs") for d in differences)
    assert any("改名支部" in d for d in differences)
