"""An SOP by email acts for the contacts the request names ("to PartnerX contact email(s)"), all
of them only when it names none, and the answer says which."""

from __future__ import annotations

import email
import email.policy

import pytest

from partnerdesk.documents.models import Share
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement
from tests.conftest import PROVEN_BY_DMARC
from tests.inbound.conftest import receive

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mailbox_checks_senders")]


@pytest.fixture
def prospect(alice_actor) -> Engagement:
    engagement = services.engagement_create(
        organization_name="Harbor University",
        contacts=[("Lee Park", "lee@harbor.example.edu"), ("Ana Ruiz", "ana@harbor.example.edu")],
        actor=alice_actor,
    )
    Engagement.objects.filter(pk=engagement.pk).update(stage="prospect")
    engagement.refresh_from_db()
    return engagement


def send(subject: str, body: str, number: int = 1):
    return receive(PROVEN_BY_DMARC + (
        f"From: alice@2i2c.org\nTo: partnerships@2i2c.org\nSubject: {subject}\n"
        f"Message-ID: <draft-{number}@2i2c.org>\n\n{body}"
    ).encode())  # fmt: skip


def answer(message) -> str:
    row = OutboxMessage.objects.get(idempotency_key=f"inbound-{message.pk}-answer")
    text = email.message_from_bytes(bytes(row.raw), policy=email.policy.default)
    return text.get_body(preferencelist=("plain",)).get_content()


def test_send_draft_contract_to_one_named_contact_shares_with_that_contact_only(prospect):
    message = send(f"Send Draft Contract {prospect.reference}", "to Ana Ruiz <ana@harbor.example.edu>\n")
    assert message.route == "command", message.outcome
    shared = set(Share.objects.values_list("contact__email", flat=True))
    assert shared == {"ana@harbor.example.edu"}
    assert "For the contacts you named: ana@harbor.example.edu." in answer(message)


def test_a_new_address_named_in_the_request_becomes_a_contact_and_gets_the_draft(prospect):
    send(f"Send Draft Contract [{prospect.reference}]", "Kim Lo <kim@harbor.example.edu>\n")
    assert prospect.contacts.filter(email="kim@harbor.example.edu").exists()
    assert set(Share.objects.values_list("contact__email", flat=True)) == {"kim@harbor.example.edu"}


def test_without_a_named_contact_every_contact_gets_it_and_the_answer_says_so(prospect):
    message = send(f"Send Draft Contract {prospect.reference}", "Please send the draft.\n")
    assert set(Share.objects.values_list("contact__email", flat=True)) == {
        "lee@harbor.example.edu",
        "ana@harbor.example.edu",
    }
    assert "You named no contact, so it was for all of" in answer(message)
