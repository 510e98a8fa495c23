"""One engagement per relationship: a hail for the sender of an inquiry continues the inquiry's
engagement, and a name given later replaces the provisional one taken from an address."""

from __future__ import annotations

import email
import email.policy

import pytest

from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement, Organization
from partnerdesk.pipeline.stages import Stage
from tests.conftest import PROVEN_BY_DMARC
from tests.inbound.conftest import receive

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mailbox_checks_senders")]

INQUIRY = (
    b"From: Jo Kim <jo@uni.example>\nTo: partnerships@2i2c.org\nSubject: A hub for our course?\n"
    b"Message-ID: <inquiry-1@uni.example>\n\nHow much would a hub for 300 students cost?\n"
)


def team(subject: str, body: str, *, number: int, extra: str = "") -> bytes:
    return (
        PROVEN_BY_DMARC
        + (
            f"From: Alice Ng <alice@2i2c.org>\nTo: partnerships@2i2c.org\nSubject: {subject}\n"
            f"Message-ID: <team-{number}@2i2c.org>\n{extra}\n{body}"
        ).encode()
    )


def plain_text(row: OutboxMessage) -> str:
    parsed = email.message_from_bytes(bytes(row.raw), policy=email.policy.default)
    return parsed.get_body(preferencelist=("plain",)).get_content()


def test_an_inquiry_opens_a_lead_under_a_provisional_name_that_a_hail_replaces():
    inquiry = receive(INQUIRY)
    engagement = inquiry.engagement
    assert (engagement.organization.name, engagement.organization.name_provisional) == ("uni.example", True)

    hail = receive(team("Hail the Lead", "Partner: Uni College\nJo Kim <jo@uni.example>\n", number=1))
    assert hail.route == "command"
    assert Engagement.objects.count() == 1  # the inquiry's engagement, continued
    engagement.refresh_from_db()
    assert (engagement.organization.name, engagement.organization.name_provisional) == ("Uni College", False)
    assert hail.engagement == engagement
    assert engagement.timeline.filter(summary__startswith="Organization named Uni College").exists()
    [canned] = [row for row in OutboxMessage.objects.all() if "jo@uni.example" in row.envelope_to]
    sent = email.message_from_bytes(bytes(canned.raw), policy=email.policy.default)
    assert (sent["In-Reply-To"], sent["References"]) == ("<inquiry-1@uni.example>", "<inquiry-1@uni.example>")


def test_a_hail_without_a_partner_line_asks_for_the_name_and_a_reply_in_the_thread_gives_it():
    hail = receive(team("Hail the Lead", "ro@ridge.example.edu\n", number=1))
    engagement = hail.engagement
    assert engagement.organization.name == "ridge.example.edu" and engagement.organization.name_provisional
    answer = OutboxMessage.objects.get(idempotency_key=f"inbound-{hail.pk}-answer")
    assert "The organization's name is not known yet" in plain_text(answer)
    assert "Partner: Their Organization" in plain_text(answer)

    reply = receive(team("Re: Hail the Lead", "Partner: Ridge College\n", number=2,
                         extra=f"In-Reply-To: {answer.message_id}\n"))  # fmt: skip
    assert (reply.route, reply.engagement) == ("named", engagement)
    engagement.refresh_from_db()
    assert engagement.organization.name == "Ridge College"
    assert not engagement.organization.name_provisional


def test_a_provisional_engagement_joins_the_organization_of_that_name_when_it_exists(alice_actor):
    existing = services.engagement_create(
        organization_name="Uni College", contacts=[("Sam", "sam@uni.example")], actor=alice_actor
    )
    services.engagement_move(engagement=existing, to=Stage.CLOSED, actor=alice_actor, reason="went quiet")
    inquiry = receive(INQUIRY)
    receive(team("Hail the Lead", "Partner: uni college\njo@uni.example\n", number=1))
    engagement = Engagement.objects.get(pk=inquiry.engagement_id)
    assert engagement.organization == existing.organization
    assert not Organization.objects.filter(name="uni.example").exists()


def test_a_name_someone_gave_is_never_replaced_by_a_partner_line(alice_actor):
    harbor = services.engagement_create(
        organization_name="Harbor University", contacts=[("Lee", "lee@harbor.example.edu")], actor=alice_actor
    )
    receive(team("Hail the Lead", "Partner: Harbour Uni\nlee@harbor.example.edu\n", number=1))
    harbor.refresh_from_db()
    assert harbor.organization.name == "Harbor University"
    assert Engagement.objects.count() == 1
