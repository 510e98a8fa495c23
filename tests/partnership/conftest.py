from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from partnerdesk.agreements import closing, status
from partnerdesk.agreements import services as agreements
from partnerdesk.agreements.models import Agreement
from partnerdesk.pipeline import services
from partnerdesk.pipeline.qualification import Answer
from partnerdesk.pipeline.stages import Stage
from tests.agreements.conftest import docx_bytes


def make_partner(
    *,
    organization: str = "Harbor University",
    contacts=(("Lee Park", "lee@harbor.example.edu"), ("Ana Ruiz", "ana@harbor.example.edu")),
    term_start: dt.date = dt.date(2027, 1, 1),
    term_end: dt.date = dt.date(2028, 12, 31),
    value: Decimal | None = Decimal("24000.00"),
    currency: str = "USD",
    deliverables=(),
    owner=None,
    executed_on: dt.date | None = None,
    **billing,
):
    """An engagement at Partner with an executed agreement, made through the services.

    `executed_on` backdates the signature (default today); `billing` takes the billing terms of
    `agreement_set_terms` (payment_terms_days=45, invoice_schedule="quarterly"...)."""
    actor = services.Actor(label="alice")
    engagement = services.engagement_create(
        organization_name=organization, contacts=list(contacts), actor=actor, owner=owner
    )
    services.engagement_qualify(
        engagement=engagement, actor=actor, good_candidate=Answer.YES, qualified=Answer.YES
    )
    services.engagement_move(engagement=engagement, to=Stage.QUALIFIED_LEAD, actor=actor)
    services.engagement_record_verbal_yes(engagement=engagement, by=contacts[0][0], actor=actor)
    services.engagement_move(engagement=engagement, to=Stage.PROSPECT, actor=actor)
    agreement = agreements.agreement_create(engagement=engagement, actor=actor)
    agreements.agreement_attach(
        agreement=agreement, content=docx_bytes("Services agreement"), filename="final.docx", actor=actor
    )
    agreements.agreement_set_terms(
        agreement=agreement,
        actor=actor,
        value=value or Decimal(1),
        currency=currency,
        term_start=term_start,
        term_end=term_end,
        **billing,
    )
    agreements.agreement_signatory_add(
        agreement=agreement, person=f"{contacts[0][0]} <{contacts[0][1]}>", actor=actor
    )
    agreements.agreement_addendum_add(agreement=agreement, kind="statement-of-work", title="SOW", actor=actor)
    for title, due in deliverables:
        agreements.agreement_addendum_add(
            agreement=agreement, kind="deliverable", title=title, due_on=due, actor=actor
        )
    status.agreement_mark_ready(agreement=agreement, actor=actor)
    closing.agreement_executed(
        engagement=engagement, signed_file=None, filename="", actor=actor, on=executed_on
    )
    if value is None:  # an agreement without invoices: its value is kept elsewhere
        Agreement.objects.filter(pk=agreement.pk).update(value=None)
    engagement.refresh_from_db()
    agreement.refresh_from_db()
    return engagement, agreement


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice", email="alice@2i2c.org")


@pytest.fixture
def partner(db, alice, frozen_clock):
    return make_partner(owner=alice)


from tests.smtp_server import smtp_server, smtp_sink  # noqa: E402, F401 - fixtures
