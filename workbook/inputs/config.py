"""The small TOML configuration file: mail defaults and the SMTP server.

Looked up in this order, the first that exists wins (see docs/email.md):

1. ``--config FILE`` on the command line (must exist);
2. the file named by the environment variable ``BRANCH_ASSESS_CONFIG`` (must exist);
3. ``branch-assess.toml`` in the current folder.

No file is fine: every setting then comes from the command line. Passwords are never stored
here; ``smtp.password_env`` names the environment variable that holds it.
"""

from __future__ import annotations

import ipaddress
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from workbook.core.tomlvalues import TOML_TOO_DEEP
from workbook.errors import ConfigError, describe_os_error
from workbook.inputs.text_file import SMALL_TEXT_LIMIT, file_kind, read_at_most

CONFIG_ENV = "BRANCH_ASSESS_CONFIG"
CONFIG_FILE_NAME = "branch-assess.toml"
DEFAULT_PASSWORD_ENV = "BRANCH_ASSESS_SMTP_PASSWORD"

Security = Literal["none", "starttls", "ssl"]
SECURITY_CHOICES: tuple[Security, ...] = ("none", "starttls", "ssl")

_MAIL_KEYS = {"from", "to", "cc", "subject", "body"}
_SMTP_KEYS = {"host", "port", "security", "user", "password_env", "timeout", "cafile"}


@dataclass(frozen=True)
class Config:
    """Settings from the configuration file (all optional)."""

    source: Path | None = None
    sender: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str | None = None
    body: str | None = None
    smtp_host: str | None = None
    smtp_port: int | None = None
    security: Security | None = None
    user: str | None = None
    password_env: str = DEFAULT_PASSWORD_ENV
    timeout: float = 30.0
    cafile: Path | None = None


def find_config_file(
    explicit: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
) -> Path | None:
    """The configuration file to use, or None.

    Raises:
        ConfigError: ``--config`` or ``BRANCH_ASSESS_CONFIG`` names a file that does not exist.
    """
    env = os.environ if env is None else env
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"找不到配置文件 {path}（--config）")
        return path
    named = env.get(CONFIG_ENV)
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"找不到配置文件 {path}（环境变量 {CONFIG_ENV}）")
        return path
    local = Path(cwd or Path.cwd()) / CONFIG_FILE_NAME
    return local if local.is_file() else None


def load_config(
    explicit: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
) -> Config:
    """Find and parse the configuration file (an empty Config when there is none).

    Raises:
        ConfigError: the file cannot be read, is not valid TOML, or a setting has a wrong type.
    """
    path = find_config_file(explicit, env, cwd)
    if path is None:
        return Config()
    try:
        read = read_at_most(path)
    except OSError as error:
        raise ConfigError(f"无法读取配置文件 {path}：{describe_os_error(error)}") from None
    if read is None:
        raise ConfigError(
            f"配置文件 {path} 超过 {SMALL_TEXT_LIMIT >> 20} MiB，不像配置文件；"
            "配置文件应为 UTF-8 编码的 TOML 文本，见 docs/email.md"
        )
    raw = read
    kind = file_kind(raw)
    if kind is not None:
        # Notepad's ANSI (GBK) or "Unicode" (UTF-16): tomllib would raise UnicodeDecodeError.
        raise ConfigError(
            f"配置文件 {path} 是{kind}，不是 UTF-8 编码的文本；请用记事本打开，另存时选“UTF-8”编码"
        )
    try:
        # A BOM (older Notepad's UTF-8) is not TOML, but nothing else is meant by it.
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"配置文件 {path} 格式错误：{error}") from None
    except RecursionError:  # tomllib parses nested arrays and tables by recursion
        raise ConfigError(f"配置文件 {path} 格式错误：{TOML_TOO_DEEP}") from None
    return parse_config(data, path)


def parse_config(data: Mapping[str, Any], path: Path | None = None) -> Config:
    """Build a Config from parsed TOML, naming the file and key of any wrong setting."""
    where = str(path) if path else "配置"
    unknown = set(data) - {"mail", "smtp"}
    if unknown:
        raise ConfigError(
            f"配置文件 {where} 中有未知的节：{'、'.join(sorted(unknown))}（可用：mail、smtp）"
        )
    mail = _table(data, "mail", where)
    smtp = _table(data, "smtp", where)
    for table, allowed, name in ((mail, _MAIL_KEYS, "mail"), (smtp, _SMTP_KEYS, "smtp")):
        extra = set(table) - allowed
        if extra:
            raise ConfigError(
                f"配置文件 {where} 的 [{name}] 中有未知的设置：{'、'.join(sorted(extra))}"
                f"（可用：{'、'.join(sorted(allowed))}）"
            )
    security = _string(smtp, "security", where, "smtp")
    if security is not None and security not in SECURITY_CHOICES:
        raise ConfigError(
            f"配置文件 {where} 的 smtp.security 应为 none、starttls 或 ssl，实际为“{security}”"
        )
    port = smtp.get("port")
    if port is not None and (
        isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536
    ):
        raise ConfigError(
            f"配置文件 {where} 的 smtp.port 应为 1～65535 的整数，实际为{_shown(port)}"
        )
    timeout = smtp.get("timeout", 30)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError(
            f"配置文件 {where} 的 smtp.timeout 应为正数（秒），实际为{_shown(timeout)}"
        )
    cafile = _string(smtp, "cafile", where, "smtp")
    host = _string(smtp, "host", where, "smtp")
    problem = host_problem(host) if host is not None else None
    if problem is not None:
        raise ConfigError(
            f"配置文件 {where} 的 smtp.host 应只写邮件服务器的主机名（如 smtp.example.org），"
            f"端口写在 smtp.port 中；{problem}，实际为“{host}”"
        )
    return Config(
        source=path,
        sender=_string(mail, "from", where, "mail"),
        to=_addresses(mail, "to", where),
        cc=_addresses(mail, "cc", where),
        subject=_string(mail, "subject", where, "mail"),
        body=_string(mail, "body", where, "mail"),
        smtp_host=host,
        smtp_port=port,
        security=security,
        user=_string(smtp, "user", where, "smtp"),
        password_env=_string(smtp, "password_env", where, "smtp") or DEFAULT_PASSWORD_ENV,
        timeout=float(timeout),
        # A relative path is relative to the file that names it, not to the current folder.
        cafile=(path.parent if path else Path()) / cafile if cafile else None,
    )


def host_problem(host: str) -> str | None:
    """What is wrong with a mail server's host name as typed, or None: a blank, a slash (a
    ``smtp://`` address copied from a mail client) or a colon (a port, or an IPv6 address
    without its brackets)."""
    if not host or any(char.isspace() or char in "/\\@" for char in host):
        return "主机名中不能有空格、斜杠或 @（不要写 smtp://）"
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "主机名中不能有冒号（端口另写；IPv6 地址在 --smtp 中写在方括号里，如 [::1]:25）"
    return None


def _shown(value: object) -> str:
    """A setting's value as the user typed it in TOML: text in Chinese quotes, the rest as
    TOML writes it (``25``, ``["a@example.org", 2]``), not as Python's ``repr``."""
    if isinstance(value, str):
        return f"“{value}”"
    try:
        return " " + json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):  # dates, times: their TOML form is their ISO form
        return f" {value}"


def _table(data: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"配置文件 {where} 中的 {key} 应为一个节（[{key}]）")
    return value


def _string(table: Mapping[str, Any], key: str, where: str, section: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            f"配置文件 {where} 的 {section}.{key} 应为非空文字，实际为{_shown(value)}"
        )
    return value.strip() if key not in {"body", "subject"} else value


def _addresses(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"配置文件 {where} 的 mail.{key} 应为邮件地址列表，实际为{_shown(value)}")
    return tuple(v.strip() for v in value)
