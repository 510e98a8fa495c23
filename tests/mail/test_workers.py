"""Worker processes as they run in production: several at once on one outbox never send a message
twice, and a running worker stops cleanly on SIGTERM or Ctrl-C."""

from __future__ import annotations

import collections
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .processes import partnerdesk, process_env, seed, shared_database_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_env(tmp_path, smtp_sink) -> dict[str, str]:
    """The environment of a `partnerdesk` process sharing this test's database and SMTP sink."""
    return process_env(shared_database_url(tmp_path), home=tmp_path / "home", email_url=smtp_sink.url)


def test_four_workers_on_one_outbox_of_1000_messages_deliver_each_exactly_once(worker_env, smtp_sink):
    seed(worker_env, 1000)
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "partnerdesk.cli", "worker", "--once"],
            env=worker_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * 4, [err for _, err in outputs]
    handled = [int(out.split()[1]) for out, _ in outputs]
    assert sum(handled) == 1000

    delivered = smtp_sink.handler.delivered
    assert len(delivered) == 1000
    counts = collections.Counter(received.message["Message-ID"] for received in delivered)
    assert set(counts.values()) == {1}

    rows = json.loads(partnerdesk(worker_env, "outbox", "list", "--json"))
    assert {row["status"] for row in rows} == {"sent"}
    assert {row["attempts"] for row in rows} == {1}
    assert {row["message_id"] for row in rows} == set(counts)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_running_worker_delivers_new_mail_and_stops_cleanly_on_a_signal(worker_env, smtp_sink, stop_signal):
    worker = subprocess.Popen(
        [sys.executable, "-m", "partnerdesk.cli", "worker", "--interval", "0.2"],
        env=worker_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().startswith(
            "worker: running every 0.2 s; mail goes to smtp://127.0.0.1:"
        )
        seed(worker_env, 3)
        deadline = time.monotonic() + 30
        while len(smtp_sink.handler.delivered) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(smtp_sink.handler.delivered) == 3
        worker.send_signal(stop_signal)
        out, err = worker.communicate(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert out.strip() == "worker: stopped"
    assert Path(worker_env["PARTNERDESK_HOME"], "errors.log").exists() is False
