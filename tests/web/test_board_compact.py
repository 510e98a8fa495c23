"""The board at scale: compact cards, column counts and values, a page that stays small."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from partnerdesk.lib import clock
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Contact, Engagement, EngagementContact, Organization
from partnerdesk.pipeline.stages import Stage
from tests.web.pipeline_data import ALICE, deal, lead

pytestmark = pytest.mark.django_db


def _card(page: str, engagement: Engagement) -> str:
    return page.split(f'id="card-{engagement.pk}"')[1].split("</article>")[0]


def _column_header(page: str, stage: str) -> str:
    return page.split(f'id="column-{stage}"')[1].split('<div class="cards">')[0]


def test_a_card_shows_organization_value_owner_days_in_stage_and_next_due(alice_client, alice):
    harbor = deal("Harbor University", value="24000", owner=alice)
    Engagement.objects.filter(pk=harbor.pk).update(stage_changed_at=clock.now() - dt.timedelta(days=3))
    services.task_create(engagement=harbor, title="Send the demo", actor=ALICE, due_on=dt.date(2031, 1, 2))

    card = _card(alice_client.get(reverse("home")).content.decode(), harbor)

    assert f"{harbor.reference} Harbor University" in card
    assert '<span class="value">USD 24,000</span>' in card
    assert '<span class="owner">alice</span>' in card and "3 days in stage" in card
    assert '<span class="due">Due 2031-01-02</span>: Send the demo' in card
    # One line to move it: a "Move to" list, a reason shown only for closing or reopening, Move.
    assert '<option value="">Move to…</option>' in card and card.count("<select") == 1
    assert "@example.org" not in card  # contacts are on the engagement page, not the card


def test_closed_cards_do_not_list_the_maniac_t_unknowns(alice_client):
    open_lead, gone = lead("Bay College"), lead("Gone Institute")
    services.engagement_move(engagement=gone, to=Stage.CLOSED, actor=ALICE, reason="no budget")

    page = alice_client.get(reverse("home")).content.decode()

    assert "7 MANIAC-T unknowns" in _card(page, open_lead)
    assert "MANIAC-T" not in _card(page, gone) and "no owner" in _card(page, gone)


def test_each_column_shows_its_count_and_value_per_currency(alice_client):
    deal("Harbor University", value="24000")
    deal("Delta College", value="1000.50")
    deal("Ocean Institute", value="5000", currency="EUR")
    deal("Pine Lab")  # no agreement: counted, no value
    deal("Elm School", stage=Stage.PROSPECT, value="7000")

    page = alice_client.get(reverse("home")).content.decode()

    qualified = _column_header(page, "qualified-lead")
    assert '<small class="count">(4)</small>' in qualified
    assert '<span class="total">EUR 5,000 · USD 25,000</span>' in qualified
    assert '<span class="total">USD 7,000</span>' in _column_header(page, "prospect")
    assert 'class="total"' not in _column_header(page, "lead")
    # The filters narrow the totals too.
    page = alice_client.get(reverse("home"), {"q": "harbor"}).content.decode()
    assert '<span class="total">USD 24,000</span>' in _column_header(page, "qualified-lead")


def _bulk(count: int) -> None:
    """`count` engagements spread over the stages, each with a contact, made in bulk."""
    now = clock.now()
    stages = [stage.value for stage in Stage]
    organizations = Organization.objects.bulk_create(
        [Organization(name=f"University of Somewhere Far Away {n}") for n in range(count)]
    )
    engagements = Engagement.objects.bulk_create(
        [
            Engagement(organization=o, stage=stages[n % len(stages)], stage_changed_at=now, created_at=now)
            for n, o in enumerate(organizations)
        ]
    )
    contacts = Contact.objects.bulk_create(
        [Contact(name=f"Lee Park {n}", email=f"lee{n}@u{n}.example.edu") for n in range(count)]
    )
    EngagementContact.objects.bulk_create(
        [EngagementContact(engagement=e, contact=c) for e, c in zip(engagements, contacts, strict=True)]
    )


def test_a_thousand_engagements_make_a_board_under_400_kb(alice_client):
    _bulk(1000)

    response = alice_client.get(reverse("home"))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<small class="count">(200)</small>' in page
    assert len(response.content) < 400_000, len(response.content)
    listed = alice_client.get(reverse("engagement-list"))
    assert "<strong class=\"list-count\">1000</strong>" in listed.content.decode()
    assert len(listed.content) < 400_000, len(listed.content)
