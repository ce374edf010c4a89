"""RecordingXlwings: the recording stand-in for the xlwings calls of ``xlplugin.install``.

Part of the project's one stand-in for xlwings/Excel COM (see ``recording_excel.py``), kept in its
own module because it models a different surface: the ``xlwings`` module as the Windows add-in
set-up uses it (``xw.App(visible=False, add_book=False)`` as a context manager, ``xw.apps``,
``xw.import_udfs(modules, book.api)``), the books of an Excel (``books.open``, ``books[name]``,
``save``, ``close``) and the add-in's VBA project (``book.api.VBProject.VBComponents(name)``).

It behaves like Excel where the set-up depends on it:

- Excel reads "Trust access to the VBA project object model" when it starts: an Excel started
  while ``AccessVBOM`` is not 1 (and no policy sets it to 1) refuses ``import_udfs`` with Excel's
  own message;
- an add-in's workbook is hidden, and Excel refuses the ``MacroOptions`` call of ``import_udfs``
  on a hidden workbook: importing into a book whose ``IsAddin`` is still true fails;
- opening a file that does not exist fails; ``books[name]`` of a book that is not open raises
  ``KeyError``, as xlwings does;
- ``save`` writes to the file on disk: the imported VBA module is added to the package as the
  part ``recording/xlwings_udfs.txt`` (listing the modules), so a test can see which file holds
  the import;
- ``App`` used as a context manager quits (and kills) Excel on exit, as xlwings does.

Every call is appended to ``log`` (shared with ``xlplugin.registry.MemoryRegistry``), so a test
sees the order of registry and Excel calls.
"""

from __future__ import annotations

import importlib
import zipfile
from pathlib import Path
from typing import Any

from xlplugin.install import ACCESS_VBOM, UDF_VBA_MODULE, policy_keys, security_key
from xlplugin.registry import MemoryRegistry

UDF_PART = "recording/xlwings_udfs.txt"
NOT_TRUSTED = "不信任到 Visual Basic Project 的程序访问"  # Excel's message (Chinese Office)
HIDDEN_WORKBOOK = "Cannot edit a macro on a hidden workbook."


class ExcelError(RuntimeError):
    """What a failing COM call raises (pywintypes.com_error in real life)."""


class RecordingXlwings:
    """Stands in for the ``xlwings`` module; ``running`` are the Excels the user has open."""

    def __init__(
        self,
        registry: MemoryRegistry,
        startup_path: Path,
        office_version: str = "16.0",
    ) -> None:
        self.registry = registry
        self.log = registry.log
        self.startup_path = startup_path
        self.office_version = office_version
        self.running: list[_App] = []
        self.started: list[_App] = []
        self.import_error: Exception | None = None  # make import_udfs fail like this

    def open_excel(self, with_addin: bool = True, refuse_open: bool = False) -> _App:
        """An Excel the user already has open (with the add-in loaded from XLSTART)."""
        app = _App(self, trusted=False, label=f"excel{len(self.running) + 1}")
        app.refuse_open = refuse_open
        if with_addin:
            app.open_books[ADDIN] = _Book(app, self.startup_path / ADDIN)
        self.running.append(app)
        return app

    def _trusted_now(self) -> bool:
        keys = (security_key(self.office_version), *policy_keys(self.office_version))
        values = [self.registry.get(key, ACCESS_VBOM) for key in keys]
        policy = next((v for v in values[1:] if v is not None), None)
        if policy is not None:
            return policy.data == 1
        return values[0] is not None and values[0].data == 1

    # --- the xlwings module surface ------------------------------------------------------

    def App(self, visible: bool | None = None, add_book: bool = True) -> _App:  # noqa: N802
        self.log.append(("xw.App", visible, add_book))
        app = _App(self, trusted=self._trusted_now(), label=f"new{len(self.started) + 1}")
        self.started.append(app)
        self.running.append(app)
        return app

    @property
    def apps(self) -> list[_App]:
        self.log.append(("xw.apps",))
        return list(self.running)

    def import_udfs(self, module_names: str, xl_workbook: _BookApi) -> None:
        book = xl_workbook.book
        self.log.append(("xw.import_udfs", module_names, book.name))
        if self.import_error is not None:
            raise self.import_error
        if not book.app.trusted:
            raise ExcelError(NOT_TRUSTED)
        if book.is_addin:
            raise ExcelError(HIDDEN_WORKBOOK)
        for name in module_names.split(";"):
            importlib.import_module(name)  # xlwings imports each module in this process
        book.components[UDF_VBA_MODULE] = module_names


ADDIN = "xlplugin.xlam"


class _App:
    def __init__(self, xw: RecordingXlwings, trusted: bool, label: str) -> None:
        self.xw = xw
        self.trusted = trusted
        self.label = label
        self.open_books: dict[str, _Book] = {}
        self.refuse_open = False
        self.display_alerts_value = True
        self.books = _Books(self)

    def __enter__(self) -> _App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.quit()
        self.kill()

    @property
    def startup_path(self) -> str:
        self.xw.log.append((f"{self.label}.startup_path",))
        return str(self.xw.startup_path)

    @property
    def display_alerts(self) -> bool:
        return self.display_alerts_value

    @display_alerts.setter
    def display_alerts(self, value: bool) -> None:
        self.xw.log.append((f"{self.label}.display_alerts", value))
        self.display_alerts_value = value

    def quit(self) -> None:
        self.xw.log.append((f"{self.label}.quit",))
        if self in self.xw.running:
            self.xw.running.remove(self)

    def kill(self) -> None:
        pass  # the process is gone after quit


class _Books:
    def __init__(self, app: _App) -> None:
        self.app = app

    def __getitem__(self, name: str) -> _Book:
        if name not in self.app.open_books:
            raise KeyError(name)
        return self.app.open_books[name]

    def open(self, fullname: str) -> _Book:
        self.app.xw.log.append((f"{self.app.label}.books.open", Path(fullname).name))
        if self.app.refuse_open:
            raise ExcelError("Call was rejected by callee.")
        path = Path(fullname)
        if not path.is_file():
            raise ExcelError(f"找不到 {fullname}")
        book = _Book(self.app, path)
        with zipfile.ZipFile(path) as archive:
            if UDF_PART in archive.namelist():
                book.components[UDF_VBA_MODULE] = archive.read(UDF_PART).decode()
        self.app.open_books[path.name] = book
        return book


class _Book:
    def __init__(self, app: _App, path: Path) -> None:
        self.app = app
        self.path = path
        self.name = path.name
        self.components: dict[str, str] = {"xlwings": "", "RibbonMyAddin": ""}
        self.is_addin = path.suffix == ".xlam"
        self.api = _BookApi(self)

    def save(self) -> None:
        self.app.xw.log.append((f"{self.app.label}.book.save", self.name, self.is_addin))
        modules = self.components.get(UDF_VBA_MODULE)
        if modules is None:
            return
        with zipfile.ZipFile(self.path) as archive:
            parts = {i.filename: archive.read(i) for i in archive.infolist()}
        parts[UDF_PART] = modules.encode()
        with zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in parts.items():
                archive.writestr(name, data)

    def close(self) -> None:
        self.app.xw.log.append((f"{self.app.label}.book.close", self.name))
        self.app.open_books.pop(self.name, None)


class _BookApi:
    """The COM workbook (``book.api``): its name and its VBA project."""

    def __init__(self, book: _Book) -> None:
        self.book = book
        self.VBProject = self

    @property
    def IsAddin(self) -> bool:  # noqa: N802 (COM name)
        return self.book.is_addin

    @IsAddin.setter
    def IsAddin(self, value: bool) -> None:  # noqa: N802 (COM name)
        self.book.app.xw.log.append(("IsAddin", value))
        self.book.is_addin = value

    @property
    def Name(self) -> str:  # noqa: N802 (COM name)
        return self.book.name

    def VBComponents(self, name: str) -> Any:  # noqa: N802 (COM name)
        self.book.app.xw.log.append(("VBComponents", name))
        if name not in self.book.components:
            raise ExcelError(f"下标越界：{name}")
        return self.book.components[name]
