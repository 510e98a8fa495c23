"""Reads of the inbound mail."""

from __future__ import annotations

from typing import Any

from partnerdesk.inbound.models import InboundMessage
from partnerdesk.pipeline.references import reference_of


def inbound_message_data(message: InboundMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "status": message.status,
        "route": message.route or None,
        "channel": message.channel,
        "received_at": message.received_at.isoformat(),
        "from": message.from_addr,
        "subject": message.subject,
        "message_id": message.message_id or None,
        "size": message.size,
        "engagement": reference_of(message.engagement_id) if message.engagement_id else None,
        "outcome": message.outcome or None,
        "attempts": message.attempts,
        "file": message.raw_path or None,
    }


def inbox_list(*, quarantine: bool = False, limit: int | None = None) -> list[dict[str, Any]]:
    """Stored messages, oldest first (only the quarantined ones with `quarantine`), without bytes."""
    queryset = InboundMessage.objects.defer("raw").order_by("pk")
    if quarantine:
        queryset = queryset.filter(status=InboundMessage.Status.QUARANTINED)
    if limit is not None:
        queryset = queryset.order_by("-pk")[:limit]
    rows = [inbound_message_data(message) for message in queryset.iterator(chunk_size=2000)]
    return sorted(rows, key=lambda row: row["id"]) if limit is not None else rows
