"""The summary mail: compose it (stdlib ``email``), write it as ``.eml`` or send it by SMTP.

The attachment's Chinese file name is written in every form mail clients read (see
docs/email.md): an RFC 2047 encoded name in the quoted ``name``/``filename`` parameters (Outlook,
Foxmail, QQ Mail) and RFC 2231 ``filename*`` continuations (Thunderbird, Apple Mail, Gmail).
A pure-ASCII name is written plainly.
"""

from __future__ import annotations

import base64
import datetime as _dt
import smtplib
import socket
import ssl
import string
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path
from typing import Any

from workbook.core import names
from workbook.core.standard import DEFAULT_STANDARD_ID, Standard, load_standard
from workbook.errors import MailError, WorkbookReadError, describe_os_error
from workbook.inputs.config import Security, host_problem
from workbook.xlsx.text import visible_text
from workbook.xlsx.workbook_info import read_package_info

__all__ = [
    "DEFAULT_BODY",
    "DEFAULT_SUBJECT",
    "MAIL_POLICY",
    "XLSX_TYPE",
    "MailSettings",
    "SummaryInfo",
    "attachment_headers",
    "build_message",
    "default_port",
    "draft_bytes",
    "encoded_words",
    "message_bytes",
    "needs_smtputf8",
    "parse_server",
    "read_summary_info",
    "recipients",
    "rfc2231_sections",
    "send_message",
]

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
DEFAULT_SUBJECT = "{summary_title}"
DEFAULT_BODY = """县委组织部：

现将{summary_title}报上，请审阅。
汇总表依据{document}附件《{title}》逐项计算，含汇总、等级分布、失分分析、扣分明细、否决情形和来源等工作表。

附件：{filename}

{issuer}
{date}
"""
# RFC 2047 allows 75; shorter words keep `` filename="<word>";`` lines within 78 characters.
_ENCODED_WORD_MAX = 62
_RFC2231_LINE = 60


class _Prefolded(str):
    """A header value we have folded ourselves; written exactly as given."""


class _MailPolicy(EmailPolicy):
    """The default policy, except that pre-folded header values pass through unchanged."""

    def fold(self, name: str, value: str) -> str:
        if isinstance(value, _Prefolded):
            return name + ": " + self.linesep.join(value.splitlines()) + self.linesep
        folded: str = super().fold(name, value)
        return folded

    def fold_binary(self, name: str, value: str) -> bytes:
        if isinstance(value, _Prefolded):
            return self.fold(name, value).encode("ascii")
        return super().fold_binary(name, value)

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if isinstance(value, _Prefolded):
            value = str(value)
        return super().header_fetch_parse(name, value)


MAIL_POLICY = _MailPolicy(linesep="\r\n")


@dataclass(frozen=True)
class MailSettings:
    """Who gets the mail and what it says (subject/body templates take {year} {association} …)."""

    sender: str
    to: Sequence[str]
    cc: Sequence[str] = field(default_factory=tuple)
    subject: str | None = None
    body: str | None = None


@dataclass(frozen=True)
class SummaryInfo:
    """What a summary workbook says about itself."""

    path: Path
    standard: Standard
    year: str
    draft: bool


def read_summary_info(path: str | Path) -> SummaryInfo:
    """Check that ``path`` is a summary written by this tool and read its year and standard.

    Raises:
        MailError: the file is missing, unreadable or not a summary workbook.
    """
    path = Path(path)
    if path.is_dir():
        raise MailError(f"无法读取 {path}：这是一个文件夹，请给出汇总表文件（.xlsx）")
    try:
        with path.open("rb"):
            pass
    except FileNotFoundError:
        pass  # named by read_package_info
    except OSError as error:
        # Not "an empty file": the workbook reader cannot tell why it read nothing.
        raise MailError(f"无法读取 {path}：{describe_os_error(error)}") from None
    try:
        info = read_package_info(path)
    except WorkbookReadError as error:
        raise MailError(str(error)) from None
    if not info.properties.get(names.PROP_SUMMARY):
        raise MailError(f"{path.name} 不是本工具生成的汇总表；请先运行 branch-assess consolidate")
    if info.properties.get(names.PROP_RECTIFICATION):
        raise MailError(
            f"{path.name} 是一个支部的整改清单（consolidate --rectification 生成），不是汇总表；"
            "报送县委组织部的是 consolidate -o 生成的汇总表"
        )
    if info.properties.get(names.PROP_HISTORY):
        raise MailError(
            f"{path.name} 是历年对比工作簿（branch-assess history 生成），不是汇总表；"
            "报送县委组织部的是 consolidate -o 生成的汇总表"
        )
    standard = load_standard(info.properties.get(names.PROP_STANDARD) or DEFAULT_STANDARD_ID)
    return SummaryInfo(
        path=path,
        standard=standard,
        year=info.properties.get(names.PROP_YEAR, ""),
        draft=info.properties.get("kp_draft") == "1",
    )


def encoded_words(text: str) -> list[str]:
    """RFC 2047 base64 encoded words of UTF-8 ``text``, each at most 62 characters (the limit
    is 75), split between characters (never inside one)."""
    words: list[str] = []
    current = ""
    overhead = len("=?UTF-8?B??=")
    for ch in text:
        candidate = current + ch
        if current and len(base64.b64encode(candidate.encode())) + overhead > _ENCODED_WORD_MAX:
            words.append(current)
            current = ch
        else:
            current = candidate
    words.append(current)
    return ["=?UTF-8?B?" + base64.b64encode(w.encode()).decode("ascii") + "?=" for w in words]


def rfc2231_sections(name: str, text: str) -> list[str]:
    """``name*0*=UTF-8''…; name*1*=…`` continuations, split between characters."""
    sections: list[str] = []
    current = "UTF-8''"
    for ch in text:
        quoted = urllib.parse.quote(ch.encode("utf-8"), safe="")
        if len(current) + len(quoted) > _RFC2231_LINE and current != "UTF-8''":
            sections.append(current)
            current = ""
        current += quoted
    sections.append(current)
    return [f"{name}*{index}*={value}" for index, value in enumerate(sections)]


def attachment_headers(filename: str, mime: tuple[str, str] = XLSX_TYPE) -> tuple[str, str]:
    """The Content-Type and Content-Disposition values (folded) for an attachment named ``filename``."""
    ctype = f"{mime[0]}/{mime[1]};"
    if filename.isascii() and '"' not in filename and "\\" not in filename:
        return f'{ctype}\n name="{filename}"', f'attachment;\n filename="{filename}"'
    words = "\n ".join(encoded_words(filename))
    sections = ";\n ".join(rfc2231_sections("filename", filename))
    return f'{ctype}\n name="{words}"', f'attachment;\n filename="{words}";\n {sections}'


def _header_breaks(text: str) -> bool:
    """True if ``text`` holds a line break of any kind (every character ``str.splitlines``
    splits on, e.g. \\x0b, \\x0c, \\x85, U+2028) or another control character: none may go
    into a mail header."""
    return len(text.splitlines()) > 1 or any(
        ord(ch) < 32 or 127 <= ord(ch) < 160 or ch in "\u2028\u2029" for ch in text
    )


def _check_header_text(text: str, what: str, where: str) -> str:
    """``text`` as a header value, or a ``MailError`` naming ``what`` if it holds a line break
    or a control character."""
    if _header_breaks(text):
        raise MailError(f"{what}不能包含换行符或控制字符；请写成一行（{where}）")
    return text


def _check_address(address: str, what: str) -> str:
    """An address as it goes into a header: the domain punycoded (IDN), the local part kept.

    A local part that is not ASCII (张三@example.org) is allowed: the message is then an
    internationalized one (RFC 6531/6532), written with UTF-8 headers and sent only to a
    server that offers SMTPUTF8 (``send_message`` says so otherwise).

    Raises:
        MailError: the address is not an address, or its domain is not a valid domain name.
    """
    if _header_breaks(address):
        shown = "".join(" " if _header_breaks(ch) else ch for ch in address).strip()
        raise MailError(f"{what}“{shown}”含有换行或控制字符，不是有效的邮件地址")
    parsed = getaddresses([address])
    if len(parsed) != 1 or "@" not in parsed[0][1] or not parsed[0][1].split("@")[-1]:
        raise MailError(f"{what}“{address}”不是有效的邮件地址（例如 zuzhibu@example.org）")
    display, addr = parsed[0]
    local, _, domain = addr.rpartition("@")
    if not local:
        raise MailError(f"{what}“{address}”不是有效的邮件地址（例如 zuzhibu@example.org）")
    # The parser drops a blank inside the domain (a@exa mple.org becomes a@example.org) and
    # keeps one in the local part unquoted: both are typing mistakes, not addresses.
    typed = address.strip()
    if typed.endswith(">") and "<" in typed:
        typed = typed[typed.rindex("<") + 1 : -1]
    typed_local, _, typed_domain = typed.strip().rpartition("@")
    if any(ch.isspace() for ch in typed_domain) or (
        any(ch.isspace() for ch in typed_local) and not typed_local.startswith('"')
    ):
        raise MailError(
            f"{what}“{address}”中有空格，不是有效的邮件地址（例如 zuzhibu@example.org）"
        )
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise MailError(f"{what}“{address}”的域名“{domain}”不是有效的域名") from None
    if ascii_domain.endswith("."):
        # Copied with the sentence's full stop (。 is a dot to IDNA): the message would have
        # no valid recipient ("收件人：<>").
        raise MailError(
            f"{what}“{address}”末尾多了“{domain[-1]}”，不是有效的邮件地址；请删去"
            "（例如 zuzhibu@example.org）"
        )
    addr = f"{local}@{ascii_domain}"
    if not local.isascii():  # Address() refuses it; written as RFC 6532 allows
        quoted = display.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{addr}>' if display else addr
    try:
        return str(Address(display_name=display, addr_spec=addr)) if display else addr
    except (ValueError, IndexError):
        raise MailError(f"{what}“{address}”不是有效的邮件地址") from None


def needs_smtputf8(message: EmailMessage) -> bool:
    """True if an address of the message has a non-ASCII local part (RFC 6531/6532)."""
    values = [str(message.get(header, "")) for header in ("From", "To", "Cc")]
    return any(not addr.isascii() for _, addr in getaddresses([v for v in values if v]))


def build_message(
    summary: str | Path,
    settings: MailSettings,
    *,
    now: _dt.datetime | None = None,
    allow_draft: bool = False,
) -> EmailMessage:
    """Compose the mail with the summary attached.

    Raises:
        MailError: the summary is not a (final) summary workbook, an address is invalid, or
            the subject/body template names an unknown placeholder.
    """
    info = read_summary_info(summary)
    if info.draft and not allow_draft:
        raise MailError(
            f"{info.path.name} 是草稿（含待修正项），不能报送；请改正输入后重新运行 consolidate（不加 --draft）"
        )
    if not settings.to:
        raise MailError("没有收件人：请用 --to 指定，或在配置文件 [mail] to 中设置")
    try:
        data = info.path.read_bytes()
    except OSError as error:
        raise MailError(f"无法读取 {info.path}：{describe_os_error(error)}") from None
    now = now or _dt.datetime.now().astimezone()
    standard = info.standard
    fields = {
        "year": info.year,
        "association": standard.association,
        "issuer": standard.issuer,
        "document": standard.document,
        "title": standard.title,
        "summary_title": standard.summary_title_for(info.year),
        "filename": visible_text(info.path.name),
        "date": f"{now.year}年{now.month}月{now.day}日",
    }
    subject = _fill_template(
        settings.subject or DEFAULT_SUBJECT,
        fields,
        "邮件主题（--subject 或配置文件 [mail] subject）",
    )
    body = _fill_template(settings.body or DEFAULT_BODY, fields, "邮件正文（配置文件 [mail] body）")
    subject = _check_header_text(
        visible_text(subject), "邮件主题", "--subject 或配置文件 [mail] subject"
    )
    # A file name with bytes that are not UTF-8 (lone surrogates) is shown with U+FFFD.
    filename = _check_header_text(visible_text(info.path.name), "附件文件名", "请给汇总表改名")
    sender = _check_address(settings.sender, "发件人")
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(_check_address(a, "收件人") for a in settings.to)
    if settings.cc:
        message["Cc"] = ", ".join(_check_address(a, "抄送") for a in settings.cc)
    message["Date"] = format_datetime(now)
    domain = getaddresses([sender])[0][1].rsplit("@", 1)[-1]
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(body, charset="utf-8", cte="base64")
    message.add_attachment(data, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1])
    part = next(iter(message.iter_attachments()))
    content_type, disposition = attachment_headers(filename)
    del part["Content-Type"]
    del part["Content-Disposition"]
    part.set_raw("Content-Type", _Prefolded(content_type))
    part.set_raw("Content-Disposition", _Prefolded(disposition))
    return message


def _fill_template(template: str, fields: dict[str, Any], what: str) -> str:
    """``template`` with its placeholders filled; anything but a plain ``{name}`` of ``fields``
    is refused in Chinese (``str.format`` would say "Single '{' encountered in format string",
    or look up attributes and indexes)."""
    hint = (
        f"可用的占位符：{'、'.join('{' + key + '}' for key in fields)}；"
        "要写花括号本身，请写两个：{{ 或 }}"
    )
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        raise MailError(f"{what}有误：花括号“{{”“}}”不成对；{hint}") from None
    for _, field_name, spec, conversion in parsed:
        if field_name is None:
            continue
        if field_name not in fields or spec or conversion:
            shown = "{" + field_name + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            raise MailError(f"{what}中的“{shown}”不是可用的占位符；{hint}")
    return template.format(**fields)


def message_bytes(message: EmailMessage) -> bytes:
    """The message as it goes on the wire (CRLF line ends), also the ``.eml`` content.

    An internationalized message (``needs_smtputf8``) has its headers in UTF-8 (RFC 6532).
    """
    return message.as_bytes(policy=MAIL_POLICY.clone(utf8=needs_smtputf8(message)))


def draft_bytes(message: EmailMessage) -> bytes:
    """The ``.eml`` draft: ``X-Unsent: 1`` makes Outlook open it as a message to send."""
    return b"X-Unsent: 1\r\n" + message_bytes(message)


def recipients(message: EmailMessage) -> list[str]:
    """Envelope recipients: every address in To and Cc, each once (an address in both, or
    written twice, in another case or with another display name, would be delivered twice)."""
    values = [str(message.get(header, "")) for header in ("To", "Cc")]
    unique: dict[str, str] = {}
    for _, addr in getaddresses([v for v in values if v]):
        if addr:
            unique.setdefault(addr.casefold(), addr)
    return list(unique.values())


def parse_server(text: str) -> tuple[str, int | None]:
    """``host:port`` or ``host`` -> (host, port or None).

    Raises:
        MailError: the port is not a number from 1 to 65535.
    """
    wrong = f"邮件服务器“{text}”格式有误，应为 主机:端口，例如 smtp.example.org:465"
    host, sep, port = text.strip().rpartition(":")
    if not sep:
        host, port = text.strip(), ""
    elif not port.isdigit() or not 0 < int(port) < 65536 or not host:
        raise MailError(wrong)
    if host.startswith("[") and host.endswith("]"):  # an IPv6 address: [::1]:25
        host = host[1:-1]
        problem = None if host and ":" in host else "方括号中应为 IPv6 地址"
    else:
        problem = host_problem(host)
    if problem is not None:
        raise MailError(f"{wrong}；{problem}")
    return host, int(port) if port else None


def default_port(security: Security) -> int:
    """465 for SSL, 587 for STARTTLS, 25 otherwise."""
    return {"ssl": 465, "starttls": 587}.get(security, 25)


def send_message(
    message: EmailMessage,
    host: str,
    port: int,
    *,
    security: Security = "none",
    user: str | None = None,
    password: str | None = None,
    timeout: float = 30.0,
    cafile: str | Path | None = None,
) -> list[str]:
    """Send ``message`` through an SMTP server; returns the accepted recipients.

    Raises:
        MailError: the server is unreachable, the secure connection or the login fails, or
            the server refuses the sender or a recipient (the message says which, in Chinese).
    """
    where = f"{host}:{port}"
    to = recipients(message)
    offers_starttls = False  # a plain connection to a server that offers encryption
    sending = False  # the envelope and the message are on their way: it may have arrived
    context = _tls_context(cafile)
    try:
        smtp: smtplib.SMTP
        if security == "ssl":
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        try:
            smtp.ehlo()
            offers_starttls = security == "none" and smtp.has_extn("starttls")
            if security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if user:
                smtp.login(user, password or "")
            if needs_smtputf8(message) and not smtp.has_extn("smtputf8"):
                raise MailError(
                    f"邮件地址含有中文等非 ASCII 字符（{'、'.join(_international(message))}），"
                    f"但邮件服务器 {where} 不支持国际化邮件地址（SMTPUTF8）；"
                    "请改用英文字母的邮件地址，或换用支持 SMTPUTF8 的服务器"
                )
            sending = True
            refused = smtp.send_message(message, to_addrs=to)
        except BaseException:
            smtp.close()
            raise
        _quit_quietly(smtp)
    except UnicodeEncodeError:
        raise MailError(
            f"用户名或密码含有中文等非 ASCII 字符，邮件服务器 {where} 无法登录；请使用邮箱的授权码"
        ) from None
    except smtplib.SMTPAuthenticationError as error:
        raise MailError(
            f"邮件服务器 {where} 拒绝登录（用户 {user}）：用户名或密码（授权码）错误。服务器回复：{_reply(error)}"
        ) from None
    except smtplib.SMTPNotSupportedError:
        if offers_starttls:  # servers offer AUTH only once the connection is encrypted
            raise MailError(_starttls_message(where, "")) from None
        raise MailError(
            f"邮件服务器 {where} 不支持{'STARTTLS 加密' if security == 'starttls' else '登录（AUTH）'}；请检查 --starttls/--ssl 选项"
        ) from None
    except smtplib.SMTPRecipientsRefused as error:
        replies = list(error.recipients.values())
        if offers_starttls and replies and all(_starttls_required(*r) for r in replies):
            raise MailError(_starttls_message(where, _reply(replies[0]))) from None
        if not user and replies and all(_login_required(*reply) for reply in replies):
            raise MailError(_login_message(where, _reply(replies[0]))) from None
        refused_list = "、".join(f"{a}（{_reply(r)}）" for a, r in error.recipients.items())
        raise MailError(f"邮件服务器 {where} 拒绝了全部收件人：{refused_list}") from None
    except smtplib.SMTPSenderRefused as error:
        if offers_starttls and _starttls_required(error.smtp_code, error.smtp_error):
            raise MailError(_starttls_message(where, _reply(error))) from None
        if not user and _login_required(error.smtp_code, error.smtp_error):
            raise MailError(_login_message(where, _reply(error))) from None
        raise MailError(
            f"邮件服务器 {where} 拒绝了发件人 {error.sender}：{_reply(error)}"
        ) from None
    except smtplib.SMTPResponseException as error:
        if offers_starttls and _starttls_required(error.smtp_code, error.smtp_error):
            raise MailError(_starttls_message(where, _reply(error))) from None
        if not user and _login_required(error.smtp_code, error.smtp_error):
            raise MailError(_login_message(where, _reply(error))) from None
        if error.smtp_code == -1:  # smtplib's code for a reply that is not "NNN text"
            raise MailError(
                f"{where} 的应答不是邮件服务器（SMTP）的应答，可能端口不对；"
                "请检查端口（常用 465、587、25）和加密方式（--ssl/--starttls）"
            ) from None
        raise MailError(f"邮件服务器 {where} 返回错误：{_reply(error)}") from None
    except ssl.SSLError as error:
        raise MailError(
            f"与邮件服务器 {where} 建立加密连接失败（{error.reason or error}）；请检查 --ssl/--starttls 和证书"
        ) from None
    except smtplib.SMTPServerDisconnected as error:
        if isinstance(error.__context__, TimeoutError):  # smtplib turns a timeout into this
            raise MailError(_timeout_message(where, timeout, sending)) from None
        if sending:
            raise MailError(
                f"邮件服务器 {where} 在发信过程中断开了连接{_maybe_sent(sending)}"
            ) from None
        raise MailError(
            f"邮件服务器 {where} 意外断开了连接；请检查端口和加密方式（--ssl/--starttls）"
        ) from None
    except smtplib.SMTPException as error:
        raise MailError(f"通过邮件服务器 {where} 发送失败：{error}") from None
    except socket.gaierror:
        raise MailError(f"找不到邮件服务器 {host}（域名无法解析）；请检查服务器地址") from None
    except TimeoutError:
        raise MailError(_timeout_message(where, timeout, sending)) from None
    except ConnectionRefusedError:
        raise MailError(
            f"无法连接邮件服务器 {where}：连接被拒绝（服务器未运行或端口不对）"
        ) from None
    except OSError as error:
        if sending:
            raise MailError(
                f"与邮件服务器 {where} 的连接在发信过程中出错：{describe_os_error(error)}"
                + _maybe_sent(sending)
            ) from None
        raise MailError(f"无法连接邮件服务器 {where}：{describe_os_error(error)}") from None
    if refused:
        listed = "、".join(f"{a}（{_reply(r)}）" for a, r in refused.items())
        raise MailError(f"邮件已发出，但服务器拒绝了部分收件人：{listed}")
    return to


def _tls_context(cafile: str | Path | None) -> ssl.SSLContext:
    """The TLS context, trusting ``cafile`` too; a certificate file that is missing or is not
    PEM is named (it was an internal error, exit 2)."""
    try:
        return ssl.create_default_context(cafile=str(cafile) if cafile else None)
    except ssl.SSLError as error:
        raise MailError(
            f"证书文件 {cafile} 中没有可用的证书（{error.reason or error}）；"
            "--cafile 或配置文件 [smtp] cafile 应为 PEM 格式的证书文件"
            "（以 -----BEGIN CERTIFICATE----- 开头）"
        ) from None
    except OSError as error:
        raise MailError(
            f"无法读取证书文件 {cafile}（--cafile 或配置文件 [smtp] cafile）：{describe_os_error(error)}"
        ) from None


def _maybe_sent(sending: bool) -> str:
    """What to add when the connection failed while the message was being sent: the server
    may have taken it, and sending again would deliver it twice."""
    if not sending:
        return ""
    return "。邮件可能已经发出：重新发送前请先向收件人确认是否已收到，以免重复报送"


def _quit_quietly(smtp: smtplib.SMTP) -> None:
    """Say QUIT once the server has taken the message. Its answer no longer matters: the mail
    is on its way, and calling that a failure would make the user send it a second time."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _timeout_message(where: str, timeout: float, sending: bool = False) -> str:
    if sending:
        return f"邮件服务器 {where} 在发信过程中 {timeout:g} 秒内没有应答（超时）{_maybe_sent(sending)}"
    return (
        f"邮件服务器 {where} 在 {timeout:g} 秒内没有应答（超时）；请检查服务器地址和端口，"
        "或稍后再试（可在配置文件 [smtp] timeout 中调整等待时间）"
    )


def _international(message: EmailMessage) -> list[str]:
    values = [str(message.get(header, "")) for header in ("From", "To", "Cc")]
    return [addr for _, addr in getaddresses([v for v in values if v]) if not addr.isascii()]


def _login_required(code: int, text: bytes | str) -> bool:
    """Whether a refusal means "log in first" (RFC 4954's 530 5.7.0; 163 Mail says 553
    "authentication is required", QQ Mail 530 "need EHLO and AUTH first")."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return code == 530 or (500 <= code < 600 and "auth" in text.lower())


def _starttls_required(code: int, text: bytes | str) -> bool:
    """Whether a refusal means "encrypt first" (aiosmtpd and Postfix: 530 "Must issue a
    STARTTLS command first")."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return 500 <= code < 600 and "starttls" in text.lower()


def _starttls_message(where: str, reply: str) -> str:
    answer = f"（服务器回复：{reply}）" if reply else ""
    return (
        f"邮件服务器 {where} 要求先加密连接（STARTTLS）才能登录和发信{answer}；"
        '请加 --starttls（或在配置文件 [smtp] 中设 security = "starttls"），常用端口 587'
    )


def _login_message(where: str, reply: str) -> str:
    return (
        f"邮件服务器 {where} 要求先登录才能发信（服务器回复：{reply}）；请用 --user 给出登录用户名"
        "（或在配置文件 [smtp] user 中设置），密码（授权码）取自环境变量，见 branch-assess email --help"
    )


def _reply(error: object) -> str:
    if isinstance(error, tuple) and len(error) == 2:
        code, text = error
    else:
        code = getattr(error, "smtp_code", "")
        text = getattr(error, "smtp_error", b"")
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()
