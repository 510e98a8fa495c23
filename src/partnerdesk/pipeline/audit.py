"""The audit trail: every change on every engagement's timeline, with who made it, when, through
which channel and what changed. A read, derived from the timeline entries and their actor labels.

Each service writes its timeline entry in the same transaction as the change, labelled by its
`Actor` (pipeline/services.py); the channel follows from that label:

| actor label | channel |
|---|---|
| `mail:<address>` | email |
| `cli:<system user>` | cli |
| a team member's username (signed in), `partner:<address>` (partner link), `check-in:<address>` | web |
| `calendly`, `docusign` (their webhooks; a Calendly booking read from an email: email) | webhook |
| `partnerdesk`, `partnerdesk:<job>`, `partnerdesk (<job>)` (the worker and its jobs) | worker |
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any, Protocol

from django.utils import timezone

from partnerdesk.lib import csv_safe
from partnerdesk.pipeline.models import Engagement, TimelineEntry

EMAIL, WEB, CLI, WEBHOOK, WORKER = "email", "web", "cli", "webhook", "worker"
CHANNELS = (EMAIL, WEB, CLI, WEBHOOK, WORKER)
COLUMNS = ["at", "engagement", "organization", "channel", "who", "actor", "change", "summary", "details"]

_PREFIXES = {"mail": EMAIL, "cli": CLI, "partner": WEB, "check-in": WEB, "partnerdesk": WORKER}
_WEBHOOK_ACTORS = frozenset({"calendly", "docusign"})
_KIND_LABELS = dict(TimelineEntry.Kind.choices)


class Writable(Protocol):
    """Where rows go: a text stream, a command's output, an HTTP response."""

    def write(self, text: str, /) -> object: ...


def channel_of(actor: str, data: dict[str, Any] | None = None) -> str:
    """The channel a change came through, from its actor label (see the table above)."""
    prefix, colon, _ = actor.partition(":")
    if colon and prefix in _PREFIXES:
        return _PREFIXES[prefix]
    if actor in _WEBHOOK_ACTORS:
        return EMAIL if (data or {}).get("source") == "email" else WEBHOOK
    if actor == "partnerdesk" or actor.startswith("partnerdesk "):
        return WORKER
    # What is left is Actor.for_user: a signed-in team member's username.
    return WEB


def who_of(actor: str) -> str:
    """The person or system behind the label: `mail:lee@harbor.edu` -> `lee@harbor.edu`."""
    prefix, colon, rest = actor.partition(":")
    if colon and prefix in _PREFIXES and prefix != "partnerdesk":
        return rest
    return actor


def start_of(day: dt.date) -> dt.datetime:
    """The first instant of `day` in partnerdesk's time zone (PARTNERDESK_TIME_ZONE)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_entries(
    *, engagement: Engagement | None = None, since: dt.date | None = None
) -> Iterator[dict[str, Any]]:
    """Every timeline entry, oldest first, as one row each (one engagement's, or all)."""
    queryset = TimelineEntry.objects.select_related("engagement__organization").order_by("at", "id")
    if engagement is not None:
        queryset = queryset.filter(engagement=engagement)
    if since is not None:
        queryset = queryset.filter(at__gte=start_of(since))
    for entry in queryset.iterator(chunk_size=2000):
        yield {
            "at": entry.at.isoformat(),
            "engagement": entry.engagement.reference,
            "organization": entry.engagement.organization.name,
            "channel": channel_of(entry.actor, entry.data),
            "who": who_of(entry.actor),
            "actor": entry.actor,
            "change": _KIND_LABELS.get(entry.kind, entry.kind),
            "kind": entry.kind,
            "summary": entry.summary,
            "details": entry.data,
        }


def audit_write_csv(rows: Iterator[dict[str, Any]], out: Writable) -> int:
    """The rows as CSV a spreadsheet opens as data (lib/csv_safe.py); returns the number written."""
    writer = csv_safe.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({**row, "details": json.dumps(row["details"], ensure_ascii=False, sort_keys=True)})
        count += 1
    return count


def audit_write_json(rows: Iterator[dict[str, Any]], out: Writable) -> int:
    """The rows as one JSON array, written as they are read."""
    count = 0
    out.write("[")
    for row in rows:
        out.write(("," if count else "") + "\n  " + json.dumps(row, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
