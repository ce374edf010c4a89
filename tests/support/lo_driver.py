"""Drive LibreOffice Calc through UNO as a user would; run by the system Python (it has ``uno``).

Usage: python3 lo_driver.py JOB.json. The job names LibreOffice's program, a source workbook,
a target and the steps. Steps (sheet names, A1 addresses):

- ["type", sheet, cell, value]: type a number or a text into a cell;
- ["move", sheet, from_cell, to_cell]: cut a cell and paste it elsewhere (drag and drop;
  LibreOffice moves the references to it, defined names included);
- ["copy_sheet_contents", sheet, new_sheet]: select all, copy, paste into a new sheet at the
  end (cells only, as Ctrl+A, Ctrl+C, Ctrl+V give them);
- ["insert_rows", sheet, row, count]: insert rows above a 1-based row;
- ["unprotect", sheet]: 审阅 > 撤销工作表保护 (the template protects its sheets without a password);
- ["rename", sheet, new_name]: rename a sheet (右键 > 重命名工作表);
- ["formula", sheet, cell, text]: type a formula (``=1+1``, function names in English);
- ["optimal_height", sheet, row]: set a 1-based row to its optimal height (最佳行高).

The target is saved as Excel 2007-365 xlsx.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]


def prop(name: str, value: object) -> PropertyValue:
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


def connect(pipe: str) -> object:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    for _ in range(360):
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except NoConnectException:
            time.sleep(0.5)
    raise RuntimeError("LibreOffice did not start")


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    soffice = job["soffice"]
    with tempfile.TemporaryDirectory(prefix="lo-uno-") as profile:
        # A new profile makes LibreOffice initialise it and restart itself on its first start; a
        # bridge made to the first process then loses the document ("could not open", disposed).
        # Initialise the profile in a run of its own first, on a loaded machine too.
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--invisible",
                "--norestore",
                "--nologo",
                "--terminate_after_init",
            ],
            capture_output=True,
            timeout=1200,
            check=False,
        )
        pipe = f"kp{os.getpid()}"
        process = subprocess.Popen(
            [
                soffice,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--invisible",
                "--norestore",
                "--nologo",
                f"--accept=pipe,name={pipe};urp;",
            ],
            start_new_session=True,  # its own process group: ended below with its children
        )
        try:
            context = connect(pipe)
            manager = context.ServiceManager
            desktop = manager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
            document = None
            for _ in range(10):  # a busy LibreOffice may answer None to the first requests
                document = desktop.loadComponentFromURL(
                    Path(job["source"]).absolute().as_uri(),
                    "_blank",
                    0,
                    # The filter named: LibreOffice's type detection is what fails now and then.
                    (prop("Hidden", True), prop("FilterName", "Calc MS Excel 2007 XML")),
                )
                if document is not None:
                    break
                time.sleep(1)
            if document is None:
                raise RuntimeError(f"LibreOffice could not open {job['source']}")
            try:
                run_steps(context, document, job.get("steps", []))
                store = (prop("FilterName", "Calc MS Excel 2007 XML"), prop("Overwrite", True))
                document.storeToURL(Path(job["target"]).absolute().as_uri(), store)
            finally:
                # LibreOffice may go down while closing: the file is saved by then.
                with contextlib.suppress(Exception):
                    document.close(True)
            with contextlib.suppress(Exception):  # the bridge goes away as LibreOffice ends
                desktop.terminate()
        finally:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=60)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the group this driver started


def run_steps(context: object, document: object, steps: list) -> None:
    sheets = document.Sheets
    for step in steps:
        kind, sheet_name = step[0], step[1]
        sheet = sheets.getByName(sheet_name)
        if kind == "type":
            cell = sheet.getCellRangeByName(step[2])
            if isinstance(step[3], int | float):
                cell.setValue(step[3])
            else:
                cell.setString(step[3])
        elif kind == "move":
            source = sheet.getCellRangeByName(step[2]).RangeAddress
            target = sheet.getCellRangeByName(step[3]).CellAddress
            sheet.moveRange(target, source)
        elif kind == "copy_sheet_contents":
            # What Ctrl+A, Ctrl+C, Ctrl+V into a new sheet give: the used cells with their values,
            # formulas and formats, not the sheet's names. Done with XCellRangeMovement.copyRange,
            # not the clipboard: headless LibreOffice 7.4 aborts in a timer now and then while
            # the clipboard dispatches run on a loaded machine.
            sheets.insertNewByName(step[2], sheets.Count)
            new_sheet = sheets.getByName(step[2])
            cursor = sheet.createCursor()
            cursor.gotoEndOfUsedArea(False)
            end = cursor.getRangeAddress()
            used = sheet.getCellRangeByPosition(0, 0, end.EndColumn, end.EndRow)
            new_sheet.copyRange(
                new_sheet.getCellByPosition(0, 0).getCellAddress(), used.getRangeAddress()
            )
        elif kind == "unprotect":
            sheet.unprotect("")
        elif kind == "rename":
            sheet.setName(step[2])
        elif kind == "formula":
            sheet.getCellRangeByName(step[2]).setFormula(step[3])
        elif kind == "hide":
            sheet.IsVisible = False
        elif kind == "merge":
            # As Format > Merge Cells answering "keep the contents of the hidden cells".
            sheet.getCellRangeByName(step[2]).merge(True)
        elif kind == "optimal_height":
            # 格式 > 行 > 最佳行高: the height the row's (unmerged) cells need, saved in the file.
            sheet.getRows().getByIndex(int(step[2]) - 1).OptimalHeight = True
        elif kind == "insert_rows":
            sheet.getRows().insertByIndex(int(step[2]) - 1, int(step[3]))
        else:
            raise ValueError(f"unknown step {kind}")


if __name__ == "__main__":
    main()
