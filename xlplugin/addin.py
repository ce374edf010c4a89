"""Building ``xlplugin.xlam``: xlwings' own ribbon add-in with our tab (installing: ``install.py``).

The add-in is xlwings' ``quickstart_addin_ribbon.xlam`` from the installed (pinned) xlwings:

- its VBA project (``xl/vbaProject.bin``) is copied byte for byte: it must match the xlwings
  Python package, and its ``RibbonMyAddin.RunMain`` runs ``import <file name>; <file name>.main()``,
  so naming the file ``xlplugin.xlam`` makes the button run ``xlplugin.main()``;
- the ribbon XML is replaced by a 考评定级 tab with one 考评定级 button (same callback);
- its configuration sheet is activated (the VBA reads a sheet named ``<PROJECT_NAME>.conf``,
  i.e. ``myaddin.conf``; xlwings ships it as ``_myaddin.conf``, inactive) and set so that UDFs
  come from ``xlplugin.udfs`` and the interpreter is the one this project is installed in.

The package is edited part by part with zipfile; every other part is copied unchanged.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from xml.sax.saxutils import quoteattr

from defusedxml import ElementTree

from workbook.atomic import atomic_output
from workbook.errors import AddinError, describe_os_error
from workbook.xlsx.cell_edit import CellEdit, edit_cells
from workbook.xlsx.package import NS_MAIN, Package
from workbook.xlsx.parts import workbook_sheets

ADDIN_FILE = "xlplugin.xlam"
SOURCE_ADDIN = "quickstart_addin_ribbon.xlam"
# The VBA's PROJECT_NAME is "myaddin"; GetConfig reads the add-in's sheet "myaddin.conf".
SHIPPED_CONFIG_SHEET = "_myaddin.conf"
CONFIG_SHEET = "myaddin.conf"
RIBBON_PART = "customUI/customUI.xml"
RIBBON_CALLBACK = "RibbonMyAddin.RunMain"
UDF_MODULES = "xlplugin.udfs"
TAB_LABEL = "考评定级"
BUTTON_LABEL = "考评定级"
# What the one button does depends on the active workbook (xlplugin/ribbon.py).
BUTTON_TIP = (
    "看当前工作簿做相应的事：在支部名单中选中支部名称时，为这些支部新建考评定级表；"
    "在考评定级表中，按《考评定级标准》重新计算各支部的项目得分、合计得分和定级，标出输入有误的"
    "单元格，刷新“总览”，再询问是否汇总或发送邮件；在汇总表中，选择收回的考评定级表所在文件夹，"
    "汇总全部支部。"
)
XLWINGS_MISSING = (
    "没有安装 xlwings：请用 pip 安装本工具时带上 [excel]，"
    '例如 pip install "branch_assessment-版本号-py3-none-any.whl[excel]"（见 docs/excel-addin.md）'
)

RIBBON_XML = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui">
    <ribbon>
        <tabs>
            <tab id="kpTab" label={quoteattr(TAB_LABEL)}>
                <group id="kpGroup" label="规范化建设考评定级">
                    <button id="kpRecalc" label={quoteattr(BUTTON_LABEL)} size="large" onAction="{RIBBON_CALLBACK}" imageMso="CalculateNow" screentip={quoteattr(BUTTON_LABEL)} supertip={quoteattr(BUTTON_TIP)} />
                </group>
            </tab>
        </tabs>
    </ribbon>
</customUI>
"""


def xlwings_folder() -> Path:
    """The installed xlwings package folder, found without importing xlwings."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or spec.origin is None:
        raise AddinError(XLWINGS_MISSING)
    return Path(spec.origin).parent


def source_addin() -> Path:
    """xlwings' own ribbon add-in, the base of ours."""
    path = xlwings_folder() / SOURCE_ADDIN
    if not path.is_file():
        raise AddinError(
            f"找不到 xlwings 自带的加载项 {path}；请重新安装本工具（含 [excel]，见 docs/excel-addin.md）"
        )
    return path


def _config_values(interpreter: str) -> dict[str, str]:
    """Config sheet label (column A, as xlwings ships it) -> value for column B."""
    return {
        "Interpreter_Win": interpreter,
        "Interpreter_Mac": interpreter,
        "UDF Modules": UDF_MODULES,
    }


def _shared_strings(package: Package) -> list[str]:
    if "xl/sharedStrings.xml" not in package.parts:
        return []
    root = ElementTree.fromstring(package.parts["xl/sharedStrings.xml"])
    return [
        "".join(t.text or "" for t in si.iter(f"{{{NS_MAIN}}}t"))
        for si in root.iter(f"{{{NS_MAIN}}}si")
    ]


def _cell_texts(package: Package, part: str, column: str) -> dict[int, str]:
    """0-based row -> text of the cells in ``column`` of a sheet (shared or inline strings)."""
    strings = _shared_strings(package)
    root = ElementTree.fromstring(package.parts[part])
    texts: dict[int, str] = {}
    for cell in root.iter(f"{{{NS_MAIN}}}c"):
        match = re.fullmatch(rf"{column}(\d+)", cell.get("r", ""))
        if not match:
            continue
        if cell.get("t") == "inlineStr":
            text = "".join(t.text or "" for t in cell.iter(f"{{{NS_MAIN}}}t"))
        else:
            value = cell.find(f"{{{NS_MAIN}}}v")
            if value is None or value.text is None:
                continue
            text = strings[int(value.text)] if cell.get("t") == "s" else value.text
        texts[int(match.group(1)) - 1] = text
    return texts


def _label_rows(package: Package, part: str) -> dict[str, int]:
    """Text in column A -> 0-based row, for the config sheet."""
    return {text: row for row, text in _cell_texts(package, part, "A").items()}


def read_config(addin_file: str | Path) -> dict[str, str]:
    """The add-in's config sheet as ``{label: value}`` (column A -> column B; empty values left out).

    Raises:
        WorkbookReadError: the file is not a readable workbook.
        AddinError: it has no config sheet.
    """
    package = Package(addin_file)
    sheets = {s.name: s for s in workbook_sheets(package)}
    config = sheets.get(CONFIG_SHEET) or sheets.get(SHIPPED_CONFIG_SHEET)
    if config is None:
        raise AddinError(
            f"{addin_file} 不是本工具的加载项（没有配置工作表 {CONFIG_SHEET}）；"
            "请用 branch-assess addin build 生成"
        )
    labels = _cell_texts(package, config.part, "A")
    values = _cell_texts(package, config.part, "B")
    return {label: values[row] for row, label in labels.items() if row in values}


def build_addin(output_dir: str | Path = ".", interpreter: str | None = None) -> Path:
    """Write ``xlplugin.xlam`` into ``output_dir`` and return its path.

    Raises:
        AddinError: xlwings' add-in is missing or not as expected, or the file cannot be written.
    """
    package = Package(source_addin())
    interpreter = interpreter or sys.executable

    if RIBBON_PART not in package.parts:
        raise AddinError(f"xlwings 加载项中没有功能区定义 {RIBBON_PART}，版本不符")
    package.set_text(RIBBON_PART, RIBBON_XML)

    sheets = {s.name: s for s in workbook_sheets(package)}
    config = sheets.get(SHIPPED_CONFIG_SHEET) or sheets.get(CONFIG_SHEET)
    if config is None:
        raise AddinError(f"xlwings 加载项中没有配置工作表 {SHIPPED_CONFIG_SHEET}，版本不符")
    if config.name != CONFIG_SHEET:
        workbook = package.text("xl/workbook.xml")
        package.set_text(
            "xl/workbook.xml",
            workbook.replace(f'name="{SHIPPED_CONFIG_SHEET}"', f'name="{CONFIG_SHEET}"', 1),
        )
        app = package.parts.get("docProps/app.xml", b"")
        old_title = f">{SHIPPED_CONFIG_SHEET}<".encode()
        if old_title in app:  # the sheet's name in TitlesOfParts, if listed
            package.parts["docProps/app.xml"] = app.replace(old_title, f">{CONFIG_SHEET}<".encode())

    rows = _label_rows(package, config.part)
    edits = {}
    for label, value in _config_values(interpreter).items():
        if label not in rows:
            raise AddinError(f"xlwings 加载项的配置工作表中没有“{label}”一行，版本不符")
        edits[(rows[label], 1)] = CellEdit(value=value, set_value=True)
    package.set_text(config.part, edit_cells(package.text(config.part), edits))

    target = Path(output_dir) / ADDIN_FILE
    try:
        with atomic_output(target) as temp:
            package.save(temp)
    except OSError as error:
        raise AddinError(f"无法写入 {target}：{describe_os_error(error)}") from None
    return target
