"""Reads of the outbox."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from partnerdesk.mail.backends import eml_path, outbox_directory
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline.references import reference_of


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def outbox_message_data(message: OutboxMessage, *, files: bool) -> dict[str, Any]:
    eml = eml_path(outbox_directory(), message.message_id) if files else None
    return {
        "id": message.pk,
        "status": message.status,
        "engagement": reference_of(message.engagement_id) if message.engagement_id else None,
        "message_id": message.message_id,
        "from": message.from_addr,
        "to": message.to,
        "cc": message.cc,
        "bcc": message.bcc,
        "subject": message.subject,
        "attempts": message.attempts,
        # Tries made again after a worker stopped mid-send: each may have delivered a second copy.
        "possible_duplicates": message.possible_duplicates,
        "next_attempt_at": _iso(message.next_attempt_at) if message.status == "ready" else None,
        "last_error": message.last_error or None,
        "created_at": _iso(message.created_at),
        "sent_at": _iso(message.sent_at),
        # With no EMAIL_URL, where the sent message was written.
        "file": str(eml) if eml is not None and message.sent_at and eml.exists() else None,
    }


def outbox_list(*, status: str | None = None) -> list[dict[str, Any]]:
    """Every outbox message (optionally in one status), oldest first, without the raw bytes."""
    queryset = OutboxMessage.objects.defer("raw").order_by("pk")
    if status is not None:
        queryset = queryset.filter(status=status)
    files = not settings.EMAIL_URL
    return [outbox_message_data(message, files=files) for message in queryset.iterator(chunk_size=2000)]
