"""The outbox page: messages by status, a failed one's error, and Retry."""

from __future__ import annotations

import pytest
from django.urls import reverse

from partnerdesk.lib import clock
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import message_queue

pytestmark = pytest.mark.django_db


def _queue(subject: str, engagement=None) -> OutboxMessage:
    return message_queue(to=["lee@harbor.example.edu"], subject=subject, body="Hello", engagement=engagement)


def test_the_outbox_lists_queued_sent_and_failed_messages_with_the_error(alice_client, harbor):
    _queue("Queued one", engagement=harbor)
    sent = _queue("Sent one")
    OutboxMessage.objects.filter(pk=sent.pk).update(status="sent", sent_at=clock.now(), attempts=1)
    failed = _queue("Failed one")
    OutboxMessage.objects.filter(pk=failed.pk).update(
        status="failed", attempts=1, last_error="550 5.1.1 <lee@harbor.example.edu>: no such user"
    )

    page = alice_client.get(reverse("outbox")).content.decode()
    assert f"[{harbor.reference}] Queued one" in page
    assert f'href="/engagements/{harbor.reference}/"' in page
    assert "550 5.1.1 &lt;lee@harbor.example.edu&gt;: no such user" in page
    assert page.count(">Retry</button>") == 1

    only_failed = alice_client.get(reverse("outbox"), {"status": "failed"}).content.decode()
    assert "Failed one" in only_failed and "Sent one" not in only_failed


def test_retry_puts_a_failed_message_back_in_the_queue(alice_client):
    failed = _queue("Failed one")
    OutboxMessage.objects.filter(pk=failed.pk).update(status="failed", attempts=8, last_error="421 try later")

    page = alice_client.post(reverse("outbox-retry", args=[failed.pk]), follow=True).content.decode()

    assert f"Message #{failed.pk} is queued again" in page
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("ready", 0)
    again = alice_client.post(reverse("outbox-retry", args=[failed.pk]), follow=True).content.decode()
    assert "is ready, not failed" in again
    assert alice_client.post(reverse("outbox-retry", args=[99999])).status_code == 404
    assert alice_client.get(reverse("outbox-retry", args=[failed.pk])).status_code == 405
