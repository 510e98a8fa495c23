"""The worker while the database is down: growing pauses, one line when it goes, one when it is back."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from django.db import OperationalError

from partnerdesk.mail import worker
from tests.smtp_server import free_port

# What psycopg says when PostgreSQL is not there: two lines.
REFUSED = (
    'connection failed: connection to server at "127.0.0.1", port 5432 failed: Connection refused\n'
    "\tIs the server running on that host and accepting TCP/IP connections?"
)


class Database:
    """A job that reaches the database: it fails while `down` says so, in the order given."""

    def __init__(self, states: list[str]) -> None:
        self.states = list(states)
        self.calls = 0

    def job(self, stop: threading.Event | None) -> int:
        self.calls += 1
        state = self.states.pop(0) if self.states else "up"
        if state == "down":
            raise OperationalError(REFUSED)
        return 0


def _run(database: Database, passes: int, interval: float = 5.0) -> list[float]:
    """Runs the real loop for `passes` pauses with a clock that does not sleep; returns the pauses."""
    stop = threading.Event()
    pauses: list[float] = []

    def wait(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == passes:
            stop.set()

    worker.run_forever(stop, interval, wait=wait)
    return pauses


def _worker_lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "partnerdesk.worker"]


@pytest.fixture
def database(monkeypatch):
    """The worker's only job, for this test: one that needs the database."""
    monkeypatch.setattr(worker, "_jobs", {})

    def make(states: list[str]) -> Database:
        db = Database(states)
        worker.register_work("needs-the-database", db.job)
        return db

    return make


@pytest.mark.django_db(transaction=True)
def test_while_the_database_is_down_the_worker_waits_longer_each_time_up_to_a_minute(database, caplog):
    db = database(["down"] * 9)
    with caplog.at_level(logging.INFO, logger="partnerdesk.worker"):
        pauses = _run(db, passes=11)

    assert pauses == [1, 2, 4, 8, 16, 32, 60, 60, 60, 5.0, 5.0]
    assert db.calls == 11
    down, back = _worker_lines(caplog)
    assert down.startswith("worker: the database is unavailable (connection failed: ")
    assert "Is the server running" in down and "\n" not in down
    assert back == "worker: the database is back after 9 failed tries; work resumes"
    assert not [record for record in caplog.records if record.exc_info]


@pytest.mark.django_db(transaction=True)
def test_each_outage_is_told_once_and_the_pauses_start_short_again_after_it(database, caplog):
    db = database(["down", "down", "down", "up", "up", "down", "down", "up"])
    with caplog.at_level(logging.INFO, logger="partnerdesk.worker"):
        pauses = _run(db, passes=8, interval=2.0)

    assert pauses == [1, 2, 4, 2.0, 2.0, 1, 2, 2.0]
    lines = _worker_lines(caplog)
    assert [line.split(" (")[0] for line in lines] == [
        "worker: the database is unavailable",
        "worker: the database is back after 3 failed tries; work resumes",
        "worker: the database is unavailable",
        "worker: the database is back after 2 failed tries; work resumes",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_job_that_fails_for_another_reason_is_not_taken_for_an_outage(database, caplog):
    def broken(stop):
        raise RuntimeError("the Drive is down")

    db = database(["up"])
    worker.register_work("broken", broken)
    with caplog.at_level(logging.INFO, logger="partnerdesk.worker"):
        pauses = _run(db, passes=2)

    assert pauses == [5.0, 5.0]
    assert all("the broken job failed" in line for line in _worker_lines(caplog))


def test_worker_once_says_in_one_line_that_the_database_is_unavailable(cli, database):
    database(["down"])
    result = cli("worker", "--once")
    assert result.code == 1
    assert result.err.startswith("partnerdesk worker: the database is unavailable: connection failed:")
    assert result.err.count("\n") == 1


def test_the_worker_command_with_no_database_server_logs_one_line_and_stops_when_asked(tmp_path):
    """A real PostgreSQL address where nothing listens: psycopg's own refusal, not a made-up one."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PARTNERDESK_")}
    env |= {
        "PARTNERDESK_HOME": str(tmp_path / "home"),
        "DATABASE_URL": f"postgres://partnerdesk:secret@127.0.0.1:{free_port()}/partnerdesk",
    }
    env.pop("EMAIL_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "partnerdesk.cli", "worker", "--interval", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while not any("database is unavailable" in line for line in lines) and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
    process.send_signal(signal.SIGTERM)
    rest, _ = process.communicate(timeout=30)
    output = "".join(lines) + rest

    assert process.returncode == 0, output
    assert output.count("database is unavailable") == 1, output
    assert "Traceback" not in output
    assert output.rstrip().endswith("worker: stopped")
