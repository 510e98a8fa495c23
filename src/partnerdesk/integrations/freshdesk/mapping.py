"""Freshdesk tickets as partnerdesk engagements (pure: no Django, no network)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import getaddresses
from typing import Any

from partnerdesk.pipeline.stages import Stage
from partnerdesk.profile import FreshdeskSection

# Freshdesk's statuses: 2 Open, 3 Pending, 4 Resolved, 5 Closed (custom ones are numbers too).
DEFAULT_STATUS_STAGES = {"2": "lead", "3": "lead", "4": "lead", "5": "closed"}
# A tag naming a stage moves the ticket there; the first tag that names one wins over the status.
DEFAULT_TAG_STAGES = {
    "lead": "lead",
    "qualified": "qualified-lead",
    "qualified-lead": "qualified-lead",
    "prospect": "prospect",
    "partner": "partner",
    "closed": "closed",
}
PERSONAL_DOMAINS = {"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com"}


@dataclass
class TicketPlan:
    ticket_id: int
    organization: str
    contacts: list[tuple[str, str]]
    stage: Stage
    subject: str
    created_at: dt.datetime | None
    description: str
    tags: list[str] = field(default_factory=list)


class Skip(Exception):
    """The ticket is not imported; the message says why."""


def stage_tables(settings: FreshdeskSection) -> tuple[dict[str, Stage], dict[str, Stage]]:
    """The profile's `[freshdesk] status_stages` and `tag_stages` over the defaults, parsed."""
    statuses = {**DEFAULT_STATUS_STAGES, **settings.status_stages}
    tags = {**DEFAULT_TAG_STAGES, **settings.tag_stages}
    return (
        {str(key): Stage.parse(str(value)) for key, value in statuses.items()},
        {str(key).lower(): Stage.parse(str(value)) for key, value in tags.items()},
    )


def parse_time(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def _addresses(values: Any) -> list[tuple[str, str]]:
    found = getaddresses([str(value) for value in values or [] if value])
    return [(name.strip(), email.strip().lower()) for name, email in found if "@" in email]


def ticket_plan(
    ticket: Mapping[str, Any],
    *,
    company: str | None,
    statuses: Mapping[str, Stage],
    tags: Mapping[str, Stage],
) -> TicketPlan:
    if ticket.get("spam"):
        raise Skip("marked as spam in Freshdesk")
    if ticket.get("deleted"):
        raise Skip("deleted in Freshdesk")
    requester = ticket.get("requester") or {}
    email = str(requester.get("email") or "").strip().lower()
    if "@" not in email:
        raise Skip("the requester has no email address")
    name = str(requester.get("name") or "").strip()
    contacts = [(name, email)]
    for cc_name, cc_email in _addresses(ticket.get("cc_emails")):
        if cc_email not in {known for _, known in contacts}:
            contacts.append((cc_name, cc_email))
    domain = email.rpartition("@")[2]
    organization = company or (domain if domain not in PERSONAL_DOMAINS else (name or email))
    ticket_tags = [str(tag) for tag in ticket.get("tags") or []]
    stage = next((tags[tag.lower()] for tag in ticket_tags if tag.lower() in tags), None)
    if stage is None:
        status = str(ticket.get("status", ""))
        if status not in statuses:
            raise Skip(f"status {status} has no stage (add it to [freshdesk] status_stages)")
        stage = statuses[status]
    return TicketPlan(
        ticket_id=int(ticket["id"]),
        organization=" ".join(organization.split())[:200],
        contacts=contacts,
        stage=stage,
        subject=str(ticket.get("subject") or "").strip(),
        created_at=parse_time(ticket.get("created_at")),
        description=str(ticket.get("description_text") or "").strip(),
        tags=ticket_tags,
    )
