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


@dataclass(frozen=True)
class _Composed:
    message: EmailMessage
    raw: bytes
    from_addr: str
    to: list[str]
    cc: list[str]
    bcc: list[str]
    subject: str


def _compose(
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    from_addr: str | None,
    cc: Sequence[str],
    bcc: Sequence[str],
    reply_to: str | None,
    extra_headers: Mapping[str, str] | None,
    attachments: Sequence[Attachment],
    engagement: Engagement | None,
) -> _Composed:
    if isinstance(bcc, str):
        raise TypeError("bcc is a sequence of addresses, not one string")
    envelope_addresses(bcc, header="Bcc")
    full_subject = message_subject(subject=subject, engagement=engagement)
    sender = from_addr if from_addr is not None else default_from_address()
    message = build_message(
        from_addr=sender,
        to=to,
        subject=full_subject,
        body=body,
        cc=cc,
        reply_to=reply_to,
        message_id=new_message_id(),
        extra_headers=extra_headers,
        attachments=attachments,
    )
    return _Composed(message, message_bytes(message), sender, list(to), list(cc), list(bcc), full_subject)


def message_queue(
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    from_addr: str | None = None,
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    reply_to: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
    engagement: Engagement | None = None,
    idempotency_key: str | None = None,
    actor: Actor | None = None,
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
    composed = _compose(
        to=to,
        subject=subject,
        body=body,
        from_addr=from_addr,
        cc=cc,
        bcc=bcc,
        reply_to=reply_to,
        extra_headers=extra_headers,
        attachments=attachments,
        engagement=engagement,
    )
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
                    summary=f"Email to {', '.join(to)}: {subject}",
                    data={"outbox": message.pk, "message_id": message.message_id},
                )
    except IntegrityError:
        # Another transaction queued the same key between our look and our write.
        existing = OutboxMessage.objects.filter(idempotency_key=idempotency_key).first()
        if idempotency_key is None or existing is None:
            raise
        return existing
    return message


def message_compose(
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    from_addr: str | None = None,
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    reply_to: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
    engagement: Engagement | None = None,
) -> EmailMessage:
    """The message `message_queue` would queue (its parts rendered), writing nothing."""
    return _compose(
        to=to,
        subject=subject,
        body=body,
        from_addr=from_addr,
        cc=cc,
        bcc=bcc,
        reply_to=reply_to,
        extra_headers=extra_headers,
        attachments=attachments,
        engagement=engagement,
    ).message


def message_preview(
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    from_addr: str | None = None,
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    reply_to: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
    engagement: Engagement | None = None,
) -> str:
    """The message `message_queue` would queue, as text, writing nothing (a dry-run).

    The same checks apply, so a preview fails where queueing would. Bcc is listed for the reader.
    """
    composed = _compose(
        to=to,
        subject=subject,
        body=body,
        from_addr=from_addr,
        cc=cc,
        bcc=bcc,
        reply_to=reply_to,
        extra_headers=extra_headers,
        attachments=attachments,
        engagement=engagement,
    )
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
