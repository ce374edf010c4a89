"""A real SMTP server for tests (aiosmtpd on 127.0.0.1, a free port), with optional TLS and login.

Also makes a self-signed certificate for 127.0.0.1, with the ``cryptography`` package when it is
installed, else with the ``openssl`` command.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import shutil
import socket
import ssl
import subprocess
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER = "dangwei@example.org"
PASSWORD = "sq-2026-Auth"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate and key for 127.0.0.1; returns (cert, key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        openssl = shutil.which("openssl")
        if openssl is None:
            raise RuntimeError("neither cryptography nor openssl is available") from None
        subprocess.run(
            [
                openssl,
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
        return cert, key
    import ipaddress

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = _dt.datetime.now(_dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(minutes=5))
        .not_valid_after(now + _dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool
    login: str | None


@dataclass
class RecordingHandler:
    """Keeps every accepted message."""

    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        self.messages.append(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                data=envelope.original_content or envelope.content,
                tls=server.transport.get_extra_info("ssl_object") is not None,
                login=login,
            )
        )
        return "250 OK"


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == USER
        and auth_data.password.decode("utf-8") == PASSWORD
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


@contextlib.contextmanager
def smtp_server(
    *,
    starttls_cert: tuple[Path, Path] | None = None,
    ssl_cert: tuple[Path, Path] | None = None,
    smtputf8: bool = False,
) -> Iterator[tuple[int, RecordingHandler]]:
    """Run a server on 127.0.0.1; yields (port, handler).

    ``smtputf8`` makes the server offer SMTPUTF8 (internationalized addresses, RFC 6531).

    With ``starttls_cert`` the server offers STARTTLS, requires it, and requires a login
    (``USER``/``PASSWORD``); with ``ssl_cert`` it speaks TLS from the first byte (SMTPS) and
    requires the login. Without either it is a plain server without login.
    """
    handler = RecordingHandler()
    port = free_port()
    kwargs: dict[str, Any] = {}
    if starttls_cert is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*map(str, starttls_cert))
        kwargs.update(
            tls_context=context,
            require_starttls=True,
            auth_required=True,
            authenticator=_authenticator,
        )
    if ssl_cert is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*map(str, ssl_cert))
        kwargs.update(
            ssl_context=context,
            auth_required=True,
            auth_require_tls=False,  # the whole connection is TLS; aiosmtpd cannot tell
            authenticator=_authenticator,
        )
    kwargs["enable_SMTPUTF8"] = smtputf8  # the Controller offers it unless told otherwise
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    if ssl_cert is not None:
        # The controller's readiness probe speaks plain SMTP; trust its own certificate instead.
        client = ssl.create_default_context(cafile=str(ssl_cert[0]))
        controller.ssl_context = kwargs["ssl_context"]
        controller._trigger_server = _ssl_trigger(controller, client)  # type: ignore[method-assign]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # AUTH over SMTPS without STARTTLS
        controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


def _ssl_trigger(controller: Controller, client: ssl.SSLContext) -> Any:
    def trigger() -> None:
        with (
            socket.create_connection((controller.hostname, controller.port), timeout=5) as raw,
            client.wrap_socket(raw, server_hostname=controller.hostname) as tls,
        ):
            tls.recv(1024)

    return trigger


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A local socket on 127.0.0.1 that accepts connections and never says a word (a mail
    server that hangs); yields its port. Accepted connections are closed on exit."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=4)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in accepted:
            connection.close()
        listener.close()
