"""The worker's pass against a real SMTP server on loopback: what the server gets, retries on 4xx
answers, failure on 5xx answers, the cap on tries, an unreachable server, and stuck messages."""

from __future__ import annotations

import datetime as dt

import pytest

from partnerdesk.mail.delivery import CLAIM_LEASE, MAX_ATTEMPTS, RETRY_DELAYS
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import message_queue, outbox_deliver_due

from .conftest import free_port

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status


def _queue(engagement=None, **overrides) -> OutboxMessage:
    arguments = {
        "to": ["Lee Park <lee@harbor.example.edu>"],
        "cc": ["partnerships@2i2c.org"],
        "bcc": ["archive@2i2c.org"],
        "subject": "Thank you for your interest",
        "body": "Dear Lee,\n\nThank you for your interest in 2i2c.\n",
        "engagement": engagement,
    }
    return message_queue(**{**arguments, **overrides})


def test_the_server_gets_the_envelope_headers_and_body_and_the_message_is_sent(
    smtp_server, engagement, frozen_clock
):
    queued = _queue(engagement)
    report = outbox_deliver_due()
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)

    [received] = smtp_server.handler.delivered
    assert received.mail_from == "partnerships@2i2c.org"
    assert received.rcpt_tos == ["lee@harbor.example.edu", "partnerships@2i2c.org", "archive@2i2c.org"]
    message = received.message
    assert message["From"] == "2i2c's Partnerships Team <partnerships@2i2c.org>"
    assert message["To"] == "Lee Park <lee@harbor.example.edu>"
    assert message["Cc"] == "partnerships@2i2c.org"
    assert "Bcc" not in message
    assert message["Subject"] == f"[{engagement.reference}] Thank you for your interest"
    assert message["Message-ID"] == queued.message_id
    assert (
        message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
        == "Dear Lee,\n\nThank you for your interest in 2i2c.\n"
    )

    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.sent_at) == (Status.SENT, 1, frozen_clock.now())
    assert outbox_deliver_due().handled == 0
    assert len(smtp_server.handler.attempts) == 1


def test_one_pass_sends_every_due_message_over_one_connection(smtp_server):
    for number in range(5):
        _queue(subject=f"Message {number}")
    assert outbox_deliver_due().sent == 5
    assert len({received.peer for received in smtp_server.handler.delivered}) == 1


def test_a_451_answer_keeps_the_message_ready_until_a_later_try_delivers_it_once(smtp_server, frozen_clock):
    queued = _queue()
    smtp_server.handler.data_answer = "451 4.3.0 Mailbox busy, try later"
    report = outbox_deliver_due()
    assert (report.sent, report.retried) == (0, 1)
    queued.refresh_from_db()
    assert queued.status == Status.READY
    assert queued.attempts == 1
    assert queued.last_error == "451 4.3.0 Mailbox busy, try later"
    assert queued.next_attempt_at == frozen_clock.now() + dt.timedelta(minutes=1)

    smtp_server.handler.data_answer = None
    frozen_clock.advance(seconds=59)
    assert outbox_deliver_due().handled == 0
    frozen_clock.advance(seconds=1)
    assert outbox_deliver_due().sent == 1
    assert outbox_deliver_due().handled == 0

    refused, delivered = smtp_server.handler.attempts
    assert not refused.accepted and delivered.accepted
    assert delivered.message["Message-ID"] == refused.message["Message-ID"] == queued.message_id
    assert delivered.content == refused.content
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (Status.SENT, 2)


def test_a_550_answer_fails_the_message_at_once_with_the_server_text(smtp_server):
    queued = _queue()
    smtp_server.handler.data_answer = "550 5.7.1 Message rejected as spam"
    assert outbox_deliver_due().failed == 1
    queued.refresh_from_db()
    assert queued.status == Status.FAILED
    assert queued.attempts == 1
    assert queued.last_error == "550 5.7.1 Message rejected as spam"


def test_every_recipient_refused_with_550_fails_the_message(smtp_server):
    queued = _queue(cc=[], bcc=[])
    smtp_server.handler.rcpt_answers["lee@harbor.example.edu"] = "550 5.1.1 No such user"
    assert outbox_deliver_due().failed == 1
    queued.refresh_from_db()
    assert queued.status == Status.FAILED
    assert queued.last_error == "all recipients refused: lee@harbor.example.edu: 550 5.1.1 No such user"


def test_one_refused_recipient_among_several_is_noted_and_the_message_is_sent(smtp_server):
    queued = _queue()
    smtp_server.handler.rcpt_answers["archive@2i2c.org"] = "550 5.1.1 No such user"
    assert outbox_deliver_due().sent == 1
    queued.refresh_from_db()
    assert queued.status == Status.SENT
    assert queued.last_error == "some recipients refused: archive@2i2c.org: 550 5.1.1 No such user"
    [received] = smtp_server.handler.delivered
    assert received.rcpt_tos == ["lee@harbor.example.edu", "partnerships@2i2c.org"]


def test_tries_wait_longer_each_time_and_stop_at_the_cap(smtp_server, frozen_clock):
    queued = _queue()
    smtp_server.handler.data_answer = "451 4.7.1 Greylisted"
    waits = []
    for _ in range(MAX_ATTEMPTS - 1):
        assert outbox_deliver_due().retried == 1
        queued.refresh_from_db()
        waits.append(queued.next_attempt_at - frozen_clock.now())
        frozen_clock.set(queued.next_attempt_at)
    assert waits == list(RETRY_DELAYS)
    assert waits == sorted(waits)

    assert outbox_deliver_due().failed == 1
    queued.refresh_from_db()
    assert queued.status == Status.FAILED
    assert queued.attempts == MAX_ATTEMPTS == 8
    assert queued.last_error == "gave up after 8 attempts: 451 4.7.1 Greylisted"
    assert len(smtp_server.handler.attempts) == 8
    assert len({received.message["Message-ID"] for received in smtp_server.handler.attempts}) == 1


def test_an_unreachable_server_spends_no_try(settings):
    settings.EMAIL_URL = f"smtp://127.0.0.1:{free_port()}?timeout=5"
    queued = _queue()
    report = outbox_deliver_due()
    assert report.handled == 0
    assert report.error.startswith("127.0.0.1:")
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (Status.READY, 0)


def test_a_message_stuck_in_sending_is_taken_back_after_the_claim_lease(smtp_server, frozen_clock):
    queued = _queue()
    # A worker claimed it, started its try, then died before recording the outcome.
    OutboxMessage.objects.filter(pk=queued.pk).update(
        status=Status.SENDING,
        attempts=1,
        claimed_at=frozen_clock.now(),
        attempt_started_at=frozen_clock.now(),
    )
    frozen_clock.advance(minutes=1)
    assert outbox_deliver_due().handled == 0
    assert smtp_server.handler.attempts == []

    frozen_clock.set(frozen_clock.now() + CLAIM_LEASE)
    report = outbox_deliver_due()
    assert (report.reclaimed, report.resent, report.sent) == (1, 1, 1)
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.possible_duplicates) == (Status.SENT, 2, 1)


def test_a_stop_request_ends_the_pass_before_the_next_message(smtp_server):
    import threading

    _queue()
    stop = threading.Event()
    stop.set()
    assert outbox_deliver_due(stop=stop).handled == 0
    assert outbox_deliver_due(limit=1).sent == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_user_and_password_in_email_url_log_in(smtp_server_with_login, settings):
    port = smtp_server_with_login.port
    settings.EMAIL_URL = f"smtp://partnerdesk:s3cret%20pass@127.0.0.1:{port}?timeout=5"
    _queue()
    assert outbox_deliver_due().sent == 1
    assert len(smtp_server_with_login.handler.delivered) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_wrong_password_spends_no_try_and_names_the_answer(smtp_server_with_login, settings):
    settings.EMAIL_URL = f"smtp://partnerdesk:wrong@127.0.0.1:{smtp_server_with_login.port}?timeout=5"
    queued = _queue()
    report = outbox_deliver_due()
    assert report.handled == 0
    assert "535" in report.error
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (Status.READY, 0)
