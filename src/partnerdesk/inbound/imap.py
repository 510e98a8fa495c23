"""Reading the shared mailbox over IMAP (`partnerdesk fetchmail`).

`IMAP_URL` is `imaps://user:password@host[:port]/MAILBOX` (TLS), `imap+tls://...` (STARTTLS) or
`imap://...` (plain, for loopback), with `?move=FOLDER` to move each message there once stored
instead of flagging it with the keyword `$Partnerdesk`. Percent-encode `@`, `/` or `:` in the user
or password. Messages are fetched without marking them read, a chunk at a time; each chunk is
stored (unique by Message-ID, so a message two fetchers read at once is stored once) and
processed in one transaction (`ingest.py`), then each message is flagged or moved, so it is not
fetched again.
"""

from __future__ import annotations

import contextlib
import imaplib
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from partnerdesk.inbound.ingest import CHUNK, chunk_ingest
from partnerdesk.inbound.models import InboundMessage

KEYWORD = "$Partnerdesk"
DEFAULT_PORTS = {"imap": 143, "imap+tls": 143, "imaps": 993}
TIMEOUT = 60


class ImapError(Exception):
    """The mailbox cannot be read (address, login, network); the message says which."""


@dataclass(frozen=True)
class ImapConfig:
    scheme: str
    host: str
    port: int
    user: str
    password: str
    mailbox: str
    move_to: str = ""

    def __str__(self) -> str:  # never the password
        return f"{self.scheme}://{self.user}@{self.host}:{self.port}/{self.mailbox}"


def imap_config(url: str) -> ImapConfig:
    parts = urlsplit(url.strip())
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError(
            f"IMAP_URL: the scheme must be imaps://, imap+tls:// or imap://, not {parts.scheme!r}"
        )
    if not parts.hostname or not parts.username:
        raise ValueError("IMAP_URL: write it as imaps://user:password@host/MAILBOX")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ValueError("IMAP_URL: the port is not a number") from None
    query = parse_qs(parts.query)
    unknown = set(query) - {"move"}
    if unknown:
        raise ValueError(f"IMAP_URL: unknown option {sorted(unknown)[0]!r} (known: move)")
    return ImapConfig(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        mailbox=unquote(parts.path.lstrip("/")) or "INBOX",
        move_to=query.get("move", [""])[0],
    )


@dataclass
class FetchReport:
    fetched: int = 0
    new: int = 0
    processed: int = 0

    def __str__(self) -> str:
        return f"{self.fetched} fetched, {self.new} new, {self.processed} processed"


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _connect(config: ImapConfig) -> imaplib.IMAP4:
    try:
        if config.scheme == "imaps":
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                config.host, config.port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT
            )
        else:
            client = imaplib.IMAP4(config.host, config.port, timeout=TIMEOUT)
            if config.scheme == "imap+tls":
                client.starttls(ssl.create_default_context())
        client.login(config.user, config.password)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ImapError(f"{config}: {exc}") from None
    return client


def _check(result: tuple[str, list], what: str) -> list:
    status, data = result
    if status != "OK":
        raise ImapError(f"{what}: {status} {data!r}")
    return data


def _message_bytes(data: list) -> bytes | None:
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def fetch_once(
    config: ImapConfig, *, stop: threading.Event | None = None, process: bool = True, chunk: int = CHUNK
) -> FetchReport:
    """Read the new messages, `chunk` at a time: fetch them, store and route them in one
    transaction (`ingest.chunk_ingest`), then flag (or move) each on the server, once committed."""
    report = FetchReport()
    client = _connect(config)
    try:
        _check(client.select(_quoted(config.mailbox)), f"select {config.mailbox}")
        # No charset (None): imaplib's own convention, which the stubs do not know.
        data = _check(client.uid("SEARCH", None, "UNDELETED", "UNKEYWORD", KEYWORD), "search")  # type: ignore[arg-type]
        uids = [uid.decode("ascii") for uid in data[0].split()] if data and data[0] else []
        for start in range(0, len(uids), chunk):
            if stop is not None and stop.is_set():
                break
            fetched: list[tuple[str, bytes]] = []
            for uid in uids[start : start + chunk]:
                raw = _message_bytes(_check(client.uid("FETCH", uid, "(BODY.PEEK[])"), f"fetch {uid}"))
                if raw is not None:  # else expunged meanwhile by another client
                    fetched.append((uid, raw))
            if not fetched:
                continue
            report.fetched += len(fetched)
            done = chunk_ingest(
                [raw for _, raw in fetched], channel=InboundMessage.Channel.IMAP, process=process
            )
            report.new += done.new
            report.processed += done.processed + done.failed
            for uid, _ in fetched:
                _done(client, config, uid)
        if config.move_to:
            client.expunge()
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ImapError(f"{config}: {exc}") from None
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return report


def _done(client: imaplib.IMAP4, config: ImapConfig, uid: str) -> None:
    _check(client.uid("STORE", uid, "+FLAGS", f"({KEYWORD})"), f"flag {uid}")
    if config.move_to:
        capabilities = getattr(client, "capabilities", ())
        if "MOVE" in capabilities:
            _check(client.uid("MOVE", uid, _quoted(config.move_to)), f"move {uid}")
        else:
            _check(client.uid("COPY", uid, _quoted(config.move_to)), f"copy {uid}")
            _check(client.uid("STORE", uid, "+FLAGS", r"(\Deleted)"), f"delete {uid}")
