"""Shared fixtures: the standard and the notice's text (helpers live in tests/support)."""

from __future__ import annotations

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
