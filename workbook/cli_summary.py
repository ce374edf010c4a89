"""Commands of the consolidation part: ``consolidate``, ``email`` and ``demo`` (filled in by that issue)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add this module's commands to the ``branch-assess`` group."""
