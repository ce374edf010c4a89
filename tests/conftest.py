"""Shared fixtures: the standard, LibreOffice, and small workbook helpers."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from workbook.core.standard import Standard, load_standard

TESTS = Path(__file__).parent
NOTICE = (
    TESTS / "data" / "notice-2012-6.txt"
)  # a verbatim copy of shared/standard/notice-2012-6.txt


@pytest.fixture(scope="session")
def standard() -> Standard:
    return load_standard("anji-2012-6")


@pytest.fixture(scope="session")
def notice_text() -> str:
    return NOTICE.read_text(encoding="utf-8")


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


requires_libreoffice = pytest.mark.skipif(
    soffice_path() is None and not os.environ.get("CI"),
    reason="LibreOffice (soffice) is not installed; scripts/test.sh installs it",
)
