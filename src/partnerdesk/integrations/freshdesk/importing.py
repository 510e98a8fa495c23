"""`partnerdesk import freshdesk`: every ticket as an engagement, each in its own transaction.

A ticket is remembered by its key (`<domain>:<ticket id>`) in the data of its engagement's
"created" timeline entry, and each conversation by its id in its own entry, so a re-run imports
no ticket twice and adds only the conversations that came since.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from partnerdesk.integrations.freshdesk.client import FreshdeskClient
from partnerdesk.integrations.freshdesk.mapping import Skip, TicketPlan, parse_time, stage_tables, ticket_plan
from partnerdesk.lib import clock
from partnerdesk.pipeline.models import Engagement, EngagementContact, Source, TimelineEntry
from partnerdesk.pipeline.services import Actor, contact_upsert, organization_get_or_create
from partnerdesk.profile import FreshdeskSection, get_profile

TICKET_KEY = "freshdesk_ticket"
CONVERSATION_KEY = "freshdesk_conversation"
SUMMARY_LENGTH = 300

Progress = Callable[[str], None]


@dataclass
class FreshdeskImportResult:
    pages: int = 0
    tickets_seen: int = 0
    imported: list[str] = field(default_factory=list)  # engagement references
    already_imported: int = 0
    conversations: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (ticket id, why)


def _key(domain: str, ticket_id: int) -> str:
    return f"{domain}:{ticket_id}"


def _existing(key: str) -> Engagement | None:
    entry = (
        TimelineEntry.objects.filter(kind=TimelineEntry.Kind.CREATED, data__freshdesk_ticket=key)
        .select_related("engagement")
        .first()
    )
    return entry.engagement if entry is not None else None


def _entry(
    engagement: Engagement, *, kind: str, at: dt.datetime, actor: Actor, summary: str, data: dict[str, Any]
):
    return TimelineEntry(
        engagement=engagement,
        kind=kind,
        at=at,
        actor=actor.label,
        actor_user=actor.user,
        summary=summary,
        data=data,
    )


def _conversation_entry(engagement: Engagement, item: dict[str, Any], *, actor: Actor) -> TimelineEntry:
    body = str(item.get("body_text") or "").strip()
    sender = str(item.get("from_email") or item.get("support_email") or "").strip()
    if item.get("private"):
        kind, summary = TimelineEntry.Kind.NOTE, body
    else:
        kind = TimelineEntry.Kind.EMAIL_IN if item.get("incoming") else TimelineEntry.Kind.EMAIL_OUT
        summary = f"{sender}: {body}" if sender else body
    return _entry(
        engagement,
        kind=kind,
        at=parse_time(item.get("created_at")) or clock.now(),
        actor=actor,
        summary=" ".join(summary.split())[:SUMMARY_LENGTH] or "(empty message)",
        data={
            CONVERSATION_KEY: item.get("id"),
            "from": sender,
            "to": list(item.get("to_emails") or []),
            "cc": list(item.get("cc_emails") or []),
            "body": body,
            "private": bool(item.get("private")),
        },
    )


@transaction.atomic
def ticket_import(
    *, plan: TicketPlan, key: str, conversations: list[dict[str, Any]], actor: Actor
) -> tuple[Engagement, int]:
    """Create the engagement for one ticket (or find it), then add the conversations it lacks."""
    engagement = _existing(key)
    if engagement is None:
        now = clock.now()
        organization = organization_get_or_create(name=plan.organization)
        engagement = Engagement.objects.create(
            organization=organization,
            stage=plan.stage.value,
            stage_changed_at=now,
            created_at=plan.created_at or now,
            source=Source.IMPORT,
        )
        people = [
            contact_upsert(email=email, name=name, organization=organization) for name, email in plan.contacts
        ]
        EngagementContact.objects.bulk_create(
            [EngagementContact(engagement=engagement, contact=contact) for contact in dict.fromkeys(people)]
        )
        entries = [
            _entry(
                engagement,
                kind=TimelineEntry.Kind.CREATED,
                at=now,
                actor=actor,
                summary=f"Imported at {plan.stage.label} from Freshdesk #{plan.ticket_id}: {plan.subject}",
                data={TICKET_KEY: key, "contacts": [email for _, email in plan.contacts], "tags": plan.tags},
            )
        ]
        if plan.description:
            entries.append(
                _entry(
                    engagement,
                    kind=TimelineEntry.Kind.EMAIL_IN,
                    at=plan.created_at or now,
                    actor=actor,
                    summary=" ".join(f"{plan.contacts[0][1]}: {plan.description}".split())[:SUMMARY_LENGTH],
                    data={
                        "freshdesk_description": key,
                        "from": plan.contacts[0][1],
                        "body": plan.description,
                    },
                )
            )
        TimelineEntry.objects.bulk_create(entries)
    seen = set(
        TimelineEntry.objects.filter(engagement=engagement, data__has_key=CONVERSATION_KEY).values_list(
            f"data__{CONVERSATION_KEY}", flat=True
        )
    )
    new = [
        _conversation_entry(engagement, item, actor=actor)
        for item in conversations
        if item.get("id") not in seen
    ]
    TimelineEntry.objects.bulk_create(new)
    return engagement, len(new)


def freshdesk_import(
    *,
    client: FreshdeskClient,
    domain: str,
    actor: Actor,
    settings: FreshdeskSection | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> FreshdeskImportResult:
    """Page through every ticket; import each one not imported yet (nothing at all with dry_run)."""
    statuses, tags = stage_tables(settings or get_profile().freshdesk)
    companies: dict[Any, str | None] = {}
    result = FreshdeskImportResult()
    for page in client.tickets():
        result.pages += 1
        for ticket in page:
            result.tickets_seen += 1
            ticket_id = int(ticket["id"])
            company_id = ticket.get("company_id")
            if company_id and company_id not in companies:
                companies[company_id] = client.company_name(company_id)
            try:
                plan = ticket_plan(ticket, company=companies.get(company_id), statuses=statuses, tags=tags)
            except Skip as why:
                result.skipped.append((ticket_id, str(why)))
                continue
            key = _key(domain, ticket_id)
            existing = _existing(key)
            if existing is not None:
                result.already_imported += 1
            if dry_run:
                result.imported += [] if existing else [f"#{ticket_id}"]
                continue
            engagement, added = ticket_import(
                plan=plan, key=key, conversations=client.conversations(ticket_id), actor=actor
            )
            result.conversations += added
            result.imported += [] if existing else [engagement.reference]
            if progress is not None:
                progress(
                    f"page {result.pages}: {result.tickets_seen} tickets read, {len(result.imported)} new"
                )
    return result
