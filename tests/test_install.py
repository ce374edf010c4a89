"""``addin install`` on Windows through the recording stand-in and an in-memory registry.

The order of the calls is the contract: check, trust on, import, save, trust restored; the
restore also on failure; a policy or a refused registry write stops before anything changes.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from oletools.olevba import VBA_Parser

from workbook.errors import AddinError
from workbook.xlsx.package import Package
from xlplugin import addin, install
from xlplugin.registry import REG_DWORD, REG_SZ, MemoryRegistry, RegistryValue

from support.recording_install import NOT_TRUSTED, UDF_PART, ExcelError, RecordingXlwings

CURVER = install.EXCEL_CURVER_KEY
SECURITY = install.security_key("16.0")
POLICY_USER, POLICY_MACHINE = install.policy_keys("16.0")
VBOM = "AccessVBOM"

CHECKS = [
    ("registry.read", CURVER, ""),
    ("registry.read", POLICY_USER, VBOM),
    ("registry.read", POLICY_MACHINE, VBOM),
]
IMPORT = [
    ("xw.App", False, False),
    ("new1.display_alerts", False),
    ("new1.startup_path",),
    ("new1.books.open", "xlplugin.xlam"),
    ("IsAddin", False),  # Excel refuses MacroOptions on an add-in's hidden workbook
    ("xw.import_udfs", "xlplugin.udfs", "xlplugin.xlam"),
    ("VBComponents", "xlwings_udfs"),
    ("IsAddin", True),
    ("new1.book.save", "xlplugin.xlam", True),  # saved as an add-in
    ("new1.book.close", "xlplugin.xlam"),
    ("new1.quit",),
]


def _python(root: Path, layout: str = "venv", dlls: bool = True) -> str:
    """A Python installation on disk: ``venv`` (DLLs one folder up) or ``standard`` (beside it)."""
    exe = root / ("Scripts" if layout == "venv" else "") / "python.exe"
    exe.parent.mkdir(parents=True, exist_ok=True)
    exe.write_bytes(b"")
    if dlls:
        for name in install.xlwings_dll_names():
            (root / name).write_bytes(b"MZ")
    return str(exe)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, RecordingXlwings]:
    """A built add-in for a virtual environment with xlwings' DLLs, an Excel 16, an XLSTART."""
    interpreter = _python(tmp_path / "venv")
    built = addin.build_addin(tmp_path / "built", interpreter=interpreter)
    startup = tmp_path / "XLSTART"
    startup.mkdir()
    registry = MemoryRegistry({(CURVER, ""): RegistryValue("Excel.Application.16", REG_SZ)})
    return built, RecordingXlwings(registry, startup)


def _installed_udfs(xw: RecordingXlwings) -> str | None:
    with zipfile.ZipFile(xw.startup_path / "xlplugin.xlam") as archive:
        names = archive.namelist()
        return archive.read(UDF_PART).decode() if UDF_PART in names else None


def test_order_check_set_import_save_restore(setup: tuple[Path, RecordingXlwings]) -> None:
    built, xw = setup
    result = install.install_on_windows(built, xw, xw.registry)
    assert xw.log == [
        *CHECKS,
        ("xw.apps",),
        ("registry.read", SECURITY, VBOM),
        ("registry.write", SECURITY, VBOM, 1),
        *IMPORT,
        ("registry.delete", SECURITY, VBOM),  # it was absent, and is again
    ]
    assert xw.registry.get(SECURITY, VBOM) is None
    assert result == install.InstallResult(
        xw.startup_path / "xlplugin.xlam", udfs_imported=True, trust_restored=True, reopened=False
    )
    # The saved add-in, with the imported module, is the installed one.
    assert _installed_udfs(xw) == "xlplugin.udfs"
    assert xw.running == []  # the invisible Excel is gone


def test_previous_value_is_restored_and_running_excel_reloads(
    setup: tuple[Path, RecordingXlwings],
) -> None:
    built, xw = setup
    xw.registry.values[(SECURITY.casefold(), VBOM.casefold())] = RegistryValue(0, REG_DWORD)
    xw.open_excel(with_addin=True)
    result = install.install_on_windows(built, xw, xw.registry)
    assert xw.log == [
        *CHECKS,
        ("xw.apps",),
        ("excel1.book.close", "xlplugin.xlam"),  # an open copy would lock the file
        ("registry.read", SECURITY, VBOM),
        ("registry.write", SECURITY, VBOM, 1),
        *IMPORT,
        ("registry.write", SECURITY, VBOM, 0),
        ("excel1.startup_path",),
        ("excel1.books.open", "xlplugin.xlam"),
    ]
    assert xw.registry.get(SECURITY, VBOM) == RegistryValue(0, REG_DWORD)
    assert result.reopened


def test_restore_on_failure(setup: tuple[Path, RecordingXlwings]) -> None:
    built, xw = setup
    xw.registry.values[(SECURITY.casefold(), VBOM.casefold())] = RegistryValue(0, REG_DWORD)
    xw.open_excel(with_addin=True)
    xw.import_error = ExcelError("自动化错误 440")
    with pytest.raises(AddinError) as raised:
        install.install_on_windows(built, xw, xw.registry)
    message = str(raised.value)
    assert message.startswith("无法把 Python 函数导入加载项：自动化错误 440。")
    assert "信任对 VBA 工程对象模型的访问" in message
    assert "branch-assess addin build" in message
    assert xw.log[-5:] == [
        ("xw.import_udfs", "xlplugin.udfs", "xlplugin.xlam"),
        ("new1.quit",),  # no save
        ("registry.write", SECURITY, VBOM, 0),
        ("excel1.startup_path",),
        ("excel1.books.open", "xlplugin.xlam"),
    ]
    assert xw.registry.get(SECURITY, VBOM) == RegistryValue(0, REG_DWORD)
    assert xw.running
    assert xw.running[0].label == "excel1"
    assert _installed_udfs(xw) is None


def test_excel_started_before_the_trust_cannot_import(
    setup: tuple[Path, RecordingXlwings],
) -> None:
    """The stand-in is strict: Excel reads the trust when it starts, as the real one does."""
    built, xw = setup
    with pytest.raises(AddinError, match=NOT_TRUSTED):
        install.copy_and_import(xw, built)


@pytest.mark.parametrize("policy_key", [POLICY_USER, POLICY_MACHINE])
def test_policy_forbids_stops_before_any_change(
    setup: tuple[Path, RecordingXlwings], policy_key: str
) -> None:
    built, xw = setup
    xw.registry.values[(policy_key.casefold(), VBOM.casefold())] = RegistryValue(0, REG_DWORD)
    with pytest.raises(AddinError) as raised:
        install.install_on_windows(built, xw, xw.registry)
    message = str(raised.value)
    assert message.startswith("本单位的策略禁止“信任对 VBA 工程对象模型的访问”")
    assert policy_key in message
    assert "本命令没有做任何改动" in message
    # The manual fallback: ask for the option, or install the button without the functions.
    assert "请单位的信息管理员临时允许" in message
    assert "branch-assess addin build -o" in message
    assert r"Microsoft\Excel\XLSTART" in message
    assert not any(call[0] in ("registry.write", "registry.delete", "xw.App") for call in xw.log)
    assert list(xw.startup_path.iterdir()) == []


def test_policy_allows_nothing_to_change(setup: tuple[Path, RecordingXlwings]) -> None:
    built, xw = setup
    xw.registry.values[(POLICY_MACHINE.casefold(), VBOM.casefold())] = RegistryValue(1, REG_DWORD)
    result = install.install_on_windows(built, xw, xw.registry)
    assert xw.log == [*CHECKS, ("xw.apps",), *IMPORT]
    assert result.udfs_imported
    assert not result.trust_restored
    assert _installed_udfs(xw) == "xlplugin.udfs"


def test_refused_registry_write_stops_before_excel(setup: tuple[Path, RecordingXlwings]) -> None:
    built, xw = setup
    xw.registry.locked = {SECURITY.casefold()}
    xw.open_excel(with_addin=True)
    with pytest.raises(AddinError) as raised:
        install.install_on_windows(built, xw, xw.registry)
    message = str(raised.value)
    assert message.startswith("无法在注册表中临时打开“信任对 VBA 工程对象模型的访问”")
    assert "没有访问权限" in message
    assert "branch-assess addin build -o" in message
    assert not any(call[0] == "xw.App" for call in xw.log)
    assert xw.registry.get(SECURITY, VBOM) is None
    assert xw.log[-2:] == [("excel1.startup_path",), ("excel1.books.open", "xlplugin.xlam")]


def test_checks_name_every_problem_and_change_nothing(tmp_path: Path) -> None:
    store = r"C:\Users\王芳\AppData\Local\Microsoft\WindowsApps\python.exe"
    built = addin.build_addin(tmp_path, interpreter=store)
    xw = RecordingXlwings(MemoryRegistry(), tmp_path)  # no Excel in the registry
    with pytest.raises(AddinError) as raised:
        install.install_on_windows(built, xw, xw.registry)
    lines = str(raised.value).splitlines()
    assert lines[0].startswith("安装前检查发现以下问题，本命令没有做任何改动")
    assert lines[1].startswith(f"1. 加载项使用的 Python（{store}）是 Microsoft Store 版本")
    assert "python.org" in lines[1]
    assert lines[2].startswith("2. 本机没有安装 Microsoft Excel")
    assert len(lines) == 3
    assert xw.log == [("registry.read", CURVER, "")]


def test_missing_dll_names_the_files_and_the_folders(tmp_path: Path) -> None:
    interpreter = _python(tmp_path / "venv", dlls=False)
    built = addin.build_addin(tmp_path, interpreter=interpreter)
    registry = MemoryRegistry({(CURVER, ""): RegistryValue("Excel.Application.16", REG_SZ)})
    xw = RecordingXlwings(registry, tmp_path)
    with pytest.raises(AddinError) as raised:
        install.install_on_windows(built, xw, registry)
    message = str(raised.value)
    dll64, dll32 = install.xlwings_dll_names()
    assert f"1. 找不到 xlwings 的 {dll64}、{dll32}" in message
    assert f"在 {tmp_path / 'venv' / 'Scripts'} 和 {tmp_path / 'venv'} 中查找" in message
    assert "pip install --user" in message
    assert "虚拟环境" in message
    assert "2." not in message
    assert not any(call[0] in ("registry.write", "xw.App") for call in xw.log)


@pytest.mark.parametrize("layout", ["venv", "standard"])
def test_dll_found_where_the_vba_looks(tmp_path: Path, layout: str) -> None:
    registry = MemoryRegistry({(CURVER, ""): RegistryValue("Excel.Application.16", REG_SZ)})
    interpreter = _python(tmp_path / "py", layout=layout)
    assert install.check_windows_setup(interpreter, registry) == ("16.0", None)


def test_dll_names_and_folders_are_those_of_xlwings_vba() -> None:
    data = Package(addin.source_addin()).parts["xl/vbaProject.bin"]
    parser = VBA_Parser("vbaProject.bin", data=data)
    try:
        code = "\n".join(code for _, _, _, code in parser.extract_macros())
    finally:
        parser.close()
    declared = re.findall(r'XLPyDLLName As String = "([^"]+)"', code)
    assert set(declared) == set(install.xlwings_dll_names())
    # XLPyLoadDLL: beside the interpreter, then one folder up (a virtual environment).
    assert 'LoadLibrary(ParentFolder(PYTHON_WIN) + "\\" + XLPyDLLName)' in code
    assert 'LoadLibrary(ParentFolder(ParentFolder(PYTHON_WIN)) + "\\" + XLPyDLLName)' in code
    assert 'PYTHON_WIN = GetConfig("INTERPRETER_WIN", "")' in code
    assert install.dll_folders(r"C:\venv\Scripts\python.exe") == (r"C:\venv\Scripts", r"C:\venv")


def test_given_file_is_not_changed(setup: tuple[Path, RecordingXlwings]) -> None:
    built, xw = setup
    before = built.read_bytes()
    install.install_on_windows(built, xw, xw.registry)
    assert built.read_bytes() == before
    assert _installed_udfs(xw) == "xlplugin.udfs"


def test_busy_excel_is_told_to_restart(setup: tuple[Path, RecordingXlwings]) -> None:
    built, xw = setup
    xw.open_excel(with_addin=False, refuse_open=True)
    result = install.install_on_windows(built, xw, xw.registry)
    assert result.udfs_imported
    assert not result.reopened


@pytest.mark.parametrize(
    ("path", "store"),
    [
        (r"C:\Users\a\AppData\Local\Microsoft\WindowsApps\python.exe", True),
        (
            r"C:\Program Files\WindowsApps\PythonSoftwareFoundation.Python.3.12_3.12.2800.0_x64__qbz5n2kfra8p0",
            True,
        ),
        (r"C:\Users\a\AppData\Local\Programs\Python\Python312\python.exe", False),
        (r"C:\Users\a\考评定级\Scripts\python.exe", False),
    ],
)
def test_store_python_is_recognised(path: str, store: bool) -> None:
    assert install.is_store_python(path) is store


@pytest.mark.parametrize(
    ("curver", "version"),
    [("Excel.Application.16", "16.0"), ("Excel.Application.15", "15.0"), ("", None)],
)
def test_office_version_from_the_registry(curver: str, version: str | None) -> None:
    registry = MemoryRegistry({(CURVER, ""): RegistryValue(curver, REG_SZ)} if curver else {})
    assert install.office_version(registry) == version


def test_command_reports_each_step_in_chinese(
    setup: tuple[Path, RecordingXlwings],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from workbook.cli.main import main

    built, xw = setup
    xw.open_excel(with_addin=True)
    monkeypatch.setattr(
        install,
        "install_addin",
        lambda addin_file: install.install_on_windows(built, xw, xw.registry),
    )
    assert main(["addin", "install"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"已安装加载项：{xw.startup_path / 'xlplugin.xlam'}",
        "已把 Python 函数（KP_ITEM_SCORE 等）导入加载项并保存。",
        "“信任对 VBA 工程对象模型的访问”已恢复原来的设置。",
        "已在打开的 Excel 中重新加载，功能区有“考评定级”选项卡。",
    ]


def test_command_stops_on_policy_with_exit_code_1(
    setup: tuple[Path, RecordingXlwings],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from workbook.cli.main import main

    built, xw = setup
    xw.registry.values[(POLICY_USER.casefold(), VBOM.casefold())] = RegistryValue(0, REG_DWORD)
    monkeypatch.setattr(
        install,
        "install_addin",
        lambda addin_file: install.install_on_windows(built, xw, xw.registry),
    )
    assert main(["addin", "install"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("错误：本单位的策略禁止“信任对 VBA 工程对象模型的访问”")
    assert "Traceback" not in captured.err
