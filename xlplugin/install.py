"""Installing ``xlplugin.xlam``: the whole Windows set-up in one command.

On Windows, ``branch-assess addin install``:

1. checks, before it changes anything, what would make the add-in fail later:
   the xlwings DLL is where the add-in's VBA loads it from (``XLPyLoadDLL`` in xlwings' VBA calls
   ``LoadLibrary`` on ``ParentFolder(INTERPRETER_WIN)`` and then on its parent, i.e. next to
   ``python.exe`` or, in a virtual environment, one folder up, where pip puts xlwings' data files);
   the interpreter is not the Microsoft Store Python; Excel is installed; no policy forbids
   "Trust access to the VBA project object model";
2. enables that trust in the registry (``AccessVBOM``) for the duration only, and restores the
   previous value (or its absence) afterwards, also on failure;
3. in an invisible Excel, copies the add-in into Excel's start-up folder (XLSTART, a trusted
   location), imports the UDFs into it with xlwings' own ``import_udfs`` (what the add-in's
   ``ImportPythonUDFsToAddin`` macro does; ``IsAddin`` off during the import, since Excel refuses
   ``MacroOptions`` on the hidden workbook of an add-in) and saves it;
4. reopens it in every running Excel, as ``xlwings addin install`` does (it was closed there
   first, since an open copy locks the file).

The registry (``xlplugin.registry``) and xlwings are passed in, so the order of the calls can be
tested; on macOS the add-in is copied as before (xlwings UDFs are Windows-only).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbook.errors import AddinError, describe_os_error

from .addin import ADDIN_FILE, UDF_MODULES, XLWINGS_MISSING, build_addin, read_config
from .registry import REG_DWORD, Registry, RegistryValue, WindowsRegistry

# The module xlwings' import_udfs creates in the VBA project.
UDF_VBA_MODULE = "xlwings_udfs"
ACCESS_VBOM = "AccessVBOM"
EXCEL_CURVER_KEY = r"HKEY_CLASSES_ROOT\Excel.Application\CurVer"
GUIDE = "安装说明（docs/excel-addin.md）"
TRUST_OPTION = "“信任对 VBA 工程对象模型的访问”"


@dataclass(frozen=True)
class InstallResult:
    """What ``install_addin`` did."""

    target: Path
    udfs_imported: bool = False
    trust_restored: bool = False  # AccessVBOM was set for the import and is back as it was
    reopened: bool = False  # the add-in is open again in the running Excel


def security_key(office_version: str) -> str:
    """Where Excel keeps the user's Trust Center settings."""
    return rf"HKEY_CURRENT_USER\Software\Microsoft\Office\{office_version}\Excel\Security"


def policy_keys(office_version: str) -> tuple[str, str]:
    """Where group policy sets them; a value there overrides the user's setting."""
    path = rf"Software\Policies\Microsoft\Office\{office_version}\Excel\Security"
    return rf"HKEY_CURRENT_USER\{path}", rf"HKEY_LOCAL_MACHINE\{path}"


def xlwings_dll_names() -> tuple[str, str]:
    """The DLLs the add-in's VBA declares (64-bit Excel, 32-bit Excel) for the installed xlwings."""
    try:
        version = importlib.metadata.version("xlwings")
    except importlib.metadata.PackageNotFoundError:
        raise AddinError(XLWINGS_MISSING) from None
    return f"xlwings64-{version}.dll", f"xlwings32-{version}.dll"


def parent_folder(path: str) -> str:
    """The VBA's ``ParentFolder``: everything before the last backslash (or slash)."""
    return path[: max(path.rfind("\\"), path.rfind("/"), 0)]


def dll_folders(interpreter: str) -> tuple[str, str]:
    """Where the add-in's VBA looks for the xlwings DLL, in its order."""
    folder = parent_folder(interpreter)
    return folder, parent_folder(folder)


def is_store_python(path: str) -> bool:
    """Whether a path belongs to the Microsoft Store Python (an app package under WindowsApps)."""
    parts = [part.casefold() for part in re.split(r"[\\/]", path)]
    return "windowsapps" in parts or any(
        part.startswith("pythonsoftwarefoundation.python") for part in parts
    )


def office_version(registry: Registry) -> str | None:
    """Excel's version as the registry names it (``16.0``), or ``None`` when Excel is not installed."""
    value = registry.read(EXCEL_CURVER_KEY, "")
    match = re.fullmatch(r"Excel\.Application\.(\d+)", str(value.data) if value else "")
    return f"{match.group(1)}.0" if match else None


def check_windows_setup(
    interpreter: str, registry: Registry, base_prefix: str | None = None
) -> tuple[str, int | None]:
    """Check everything before changing anything; every problem is reported with its fix.

    Args:
        interpreter: the add-in's ``Interpreter_Win``.
        registry: the registry.
        base_prefix: ``sys.base_prefix`` when ``interpreter`` is the running Python (a virtual
            environment made from the Store Python is a Store Python too).

    Returns:
        Excel's version (``16.0``) and the policy's ``AccessVBOM`` (1: allowed, ``None``: no
        policy).

    Raises:
        AddinError: one line per problem; or the policy forbids the VBA project access.
    """
    problems: list[str] = []
    if not interpreter:
        problems.append(
            "加载项没有设置 Python 解释器（配置工作表的 Interpreter_Win）："
            "请不带 --file 运行本命令，或用 branch-assess addin build 重新生成加载项。"
        )
    elif is_store_python(interpreter) or (base_prefix and is_store_python(base_prefix)):
        problems.append(
            f"加载项使用的 Python（{interpreter}）是 Microsoft Store 版本，Excel 无法从它调用 "
            "Python 函数。请从 python.org 下载安装 Python 3.11 或更新版本（Windows 安装程序），"
            f"按 {GUIDE} 重新安装本工具，再运行本命令。"
        )
    else:
        folders = dll_folders(interpreter)
        missing = [
            name
            for name in xlwings_dll_names()
            if not any(os.path.isfile(os.path.join(folder, name)) for folder in folders if folder)
        ]
        if missing:
            problems.append(
                f"找不到 xlwings 的 {'、'.join(missing)}：加载项使用的 Python 是 {interpreter}，"
                f"Excel 会在 {folders[0]} 和 {folders[1]} 中查找这些文件。pip 安装 xlwings 时把它们"
                "放在 Python（或虚拟环境）的文件夹中；用 pip install --user 安装时不会放在那里。"
                f"请按 {GUIDE} 在虚拟环境中重新安装本工具（带 [excel]），用虚拟环境中的 "
                "branch-assess 运行本命令。"
            )
    version = office_version(registry)
    if version is None:
        problems.append(
            "本机没有安装 Microsoft Excel（注册表中找不到 Excel.Application）：请先安装 "
            "Microsoft Office 的 Excel 桌面版；如果已经安装，请启动一次 Excel 后再运行本命令。"
        )
    if problems:
        raise AddinError(
            "安装前检查发现以下问题，本命令没有做任何改动；请逐条改正后重新运行 "
            "branch-assess addin install：\n"
            + "\n".join(f"{number}. {problem}" for number, problem in enumerate(problems, 1))
        )
    assert version is not None
    for key in policy_keys(version):
        value = registry.read(key, ACCESS_VBOM)
        if value is None:
            continue
        if value.data == 1:
            return version, 1
        raise AddinError(
            f"本单位的策略禁止{TRUST_OPTION}（注册表 {key} 中的 {ACCESS_VBOM}），"
            "不能把 Python 函数导入加载项；本命令没有做任何改动。" + manual_fallback()
        )
    return version, None


def manual_fallback() -> str:
    """What to do by hand when the UDFs cannot be imported automatically."""
    return (
        "可以这样处理：\n"
        f"1. 请单位的信息管理员临时允许{TRUST_OPTION}，再运行 branch-assess addin install；\n"
        "2. 或者只安装功能区按钮、不导入函数：运行 branch-assess addin build -o 某文件夹，退出 Excel，"
        "把生成的 xlplugin.xlam 复制到 Excel 的启动文件夹 %APPDATA%\\Microsoft\\Excel\\XLSTART，"
        "再启动 Excel。“考评定级”按钮照常可用；考评定级表中的计算单元格没有这些函数时"
        "自动改用 Excel 内置函数计算，结果相同。"
    )


@contextlib.contextmanager
def trusted_vba_access(registry: Registry, version: str) -> Iterator[None]:
    """Turn on "Trust access to the VBA project object model" for the block, then restore it.

    The previous value is put back exactly (type and data), or removed when there was none,
    whether the block succeeds or fails.

    Raises:
        AddinError: the registry refused the change (nothing was changed), or the restore.
    """
    key = security_key(version)
    previous = registry.read(key, ACCESS_VBOM)
    try:
        registry.write(key, ACCESS_VBOM, RegistryValue(1, REG_DWORD))
    except OSError as error:
        with contextlib.suppress(OSError):  # a partial write must not stay
            _restore(registry, key, previous)
        raise AddinError(
            f"无法在注册表中临时打开{TRUST_OPTION}（{key}：{describe_os_error(error)}），"
            "本命令没有做任何改动。" + manual_fallback()
        ) from None
    try:
        yield
    finally:
        try:
            _restore(registry, key, previous)
        except OSError as error:
            raise AddinError(
                f"无法恢复注册表 {key} 中的 {ACCESS_VBOM}（{describe_os_error(error)}）：请在 Excel 中"
                f"打开 文件 → 选项 → 信任中心 → 信任中心设置 → 宏设置，取消勾选{TRUST_OPTION}。"
            ) from None


def _restore(registry: Registry, key: str, previous: RegistryValue | None) -> None:
    if previous is None:
        registry.delete(key, ACCESS_VBOM)
    else:
        registry.write(key, ACCESS_VBOM, previous)


def close_in_running_excel(xw: Any) -> list[Any]:
    """Close the add-in in every running Excel (an open copy locks the file); return those Excels."""
    running = list(xw.apps)
    for app in running:
        with contextlib.suppress(Exception):  # not open there (KeyError) or Excel busy
            app.books[ADDIN_FILE].close()
    return running


def reopen_in_running_excel(running: list[Any]) -> bool:
    """Open the installed add-in again in each of those Excels, as ``xlwings addin install`` does.

    Returns:
        Whether every one has it open (``False`` when none was running).
    """
    reopened = bool(running)
    for app in running:
        try:
            app.books.open(str(Path(app.startup_path) / ADDIN_FILE))
        except Exception:  # Excel busy (a cell in edit mode) or quit meanwhile: a restart loads it
            reopened = False
    return reopened


def copy_and_import(xw: Any, source: Path) -> Path:
    """In an invisible Excel: copy the add-in into XLSTART, import the UDFs into it, save it.

    The import happens in the installed file, in Excel's start-up folder, a trusted location.

    Returns:
        The installed add-in.

    Raises:
        AddinError: the copy failed, or Excel did (its message is included).
    """
    target: Path | None = None
    try:
        with xw.App(visible=False, add_book=False) as app:
            app.display_alerts = False
            target = Path(app.startup_path) / ADDIN_FILE
            try:
                shutil.copyfile(source, target)
            except OSError as error:
                raise AddinError(
                    f"无法复制加载项到 {target}：{describe_os_error(error)}（请先退出 Excel 再试）"
                ) from None
            book = app.books.open(str(target))
            # An add-in's workbook is hidden, and Excel refuses the MacroOptions call import_udfs
            # makes for each function on a hidden workbook ("Cannot edit a macro on a hidden
            # workbook"); so it is a plain workbook during the import and an add-in again for
            # the save.
            book.api.IsAddin = False
            # import_udfs prints an English line; the user gets ours.
            with contextlib.redirect_stdout(io.StringIO()):
                xw.import_udfs(UDF_MODULES, book.api)
            # Proves the module went into the add-in, not into some other workbook.
            book.api.VBProject.VBComponents(UDF_VBA_MODULE)
            book.api.IsAddin = True
            book.save()
            book.close()
    except AddinError:
        raise
    except Exception as error:  # COM errors (pywintypes.com_error) carry Excel's own message
        where = f"加载项已复制到 {target}，但其中没有这些函数。" if target else ""
        raise AddinError(
            f"无法把 Python 函数导入加载项：{error}。{where}"
            f"{TRUST_OPTION}已恢复原来的设置。" + manual_fallback()
        ) from None
    return target


def install_on_windows(
    addin_file: str | Path | None,
    xw: Any,
    registry: Registry,
) -> InstallResult:
    """The Windows set-up: check, trust on, import, save, trust restored, reopen."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(addin_file) if addin_file is not None else build_addin(folder)
        interpreter = read_config(source).get("Interpreter_Win", "")
        running_python = os.path.normcase(interpreter) == os.path.normcase(sys.executable)
        version, policy = check_windows_setup(
            interpreter, registry, base_prefix=sys.base_prefix if running_python else None
        )
        running = close_in_running_excel(xw)
        try:
            if policy == 1:  # already allowed for everyone: nothing to change
                target = copy_and_import(xw, source)
            else:
                with trusted_vba_access(registry, version):
                    target = copy_and_import(xw, source)
        finally:
            reopened = reopen_in_running_excel(running)
    return InstallResult(target, udfs_imported=True, trust_restored=policy != 1, reopened=reopened)


def excel_required_message() -> str:
    """Why ``addin install`` cannot run here."""
    return (
        f"安装加载项需要 Windows 或 macOS 上的 Microsoft Excel，本机系统（{sys.platform}）没有 Excel。"
        "没有 Excel 时请用 native 模板（branch-assess template --formulas native）"
        "和 branch-assess recalc 命令重新计算。"
    )


def _install_on_macos(addin_file: str | Path | None) -> InstallResult:
    """Copy into XLSTART and enable RunPython (xlwings' AppleScript); UDFs are Windows-only."""
    try:
        import xlwings as xw
        from xlwings.cli import get_addin_dir, runpython_install
    except ImportError:
        raise AddinError(XLWINGS_MISSING) from None
    with tempfile.TemporaryDirectory() as folder:
        source = Path(addin_file) if addin_file else build_addin(folder)
        try:
            startup = Path(get_addin_dir())
        except Exception as error:  # AppleScript errors from Excel
            raise AddinError(f"无法启动 Excel 以找到启动文件夹（XLSTART）：{error}") from None
        target = startup / ADDIN_FILE
        for app in xw.apps:  # an open copy would lock the file
            with contextlib.suppress(Exception):
                app.books[ADDIN_FILE].close()
        try:
            shutil.copyfile(source, target)
        except OSError as error:
            raise AddinError(
                f"无法复制加载项到 {target}：{describe_os_error(error)}（请先退出 Excel 再试）"
            ) from None
    runpython_install(None)
    return InstallResult(target)


def install_addin(addin_file: str | Path | None = None) -> InstallResult:
    """Install the add-in (built first unless ``addin_file`` is given) for this user's Excel.

    Raises:
        AddinError: not Windows or macOS, a check failed (with its fix), or Excel failed.
    """
    if sys.platform.startswith("win"):
        try:
            import xlwings as xw
        except ImportError:
            raise AddinError(XLWINGS_MISSING) from None
        return install_on_windows(addin_file, xw, WindowsRegistry())
    if sys.platform == "darwin":
        return _install_on_macos(addin_file)
    raise AddinError(excel_required_message())
