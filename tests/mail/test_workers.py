"""Worker processes as they run in production: several at once on one outbox never send a message
twice, and a running worker stops cleanly on SIGTERM or Ctrl-C."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)

SEED = """
import sys
import django
django.setup()
from django.db import transaction
from partnerdesk.mail.outbox import message_queue
with transaction.atomic():
    for number in range(int(sys.argv[1])):
        message_queue(to=[f"partner{number}@example.org"], subject=f"Message {number}", body="Hello\\n")
"""


@pytest.fixture
def worker_env(tmp_path, smtp_sink) -> dict[str, str]:
    """The environment of a `partnerdesk` process sharing this test's database and SMTP sink.

    PostgreSQL: the test database itself (this test commits). SQLite: the tests' database is in
    memory, so a file database in tmp_path, migrated here."""
    env = {
        **os.environ,
        "PARTNERDESK_HOME": str(tmp_path / "home"),
        "EMAIL_URL": smtp_sink.url,
        "DJANGO_SETTINGS_MODULE": "partnerdesk.settings",
    }
    env.pop("PARTNERDESK_CONFIG", None)
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        )
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'workers.sqlite3'}"
        _partnerdesk(env, "migrate", "--verbosity", "0")
    return env


def _partnerdesk(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "partnerdesk.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _seed(env: dict[str, str], count: int) -> None:
    subprocess.run([sys.executable, "-c", SEED, str(count)], env=env, check=True, timeout=120)


def test_four_workers_on_one_outbox_of_1000_messages_deliver_each_exactly_once(worker_env, smtp_sink):
    _seed(worker_env, 1000)
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

    rows = json.loads(_partnerdesk(worker_env, "outbox", "list", "--json"))
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
        _seed(worker_env, 3)
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
