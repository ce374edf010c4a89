"""Reading many input files at once: in this process, or in worker processes in chunks.

The reader is any module-level function ``read(standard, path, display)`` (it is sent to the
workers by reference); its results come back in file order, the same either way.
"""

from __future__ import annotations

import copyreg
import dataclasses
import math
import os
import pickle
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from workbook.core.standard import Standard, load_standard

T = TypeVar("T")
FileReader = Callable[[Standard, Path, str], T]

# Below this many files, reading in worker processes costs more than it saves.
PARALLEL_MIN_FILES = 64
_MIN_CHUNK_FILES = 16
_MAX_CHUNK_FILES = 64


def read_all(
    read: FileReader[T], standard_id: str, files: list[tuple[Path, str]], workers: int | None
) -> Iterator[T]:
    """``read`` of every (path, display) in ``files``, in order, here or in worker processes.

    Args:
        read: a module-level function (workers import it by name).
        standard_id: the standard, loaded once per process.
        files: (path, display name) pairs.
        workers: worker processes (default: the CPU count, up to 8, for 64 files or more;
            1 reads everything in this process).
    """
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if len(files) >= PARALLEL_MIN_FILES else 1
    if workers <= 1:
        standard = load_standard(standard_id)
        for path, display in files:
            yield read(standard, path, display)
        return
    size = chunk_size(len(files), workers)
    starts = range(0, len(files), size)
    # Each worker gets the file list once, when it starts; a task is then just where its
    # chunk starts and ends in that list.
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_start_worker, initargs=(read, standard_id, files)
    ) as pool:
        for results in pool.map(_read_chunk, starts, [start + size for start in starts]):
            yield from results


def chunk_size(files: int, workers: int) -> int:
    """Files a worker reads per task: about eight tasks a worker, 16 to 64 files each.

    Every task costs the main process a message to send and one to receive, so tasks should
    be large; but while the last task runs the other workers idle, so not too large.
    """
    return max(_MIN_CHUNK_FILES, min(_MAX_CHUNK_FILES, math.ceil(files / (workers * 8))))


# What a worker process does: the reader, the standard and every input file (set when it
# starts).
_worker_job: tuple[Callable[[Standard, Path, str], Any], Standard, list[tuple[Path, str]]] | None
_worker_job = None


def _start_worker(
    read: Callable[[Standard, Path, str], Any], standard_id: str, files: list[tuple[Path, str]]
) -> None:
    """In a new worker process: remember the job (the standard is loaded once per process)."""
    global _worker_job
    standard = load_standard(standard_id)
    _worker_job = (read, standard, files)
    _send_parts_by_reference(standard)


def _read_chunk(start: int, stop: int) -> list[Any]:
    """In a worker process: the reader's results for ``files[start:stop]`` of the job."""
    assert _worker_job is not None, "not a worker process started by _start_worker"
    read, standard, files = _worker_job
    return [read(standard, path, display) for path, display in files[start:stop]]


def _pickle_standard(standard: Standard) -> tuple[Callable[[str], Standard], tuple[str]]:
    return load_standard, (standard.id,)


# Results come back from worker processes by pickle: send a standard as its id (load_standard
# is cached), not as a full copy with every item and rule.
copyreg.pickle(Standard, _pickle_standard)


# In a worker process, the parts of the standard (items, rules, checklist entries ...) that a
# result refers to are sent as where they are in the standard, not as copies: the main process
# has loaded the same standard. id -> (the part, its standard's id, its path in the standard).
_standard_parts: dict[int, tuple[object, Standard, tuple[str | int, ...]]] = {}


def _send_parts_by_reference(standard: Standard) -> None:
    """Index every dataclass reachable from ``standard`` and pickle those by reference (in a
    worker process only: elsewhere every object pickles as usual)."""

    def walk(value: object, path: tuple[str | int, ...]) -> None:
        if isinstance(value, tuple):
            for index, element in enumerate(value):
                walk(element, (*path, index))
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            if id(value) in _standard_parts:
                return
            _standard_parts[id(value)] = (value, standard, path)
            copyreg.pickle(type(value), _reduce_part)
            for item in dataclasses.fields(value):
                walk(getattr(value, item.name), (*path, item.name))

    for item in dataclasses.fields(standard):
        walk(getattr(standard, item.name), (item.name,))


def _reduce_part(part: Any) -> Any:
    known = _standard_parts.get(id(part))
    if known is not None and known[0] is part:
        return _standard_part, (known[1], known[2])
    return part.__reduce_ex__(pickle.HIGHEST_PROTOCOL)  # not the standard's: pickled whole


def _standard_part(standard: Standard, path: tuple[str | int, ...]) -> Any:
    """The part of ``standard`` at ``path`` (unpickling a part sent by reference; the standard
    itself comes as its id, once per message)."""
    value: Any = standard
    for step in path:
        value = value[step] if isinstance(step, int) else getattr(value, step)
    return value
