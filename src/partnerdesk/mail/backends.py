"""Where the worker hands messages over: an SMTP server (`EMAIL_URL`) or .eml files in the data folder.

One interface: `backend_open()` gives a session with `send(sender=, recipients=, raw=)` and
`close()`. Every failure is a `DeliveryError`, whose `permanent` flag says whether trying again
can help; a `ConnectionFailed` means no message can go through now, so the pass stops.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from django.conf import settings

SCHEMES = {"smtp": 25, "smtp+tls": 587, "smtps": 465}
DEFAULT_TIMEOUT = 60.0


class EmailUrlError(ValueError):
    """EMAIL_URL is malformed; the message names EMAIL_URL and what is wrong (never the password)."""


class DeliveryError(Exception):
    def __init__(self, text: str, *, permanent: bool = False) -> None:
        super().__init__(text)
        self.text = text
        self.permanent = permanent


class ConnectionFailed(DeliveryError):
    """The server cannot be reached or refuses us: no message can be sent now."""


@dataclass(frozen=True)
class SmtpConfig:
    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    timeout: float = DEFAULT_TIMEOUT

    def __repr__(self) -> str:  # the password stays out of logs and tracebacks
        return f"SmtpConfig({self.scheme}://{self.host}:{self.port}, user={self.username!r})"


def parse_email_url(url: str) -> SmtpConfig:
    """`smtp://`, `smtp+tls://` (STARTTLS) or `smtps://` (TLS), with optional user, password,
    port and `?timeout=SECONDS`."""
    schemes = ", ".join(f"{scheme}://" for scheme in SCHEMES)
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise EmailUrlError(f"EMAIL_URL: bad port or address ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        shown = f"{scheme!r}" if scheme else "none"
        raise EmailUrlError(f"EMAIL_URL: the scheme is {shown}; use {schemes}")
    if not parts.hostname:
        raise EmailUrlError(f"EMAIL_URL: no host (expected {scheme}://[user:password@]host[:port])")
    if port == 0:
        raise EmailUrlError("EMAIL_URL: port 0 is not a port")
    if parts.path not in ("", "/") or parts.fragment:
        raise EmailUrlError("EMAIL_URL: unexpected path after the host")
    timeout = DEFAULT_TIMEOUT
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key != "timeout":
            raise EmailUrlError(f"EMAIL_URL: unknown option {key!r} (the only option is timeout)")
        try:
            timeout = float(value)
        except ValueError:
            timeout = -1.0
        if not 0 < timeout <= 3600:
            raise EmailUrlError(f"EMAIL_URL: timeout={value!r} is not a number of seconds")
    if parts.password is not None and not parts.username:
        raise EmailUrlError("EMAIL_URL: a password without a user name")
    return SmtpConfig(
        scheme=scheme,
        host=parts.hostname,
        port=port or SCHEMES[scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        timeout=timeout,
    )


class Session(Protocol):
    def open(self) -> None:
        """Connect now if not connected (raises ConnectionFailed); sending also connects."""

    def send(self, *, sender: str, recipients: list[str], raw: bytes, message_id: str) -> str:
        """Hand one message over; returns a note on refused recipients ("" if none)."""

    def close(self) -> None: ...


def _response_text(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {' '.join(text.split())}"


def _error_for_code(code: int, text: str) -> DeliveryError:
    # 4xx: try again later; 5xx: the server will never take this message. -1 and such: unknown.
    return DeliveryError(text, permanent=500 <= code <= 599)


def _log_in(client: smtplib.SMTP, user: str, password: str) -> None:
    """One mechanism, the best offered: unlike `SMTP.login`, a refused password is not tried
    again with every other mechanism."""
    if not client.has_extn("auth"):
        raise ConnectionFailed("the server offers no AUTH: remove the user from EMAIL_URL or use smtp+tls://")
    offered = client.esmtp_features["auth"].upper().split()
    mechanism = next((name for name in ("CRAM-MD5", "PLAIN", "LOGIN") if name in offered), None)
    if mechanism is None:
        raise ConnectionFailed(f"the server offers no AUTH mechanism partnerdesk knows ({' '.join(offered)})")
    client.user, client.password = user, password
    client.auth(mechanism, getattr(client, "auth_" + mechanism.lower().replace("-", "_")))


class SmtpSession:
    """One SMTP connection, opened on the first message and reused for the whole pass."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.client: smtplib.SMTP | None = None
        self.sent_on_connection = 0

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        try:
            if config.scheme == "smtps":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    config.host, config.port, timeout=config.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            try:
                client.ehlo()
                if config.scheme == "smtp+tls":
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
                if config.username:
                    _log_in(client, config.username, config.password or "")
            except BaseException:
                client.close()
                raise
        except ConnectionFailed:
            raise
        except smtplib.SMTPResponseException as exc:
            raise ConnectionFailed(
                f"{config.host}:{config.port}: {_response_text(exc.smtp_code, exc.smtp_error)}"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise ConnectionFailed(f"{config.host}:{config.port}: {type(exc).__name__}: {exc}") from None
        self.sent_on_connection = 0
        return client

    def open(self) -> None:
        if self.client is None:
            self.client = self._connect()

    def send(self, *, sender: str, recipients: list[str], raw: bytes, message_id: str) -> str:
        reused = self.client is not None and self.sent_on_connection > 0
        if self.client is None:
            self.client = self._connect()
        try:
            return self._send_once(sender, recipients, raw)
        except DeliveryError as exc:
            if not (reused and self.client is None and not exc.permanent):
                raise
        # The server closed a connection we kept open (an idle timeout, a per-connection limit):
        # one more try on a fresh connection.
        self.client = self._connect()
        return self._send_once(sender, recipients, raw)

    def _send_once(self, sender: str, recipients: list[str], raw: bytes) -> str:
        assert self.client is not None
        try:
            refused = self.client.sendmail(sender, recipients, raw)
        except smtplib.SMTPRecipientsRefused as exc:
            answers = exc.recipients.items()
            if any(code == 421 for _, (code, _) in answers):
                self._drop()  # the server is closing the connection
            text = "; ".join(
                f"{address}: {_response_text(code, reply)}" for address, (code, reply) in answers
            )
            permanent = all(500 <= code <= 599 for _, (code, _) in answers)
            raise DeliveryError(f"all recipients refused: {text}", permanent=permanent) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            if exc.smtp_code == 421:
                self._drop()
            raise _error_for_code(exc.smtp_code, _response_text(exc.smtp_code, exc.smtp_error)) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(f"the server cannot take this message: {exc}", permanent=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise DeliveryError(f"{type(exc).__name__}: {exc}".rstrip(": ")) from None
        self.sent_on_connection += 1
        if refused:
            return "some recipients refused: " + "; ".join(
                f"{address}: {_response_text(code, reply)}" for address, (code, reply) in refused.items()
            )
        return ""

    def _drop(self) -> None:
        if self.client is not None:
            try:
                self.client.close()
            finally:
                self.client = None

    def close(self) -> None:
        if self.client is None:
            return
        try:
            self.client.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            self._drop()


_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]")


def eml_path(directory: Path, message_id: str) -> Path:
    """One file per Message-ID: sending a message again rewrites the same file."""
    return directory / (_UNSAFE.sub("_", message_id.strip("<>")) + ".eml")


class FileSession:
    """Writes each message as an .eml file (with its envelope in X-Envelope-* lines on top)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def open(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConnectionFailed(f"cannot create {self.directory}: {exc.strerror}") from None

    def send(self, *, sender: str, recipients: list[str], raw: bytes, message_id: str) -> str:
        envelope = f"X-Envelope-From: <{sender}>\r\nX-Envelope-To: {', '.join(recipients)}\r\n".encode()
        self.open()
        try:
            # Written beside, then renamed: a reader never sees half a message.
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
            with os.fdopen(handle, "wb") as file:
                file.write(envelope + raw)
            os.replace(temporary, eml_path(self.directory, message_id))
        except OSError as exc:
            raise ConnectionFailed(f"cannot write to {self.directory}: {exc.strerror}") from None
        return ""

    def close(self) -> None:
        pass


def outbox_directory() -> Path:
    return Path(settings.PARTNERDESK_HOME) / "outbox"


def backend_check() -> str:
    """Validate EMAIL_URL now (raises EmailUrlError); returns where mail goes, for people."""
    if not settings.EMAIL_URL:
        return f"files in {outbox_directory()}"
    config = parse_email_url(settings.EMAIL_URL)
    user = f"{config.username}@" if config.username else ""
    return f"{config.scheme}://{user}{config.host}:{config.port}"


def backend_open() -> Session:
    """A session on the configured backend; nothing connects before the first message."""
    if not settings.EMAIL_URL:
        return FileSession(outbox_directory())
    return SmtpSession(parse_email_url(settings.EMAIL_URL))
