"""Claims on outbox messages: a lease of two minutes renewed by a heartbeat while a worker holds
it, taken back from a worker that stopped, and what that worker had started counted honestly."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time

import pytest
from django.db import connection

from partnerdesk.mail import claims as claims_module
from partnerdesk.mail.claims import Claims
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import message_queue, outbox_deliver_due

from .conftest import RecordingHandler, start_server

Status = OutboxMessage.Status


def _queue(subject: str = "Thank you for your interest") -> OutboxMessage:
    return message_queue(to=["Lee Park <lee@harbor.example.edu>"], subject=subject, body="Dear Lee,\n")


@pytest.mark.django_db
def test_messages_claimed_by_a_worker_that_died_before_sending_go_out_after_the_lease_with_no_try_spent(
    smtp_server, frozen_clock
):
    first, second = _queue("First"), _queue("Second")
    dead = Claims()
    assert [message.pk for message in dead.take([first.pk, second.pk], frozen_clock.now())] == [
        first.pk,
        second.pk,
    ]
    dead.close()  # the process is gone: nothing renews its claims

    frozen_clock.advance(seconds=90)
    assert outbox_deliver_due().handled == 0
    assert smtp_server.handler.attempts == []

    frozen_clock.advance(seconds=31)
    report = outbox_deliver_due()
    assert (report.reclaimed, report.resent, report.sent) == (2, 0, 2)
    assert str(report) == "2 sent, 0 to retry, 0 failed, 2 taken back from a stopped worker"
    for message in (first, second):
        message.refresh_from_db()
        assert (message.status, message.attempts, message.possible_duplicates) == (Status.SENT, 1, 0)
        assert message.claimed_by == ""
    assert len(smtp_server.handler.delivered) == 2


@pytest.mark.django_db
def test_a_message_whose_try_had_started_is_sent_again_with_the_same_message_id_and_counted(
    smtp_server, frozen_clock, cli
):
    queued = _queue()
    dead = Claims()
    [claimed] = dead.take([queued.pk], frozen_clock.now())
    assert dead.start(claimed)
    dead.close()  # killed during the SMTP transaction: the server may or may not have the message

    frozen_clock.advance(minutes=3)
    report = outbox_deliver_due()
    assert (report.reclaimed, report.resent, report.sent) == (1, 1, 1)
    assert str(report).endswith("1 taken back from a stopped worker (1 may arrive twice)")
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.possible_duplicates) == (Status.SENT, 2, 1)
    [received] = smtp_server.handler.delivered
    assert received.message["Message-ID"] == queued.message_id

    listing = cli("outbox", "list").out
    assert "sent again 1 time(s) after a worker stopped while sending it: may have arrived twice" in listing


@pytest.mark.django_db
def test_a_claim_renewed_by_its_heartbeat_stays_with_its_worker(smtp_server, frozen_clock):
    queued = _queue()
    holder = Claims()
    [claimed] = holder.take([queued.pk], frozen_clock.now())
    frozen_clock.advance(seconds=90)
    assert holder.renew() == 1
    frozen_clock.advance(seconds=90)  # three minutes after the claim, 90 s after its renewal

    assert outbox_deliver_due().handled == 0
    assert holder.start(claimed)
    holder.sent(claimed, "")
    holder.flush()
    holder.close()
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (Status.SENT, 1)


@pytest.mark.django_db
def test_a_worker_whose_claim_was_taken_back_neither_sends_the_message_nor_records_it(
    smtp_server, frozen_clock
):
    queued = _queue()
    stalled = Claims()
    [claimed] = stalled.take([queued.pk], frozen_clock.now())
    frozen_clock.advance(minutes=3)  # e.g. the machine was suspended: no heartbeat
    assert outbox_deliver_due().sent == 1

    assert stalled.start(claimed) is False
    stalled.close()
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (Status.SENT, 1)
    assert len(smtp_server.handler.delivered) == 1


class HeldAnswer(RecordingHandler):
    """Takes a message, then holds its answer until `release` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        self.holding.set()
        while not self.release.is_set():
            await asyncio.sleep(0.01)
        return answer


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.02)


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_renews_the_claim_while_a_slow_server_holds_the_message(
    settings, frozen_clock, monkeypatch
):
    handler = HeldAnswer()
    controller, port = start_server(handler)
    settings.EMAIL_URL = f"smtp://127.0.0.1:{port}"
    monkeypatch.setattr(claims_module, "HEARTBEAT", dt.timedelta(seconds=0.05))
    queued = _queue()

    def worker() -> None:
        try:
            outbox_deliver_due()
        finally:
            connection.close()

    sending = threading.Thread(target=worker)
    sending.start()
    try:
        _wait_for(handler.holding.is_set, "the server to get the message")
        later = frozen_clock.advance(minutes=10)
        renewed = OutboxMessage.objects.filter(pk=queued.pk, claimed_at=later).exists
        _wait_for(renewed, "the heartbeat to renew the claim")
        # Ten minutes on, another worker's pass finds a live claim: nothing to take back or send.
        assert outbox_deliver_due().handled == 0
    finally:
        handler.release.set()
        sending.join(timeout=30)
        controller.stop()
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.possible_duplicates) == (Status.SENT, 1, 0)
    assert len(handler.delivered) == 1
