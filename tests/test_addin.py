"""The built add-in ``xlplugin.xlam``: ribbon, VBA, config sheet, file name; and ``addin install``."""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

import pytest
from defusedxml import ElementTree
from oletools.olevba import VBA_Parser

from workbook.cli.main import main
from workbook.xlsx.package import NS_MAIN, Package
from workbook.xlsx.parts import iter_parts_differing, workbook_sheets
from workbook.xlsx.workbook_info import read_package_info
from xlplugin import addin

CUSTOM_UI = "{http://schemas.microsoft.com/office/2006/01/customui}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("addin")
    assert (
        main(["addin", "build", "-o", str(folder), "--interpreter", r"C:\Python311\python.exe"])
        == 0
    )
    return folder / "xlplugin.xlam"


def _vba_modules(data: bytes) -> dict[str, str]:
    parser = VBA_Parser("vbaProject.bin", data=data)
    try:
        return {name: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def test_file_name_makes_the_button_run_xlplugin_main(built: Path) -> None:
    assert built.name == "xlplugin.xlam"
    modules = _vba_modules(Package(built).parts["xl/vbaProject.bin"])
    run_main = modules["RibbonMyAddin.bas"]
    # RunMain imports the module named like the add-in file and calls its main().
    assert "mymodule = Left(ThisWorkbook.Name" in run_main
    assert 'RunPython "import " & mymodule & ";" & mymodule & ".main()"' in run_main
    import xlplugin

    assert callable(xlplugin.main)


def test_vba_is_byte_identical_to_xlwings(built: Path) -> None:
    ours = Package(built)
    theirs = Package(addin.source_addin())
    assert ours.parts["xl/vbaProject.bin"] == theirs.parts["xl/vbaProject.bin"]
    # Only the ribbon and the config sheet (its values and its name) change.
    assert set(iter_parts_differing(theirs, ours)) == {
        "customUI/customUI.xml",
        "xl/workbook.xml",
        "xl/worksheets/sheet1.xml",
    }
    with zipfile.ZipFile(built) as archive:
        assert archive.testzip() is None


def test_ribbon_is_well_formed_and_its_callbacks_exist_in_the_vba(built: Path) -> None:
    package = Package(built)
    root = ElementTree.fromstring(package.parts["customUI/customUI.xml"])
    tabs = list(root.iter(f"{CUSTOM_UI}tab"))
    assert [t.get("label") for t in tabs] == ["考评定级"]
    buttons = list(root.iter(f"{CUSTOM_UI}button"))
    assert [b.get("label") for b in buttons] == ["考评定级"]
    # The tooltip says what the one button does in each situation, not only recalculation.
    tip = buttons[0].get("supertip") or ""
    for does in ("新建考评定级表", "重新计算", "汇总", "邮件", "文件夹"):
        assert does in tip, (does, tip)
    callbacks = {
        value
        for element in root.iter()
        for key, value in element.attrib.items()
        if key.startswith("on") or key.startswith("get")
    }
    assert callbacks == {"RibbonMyAddin.RunMain"}
    modules = _vba_modules(package.parts["xl/vbaProject.bin"])
    for callback in callbacks:
        module, procedure = callback.split(".")
        code = modules[f"{module}.bas"]
        # A ribbon callback takes the control: Sub Name(control As IRibbonControl).
        assert re.search(rf"^Sub {procedure}\(\w+ As IRibbonControl\)", code, re.M), callback
    # The package still points at this ribbon part.
    assert 'Target="customUI/customUI.xml"' in package.text("_rels/.rels")


def test_config_sheet_is_active_and_set(built: Path) -> None:
    package = Package(built)
    modules = _vba_modules(package.parts["xl/vbaProject.bin"])
    project = re.search(r'PROJECT_NAME As String = "(\w+)"', "\n".join(modules.values()))
    assert project is not None
    # GetConfigFromSheet reads the add-in's sheet named PROJECT_NAME & ".conf".
    sheet_names = [s.name for s in workbook_sheets(package)]
    assert sheet_names == [f"{project.group(1)}.conf"] == [addin.CONFIG_SHEET]
    assert "_myaddin.conf" not in package.text("docProps/app.xml")

    part = workbook_sheets(package)[0].part
    root = ElementTree.fromstring(package.parts[part])
    strings = [
        "".join(t.text or "" for t in si.iter(f"{{{NS_MAIN}}}t"))
        for si in ElementTree.fromstring(package.parts["xl/sharedStrings.xml"]).iter(
            f"{{{NS_MAIN}}}si"
        )
    ]
    cells: dict[str, str] = {}
    for cell in root.iter(f"{{{NS_MAIN}}}c"):
        if cell.get("t") == "s":
            value = cell.find(f"{{{NS_MAIN}}}v")
            assert value is not None
            cells[cell.get("r", "")] = strings[int(value.text or 0)]
        elif cell.get("t") == "inlineStr":
            cells[cell.get("r", "")] = "".join(t.text or "" for t in cell.iter(f"{{{NS_MAIN}}}t"))
    config = {cells[ref]: cells.get("B" + ref[1:]) for ref in cells if ref.startswith("A")}
    assert config["UDF Modules"] == "xlplugin.udfs"
    assert config["Interpreter_Win"] == r"C:\Python311\python.exe"
    assert config["Interpreter_Mac"] == r"C:\Python311\python.exe"
    assert config["PYTHONPATH"] is None  # the rest stays as xlwings ships it


def test_default_interpreter_is_this_one(tmp_path: Path) -> None:
    path = addin.build_addin(tmp_path)
    text = Package(path).text("xl/worksheets/sheet1.xml")
    assert f">{sys.executable}</t>" in text


def test_built_addin_is_a_readable_workbook_for_other_tools(built: Path) -> None:
    info = read_package_info(built)
    assert info.sheet_names == ("myaddin.conf",)


@pytest.mark.skipif(
    sys.platform.startswith("win") or sys.platform == "darwin", reason="Excel may exist"
)
def test_install_without_excel_says_so_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["addin", "install"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：安装加载项需要 Windows 或 macOS 上的 Microsoft Excel")
    assert "branch-assess recalc" in err
    assert "Traceback" not in err


def test_help_texts_are_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (
        ["recalc", "-h"],
        ["addin", "-h"],
        ["addin", "build", "-h"],
        ["addin", "install", "-h"],
    ):
        assert main(args) == 0
        out = capsys.readouterr().out
        assert out.startswith("用法："), args
        assert re.search(r"[\u4e00-\u9fff]{4}", out), args


def test_a_file_name_for_the_output_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``-o 考评定级.xlam`` would make a folder of that name with xlplugin.xlam in it: the name
    is fixed (the button runs the module named after the file), so the message says what to
    give instead, and nothing is written."""
    assert main(["addin", "build", "-o", str(tmp_path / "考评定级.xlam")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：-o 应为输出文件夹，不是文件名：加载项的文件名必须是 xlplugin.xlam")
    assert f"请改为 -o {tmp_path}" in err
    assert list(tmp_path.iterdir()) == []
    # A folder whose name ends so is still a folder.
    folder = tmp_path / "加载项.xlam"
    folder.mkdir()
    assert main(["addin", "build", "-o", str(folder)]) == 0
    assert (folder / "xlplugin.xlam").is_file()
