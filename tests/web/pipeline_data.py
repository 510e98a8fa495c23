"""Engagements for the board, list and dashboard tests, made through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from partnerdesk.agreements import services as agreements
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.qualification import Answer
from partnerdesk.pipeline.stages import Stage

ALICE = services.Actor(label="alice")


def lead(name: str, *, owner=None) -> Engagement:
    return services.engagement_create(
        organization_name=name,
        contacts=[("", f"{name.lower().replace(' ', '.')}@example.org")],
        actor=ALICE,
        owner=owner,
    )


def deal(
    name: str,
    *,
    stage: Stage = Stage.QUALIFIED_LEAD,
    value: str | None = None,
    currency: str = "USD",
    term_start: dt.date | None = None,
    owner=None,
) -> Engagement:
    """An engagement moved to `stage` (Lead, Qualified Lead or Prospect) with an agreement in the
    works worth `value`."""
    engagement = lead(name, owner=owner)
    if stage in (Stage.QUALIFIED_LEAD, Stage.PROSPECT):
        services.engagement_qualify(
            engagement=engagement, actor=ALICE, good_candidate=Answer.YES, qualified=Answer.YES
        )
        services.engagement_move(engagement=engagement, to=Stage.QUALIFIED_LEAD, actor=ALICE)
    if stage == Stage.PROSPECT:
        services.engagement_record_verbal_yes(engagement=engagement, by="Sam Ortiz", actor=ALICE)
        services.engagement_move(engagement=engagement, to=Stage.PROSPECT, actor=ALICE)
    if value is not None:
        agreement = agreements.agreement_create(engagement=engagement, actor=ALICE)
        agreements.agreement_set_terms(
            agreement=agreement, actor=ALICE, value=Decimal(value), currency=currency, term_start=term_start
        )
    engagement.refresh_from_db()
    return engagement
