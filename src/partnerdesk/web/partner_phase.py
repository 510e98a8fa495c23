"""What the engagement page's Partner section shows, read in a fixed number of queries.

Before the partner phase (a lead, a prospect that is not a renewal) it reads nothing: the page
costs the same queries as before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from partnerdesk.agreements.models import Agreement
from partnerdesk.agreements.partnership_rules import item_label
from partnerdesk.lib import clock
from partnerdesk.partnership.models import CheckIn, Invoice, Renewal, Tickler
from partnerdesk.partnership.renewals import next_term
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from partnerdesk.pipeline.services import ServiceError
from partnerdesk.pipeline.stages import Stage

UPCOMING_DAYS = 90
CHECK_INS_SHOWN = 10


@dataclass
class Item:
    """A tickler as the section lists it."""

    tickler: Tickler
    label: str


@dataclass
class PartnerPhase:
    engagement: Engagement
    applies: bool = False
    agreement: Agreement | None = None
    invoices: list[Invoice] = field(default_factory=list)
    missed: list[Item] = field(default_factory=list)
    upcoming: list[Item] = field(default_factory=list)
    check_ins: list[CheckIn] = field(default_factory=list)
    renewal: Renewal | None = None
    # The renewal outcome can be recorded (undecided, with an executed agreement to renew).
    renewal_open: bool = False
    # The next term "renewed" would make: (start, end), or why it cannot say.
    next_term: tuple[dt.date, dt.date] | None = None
    next_term_problem: str = ""
    upcoming_days: int = UPCOMING_DAYS

    @property
    def next_invoice(self) -> Item | None:
        """The first invoice still planned, which can be issued early."""
        return next((item for item in self.upcoming if item.tickler.kind == Tickler.Kind.INVOICE), None)


def is_renewal(timeline: list[Any]) -> bool:
    """Whether the engagement was opened as a renewal, from its loaded timeline (no query)."""
    return any(
        item.entry.kind == TimelineEntry.Kind.CREATED
        and isinstance(item.entry.data, dict)
        and "renewal_of" in item.entry.data
        for item in timeline
    )


def partner_phase(engagement: Engagement, *, timeline: list[Any]) -> PartnerPhase:
    phase = PartnerPhase(engagement)
    stage = Stage(engagement.stage)
    phase.applies = stage in (Stage.PARTNER, Stage.CLOSED) or (
        stage == Stage.PROSPECT and is_renewal(timeline)
    )
    if not phase.applies:
        return phase
    phase.agreement = (
        Agreement.objects.filter(engagement=engagement, status=Agreement.Status.EXECUTED)
        .order_by("-id")
        .first()
    )
    phase.invoices = list(Invoice.objects.filter(engagement=engagement).order_by("-year", "-sequence"))
    horizon = clock.today() + dt.timedelta(days=UPCOMING_DAYS)
    for tickler in Tickler.objects.filter(
        engagement=engagement, status__in=(Tickler.Status.PENDING, Tickler.Status.MISSED)
    ).order_by("due_on", "id"):
        item = Item(tickler, item_label(tickler.kind, tickler.payload))
        if tickler.status == Tickler.Status.MISSED:
            phase.missed.append(item)
        elif tickler.due_on <= horizon:
            phase.upcoming.append(item)
    phase.check_ins = list(CheckIn.objects.filter(engagement=engagement).order_by("-sent_at", "-id"))[
        :CHECK_INS_SHOWN
    ]
    phase.renewal = (
        Renewal.objects.filter(engagement=engagement).order_by("-id").first()
        or Renewal.objects.filter(renewal_engagement=engagement).select_related("agreement").first()
    )
    renewed: Agreement | None
    if phase.renewal is not None:
        phase.renewal_open = not phase.renewal.outcome
        renewed = phase.renewal.agreement
    else:
        phase.renewal_open = phase.agreement is not None and stage == Stage.PARTNER
        renewed = phase.agreement
    if phase.renewal_open and renewed is not None:
        try:
            phase.next_term = next_term(renewed)
        except ServiceError as exc:
            phase.next_term_problem = str(exc)
    return phase
