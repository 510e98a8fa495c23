"""The worker loop other work plugs into, as `partnerdesk serve` runs it in a thread."""

from __future__ import annotations

import threading
import time

import pytest

from partnerdesk.mail import worker
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import message_queue


@pytest.fixture
def jobs(monkeypatch):
    """Jobs registered by a test are forgotten after it."""
    monkeypatch.setattr(worker, "_jobs", dict(worker._jobs))


@pytest.mark.django_db(transaction=True)
def test_run_forever_in_a_thread_delivers_queued_mail_and_stops_when_asked(smtp_server):
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop, 0.05), daemon=True)
    thread.start()
    try:
        message = message_queue(to=["lee@harbor.example.edu"], subject="From the web", body="b")
        deadline = time.monotonic() + 10
        while not smtp_server.handler.delivered and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    [received] = smtp_server.handler.delivered
    assert received.message["Message-ID"] == message.message_id
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT


@pytest.mark.django_db
def test_a_registered_job_runs_every_pass_and_a_failing_one_does_not_stop_the_others(jobs, caplog):
    calls = []

    def broken(stop):
        raise RuntimeError("the Drive is down")

    def counting(stop):
        calls.append(stop)
        return 2

    worker.register_work("broken", broken)
    worker.register_work("counting", counting)
    assert worker.run_due_work() == 2
    assert len(calls) == 1
    assert "the broken job failed" in caplog.text

    with pytest.raises(RuntimeError, match="the Drive is down"):
        worker.run_due_work(raise_errors=True)
    assert len(calls) == 2
