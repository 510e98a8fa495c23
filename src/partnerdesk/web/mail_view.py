"""One message as the inbox and outbox pages show it: its parts, HTML made safe, its attachments.

The HTML part is sanitized with nh3 (no script, style, form or event attribute survives) and
remote images are dropped: the page's security policy would block them anyway, and loading them
would tell the sender the message was read. Attachments are numbered in the order the message
holds them, by the same walk for the list and the download, so a number always means one file.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from email.message import Message

import nh3
from django.http import HttpResponse
from django.utils.http import content_disposition_header

from partnerdesk.inbound.parsing import ParsedMessage, decode_header_value, parse_message

MAX_SHOWN_TEXT = 100_000
MAX_SHOWN_HTML = 300_000
# Downloads keep their type only when a browser cannot run it on our site; the rest are bytes.
SAFE_DOWNLOAD_TYPES = frozenset(
    {
        "application/pdf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/zip",
        "image/png",
        "image/jpeg",
        "image/gif",
        "text/plain",
        "text/csv",
        "text/calendar",
    }
)


# What a reader calls the common kinds of file; any other shows its MIME type.
KIND_NAMES = {
    "application/pdf": "PDF",
    "application/msword": "Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel spreadsheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint presentation",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/zip": "ZIP archive",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "text/plain": "text",
    "text/csv": "CSV table",
    "text/calendar": "calendar invitation",
    "text/html": "HTML file",
}


@dataclass(frozen=True)
class ShownAttachment:
    number: int  # 1, 2, ... in the message's order
    filename: str
    content_type: str
    size: int

    @property
    def kind(self) -> str:
        return KIND_NAMES.get(self.content_type, self.content_type)


@dataclass
class ShownMessage:
    parsed: ParsedMessage | None
    text: str = ""
    html: str = ""  # sanitized; safe to mark safe
    attachments: list[ShownAttachment] = field(default_factory=list)
    unreadable: str = ""  # why the body cannot be shown ("" when it can)


def _image_source(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not value.startswith("data:image/"):
        return None
    return value


def sanitized_html(markup: str) -> str:
    return nh3.clean(
        markup[:MAX_SHOWN_HTML],
        clean_content_tags={"script", "style", "title", "head"},
        attribute_filter=_image_source,
        link_rel="noopener noreferrer nofollow",
    )


def _attachment_parts(raw: bytes) -> list[tuple[str, str, Message]]:
    """(filename, content type, part) of every part that is not the text or HTML body."""
    parts = []
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    for part in message.walk():
        content_type = part.get_content_type()
        if part.is_multipart() or content_type == "message/rfc822":
            continue
        try:
            filename = decode_header_value(part.get_filename() or "")
        except Exception:  # noqa: BLE001 - a broken RFC 2231 parameter
            filename = ""
        is_attachment = part.get_content_disposition() == "attachment" or bool(filename)
        if content_type in ("text/plain", "text/html") and not is_attachment:
            continue
        parts.append((filename or "(unnamed)", content_type, part))
    return parts


def _size(part: Message) -> int:
    payload = part.get_payload(decode=True)
    return len(payload) if isinstance(payload, bytes) else 0


def message_shown(raw: bytes) -> ShownMessage:
    """What the message page shows of these bytes; never raises."""
    parsed = parse_message(raw)
    if parsed.unparseable:
        return ShownMessage(parsed, unreadable=parsed.unparseable)
    shown = ShownMessage(parsed, text=parsed.text[:MAX_SHOWN_TEXT])
    if parsed.html:
        shown.html = sanitized_html(parsed.html)
    try:
        shown.attachments = [
            ShownAttachment(number, filename, content_type, _size(part))
            for number, (filename, content_type, part) in enumerate(_attachment_parts(raw), start=1)
        ]
    except Exception:  # noqa: BLE001 - what the email package trips on: no attachment list
        shown.attachments = []
    return shown


def attachment_response(raw: bytes, number: int) -> HttpResponse | None:
    """The attachment numbered `number` as a download, or None when there is no such one."""
    try:
        parts = _attachment_parts(raw)
    except Exception:  # noqa: BLE001
        return None
    if not 1 <= number <= len(parts):
        return None
    filename, content_type, part = parts[number - 1]
    payload = part.get_payload(decode=True)
    content = payload if isinstance(payload, bytes) else b""
    safe_type = content_type if content_type in SAFE_DOWNLOAD_TYPES else "application/octet-stream"
    response = HttpResponse(content, content_type=safe_type)
    name = filename if filename != "(unnamed)" else f"attachment-{number}"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    # Even opened in the browser, nothing in it may run as this site.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
