"""Atomic output: write to a temporary file beside the target, then move it into place.

This is the one place where file-system errors of an output become the project's
``OutputError`` with a Chinese message that names the path; commands do not catch ``OSError``
themselves. What replacing a file never changes (see README, "限制与保证"):

- an existing file keeps its permissions (600 stays 600) and, when run as root, its owner;
- a symbolic link stays a link: the file it points to gets the new content;
- a read-only file, and anything that is not a regular file (a folder, a device such as
  ``/dev/null``, a FIFO), is refused and left as it is;
- an output that is one of the command's inputs is refused (``refuse_inputs``).

Temporary files are named ``.~<name>.<host>.<pid>.<random>.branch-assess.tmp`` beside the target
(``<name>`` cut short when the whole name would pass 255 bytes). A run
that is killed leaves one behind; the next run on the same target removes those whose process
is gone (same host) or that are older than a day, so they never pile up.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import socket
import stat
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from workbook.errors import OutputError, describe_os_error

TEMP_SUFFIX = ".branch-assess.tmp"
_STALE_AFTER = 24 * 3600  # seconds: a temporary file of another host is removed after this
_LOCKED_HINT = "文件是否正在 Excel 或 WPS 中打开？请关闭后重试"


def same_file(first: str | Path, second: str | Path) -> bool:
    """True if both paths name one file: the same resolved path or the same file identity
    (device and inode), so symbolic and hard links count."""
    a, b = Path(first), Path(second)
    try:
        if a.resolve() == b.resolve():
            return True
    except (OSError, RuntimeError):
        pass
    try:
        sa, sb = os.stat(a), os.stat(b)
    except (OSError, ValueError):
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def refuse_inputs(output: str | Path, inputs: Iterable[str | Path], what: str = "输出文件") -> None:
    """Raise ``OutputError`` if ``output`` is one of ``inputs`` (a command must not overwrite
    what it reads)."""
    for source in inputs:
        if same_file(output, source):
            raise OutputError(
                f"{what} {output} 就是输入文件 {source}，写入会覆盖输入；请换一个文件名"
                "（输入文件保持不变）"
            )


def check_suffix(path: str | Path, suffixes: Iterable[str], what: str = "输出文件") -> None:
    """Raise ``OutputError`` unless ``path`` ends in one of ``suffixes`` (e.g. ``.xlsx``):
    the content written must match what the name promises (``x.xls`` would hold xlsx data)."""
    allowed = [s.lower() for s in suffixes]
    name = Path(path).name
    if not name or name.lower() in allowed:  # "" (the current folder) or ".xlsx" alone
        raise OutputError(
            f"{what}没有文件名（给出的是“{path}”）；请在扩展名前写上名称，"
            f"如“2026年度结果{allowed[0] if allowed else ''}”"
        )
    if Path(path).suffix.lower() not in allowed:
        raise OutputError(
            f"{what} {path} 的扩展名应为 {' 或 '.join(allowed)}"
            "（本工具写出的是该格式，扩展名不符会让打开它的程序认错格式）"
        )


def resolve_target(path: str | Path) -> Path:
    """The file an output to ``path`` really writes: a symbolic link's target, checked.

    Raises:
        OutputError: the path is a folder, a device, a FIFO or another non-regular file, or a
            read-only file.
    """
    given = Path(path)
    try:
        target = Path(os.path.realpath(given)) if given.is_symlink() else given
        info = os.stat(target)
    except FileNotFoundError:
        return target
    except OSError as error:
        raise _output_error(given, error) from None
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(f"无法写入 {given}：这是一个文件夹，请给出文件名")
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(f"无法写入 {given}：这不是普通文件（设备、管道等），本工具只写入普通文件")
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(
        target, os.W_OK
    ):
        raise OutputError(
            f"无法写入 {given}：文件是只读的；请先取消只读属性，或换一个文件名（原文件保持不变）"
        )
    return target


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces ``path``.

    On any exception the temporary file is removed and an existing ``path`` is left intact.

    Raises:
        OutputError: the target or its folder cannot be written (see the module docstring);
            also for an ``OSError`` while the caller writes the temporary file.
    """
    given = Path(path)
    target = resolve_target(given)
    folder = target.parent
    ensure_folder(folder)
    _remove_stale_temps(folder, target.name)
    fd, temp = _create_temp(folder, target.name)
    os.close(fd)
    try:
        _copy_ownership(temp, target)
        try:
            yield temp
        except OSError as error:
            if error.filename not in (None, str(temp), os.fspath(temp)):
                raise
            raise OutputError(f"无法写入 {given}：{describe_os_error(error)}") from None
        try:
            os.replace(temp, target)
        except PermissionError:
            raise OutputError(
                f"无法替换 {given}：没有权限（{_LOCKED_HINT}）；原文件保持不变"
            ) from None
        except OSError as error:
            raise OutputError(
                f"无法写入 {given}：{describe_os_error(error)}；原文件保持不变"
            ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def check_folder_writable(folder: str | Path) -> None:
    """Raise ``OutputError`` when files cannot be written into ``folder``: it, or the nearest
    folder above it that exists (where it would be created), is a file or is not writable.

    A command that writes several outputs checks every folder with this before it writes the
    first one, so a folder it cannot write fails the run before anything is written.
    """
    # The path as given, not made absolute: the current folder may be writable while a folder
    # above it cannot even be searched.
    probe = Path(folder)
    while True:
        try:
            os.lstat(probe)
            break
        except (FileNotFoundError, NotADirectoryError):
            if probe.parent == probe:
                return
            probe = probe.parent
        except OSError:
            return  # cannot tell (no search permission): writing will say why
    if not probe.is_dir():  # a file, or a symbolic link to nowhere
        raise OutputError(f"无法创建文件夹 {folder}：路径中已有同名文件；请换一个输出位置")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise _folder_error(probe, PermissionError(errno.EACCES, os.strerror(errno.EACCES)))


def ensure_folder(folder: str | Path) -> Path:
    """Create an output folder (and its parents) if needed.

    Raises:
        OutputError: a part of the path is a file, or the folder cannot be created.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(
            f"无法创建文件夹 {folder}：路径中已有同名文件；请换一个输出位置"
        ) from None
    except OSError as error:
        raise OutputError(f"无法创建文件夹 {folder}：{describe_os_error(error)}") from None
    return folder


def _temp_stem(name: str) -> str:
    """The target's name as it starts a temporary file's name: cut (between characters) so that
    the whole temporary name stays within the usual 255-byte limit of a file name."""
    room = 255 - len(f".~..{_host()}.{os.getpid()}.00000000{TEMP_SUFFIX}".encode())
    encoded = os.fsencode(name)
    if len(encoded) <= room:
        return name
    for end in range(room, max(room - 4, 0), -1):  # not inside a UTF-8 character
        try:
            encoded[:end].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return os.fsdecode(encoded[:end])
    return os.fsdecode(encoded[:room])  # a name that is not UTF-8 anyway


def _create_temp(folder: Path, name: str) -> tuple[int, Path]:
    """Create the temporary file, private (0600) until it gets the target's permissions."""
    for _ in range(100):
        token = secrets.token_hex(4)
        temp = folder / f".~{_temp_stem(name)}.{_host()}.{os.getpid()}.{token}{TEMP_SUFFIX}"
        try:
            return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), temp
        except FileExistsError:
            continue
        except OSError as error:
            raise _folder_error(folder, error) from None
    raise OutputError(f"无法在文件夹 {folder} 中创建临时文件")


def _copy_ownership(temp: Path, target: Path) -> None:
    """Give the temporary file the target's permissions (and owner, as root), or for a new
    file the usual permissions (0666 less the umask), as any program the user saves with."""
    try:
        info = os.stat(target)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        return
    os.chmod(temp, stat.S_IMODE(info.st_mode))
    if hasattr(os, "chown") and hasattr(os, "geteuid") and os.geteuid() == 0:
        with contextlib.suppress(OSError):
            os.chown(temp, info.st_uid, info.st_gid)


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "host"


def _remove_stale_temps(folder: Path, name: str) -> None:
    """Remove temporary files of ``name`` left by killed runs (see the module docstring)."""
    prefix = f".~{_temp_stem(name)}."
    try:
        candidates = [
            entry
            for entry in os.scandir(folder)
            if entry.name.startswith(prefix) and entry.name.endswith(TEMP_SUFFIX)
        ]
    except OSError:
        return
    host = _host()
    now = time.time()
    for entry in candidates:
        middle = entry.name[len(prefix) : -len(TEMP_SUFFIX)]
        temp_host, _, pid_text = middle.rpartition(".")[0].rpartition(".")
        stale = False
        if temp_host == host and pid_text.isdigit() and sys.platform != "win32":
            stale = not _process_alive(int(pid_text))
        if not stale:
            with contextlib.suppress(OSError):
                stale = now - entry.stat(follow_symlinks=False).st_mtime > _STALE_AFTER
        if stale:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _process_alive(pid: int) -> bool:
    """Whether a process of this host runs (POSIX only: on Windows os.kill would end it)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _folder_error(folder: Path, error: OSError) -> OutputError:
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OutputError(
            f"无法在文件夹 {folder} 中写入文件：{describe_os_error(error)}；请换一个有写入权限的位置"
        )
    return OutputError(f"无法在文件夹 {folder} 中写入文件：{describe_os_error(error)}")


def _output_error(path: Path, error: OSError) -> OutputError:
    return OutputError(f"无法写入 {path}：{describe_os_error(error)}")


def existing_kind(path: str | Path) -> str | None:
    """What an existing output path holds: ``None`` (nothing, or not a regular file, which
    ``resolve_target`` refuses), ``"summary"`` (a summary of this tool; ``"history"`` and
    ``"rectification"`` for its 历年对比 and 整改清单 workbooks), ``"assessment"`` (an
    assessment workbook: a template, filled or not), ``"unreadable"`` (a zip or OLE file this
    tool cannot read, e.g. an encrypted workbook) or ``"other"`` (anything else)."""
    from workbook.core import names
    from workbook.errors import WorkbookReadError
    from workbook.xlsx.workbook_info import read_package_info

    given = Path(path)
    try:
        if not stat.S_ISREG(os.stat(given).st_mode):
            return None
    except (OSError, ValueError):
        return None
    try:
        with open(given, "rb") as handle:
            magic = handle.read(8)
    except OSError:
        return "unreadable"
    if not magic.startswith((b"PK", b"\xd0\xcf\x11\xe0")):  # neither zip nor OLE (encrypted)
        return "other"
    try:
        properties = read_package_info(given).properties
    except WorkbookReadError:
        return "unreadable"
    if properties.get(names.PROP_SUMMARY):
        if properties.get(names.PROP_RECTIFICATION):
            return "rectification"
        return "history" if properties.get(names.PROP_HISTORY) else "summary"
    if properties.get(names.PROP_STANDARD):
        return "assessment"
    return "other"


_KIND_TEXT = {
    "assessment": "是一份考评定级表，可能已填写",
    "unreadable": "无法读取其内容，可能已加密或不是 xlsx 工作簿",
    "rectification": "是一个支部的整改清单，可能已填写整改措施",
    "summary": "是一份考评定级汇总表",
    "history": "是一份历年对比工作簿",
}


def refuse_replacing(path: str | Path, what: str, writes: str | None = None) -> None:
    """Raise ``OutputError`` if ``path`` is an assessment workbook, a 整改清单 (a branch may
    have filled it in) or a workbook this tool cannot inspect (encrypted): the commands replace
    those only with ``--overwrite``, so a filled workbook is never lost by a mistyped ``-o``.

    ``writes`` is the kind the command writes (``existing_kind``): a summary and a 历年对比
    are replaced by the command that wrote them, not by another one (``template -o`` or
    ``survey ballot -o`` onto the year's summary)."""
    kind = existing_kind(path)
    refused = {"assessment", "unreadable", "rectification", "summary", "history"} - {writes}
    if kind not in refused:
        return
    raise OutputError(
        f"{what} {path} 已存在（{_KIND_TEXT[kind]}），为免丢失其中的内容，不会替换它；"
        "请换一个文件名，或加 --overwrite 确认替换（原文件保持不变）"
    )
