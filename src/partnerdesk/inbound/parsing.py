"""Reading an incoming message (pure: no database, no Django).

`parse_message` accepts any bytes and never raises: a message it cannot make sense of comes
back with `unparseable` set, which quarantines it. It uses the email package's compat32 policy,
whose header access never raises, and decodes headers and bodies itself, replacing what a
charset cannot decode instead of failing on it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from partnerdesk.lib.html_text import html_to_text
from partnerdesk.lib.text import CONTACT_NAME, without_control

_MESSAGE_ID = re.compile(r"<([^<>\s]{1,900})>")
MAX_TEXT_CHARS = 200_000
MAX_NAME_CHARS = CONTACT_NAME  # a display name longer than a contact's name is cut

# A mailbox as RFC 5321 can deliver to, ASCII only: what is left of an address once the header
# is parsed. An encoded word, a quoted local part or a Unicode lookalike is not an address.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_MAILBOX = re.compile(rf"^{_ATOM}(\.{_ATOM})*@{_LABEL}(\.{_LABEL})+$")

# Headers the routing reads, kept as lists of decoded values (lower-case names).
ROUTING_HEADERS = (
    "auto-submitted",
    "precedence",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "return-path",
    "x-loop",
    "sender",
    "reply-to",
)
# Kept as received (unfolded, never decoded): an encoded word in them is not a verdict.
RAW_HEADERS = ("authentication-results",)


@dataclass(frozen=True)
class AttachmentInfo:
    filename: str
    content_type: str
    size: int


@dataclass
class ParsedMessage:
    size: int
    content_hash: str
    message_id: str = ""  # without the angle brackets; "" when the message has none
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_name: str = ""
    from_addr: str = ""  # lower-cased; "" when missing or unreadable
    # Why the From/Sender headers do not name one sender ("" when they do): several From
    # addresses, something in From that is not an address, or a Sender other than From. Such a
    # message is never taken as authenticated.
    sender_problem: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    date: dt.datetime | None = None
    content_type: str = "text/plain"
    text: str = ""  # the plain text body (made from the HTML when there is no plain part)
    html: str = ""  # the HTML body as received; sanitize before showing it
    forwarded: list[str] = field(default_factory=list)  # attached messages, as header lines and text
    attachments: list[AttachmentInfo] = field(default_factory=list)
    calendars: list[str] = field(default_factory=list)  # text/calendar parts and .ics files
    headers: dict[str, list[str]] = field(default_factory=dict)
    list_headers: bool = False  # any List-* header (List-Id, List-Unsubscribe...)
    unparseable: str = ""  # why the message cannot be read; it is quarantined with this reason

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower())
        return values[0] if values else ""

    @property
    def dedupe_key(self) -> str:
        """One record per message: its Message-ID, or a hash of its bytes when it has none."""
        if self.message_id and len(self.message_id) <= 250:
            return f"mid:{self.message_id}"
        return f"sha256:{self.content_hash}"


def decode_header_value(value: object) -> str:
    """An RFC 2047 header as text; undecodable parts are replaced, line breaks removed."""
    if value is None:
        return ""
    text = str(value)
    with contextlib.suppress(Exception):  # unknown charset, broken encoded-word: keep the raw text
        text = str(make_header(decode_header(text)))
    return " ".join(text.split())


def message_ids(value: str) -> list[str]:
    ids = _MESSAGE_ID.findall(value or "")
    if not ids and value and value.strip() and " " not in value.strip():
        ids = [value.strip().strip("<>")]  # some mailers leave out the brackets
    return [i for i in ids if i]


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        text = payload.decode(charset, errors="replace")
    except (LookupError, ValueError):
        text = payload.decode("utf-8", errors="replace")
    return text[:MAX_TEXT_CHARS].replace("\r\n", "\n")


def is_mailbox(address: str) -> bool:
    return bool(_MAILBOX.match(address)) and "=?" not in address and len(address) <= 254


def _address_list(values: list[str]) -> tuple[list[tuple[str, str]], int]:
    """(name, address) pairs of the headers' mailboxes, and how many entries were not one.

    The address is taken from the raw header before anything is decoded (RFC 2047: an encoded
    word is never an address), and only the display name is decoded afterwards; a display name
    is never used as an address."""
    pairs: list[tuple[str, str]] = []
    rejected = 0
    for name, address in getaddresses([" ".join(str(v).split()) for v in values]):
        address = address.strip()
        if not address and not name:
            rejected += 1  # what getaddresses leaves of a broken entry
        elif is_mailbox(address):
            pairs.append(
                (without_control(decode_header_value(name)).strip()[:MAX_NAME_CHARS], address.lower())
            )
        else:
            rejected += 1
    return pairs, rejected


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    return _address_list(values)[0]


def _senders(message: Message, parsed: ParsedMessage) -> None:
    values = message.get_all("From") or []
    senders, rejected = _address_list(values)
    if senders:
        parsed.from_name, parsed.from_addr = senders[0]
    if len(values) > 1 or len(senders) > 1:
        parsed.sender_problem = "the message names several From addresses"
    elif rejected or not senders:
        parsed.sender_problem = "the From header holds something that is not an email address"
    else:
        sender_values = message.get_all("Sender") or []
        named, rejected = _address_list(sender_values)
        if len(sender_values) > 1 or rejected or len(named) > 1:
            parsed.sender_problem = "the Sender header is not one email address"
        elif named and named[0][1] != parsed.from_addr:
            parsed.sender_problem = f"it was sent by {named[0][1]} (Sender) on behalf of {parsed.from_addr}"


def _date(value: str) -> dt.datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _forwarded_text(inner: Message) -> str:
    lines = []
    for name in ("From", "Reply-To", "To", "Cc", "Subject", "Date"):
        for value in inner.get_all(name) or []:
            lines.append(f"{name}: {decode_header_value(value)}")
    return "\n".join(lines)


def _walk_body(message: Message, parsed: ParsedMessage) -> None:
    html_parts: list[str] = []
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            for inner in part.get_payload() or []:
                if isinstance(inner, Message):
                    parsed.forwarded.append(_forwarded_text(inner))
            continue
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        try:
            filename = decode_header_value(part.get_filename() or "")
        except Exception:  # noqa: BLE001 - a broken RFC 2231 parameter
            filename = ""
        is_attachment = disposition == "attachment" or bool(filename)
        if content_type == "text/calendar" or filename.lower().endswith(".ics"):
            parsed.calendars.append(_text_of(part))
        if content_type == "text/plain" and not is_attachment:
            text = _text_of(part)
            if not parsed.text:
                parsed.text = text
            else:
                parsed.forwarded.append(text)  # e.g. an inline forward in its own part
            continue
        if content_type == "text/html" and not is_attachment:
            html_parts.append(_text_of(part))
            continue
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        parsed.attachments.append(AttachmentInfo(filename or "(unnamed)", content_type, size))
    parsed.html = "\n".join(html_parts)
    if not parsed.text and parsed.html:
        parsed.text = html_to_text(parsed.html)


def parse_message(raw: bytes) -> ParsedMessage:
    """Any bytes in, a ParsedMessage out; never raises."""
    parsed = ParsedMessage(size=len(raw), content_hash=hashlib.sha256(raw).hexdigest())
    try:
        _parse_into(raw, parsed)
    except Exception as exc:  # noqa: BLE001 - anything the email package trips on: quarantine
        parsed.unparseable = f"the message cannot be parsed ({type(exc).__name__}: {str(exc)[:200]})"
    return parsed


def _parse_into(raw: bytes, parsed: ParsedMessage) -> None:
    if not raw.strip():
        parsed.unparseable = "the message is empty"
        return
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    if not message.keys():
        parsed.unparseable = "the message has no header"
        return
    ids = message_ids(decode_header_value(message.get("Message-ID")))
    parsed.message_id = ids[0] if ids else ""
    parsed.in_reply_to = message_ids(decode_header_value(message.get("In-Reply-To")))
    parsed.references = message_ids(" ".join(str(v) for v in message.get_all("References") or []))
    parsed.subject = decode_header_value(message.get("Subject"))
    _senders(message, parsed)
    parsed.to = [address for _, address in _addresses(message.get_all("To") or [])]
    parsed.cc = [address for _, address in _addresses(message.get_all("Cc") or [])]
    parsed.date = _date(str(message.get("Date") or ""))
    parsed.content_type = message.get_content_type()
    for name in message:
        lowered = name.lower()
        if lowered.startswith("list-"):
            parsed.list_headers = True
        if lowered in ROUTING_HEADERS and lowered not in parsed.headers:
            parsed.headers[lowered] = [decode_header_value(v) for v in message.get_all(name) or []]
        elif lowered in RAW_HEADERS and lowered not in parsed.headers:
            parsed.headers[lowered] = [" ".join(str(v).split()) for v in message.get_all(name) or []]
    _walk_body(message, parsed)


@dataclass(frozen=True)
class AttachmentFile:
    filename: str
    content_type: str
    content: bytes


def attachment_files(raw: bytes, *, suffixes: tuple[str, ...], max_bytes: int) -> list[AttachmentFile]:
    """The attachments whose names end in one of `suffixes` (lower case, e.g. ".docx"), with
    their bytes; larger ones than `max_bytes` are left out. Never raises."""
    files: list[AttachmentFile] = []
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
        for part in message.walk():
            if part.is_multipart() or part.get_content_type() == "message/rfc822":
                continue
            try:
                filename = decode_header_value(part.get_filename() or "")
            except Exception:  # noqa: BLE001 - a broken RFC 2231 parameter
                continue
            if not filename.lower().endswith(suffixes):
                continue
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and 0 < len(payload) <= max_bytes:
                files.append(AttachmentFile(filename, part.get_content_type(), payload))
    except Exception:  # noqa: BLE001 - what the email package trips on: no attachments
        return files
    return files
