"""The Windows registry behind a small interface: ``winreg`` on Windows, a dict in tests.

Keys are written in full, hive first, as regedit shows them
(``HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\16.0\\Excel\\Security``); names and keys are
case-insensitive, as in Windows. ``read`` returns ``None`` when the value (or its key) is absent;
``write`` and ``delete`` raise ``OSError`` (``PermissionError``) when the key refuses the change.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Protocol

# The registry's own type codes (winreg.REG_SZ, winreg.REG_DWORD).
REG_SZ = 1
REG_DWORD = 4


@dataclass(frozen=True)
class RegistryValue:
    """One registry value: its data and its type code, so that it can be written back as it was."""

    data: int | str
    kind: int = REG_DWORD


class Registry(Protocol):
    """The three registry calls the add-in set-up needs."""

    def read(self, key: str, name: str) -> RegistryValue | None:
        """The value ``name`` of ``key``, or ``None`` when either is absent."""
        ...

    def write(self, key: str, name: str, value: RegistryValue) -> None:
        """Set ``name`` of ``key`` (creating the key); raises ``OSError`` when refused."""
        ...

    def delete(self, key: str, name: str) -> None:
        """Remove ``name`` from ``key``; absent is fine; raises ``OSError`` when refused."""
        ...


class MemoryRegistry:
    """A registry held in memory, for tests and dry runs.

    Args:
        values: the initial values, ``{(key, name): RegistryValue}``.
        locked: keys that refuse writes and deletes with ``PermissionError``, as a key
            protected by the administrator does.
        log: a list to append every call to (``("registry.read", key, name)``, ...), so that
            a test can see the order of registry calls among other calls.
    """

    def __init__(
        self,
        values: dict[tuple[str, str], RegistryValue] | None = None,
        locked: tuple[str, ...] = (),
        log: list[tuple[Any, ...]] | None = None,
    ) -> None:
        self.values = {_fold(key, name): value for (key, name), value in (values or {}).items()}
        self.locked = {key.casefold() for key in locked}
        self.log: list[tuple[Any, ...]] = [] if log is None else log

    def read(self, key: str, name: str) -> RegistryValue | None:
        self.log.append(("registry.read", key, name))
        return self.values.get(_fold(key, name))

    def get(self, key: str, name: str) -> RegistryValue | None:
        """The value as ``read`` returns it, without logging (for looking at the result)."""
        return self.values.get(_fold(key, name))

    def write(self, key: str, name: str, value: RegistryValue) -> None:
        self.log.append(("registry.write", key, name, value.data))
        self._check_writable(key)
        self.values[_fold(key, name)] = value

    def delete(self, key: str, name: str) -> None:
        self.log.append(("registry.delete", key, name))
        self._check_writable(key)
        self.values.pop(_fold(key, name), None)

    def _check_writable(self, key: str) -> None:
        if key.casefold() in self.locked:
            raise PermissionError(13, "拒绝访问。", key)


def _fold(key: str, name: str) -> tuple[str, str]:
    return key.casefold(), name.casefold()


class WindowsRegistry:
    """The real registry through ``winreg`` (Windows only)."""

    def read(self, key: str, name: str) -> RegistryValue | None:
        if sys.platform != "win32":
            raise OSError("注册表只在 Windows 上可用")
        import winreg

        hive, path = _split(key)
        try:
            with winreg.OpenKey(hive, path, 0, winreg.KEY_READ | winreg.KEY_WOW64_64KEY) as handle:
                data, kind = winreg.QueryValueEx(handle, name)
        except FileNotFoundError:
            return None
        return RegistryValue(data, kind)

    def write(self, key: str, name: str, value: RegistryValue) -> None:
        if sys.platform != "win32":
            raise OSError("注册表只在 Windows 上可用")
        import winreg

        hive, path = _split(key)
        access = winreg.KEY_SET_VALUE | winreg.KEY_WOW64_64KEY
        with winreg.CreateKeyEx(hive, path, 0, access) as handle:
            winreg.SetValueEx(handle, name, 0, value.kind, value.data)

    def delete(self, key: str, name: str) -> None:
        if sys.platform != "win32":
            raise OSError("注册表只在 Windows 上可用")
        import winreg

        hive, path = _split(key)
        access = winreg.KEY_SET_VALUE | winreg.KEY_WOW64_64KEY
        try:
            with winreg.OpenKey(hive, path, 0, access) as handle:
                winreg.DeleteValue(handle, name)
        except FileNotFoundError:
            pass


def _split(key: str) -> tuple[Any, str]:
    """``HKEY_CURRENT_USER\\Software\\...`` -> (the winreg hive constant, ``Software\\...``)."""
    import winreg

    hive_name, _, path = key.partition("\\")
    return getattr(winreg, hive_name.upper()), path
