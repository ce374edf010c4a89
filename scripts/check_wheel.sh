#!/usr/bin/env bash
# Install from a wheel, not a clone: build the sdist and the wheel (`python -m build`, the wheel is
# built from the unpacked sdist), install the wheel with
# its [excel] extra into a fresh virtual environment outside the source tree, and run what staff
# run from there. Fails when anything the package needs at run time is missing from the wheel.
# Needs network only for PyPI (the build backend and the dependencies). scripts/test.sh calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
python=${PYTHON:-$repo/.venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset PYTHONPATH

# Build from a copy of the files git tracks (or would track): what a fresh clone has, without
# build/ or *.egg-info left by earlier builds or by `pip install -e .`, which could hide an omission.
mkdir "$work/src"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work/src"
if ! "$python" -m build --outdir "$work/dist" "$work/src" >"$work/build.log" 2>&1; then
  cat "$work/build.log"
  exit 1
fi
wheels=("$work"/dist/*.whl)
python3 -m venv "$work/venv"
if ! "$work/venv/bin/python" -m pip install -q "${wheels[0]}[excel]" >"$work/pip.log" 2>&1; then
  cat "$work/pip.log"
  exit 1
fi

cd "$work"  # outside the clone: nothing can be imported from it
"$work/venv/bin/python" - "$repo" <<'EOF'
import sys
from pathlib import Path

import workbook
import xlplugin
from workbook.core.standard import available_standards, load_standard
from workbook.outputs.template import DEFAULT_TEMPLATE

venv = Path(sys.prefix).resolve()
repo = Path(sys.argv[1])
for path in (workbook.__file__, xlplugin.__file__, DEFAULT_TEMPLATE):
    assert venv in Path(path).resolve().parents, f"{path} is not from the installed wheel"
for package in (workbook, xlplugin):  # PEP 561: the packages' type hints are for their users
    assert (Path(package.__file__).parent / "py.typed").is_file(), f"{package.__name__}: no py.typed"
assert DEFAULT_TEMPLATE.read_bytes() == (repo / "templates" / "assessment_template.xlsx").read_bytes()
assert available_standards() == sorted(p.stem for p in (repo / "workbook" / "standards").glob("*.toml"))
for standard_id in available_standards():
    load_standard(standard_id)
print(f"wheel: packages, {len(available_standards())} standard(s) and the default template come from {venv}")
EOF
"$work/venv/bin/branch-assess" demo -o "$work/demo"
"$work/venv/bin/branch-assess" addin build -o "$work/addin"
test -s "$work/addin/xlplugin.xlam"
echo "wheel: ${wheels[0]##*/} installs and runs demo and addin build"
