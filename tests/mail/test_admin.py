"""The outbox in the Django admin: read-only rows, the message as sent, and a "retry" action."""

from __future__ import annotations

import pytest

from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import message_queue, outbox_deliver_due

pytestmark = pytest.mark.django_db


def test_the_admin_lists_messages_shows_one_and_retries_the_failed_ones(admin_client, smtp_server):
    smtp_server.handler.data_answer = "550 5.7.1 Rejected"
    failed = message_queue(to=["lee@harbor.example.edu"], subject="Rejected once", body="Dear Lee,\n")
    outbox_deliver_due()
    smtp_server.handler.data_answer = None
    sent = message_queue(to=["ana@harbor.example.edu"], subject="Went through", body="Dear Ana,\n")
    outbox_deliver_due()

    listing = admin_client.get("/admin/mail/outboxmessage/")
    assert listing.status_code == 200
    assert "Rejected once" in listing.content.decode()
    page = admin_client.get(f"/admin/mail/outboxmessage/{failed.pk}/change/").content.decode()
    assert "550 5.7.1 Rejected" in page
    assert "Dear Lee," in page

    response = admin_client.post(
        "/admin/mail/outboxmessage/",
        {"action": "retry", "_selected_action": [failed.pk, sent.pk]},
        follow=True,
    )
    assert "1 message(s) queued again" in response.content.decode()
    assert "1 message(s) skipped: not failed" in response.content.decode()
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts) == (OutboxMessage.Status.READY, 0)
    assert sent.status == OutboxMessage.Status.SENT
