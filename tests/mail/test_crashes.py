"""Workers killed while they send: every message still goes out, at most one duplicate per kill,
and a duplicate is the same message (same Message-ID, same bytes), counted on its row.

Real `partnerdesk worker` processes send to a loopback SMTP server that takes each message, then
waits a little before answering 250: a worker killed during that wait never learns the message
went through, which is the crash the outbox must survive (the server has the message; our row
does not say so). The kill times come from a seeded random generator.
"""

from __future__ import annotations

import asyncio
import collections
import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import pytest

from partnerdesk.mail.claims import CLAIM_LEASE
from partnerdesk.mail.models import OutboxMessage

from .conftest import RecordingHandler, start_server
from .processes import partnerdesk, process_env, seed, shared_database_url

pytestmark = pytest.mark.django_db(transaction=True)

CYCLES = 10
WORKERS = 2  # started together each cycle, each killed at a random moment
MESSAGES = 300
ANSWER_DELAY = 0.02  # seconds between taking a message and saying 250


class SlowToAnswer(RecordingHandler):
    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(ANSWER_DELAY)
        return answer


@pytest.fixture
def slow_server():
    handler = SlowToAnswer()
    controller, port = start_server(handler)
    yield handler, f"smtp://127.0.0.1:{port}"
    controller.stop()


def _lease_passes(database_url: str) -> None:
    """What CLAIM_LEASE of waiting does to the claims of a worker that was killed: they expire."""
    if database_url.startswith("sqlite:///"):
        seconds = CLAIM_LEASE.total_seconds() + 1
        with closing(sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=20)) as db, db:
            db.execute(
                "UPDATE mail_outboxmessage SET claimed_at = strftime('%Y-%m-%d %H:%M:%f', claimed_at, ?) "
                "WHERE status = 'sending'",
                (f"-{seconds} seconds",),
            )
    else:
        from django.db.models import F

        OutboxMessage.objects.filter(status=OutboxMessage.Status.SENDING).update(
            claimed_at=F("claimed_at") - CLAIM_LEASE - CLAIM_LEASE / 60
        )


def test_workers_killed_while_sending_lose_nothing_and_duplicate_at_most_once_per_kill(tmp_path, slow_server):
    handler, email_url = slow_server
    database_url = shared_database_url(tmp_path)
    env = process_env(database_url, home=tmp_path / "home", email_url=email_url)
    seed(env, MESSAGES)
    chance = random.Random(20)

    kills = 0
    for _ in range(CYCLES):
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "partnerdesk.cli", "worker", "--interval", "0.1"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            for _ in range(WORKERS)
        ]
        try:
            for worker in workers:
                assert worker.stdout is not None
                assert worker.stdout.readline().startswith("worker: running")
            # Each one killed at its own moment while they share the outbox.
            elapsed = 0.0
            for moment, worker in sorted((chance.uniform(0.1, 0.6), worker) for worker in workers):
                time.sleep(moment - elapsed)
                elapsed = moment
                worker.send_signal(signal.SIGKILL)
                kills += 1
        finally:
            for worker in workers:
                worker.kill()
                worker.wait(timeout=30)
        _lease_passes(database_url)
    partnerdesk(env, "worker", "--once")  # what the killed workers left

    rows = json.loads(partnerdesk(env, "outbox", "list", "--json"))
    assert len(rows) == MESSAGES
    assert {row["status"] for row in rows} == {"sent"}
    delivered = collections.defaultdict(list)
    for received in handler.delivered:
        delivered[received.message["Message-ID"]].append(received.content)
    # At least once: every queued message reached the server, under its own Message-ID.
    assert set(delivered) == {row["message_id"] for row in rows}
    # A duplicate is the same message: same Message-ID, same bytes.
    assert all(len(set(copies)) == 1 for copies in delivered.values())
    duplicates = sum(len(copies) - 1 for copies in delivered.values())
    # At most one per kill (and the kills did land while a message was on its way).
    assert kills == CYCLES * WORKERS
    assert 0 < duplicates <= kills
    # Each copy beyond the first was counted on the message's row.
    for row in rows:
        assert len(delivered[row["message_id"]]) - 1 <= row["possible_duplicates"], row
    assert sum(row["possible_duplicates"] for row in rows) <= kills
