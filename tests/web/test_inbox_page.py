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
