"""The 自查情况 sheet: each branch's construction checklist, counted per section (version 2)."""

from __future__ import annotations

from collections.abc import Sequence

from workbook.outputs.summary.writer import SheetWriter

CHECKLIST_SHEET = "自查情况"


def write_checklist_sheet(w: SheetWriter) -> None:
    """One row per branch: entries met of those that apply, per section and in all, the entries
    answered 否 and the hints; a last row sums each section. Nothing without a version-2 workbook."""
    c = w.c
    checklist = c.standard.checklist
    if checklist is None or not any(entry.checklist is not None for entry in c.branches):
        return
    columns = [("排名", 6), ("支部名称", 18)]
    columns += [(f"{s.number}. {s.name}", 11) for s in checklist.sections]
    columns += [("合计", 8), ("缺项（答“否”）", 34), ("提示（不计分）", 40)]
    rows: list[Sequence[object]] = []
    met = [0] * len(checklist.sections)
    applicable = [0] * len(checklist.sections)
    for entry in c.branches:
        report = entry.checklist
        if report is None:
            rows.append(
                [entry.rank, entry.branch]
                + [""] * len(checklist.sections)
                + ["", "旧版模板，无自查表", ""]
            )
            continue
        counts = []
        for index, count in enumerate(report.sections):
            met[index] += count.met
            applicable[index] += count.applicable
            counts.append(f"{count.met}/{count.applicable}")
        rows.append(
            [
                entry.rank,
                entry.branch,
                *counts,
                f"{report.met}/{report.applicable}",
                "、".join(e.label for e in report.missing),
                "\n".join(h.text for h in report.hints),
            ]
        )
    rows.append(
        [None, "合计"]
        + [f"{m}/{a}" for m, a in zip(met, applicable, strict=True)]
        + [f"{sum(met)}/{sum(applicable)}", "", ""]
    )
    caption = "自查情况（已具备/应具备）"
    sheet, row = w.table(CHECKLIST_SHEET, caption, columns, rows)
    sheet.print_area(0, 0, row - 1, len(columns) - 1)
