"""``recalc`` streams the package: its memory is bounded by the largest part, not the package.

Measured with tracemalloc (every Python allocation, bytes and text included) around
``recalc_file`` of a workbook whose branch sheets are padded with long text far below the
form: the package is many times its largest part. A recalculation that held every part, or
every sheet's text, at once would need at least the package's size.
"""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import pytest

from workbook.core.scoring import RawBranchInputs
from workbook.outputs.file_book import recalc_file
from workbook.outputs.template import TemplateOptions, write_template
from workbook.xlsx.package import Package
from workbook.xlsx.parts import workbook_sheets

BRANCHES = 24
PADDING_ROWS = 120  # each a cell of 10,000 characters: about 1.2 MB a sheet


def _padded_workbook(folder: Path) -> Path:
    """A filled template whose branch sheets each carry about 1.2 MB of text in column AZ."""
    names = [f"第{i + 1:02d}支部" for i in range(BRANCHES)]
    inputs = {
        name: RawBranchInputs(
            deductions={"1.2": 2, "7.1": i % 20, **({"1.3": 5} if i == 3 else {})}
        )
        for i, name in enumerate(names)
    }
    template = folder / "template.xlsx"
    write_template(template, TemplateOptions(branches=names, formulas="xlwings", inputs=inputs))
    with Package(template) as package:
        sheet_parts = {e.part for e in workbook_sheets(package) if e.name in inputs}
    padding = "".join(
        f'<row r="{row}"><c r="AZ{row}" t="inlineStr"><is><t>{"填" * 10}{"x" * 9990}</t></is></c></row>'
        for row in range(3001, 3001 + PADDING_ROWS)
    ).encode("utf-8")
    padded = folder / "padded.xlsx"
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(padded, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename in sheet_parts:
                data = data.replace(b"</sheetData>", padding + b"</sheetData>", 1)
            target.writestr(info, data, zipfile.ZIP_DEFLATED)
    return padded


def test_recalc_memory_is_bounded_by_the_largest_part_not_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Package, "CACHE_BYTES", 1 << 20)
    path = _padded_workbook(tmp_path)
    with zipfile.ZipFile(path) as package:
        sizes = [info.file_size for info in package.infolist()]
    largest, total = max(sizes), sum(sizes)
    # What the bound allows: the parts cache (made small here, as it is a constant), a few
    # copies of the largest part (its bytes, its text, twice as large for Chinese text, the
    # edited text and its bytes) and the workbook's names and scores.
    bound = Package.CACHE_BYTES + 12 * largest
    # The workbook is large enough for the test to mean something: holding every part's
    # bytes (or every sheet's text, twice their size) at once would break the bound.
    assert total > 1.5 * bound

    tracemalloc.start()
    try:
        report = recalc_file(path, tmp_path / "out.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(report.branches) == BRANCHES
    assert len(report.problems) == 1
    assert peak >= largest  # the measurement sees the parts it reads
    assert peak < bound, (
        f"peak {peak >> 20} MiB; largest part {largest >> 20} MiB, package {total >> 20} MiB"
    )
    with zipfile.ZipFile(tmp_path / "out.xlsx") as out:
        assert out.testzip() is None
        assert sum(info.file_size for info in out.infolist()) > total  # padding kept, 总览 added
