"""Scaling out: two worker processes, each with its own data folder (as on two hosts), sharing one
PostgreSQL database. The rows' claims are the only coordination: each message goes out once."""

from __future__ import annotations

import collections
import json
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from .processes import partnerdesk, process_env, seed, shared_database_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (CI's second pass): SQLite is one file in one data folder, not shared")


def test_two_workers_with_their_own_data_folders_share_one_postgresql_and_send_each_message_once(
    postgresql, tmp_path, smtp_sink
):
    database_url = shared_database_url(tmp_path)
    envs = [
        process_env(database_url, home=tmp_path / f"host-{name}", email_url=smtp_sink.url) for name in "ab"
    ]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "partnerdesk.cli", "worker", "--interval", "0.1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for env in envs
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().startswith("worker: running")
        seed(envs[0], 300)
        deadline = time.monotonic() + 60
        while len(smtp_sink.handler.delivered) < 300 and time.monotonic() < deadline:
            time.sleep(0.1)
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [worker.communicate(timeout=30) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert [worker.returncode for worker in workers] == [0, 0], [err for _, err in outputs]

    counts = collections.Counter(received.message["Message-ID"] for received in smtp_sink.handler.delivered)
    rows = json.loads(partnerdesk(envs[1], "outbox", "list", "--json"))
    assert len(rows) == 300
    assert {row["status"] for row in rows} == {"sent"}
    assert set(counts) == {row["message_id"] for row in rows}
    assert set(counts.values()) == {1}
