"""Many deliveries of one message at once make one record, processed once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from partnerdesk.inbound.models import InboundMessage
from partnerdesk.inbound.processing import messages_process_due
from partnerdesk.inbound.store import message_store
from partnerdesk.mail.models import OutboxMessage
from tests.inbound.conftest import eml

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mailbox_checks_senders")]


def in_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = []
    errors: list = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_eight_concurrent_deliveries_of_one_message_make_one_record_and_one_answer():
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip("threads cannot share SQLite's in-memory test database with writes; runs on PostgreSQL")
    raw = eml("command_hail_the_lead.eml")
    stored = in_threads(8, lambda: message_store(raw=raw, channel=InboundMessage.Channel.MAILGATE).created)
    assert sorted(stored) == [False] * 7 + [True]
    in_threads(4, messages_process_due)
    assert InboundMessage.objects.get().status == InboundMessage.Status.PROCESSED
    assert OutboxMessage.objects.filter(to=["alice@2i2c.org"]).count() == 1


def test_a_second_delivery_of_a_stored_message_does_nothing():
    raw = eml("command_hail_the_lead.eml")
    first = message_store(raw=raw, channel=InboundMessage.Channel.MAILGATE)
    second = message_store(raw=raw, channel=InboundMessage.Channel.IMAP)
    assert (first.created, second.created) == (True, False)
    assert second.message.pk == first.message.pk
