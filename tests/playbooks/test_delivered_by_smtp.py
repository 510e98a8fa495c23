"""End to end: a playbook's email leaves through the outbox and reaches a real SMTP server."""

from __future__ import annotations

import pytest

from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline.models import Engagement

pytestmark = pytest.mark.django_db


def test_hail_the_lead_reaches_the_contacts_from_the_shared_mailbox_with_it_in_cc(cli, smtp_server):
    hailed = cli(
        "playbook",
        "run",
        "hail-the-lead",
        "--organization",
        "Harbor University",
        "--contact",
        "Lee Park <lee@harbor.example.edu>",
    )
    assert hailed.code == 0, hailed.err
    assert smtp_server.handler.delivered == []  # queued, not sent inside the run
    assert cli("worker", "--once").code == 0

    [received] = smtp_server.handler.delivered
    reference = Engagement.objects.get().reference
    message = received.message
    assert sorted(received.rcpt_tos) == ["lee@harbor.example.edu", "partnerships@2i2c.org"]
    assert received.mail_from == "partnerships@2i2c.org"
    assert message["From"] == "2i2c's Partnerships Team <partnerships@2i2c.org>"
    assert message["To"] == "lee@harbor.example.edu"
    assert message["Cc"] == "partnerships@2i2c.org"
    assert message["Subject"] == f"[{reference}] Thank you for your interest in 2i2c"
    assert message["Message-ID"] == OutboxMessage.objects.get().message_id
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "clicking here (https://calendly.com/colliand/2i2c-30-minute-zoom-meeting)" in text
    assert '<a href="https://calendly.com/colliand/2i2c-30-minute-zoom-meeting"' in html

    assert cli("worker", "--once").code == 0
    assert len(smtp_server.handler.delivered) == 1  # delivered once, however often the worker runs
