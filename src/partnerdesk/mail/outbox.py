"""Outgoing mail: queued as a row in the caller's transaction, delivered later by the worker.

A message is never sent inside a transaction or a request. `message_queue` writes the row (and
the engagement's timeline entry) where the cause is written, so a rollback leaves nothing to
send; the worker's pass (`outbox_deliver_due`, in `delivery.py`) sends it later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from typing import Required, TypedDict, Unpack

from django.db import IntegrityError, transaction

from partnerdesk.lib import clock
from partnerdesk.mail.composing import (
    Attachment,
    build_message,
    check_header_value,
    envelope_addresses,
    message_bytes,
    message_text,
    new_message_id,
)
from partnerdesk.mail.delivery import DeliveryReport, outbox_deliver_due
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from partnerdesk.pipeline.services import Actor, ServiceError, timeline_record
from partnerdesk.profile import get_profile

__all__ = [
    "DeliveryReport",
    "MessageFields",
    "default_from_address",
    "message_compose",
    "message_preview",
    "message_queue",
    "message_retry",
    "message_subject",
    "outbox_deliver_due",
]

Status = OutboxMessage.Status


def default_from_address() -> str:
    mailbox = get_profile().mailbox
    return formataddr((mailbox.display_name, mailbox.address))


def message_subject(*, subject: str, engagement: Engagement | None) -> str:
    """`[PD-12] subject` for an engagement's message, unless the subject already holds `[PD-12]`."""
    check_header_value("Subject", subject)
    subject = subject.strip()
    if engagement is None:
        return subject
    tag = f"[{engagement.reference}]"
    if tag.lower() in subject.lower():
        return subject
    return f"{tag} {subject}"


class MessageFields(TypedDict, total=False):
    """What a message is made of, as `message_queue`, `message_compose` and `message_preview` take it."""

    to: Required[Sequence[str]]
    subject: Required[str]
    body: Required[str]  # Markdown: sent as text/plain (links written out) and text/html
    from_addr: str | None  # the mailbox's own address when left out
    cc: Sequence[str]
    bcc: Sequence[str]
    reply_to: str | None
    extra_headers: Mapping[str, str] | None
    attachments: Sequence[Attachment]
    engagement: Engagement | None  # its reference goes into the subject


@dataclass(frozen=True)
class _Composed:
    message: EmailMessage
    raw: bytes
    from_addr: str
    to: list[str]
    cc: list[str]
    bcc: list[str]
    subject: str


def _compose(fields: MessageFields) -> _Composed:
    to, cc, bcc = fields["to"], fields.get("cc", ()), fields.get("bcc", ())
    if isinstance(bcc, str):
        raise TypeError("bcc is a sequence of addresses, not one string")
    envelope_addresses(bcc, header="Bcc")
    full_subject = message_subject(subject=fields["subject"], engagement=fields.get("engagement"))
    from_addr = fields.get("from_addr")
    sender = from_addr if from_addr is not None else default_from_address()
    message = build_message(
        from_addr=sender,
        to=to,
        subject=full_subject,
        body=fields["body"],
        cc=cc,
        reply_to=fields.get("reply_to"),
        message_id=new_message_id(),
        extra_headers=fields.get("extra_headers"),
        attachments=fields.get("attachments", ()),
    )
    return _Composed(message, message_bytes(message), sender, list(to), list(cc), list(bcc), full_subject)


def message_queue(
    *, idempotency_key: str | None = None, actor: Actor | None = None, **fields: Unpack[MessageFields]
) -> OutboxMessage:
    """Queue one message. Call it inside the transaction that causes the message.

    `body` is Markdown: the message carries it as a text/plain part (links written out) and a
    text/html part (real anchors), so no caller writes Markdown syntax into what is sent.

    With an idempotency key already used, returns that message and writes nothing. With an
    engagement, the subject carries its reference and its timeline gets one entry.
    """
    if idempotency_key is not None:
        existing = OutboxMessage.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    composed = _compose(fields)
    engagement = fields.get("engagement")
    now = clock.now()
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                engagement=engagement,
                message_id=composed.message["Message-ID"],
                idempotency_key=idempotency_key,
                from_addr=composed.from_addr,
                to=composed.to,
                cc=composed.cc,
                bcc=composed.bcc,
                subject=composed.subject,
                envelope_from=envelope_addresses([composed.from_addr])[0],
                envelope_to=envelope_addresses([*composed.to, *composed.cc, *composed.bcc]),
                raw=composed.raw,
                status=Status.READY,
                next_attempt_at=now,
                created_at=now,
            )
            if engagement is not None:
                timeline_record(
                    engagement=engagement,
                    kind=TimelineEntry.Kind.EMAIL_OUT,
                    actor=actor or Actor(label="partnerdesk"),
                    summary=f"Email to {', '.join(composed.to)}: {fields['subject']}",
                    data={"outbox": message.pk, "message_id": message.message_id},
                )
    except IntegrityError:
        # Another transaction queued the same key between our look and our write.
        existing = OutboxMessage.objects.filter(idempotency_key=idempotency_key).first()
        if idempotency_key is None or existing is None:
            raise
        return existing
    return message


def message_compose(**fields: Unpack[MessageFields]) -> EmailMessage:
    """The message `message_queue` would queue (its parts rendered), writing nothing."""
    return _compose(fields).message


def message_preview(**fields: Unpack[MessageFields]) -> str:
    """The message `message_queue` would queue, as text, writing nothing (a dry-run).

    The same checks apply, so a preview fails where queueing would. Bcc is listed for the reader.
    """
    composed = _compose(fields)
    return message_text(composed.message, bcc=composed.bcc)


def message_retry(*, message: OutboxMessage) -> OutboxMessage:
    """A failed message back to ready, with a fresh set of tries."""
    updated = OutboxMessage.objects.filter(pk=message.pk, status=Status.FAILED).update(
        status=Status.READY, attempts=0, next_attempt_at=clock.now(), claimed_by="", claimed_at=None
    )
    message.refresh_from_db()
    if not updated:
        raise ServiceError(f"outbox message {message.pk} is {message.status}, not failed")
    return message
