"""A progress bar on stderr while files are read: shown only when stderr is a terminal."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ProgressCallback = Callable[[int, int, Path], None]


@contextlib.contextmanager
def file_progress(
    description: str, enabled: bool | None = None
) -> Iterator[ProgressCallback | None]:
    """Yield a callback ``(done, total, path)`` that drives a rich progress bar, or None.

    Args:
        enabled: force the bar on or off; by default it shows only when stderr is a TTY.
    """
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task(description, total=None)

    def update(done: int, total: int, path: Path) -> None:
        progress.update(task, completed=done, total=total)

    with progress:
        yield update
