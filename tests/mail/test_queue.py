"""Queueing a message: one row in the caller's transaction, the engagement's reference in the
subject, one timeline entry, idempotency keys, refusals that queue nothing, and the dry-run."""

from __future__ import annotations

import email
import email.policy

import pytest
from django.db import transaction

from partnerdesk.mail.composing import HeaderInjectionError
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import (
    default_from_address,
    message_preview,
    message_queue,
    message_subject,
    outbox_deliver_due,
)
from partnerdesk.pipeline.models import TimelineEntry
from partnerdesk.pipeline.services import Actor

pytestmark = pytest.mark.django_db


def test_the_default_sender_is_the_profile_mailbox_with_its_display_name():
    assert default_from_address() == "2i2c's Partnerships Team <partnerships@2i2c.org>"


def test_an_engagement_subject_gets_its_reference_unless_it_already_has_it(engagement):
    reference = engagement.reference
    assert message_subject(subject="Thank you", engagement=engagement) == f"[{reference}] Thank you"
    already = f"Re: [{reference}] Thank you"
    assert message_subject(subject=already, engagement=engagement) == already
    assert message_subject(subject="Thank you", engagement=None) == "Thank you"


def test_a_queued_message_is_one_ready_row_with_its_bytes_and_one_timeline_entry(engagement, frozen_clock):
    message = message_queue(
        to=["Lee Park <lee@harbor.example.edu>"],
        cc=["partnerships@2i2c.org"],
        bcc=["archive@2i2c.org"],
        subject="Thank you for your interest",
        body="Dear Lee,\n",
        engagement=engagement,
        extra_headers={"Auto-Submitted": "auto-generated"},
        actor=Actor(label="alice"),
    )
    assert message.status == OutboxMessage.Status.READY
    assert message.next_attempt_at == frozen_clock.now()
    assert message.subject == f"[{engagement.reference}] Thank you for your interest"
    assert message.envelope_from == "partnerships@2i2c.org"
    assert message.envelope_to == ["lee@harbor.example.edu", "partnerships@2i2c.org", "archive@2i2c.org"]
    parsed = email.message_from_bytes(bytes(message.raw), policy=email.policy.default)
    assert parsed["Message-ID"] == message.message_id
    assert parsed["Subject"] == message.subject
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert "Bcc" not in parsed
    entry = TimelineEntry.objects.get(engagement=engagement, kind=TimelineEntry.Kind.EMAIL_OUT)
    assert entry.actor == "alice"
    assert entry.summary == "Email to Lee Park <lee@harbor.example.edu>: Thank you for your interest"
    assert entry.data == {"outbox": message.pk, "message_id": message.message_id}


def test_queueing_twice_with_one_idempotency_key_makes_one_row_and_one_timeline_entry(engagement):
    first = message_queue(
        to=["lee@harbor.example.edu"],
        subject="Hi",
        body="b",
        engagement=engagement,
        idempotency_key="run-1:s1",
    )
    second = message_queue(
        to=["lee@harbor.example.edu"],
        subject="Hi",
        body="b",
        engagement=engagement,
        idempotency_key="run-1:s1",
    )
    assert second.pk == first.pk
    assert OutboxMessage.objects.count() == 1
    assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.EMAIL_OUT).count() == 1


@pytest.mark.parametrize(
    "arguments",
    [
        {"subject": "Hello\r\nBcc: eve@evil.example"},
        {"to": ["Lee\nBcc: eve@evil.example <lee@harbor.example.edu>"]},
        {"from_addr": "Partnerships\r\n <partnerships@2i2c.org>"},
        {"bcc": ["eve@evil.example\r\nX: y"]},
    ],
)
def test_a_line_break_in_a_subject_or_name_raises_and_queues_nothing(engagement, arguments):
    with pytest.raises(HeaderInjectionError, match="contains a line break"):
        message_queue(**{"to": ["lee@harbor.example.edu"], "subject": "Hi", "body": "b", **arguments},
                      engagement=engagement)  # fmt: skip
    assert not OutboxMessage.objects.exists()
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.EMAIL_OUT).exists()


@pytest.mark.django_db(transaction=True)
def test_a_message_queued_in_a_transaction_that_rolls_back_is_never_sent(smtp_server):
    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        message_queue(to=["lee@harbor.example.edu"], subject="Never", body="b")
        raise Abandoned

    assert not OutboxMessage.objects.exists()
    assert outbox_deliver_due().handled == 0
    assert smtp_server.handler.attempts == []


def test_the_preview_is_the_message_as_text_with_bcc_listed_and_writes_nothing(engagement):
    preview = message_preview(
        to=["Lee Park <lee@harbor.example.edu>"],
        cc=["partnerships@2i2c.org"],
        bcc=["archive@2i2c.org"],
        subject="Thank you for your interest",
        body="Dear Lee,\n\nGrüße.\n",
        engagement=engagement,
    )
    assert "From: 2i2c's Partnerships Team <partnerships@2i2c.org>\n" in preview
    assert (
        "To: Lee Park <lee@harbor.example.edu>\nCc: partnerships@2i2c.org\nBcc: archive@2i2c.org\n" in preview
    )
    assert f"Subject: [{engagement.reference}] Thank you for your interest\n" in preview
    assert preview.endswith("\n\nDear Lee,\n\nGrüße.\n")
    assert not OutboxMessage.objects.exists()
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.EMAIL_OUT).exists()


def test_the_preview_refuses_what_queueing_refuses():
    with pytest.raises(HeaderInjectionError, match="Subject contains a line break"):
        message_preview(to=["lee@harbor.example.edu"], subject="a\nb", body="b")
