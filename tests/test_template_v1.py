"""Version-1 workbooks still ``recalc`` and ``consolidate`` exactly as before.

``tests/data/template-v1.xlsx`` is the default template of version 1 (``git show
28be4c2:templates/assessment_template.xlsx``). ``tests/data/template-v1-golden.json`` is what
the version-1 code (main at 65efb70) printed, computed and reported for it, filled two ways
(valid, and with four invalid cells): exit codes, terminal messages, computed cells and the
JSON. Regenerate it only from version-1 code: ``PYTHONPATH=<a v1 checkout> python
tests/test_template_v1.py tests/data/template-v1.xlsx OUT_DIR``.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
from pathlib import Path

import openpyxl

from workbook.cli.main import main
from workbook.inputs.reader import read_branch_workbook, read_package_info

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "template-v1.xlsx"
GOLDEN = DATA / "template-v1-golden.json"
INPUTS = {
    "递铺分会第一支部": {"ded_1_2": 2, "note_1_2": "发展党员程序不全", "ded_7_1": 12.5},
    "递铺分会第二支部": {
        "ded_1_1": 15,
        "ded_1_2": 3,
        "ded_6_4": 0.5,
        "ded_7_1": 10,
        "veto_2": "否",
    },
    "孝丰分会支部": {"ded_7_1": 3, "veto_3": "是"},
    "天荒坪分会支部": {"ded_4_2": 2.5, "ded_5_3": 2},
}
BAD = {"梅溪分会支部": {"ded_1_2": 5, "ded_2_1": "三分", "ded_6_4": 0.25, "veto_1": "可能"}}


def fill(src, dst, inputs):
    info = read_package_info(src)
    book = openpyxl.load_workbook(src)
    for sheet, values in inputs.items():
        for name, value in values.items():
            ref = info.local_names[sheet][name]
            book[sheet].cell(ref.row + 1, ref.col + 1).value = value
    book.save(dst)


def run(args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def record(fixture: Path, work: Path) -> dict:
    result = {}
    for case, inputs in (("good", INPUTS), ("bad", {**INPUTS, **BAD})):
        folder = work / case
        folder.mkdir()
        filled = folder / "filled.xlsx"
        fill(fixture, filled, inputs)
        code, out, err = run(["recalc", str(filled), "-o", str(folder / "recalc.xlsx")])
        values = {
            s.sheet: {
                n: (str(v) if v is not None else None)
                for n, v in sorted(s.values.items())
                if n.startswith(("item_", "total", "grade", "check_", "veto_check"))
            }
            for s in read_branch_workbook(folder / "recalc.xlsx").sheets
        }
        ccode, cout, cerr = run(
            [
                "consolidate",
                str(filled),
                "-o",
                str(folder / "s.xlsx"),
                "--json",
                str(folder / "s.json"),
            ]
        )
        data = json.loads((folder / "s.json").read_text())
        for branch in data["branches"]:
            # Keys version 2 adds to every branch (null for a version-1 sheet).
            assert branch.pop("self", None) is None
            assert branch.pop("checklist", None) is None
            # Keys issue 9 adds to every branch: no tally on a version-1 sheet, one assessor.
            assert branch.pop("survey", None) is None
            assert branch.pop("combination", None) is None
            assert len(branch.pop("assessors")) == 1
            branch["file"] = branch["file"].replace(str(work), "<dir>")
        result[case] = {
            "recalc": [code, out.replace(str(work), "<dir>"), err.replace(str(work), "<dir>")],
            "values": values,
            "consolidate": [
                ccode,
                cout.replace(str(work), "<dir>"),
                cerr.replace(str(work), "<dir>"),
            ],
            "json_branches": data["branches"],
            "json_errors": [
                {**e, "file": e["file"].replace(str(work), "<dir>")} for e in data["errors"]
            ],
        }
    return result


def test_version_1_recalc_and_consolidate_are_unchanged(tmp_path: Path) -> None:
    before = FIXTURE.read_bytes()
    got = record(FIXTURE, tmp_path)
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for case in ("good", "bad"):
        for key in ("recalc", "values", "consolidate", "json_branches", "json_errors"):
            assert got[case][key] == expected[case][key], (case, key)
    assert FIXTURE.read_bytes() == before


def test_the_fixture_is_version_1(tmp_path: Path) -> None:
    info = read_package_info(FIXTURE)
    assert info.properties["kp_template_version"] == "1"
    assert not any(
        n.startswith(("self_", "cl_", "hint_")) for n in info.local_names["孝丰分会支部"]
    )


if __name__ == "__main__":
    work = Path(sys.argv[2])
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    print(json.dumps(record(Path(sys.argv[1]), work), ensure_ascii=False, indent=1, sort_keys=True))


def test_self_threshold_on_workbooks_without_a_self_column_says_it_does_nothing(
    tmp_path: Path, capsys
) -> None:
    from workbook.outputs.template import TemplateOptions, write_template

    notice = (
        "提示：--self-threshold 只用于有自评栏的考评定级表（模板版本 2），"
        "这次汇总的表都没有自评栏，不起作用"
    )
    old = shutil.copy(FIXTURE, tmp_path / "旧版.xlsx")
    args = ["consolidate", str(old), "-o", str(tmp_path / "a.xlsx"), "--draft"]
    main([*args, "--self-threshold", "3"])
    assert notice in capsys.readouterr().err
    main(args)  # the default threshold: nothing to say
    assert notice not in capsys.readouterr().err
    new = write_template(tmp_path / "新版.xlsx", TemplateOptions(branches=["第一支部"]))
    code = main(["consolidate", str(new), "-o", str(tmp_path / "b.xlsx"), "--self-threshold", "3"])
    assert code == 0
    assert notice not in capsys.readouterr().err
