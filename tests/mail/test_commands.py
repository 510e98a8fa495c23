"""`partnerdesk worker --once` and `partnerdesk outbox list|retry` as a user types them, and the
file backend that works with no EMAIL_URL at all."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import message_queue

pytestmark = pytest.mark.django_db


def _queue(subject: str = "Thank you for your interest", **overrides) -> OutboxMessage:
    return message_queue(
        **{
            "to": ["Lee Park <lee@harbor.example.edu>"],
            "subject": subject,
            "body": "Dear Lee,\n",
            **overrides,
        }
    )


def test_worker_once_delivers_what_is_due_to_the_smtp_server_and_says_how_many(cli, smtp_server):
    _queue("First")
    _queue("Second")
    result = cli("worker", "--once")
    assert result.code == 0, result.err
    assert result.out.strip() == "worker: 2 item(s) handled"
    assert sorted(received.message["Subject"] for received in smtp_server.handler.delivered) == [
        "First",
        "Second",
    ]
    assert cli("worker", "--once").out.strip() == "worker: 0 item(s) handled"


def test_without_email_url_a_message_is_written_as_an_eml_file_and_listed_as_sent(
    cli, data_folder, engagement
):
    queued = _queue(bcc=["archive@2i2c.org"], engagement=engagement)
    assert cli("worker", "--once").code == 0

    [path] = (data_folder / "outbox").glob("*.eml")
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["Message-ID"] == queued.message_id
    assert parsed["Subject"] == f"[{engagement.reference}] Thank you for your interest"
    assert parsed["X-Envelope-To"] == "lee@harbor.example.edu, archive@2i2c.org"
    assert "Bcc" not in parsed

    [row] = json.loads(cli("outbox", "list", "--json").out)
    assert row["id"] == queued.pk
    assert row["status"] == "sent"
    assert row["engagement"] == engagement.reference
    assert row["bcc"] == ["archive@2i2c.org"]
    assert Path(row["file"]) == path
    listing = cli("outbox", "list").out
    assert "sent" in listing and str(path) in listing


def test_outbox_list_json_filters_by_status_and_shows_errors_and_tries(cli, smtp_server):
    sent = _queue("Goes through")
    cli("worker", "--once")
    smtp_server.handler.data_answer = "550 5.7.1 Rejected"
    rejected = _queue("Rejected")
    cli("worker", "--once")
    waiting = _queue("Waiting")

    everything = json.loads(cli("outbox", "list", "--json").out)
    assert [(row["id"], row["status"]) for row in everything] == [
        (sent.pk, "sent"),
        (rejected.pk, "failed"),
        (waiting.pk, "ready"),
    ]
    [failed] = json.loads(cli("outbox", "list", "--status", "failed", "--json").out)
    assert (failed["subject"], failed["attempts"], failed["last_error"]) == (
        "Rejected",
        1,
        "550 5.7.1 Rejected",
    )
    assert failed["message_id"] == rejected.message_id
    assert "after 1 tries: 550 5.7.1 Rejected" in cli("outbox", "list", "--status", "failed").out
    assert cli("outbox", "list", "--status", "sending").out.strip() == "no sending messages"


def test_outbox_retry_puts_a_failed_message_back_and_the_next_pass_sends_it(cli, smtp_server):
    queued = _queue()
    smtp_server.handler.data_answer = "554 5.0.0 Transaction failed"
    cli("worker", "--once")
    smtp_server.handler.data_answer = None

    result = cli("outbox", "retry", str(queued.pk))
    assert result.code == 0, result.err
    assert result.out.strip() == f"outbox message {queued.pk} is ready to be sent again"
    cli("worker", "--once")
    queued.refresh_from_db()
    assert queued.status == OutboxMessage.Status.SENT
    assert [r.message["Message-ID"] for r in smtp_server.handler.attempts] == [queued.message_id] * 2


def test_outbox_retry_of_a_message_that_did_not_fail_is_one_line_error(cli, smtp_server):
    queued = _queue()
    cli("worker", "--once")
    result = cli("outbox", "retry", str(queued.pk))
    assert (result.code, result.err) == (
        1,
        f"partnerdesk outbox: outbox message {queued.pk} is sent, not failed\n",
    )
    missing = cli("outbox", "retry", "999999")
    assert (missing.code, missing.err) == (1, "partnerdesk outbox: no outbox message 999999\n")


def test_a_malformed_email_url_stops_the_worker_with_one_line_naming_it(cli, settings):
    queued = _queue()
    settings.EMAIL_URL = "smtp://user:hunter2@mail.example.org:2a"
    result = cli("worker", "--once")
    assert result.code == 1
    assert result.err.startswith("partnerdesk worker: EMAIL_URL: bad port")
    assert result.err.count("\n") == 1 and "hunter2" not in result.err
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (OutboxMessage.Status.READY, 0)
