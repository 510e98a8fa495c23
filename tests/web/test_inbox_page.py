"""The inbox page: received messages with their status and, when quarantined, the reason."""

from __future__ import annotations

import pytest
from django.urls import reverse

from partnerdesk.inbound.models import InboundMessage
from partnerdesk.inbound.store import message_store

pytestmark = pytest.mark.django_db

MESSAGE = (
    b"From: Lee Park <lee@harbor.example.edu>\r\nTo: partnerships@2i2c.org\r\n"
    b"Subject: Re: [PD-1] Thank you\r\nMessage-ID: <one@harbor.example.edu>\r\n\r\nSounds good.\r\n"
)


def test_the_inbox_lists_received_messages_with_the_reason_for_a_quarantined_one(alice_client, harbor):
    stored = message_store(raw=MESSAGE, channel=InboundMessage.Channel.MAILGATE).message
    InboundMessage.objects.filter(pk=stored.pk).update(
        status=InboundMessage.Status.QUARANTINED, outcome="no engagement <PD-9> matches", engagement=harbor
    )

    page = alice_client.get(reverse("inbox")).content.decode()
    assert "Re: [PD-1] Thank you" in page and "lee@harbor.example.edu" in page
    assert "Quarantined" in page and "no engagement &lt;PD-9&gt; matches" in page
    assert f'href="/engagements/{harbor.reference}/"' in page
    assert "Re: [PD-1]" not in alice_client.get(reverse("inbox"), {"status": "processed"}).content.decode()


HELD_COMMAND = (
    b"From: Alice Ng <alice@2i2c.org>\r\nTo: partnerships@2i2c.org\r\nSubject: Hail the Lead\r\n"
    b"Message-ID: <held-1@2i2c.org>\r\n\r\nPartner: Ridge College\r\nro@ridge.example.edu\r\n"
)


def _held():
    from tests.inbound.conftest import receive

    message = receive(HELD_COMMAND)
    assert message.status == InboundMessage.Status.HELD
    return message


def test_a_held_command_is_shown_with_its_reason_and_a_signed_in_member_confirms_it(alice_client):
    from partnerdesk.inbound.processing import messages_process_due
    from partnerdesk.pipeline.models import Contact

    held = _held()
    listing = alice_client.get(reverse("inbox")).content.decode()
    assert "1 message would act but its sender is not proven" in listing
    assert "cannot yet prove who sent a message" in listing
    page = alice_client.get(reverse("inbox-message", args=[held.pk])).content.decode()
    assert "Held: confirm or dismiss" in page and "the sender is not proven" in page
    assert "ro@ridge.example.edu" in page  # the message itself, to judge it by

    answer = alice_client.post(reverse("inbox-message-confirm", args=[held.pk]), follow=True)
    assert "Confirmed: the request will be carried out" in answer.content.decode()
    # The worker carries it out, not the page.
    assert not Contact.objects.filter(email="ro@ridge.example.edu").exists()
    messages_process_due()
    held.refresh_from_db()
    assert (held.status, held.route, held.confirmed_by) == ("processed", "command", "alice")
    assert Contact.objects.filter(email="ro@ridge.example.edu").exists()
    again = alice_client.post(reverse("inbox-message-confirm", args=[held.pk]), follow=True)
    assert "not held any more" in again.content.decode()


def test_a_dismissed_held_message_stays_in_the_inbox_and_never_acts(alice_client):
    held = _held()
    alice_client.post(reverse("inbox-message-dismiss", args=[held.pk]))
    held.refresh_from_db()
    assert held.status == InboundMessage.Status.IGNORED
    assert held.outcome.startswith("dismissed by alice: The command \"Hail the Lead\", but")
    page = alice_client.get(reverse("inbox-message", args=[held.pk])).content.decode()
    assert "Confirm and carry it out" not in page


def test_a_quarantined_message_can_be_processed_again_from_its_page(alice_client, harbor):
    stored = message_store(raw=MESSAGE, channel=InboundMessage.Channel.MAILGATE).message
    InboundMessage.objects.filter(pk=stored.pk).update(status=InboundMessage.Status.QUARANTINED, attempts=3)
    alice_client.post(reverse("inbox-message-retry", args=[stored.pk]))
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (InboundMessage.Status.RECEIVED, 0)


def test_a_message_page_needs_sign_in(client):
    stored = message_store(raw=MESSAGE, channel=InboundMessage.Channel.MAILGATE).message
    answer = client.get(reverse("inbox-message", args=[stored.pk]))
    assert answer.status_code == 302 and "/login/" in answer["Location"]
    assert client.post(reverse("inbox-message-retry", args=[stored.pk])).status_code == 302
