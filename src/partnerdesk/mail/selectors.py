"""Reads of the outbox."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from partnerdesk.mail.backends import eml_path, outbox_directory
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.profile import get_profile


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def outbox_message_data(message: OutboxMessage, *, prefix: str, files: bool) -> dict[str, Any]:
    eml = eml_path(outbox_directory(), message.message_id) if files else None
    return {
        "id": message.pk,
        "status": message.status,
        "engagement": f"{prefix}-{message.engagement_id}" if message.engagement_id else None,
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
    prefix = get_profile().organization.reference_prefix
    files = not settings.EMAIL_URL
    return [
        outbox_message_data(message, prefix=prefix, files=files)
        for message in queryset.iterator(chunk_size=2000)
    ]
