#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian/Ubuntu machine and run all of it:
# LibreOffice (headless), Gnumeric (ssconvert), poppler-utils and CJK fonts from apt; the project
# with its test extras in .venv; then ruff, mypy, pytest and the wheel check
# (scripts/check_wheel.sh). This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
command -v ssconvert >/dev/null 2>&1 || missing+=(gnumeric)
# LibreOffice's Python bridge: tests drive LibreOffice as a user would (tests/support/lo_driver.py).
/usr/bin/python3 -c "import uno" >/dev/null 2>&1 || missing+=(python3-uno)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if ! (command -v fc-list >/dev/null 2>&1 && fc-list 2>/dev/null | grep -i "CJK" >/dev/null); then
  missing+=(fonts-noto-cjk)
fi
if ((${#missing[@]})); then
  echo "Installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
# -n auto: one worker per core (pytest-xdist); every LibreOffice run has its own profile.
.venv/bin/pytest -n auto
echo "== wheel"
bash scripts/check_wheel.sh
