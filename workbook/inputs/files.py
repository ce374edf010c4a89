"""Finding the input workbooks: files and folders in, workbook paths out, every other file
reported (a spreadsheet in another format is an error, since the summary would miss it).

Also reads one source file whole, with its digest, so the workbook is parsed from exactly the
bytes the digest describes.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from workbook.core.problems import Problem
from workbook.errors import describe_os_error
from workbook.inputs.reader import WORKBOOK_SUFFIXES
from workbook.xlsx.properties import OLE2_MAGIC, ZIP_MAGIC

LOCK_FILE_PREFIX = "~$"


def find_workbooks(
    inputs: Sequence[str | Path], exclude: Iterable[Path] = ()
) -> tuple[list[tuple[Path, str]], list[Problem]]:
    """Expand files and folders into workbook paths (with their display names).

    Folders are searched recursively for ``.xlsx``/``.xlsm``. Every other file found is
    reported (``skipped_file_problem``): a spreadsheet in another format is an error, since the
    summary would miss it. Hidden files and folders (names starting with ``.``) and paths in
    ``exclude`` (the outputs being written) are passed over; an Excel lock file (``~$*``) is
    passed over with a warning (see ``find_inputs``). A path given twice is read once.
    """
    files, errors, _ = find_inputs(inputs, exclude)
    return files, errors


def find_inputs(
    inputs: Sequence[str | Path], exclude: Iterable[Path] = ()
) -> tuple[list[tuple[Path, str]], list[Problem], list[Problem]]:
    """``find_workbooks`` with its warnings: (workbooks, errors, warnings)."""
    excluded = {resolved(path) for path in exclude}
    found: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    errors: list[Problem] = []
    warnings: list[Problem] = []

    folders: dict[Path, Path] = {}  # a folder searched -> its resolved path

    def key_of(path: Path, plain: bool) -> Path:
        """``resolved(path)``; for a ``plain`` file (found in a folder, no symbolic link) its
        folder's resolved path and its name: the same path, without resolving every file."""
        if not plain:
            return resolved(path)
        parent = path.parent
        real = folders.get(parent)
        if real is None:
            real = folders[parent] = resolved(parent)
        return real / path.name

    def add(path: Path, plain: bool = False) -> None:
        key = key_of(path, plain)
        if key in seen or key in excluded:
            return
        seen.add(key)
        found.append((path, str(path)))

    def other(path: Path, named: bool = False, plain: bool = False) -> None:
        if key_of(path, plain) in excluded:
            return
        problem, is_error = skipped_file_problem(path)
        # A file the user named is an input whatever it is (only a lock file is no input).
        is_error = is_error or (named and not path.name.startswith(LOCK_FILE_PREFIX))
        (errors if is_error else warnings).append(problem)

    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            unreadable: list[OSError] = []
            loops: list[Path] = []
            candidates = sorted(_folder_files(path, unreadable.append, loops.append))
            for loop in loops:
                warnings.append(
                    Problem(
                        f"是指向它所在的文件夹或上级文件夹（{resolved(loop)}）的符号链接，"
                        "跟随它会无限循环，已跳过",
                        file=str(loop),
                    )
                )
            for error in unreadable:
                where = error.filename or path
                if isinstance(where, bytes):
                    where = os.fsdecode(where)
                errors.append(
                    Problem(f"无法读取文件夹：{describe_os_error(error)}", file=str(where))
                )
            for candidate in candidates:
                link = candidate.is_symlink()
                if link and not candidate.exists():
                    if resolved(candidate) not in excluded:
                        errors.append(
                            Problem("符号链接指向的文件不存在，无法读取", file=str(candidate))
                        )
                    continue
                if candidate.suffix.lower() in WORKBOOK_SUFFIXES and not candidate.name.startswith(
                    LOCK_FILE_PREFIX
                ):
                    add(candidate, plain=not link)
                else:
                    other(candidate, plain=not link)
        elif path.is_file():
            if path.suffix.lower() in WORKBOOK_SUFFIXES and not path.name.startswith(
                LOCK_FILE_PREFIX
            ):
                add(path)
            else:
                other(path, named=True)
        else:
            errors.append(Problem("文件或文件夹不存在", file=str(path)))
    return found, errors, warnings


def _folder_files(
    folder: Path,
    onerror: Callable[[OSError], None],
    onloop: Callable[[Path], None] = lambda link: None,
) -> Iterator[Path]:
    """Every regular file under ``folder`` (and every dangling symbolic link, which the caller
    reports), hidden files and folders left out; a folder that cannot be read goes to
    ``onerror`` and the walk goes on.

    A symbolic link to a folder is followed (the workbooks in it are inputs like any others),
    except one that points to the folder it is in or to a folder above it: that walk would never
    end, so the link goes to ``onloop``."""
    real_of: dict[str, Path] = {str(folder): resolved(folder)}
    for root, folders, files in os.walk(folder, onerror=onerror, followlinks=True):
        real_root = real_of.get(root) or resolved(Path(root))
        above = {real_root, *real_root.parents}
        kept: list[str] = []
        for name in sorted(f for f in folders if not f.startswith(".")):
            sub = Path(root, name)
            if sub.is_symlink():
                real = resolved(sub)
                if real in above:
                    onloop(sub)
                    continue
            else:
                real = real_root / name
            real_of[str(sub)] = real
            kept.append(name)
        folders[:] = kept
        for name in files:
            path = Path(root, name)
            if name.startswith("."):
                continue
            if path.is_file() or (path.is_symlink() and not path.exists()):
                yield path


# Spreadsheet formats this tool does not read: a branch's results in one of them would be
# missing from the summary, so they are errors. Any other file is only mentioned.
SPREADSHEET_SUFFIXES = {
    ".xls": "旧版 Excel 格式（.xls）",
    ".xlsb": "Excel 二进制格式（.xlsb）",
    ".xlt": "旧版 Excel 模板（.xlt）",
    ".xltx": "Excel 模板（.xltx）",
    ".xltm": "Excel 模板（.xltm）",
    ".et": "WPS 表格格式（.et）",
    ".ett": "WPS 表格模板（.ett）",
    ".ods": "OpenDocument 表格（.ods）",
    ".fods": "OpenDocument 表格（.fods）",
    ".csv": "CSV 文本（.csv）",
    ".tsv": "制表符分隔文本（.tsv）",
    ".numbers": "Numbers 表格（.numbers）",
    ".wps": "WPS 文档（.wps）",
    ".xml": "XML 表格（.xml）",
}
SAVE_AS_XLSX = "请在 Excel 或 WPS 中打开并另存为 .xlsx（Excel 工作簿）后重新汇总"


def skipped_file_problem(path: Path) -> tuple[Problem, bool]:
    """What to say about a file found among the inputs that is not read, and whether it is an
    error (a spreadsheet the summary would miss) rather than a warning."""
    name = path.name
    if name.startswith(LOCK_FILE_PREFIX):
        return (
            Problem(
                "是 Excel/WPS 打开工作簿时留下的临时文件，已跳过；若对应的工作簿仍在 Excel 或 WPS 中打开，"
                "请先保存并关闭，再重新汇总",
                file=str(path),
            ),
            False,
        )
    kind = SPREADSHEET_SUFFIXES.get(path.suffix.lower())
    if kind is None and _looks_like_spreadsheet(path):
        kind = f"表格文件（扩展名为“{path.suffix or '无'}”）"
    if kind is not None:
        space = " " if kind[0].isascii() else ""  # 是 OpenDocument 表格, as 是旧版 Excel 格式
        return (
            Problem(
                f"是{space}{kind}，本工具只读取 .xlsx 和 .xlsm，未汇总；{SAVE_AS_XLSX}",
                file=str(path),
            ),
            True,
        )
    return (
        Problem("不是 Excel 工作簿（应为 .xlsx 或 .xlsm 文件），未汇总", file=str(path)),
        False,
    )


def _looks_like_spreadsheet(path: Path) -> bool:
    """True for a zip package or compound file (an Excel/WPS/ODF file under another name)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError:
        return False
    return head.startswith(ZIP_MAGIC) or head.startswith(OLE2_MAGIC)


def resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


# A filled workbook is tens of KiB and is read into memory whole; a larger file found in an
# input folder (anything saved as .xlsx) is hashed piece by piece and parsed from disk.
WHOLE_FILE_LIMIT = 32 << 20


def read_source(path: Path) -> tuple[bytes | None, str, int, _dt.datetime]:
    """The file's bytes, their SHA-256, size and modification time (local, to the second).

    Up to ``WHOLE_FILE_LIMIT`` the bytes are returned, so the workbook is parsed from exactly
    the bytes the digest describes, without reading the file again; above it they are None.
    """
    data: bytes | None = None
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        stat = os.fstat(handle.fileno())
        if stat.st_size <= WHOLE_FILE_LIMIT:
            data = handle.read()
            digest.update(data)
            size = len(data)
        else:
            size = 0
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    modified = _dt.datetime.fromtimestamp(int(stat.st_mtime))
    return data, digest.hexdigest(), size, modified
