"""The worker's inbound pass: store and route what mailgate spooled (a chunk at a time, see
`ingest.py`), then process the stored messages still waiting (retries, released held ones).

A message is claimed with a conditional update (RECEIVED -> PROCESSING, one more try counted), so
two workers never process one message. A message whose processing raises goes back to RECEIVED
for the next pass, and after MAX_ATTEMPTS tries it is quarantined with the error; the others
carry on. A claim older than CLAIM_TIMEOUT belongs to a worker that died: it is taken back.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.db.models import F

from partnerdesk.inbound.bookings import webhook_deliveries_process_due
from partnerdesk.inbound.ingest import MAX_ATTEMPTS, message_failed, spool_ingest
from partnerdesk.inbound.models import InboundMessage, WebhookDelivery
from partnerdesk.inbound.parsing import parse_message
from partnerdesk.inbound.routing import message_route
from partnerdesk.inbound.store import message_raw
from partnerdesk.lib import clock

log = logging.getLogger("partnerdesk.inbound")

Status = InboundMessage.Status
__all__ = ["MAX_ATTEMPTS", "inbound_due_work", "message_process", "messages_process_due"]
CLAIM_TIMEOUT = dt.timedelta(minutes=15)
BATCH = 500


def _reclaim_stuck() -> int:
    cutoff = clock.now() - CLAIM_TIMEOUT
    taken = InboundMessage.objects.filter(status=Status.PROCESSING, claimed_at__lt=cutoff).update(
        status=Status.RECEIVED, claimed_at=None
    )
    taken += WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PROCESSING, claimed_at__lt=cutoff
    ).update(status=WebhookDelivery.Status.RECEIVED, claimed_at=None)
    return taken


def message_process(message: InboundMessage) -> bool:
    """Claim and process one stored message; False when it is not (or no longer) ours to do."""
    claimed = InboundMessage.objects.filter(pk=message.pk, status=Status.RECEIVED).update(
        status=Status.PROCESSING, claimed_at=clock.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    message.refresh_from_db()
    try:
        parsed = parse_message(message_raw(message))
        handled = message_route(message, parsed)
    except Exception as exc:  # noqa: BLE001 - one bad message must not stop the others
        log.exception("inbound: processing message %s failed (try %s)", message.pk, message.attempts)
        message_failed(message, exc)
        return True
    InboundMessage.objects.filter(pk=message.pk).update(
        status=handled.status,
        route=handled.route,
        outcome=handled.outcome[:2000],
        engagement=handled.engagement,
        processed_at=clock.now(),
        claimed_at=None,
    )
    return True


def messages_process_due(*, stop: threading.Event | None = None, limit: int = BATCH) -> int:
    handled = 0
    pending = InboundMessage.objects.filter(status=Status.RECEIVED).defer("raw").order_by("id")[:limit]
    for message in list(pending):
        if stop is not None and stop.is_set():
            break
        handled += message_process(message)
    return handled


def inbound_due_work(stop: threading.Event | None = None) -> int:
    """One worker pass (registered with the worker in InboundConfig.ready)."""
    _reclaim_stuck()
    # The messages already waiting first: they came before what the spool holds.
    acted = messages_process_due(stop=stop)
    spooled = spool_ingest(stop=stop)
    handled = spooled.new
    acted += spooled.processed + spooled.failed + webhook_deliveries_process_due(stop)
    # The answers and canned responses just queued leave at the end of this pass (run_due_work).
    return handled + acted
