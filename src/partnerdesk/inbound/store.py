"""Storing incoming messages: one row per message, whichever channel brought it, however often.

`message_store` is the single way in for one message (`ingest.chunk_ingest` stores many at once, the
same way). The row is unique by Message-ID (or the bytes' hash), and
the insert itself is the check: eight concurrent deliveries of one message make one row, the
other seven get the IntegrityError and return that row. Oversized and unparseable messages are
stored too, quarantined with the reason.
"""

from __future__ import annotations

import email.parser
import email.policy
import email.utils
import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from partnerdesk.inbound.mailgate import SPOOL_SUFFIX, TEMP_PREFIX, spool_write
from partnerdesk.inbound.models import InboundMessage
from partnerdesk.inbound.parsing import ParsedMessage, decode_header_value, message_ids, parse_message
from partnerdesk.lib import clock
from partnerdesk.profile import get_profile

log = logging.getLogger("partnerdesk.inbound")

Status = InboundMessage.Status
Channel = InboundMessage.Channel
STALE_TEMP_SECONDS = 24 * 3600
HEAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class Stored:
    message: InboundMessage
    created: bool


def oversized_head(raw: bytes) -> ParsedMessage:
    """Only the header of a message too big to parse whole: enough to deduplicate and list it."""
    head = raw[:HEAD_BYTES].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    parsed = ParsedMessage(size=len(raw), content_hash=hashlib.sha256(raw).hexdigest())
    try:
        message = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(head)
        ids = message_ids(decode_header_value(message.get("Message-ID")))
        parsed.message_id = ids[0] if ids else ""
        parsed.subject = decode_header_value(message.get("Subject"))
        parsed.from_addr = email.utils.parseaddr(decode_header_value(message.get("From")))[1].lower()
    except Exception:  # noqa: BLE001 - a header we cannot read: the hash still identifies it
        pass
    return parsed


def quarantine_folder() -> Path:
    return Path(settings.PARTNERDESK_HOME) / "quarantine"


def message_store(*, raw: bytes, channel: str) -> Stored:
    """Store one message (or find it stored already). Never raises for what the bytes contain."""
    limit = get_profile().inbound.max_message_bytes
    raw_path = ""
    if len(raw) > limit:
        parsed = oversized_head(raw)
        status, outcome = Status.QUARANTINED, f"oversized: {len(raw):,} bytes; the limit is {limit:,}"
    else:
        parsed = parse_message(raw)
        status, outcome = (
            (Status.QUARANTINED, parsed.unparseable) if parsed.unparseable else (Status.RECEIVED, "")
        )
    key = parsed.dedupe_key
    existing = InboundMessage.objects.filter(dedupe_key=key).first()
    if existing is not None:  # the common repeat, without a failed insert; the insert still decides
        return Stored(existing, False)
    if status == Status.QUARANTINED and len(raw) > limit:
        # Kept as a file: a database row is no place for a 30 MB blob. Written before the row.
        raw_path = str(spool_write(raw, quarantine_folder()))
    try:
        with transaction.atomic():
            message = InboundMessage.objects.create(
                dedupe_key=key,
                message_id=parsed.message_id if len(parsed.message_id) <= 255 else "",
                content_hash=parsed.content_hash,
                channel=channel,
                from_addr=parsed.from_addr[:320],
                subject=parsed.subject[:2000],
                size=len(raw),
                raw=None if raw_path else raw,
                raw_path=raw_path,
                status=status,
                route="quarantine" if status == Status.QUARANTINED else "",
                outcome=outcome,
                received_at=clock.now(),
            )
    except IntegrityError:
        if raw_path:
            Path(raw_path).unlink(missing_ok=True)
        existing = InboundMessage.objects.filter(dedupe_key=key).first()
        if existing is None:
            raise
        return Stored(existing, False)
    if status == Status.QUARANTINED:
        log.warning("inbound: message %s quarantined: %s", message.pk, outcome)
    return Stored(message, True)


def message_raw(message: InboundMessage) -> bytes:
    if message.raw is not None:
        return bytes(message.raw)
    return Path(message.raw_path).read_bytes()


def spool_files(folder: Path) -> list[Path]:
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return []
    now = time.time()
    for name in names:
        if name.startswith(TEMP_PREFIX):
            path = folder / name
            try:  # a mailgate killed mid-write leaves its temp file; the MTA retried that message
                if now - path.stat().st_mtime > STALE_TEMP_SECONDS:
                    path.unlink()
            except OSError:
                pass
    return [folder / name for name in names if name.endswith(SPOOL_SUFFIX) and not name.startswith(".")]
