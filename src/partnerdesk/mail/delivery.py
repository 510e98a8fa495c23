"""The worker's pass over the outbox: claim what is due, send it, record the outcome.

Each due row is claimed with a conditional update (READY -> SENDING, one more try counted), so
two workers never send one message, and the try is committed before anything leaves the
process. The outcome is recorded at once: sent; ready again later (a 4xx answer, a network
error), waiting longer after each try; or failed (a 5xx answer, or MAX_ATTEMPTS tries).
Delivery is at least once: a worker that dies after the server took a message but before
recording it leaves the row SENDING, and it is sent again after CLAIM_TIMEOUT.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db.models import F
from django.db.models.functions import Length

from partnerdesk.lib import clock
from partnerdesk.mail.backends import ConnectionFailed, DeliveryError, Session, backend_open
from partnerdesk.mail.models import OutboxMessage

log = logging.getLogger("partnerdesk.mail")

Status = OutboxMessage.Status
# The wait after the 1st, 2nd, ... failed try; after the last try the message fails.
RETRY_DELAYS = tuple(dt.timedelta(minutes=minutes) for minutes in (1, 5, 15, 60, 180, 360, 720))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A message SENDING for longer than this belongs to a worker that stopped: it is tried again.
CLAIM_TIMEOUT = dt.timedelta(minutes=15)
CLAIM_BATCH = 100
# Messages claimed together, then read in one query, unless their bytes add up to more.
CLAIM_GROUP = 10
CLAIM_GROUP_BYTES = 2**20
_ENVELOPE_FIELDS = ("pk", "attempts", "envelope_from", "envelope_to", "message_id")


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    reclaimed: int = 0
    error: str = ""  # why the pass stopped early: the server cannot be reached

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed

    def __str__(self) -> str:
        text = f"{self.sent} sent, {self.retried} to retry, {self.failed} failed"
        text += f", {self.reclaimed} reclaimed" if self.reclaimed else ""
        return text + (f"; stopped: {self.error}" if self.error else "")


def _reclaim_stuck(now: dt.datetime) -> int:
    stuck = OutboxMessage.objects.filter(status=Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
    note = "the worker sending it stopped before recording the outcome"
    given_up = stuck.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=Status.FAILED, claimed_at=None, last_error=f"{note}; gave up after {MAX_ATTEMPTS} attempts"
    )
    again = stuck.update(status=Status.READY, claimed_at=None, next_attempt_at=now, last_error=note)
    if given_up or again:
        log.warning("outbox: %d message(s) stuck in sending taken back", given_up + again)
    return given_up + again


def _claim(message: OutboxMessage, now: dt.datetime) -> bool:
    """Claim one row read as READY; False when another worker was faster.

    The attempt is written (and committed) before anything leaves the process. The row must
    still have the number of tries we read, so `message.attempts` stays exact.
    """
    claimed = OutboxMessage.objects.filter(
        pk=message.pk, status=Status.READY, attempts=message.attempts, next_attempt_at__lte=now
    ).update(status=Status.SENDING, claimed_at=clock.now(), attempts=F("attempts") + 1)
    if claimed == 1:
        message.attempts += 1
    return claimed == 1


def _release(messages: Sequence[OutboxMessage]) -> None:
    """Claimed messages this pass will not try after all: back to READY, the try not counted."""
    if messages:
        OutboxMessage.objects.filter(pk__in=[m.pk for m in messages], status=Status.SENDING).update(
            status=Status.READY, claimed_at=None, attempts=F("attempts") - 1
        )


def _groups(batch: list[OutboxMessage]) -> Iterator[list[OutboxMessage]]:
    group: list[OutboxMessage] = []
    size = 0
    for message in batch:
        if group and (len(group) == CLAIM_GROUP or size + message.size > CLAIM_GROUP_BYTES):
            yield group
            group, size = [], 0
        group.append(message)
        size += message.size
    if group:
        yield group


def _record_sent(message: OutboxMessage, note: str) -> None:
    OutboxMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.SENT, sent_at=clock.now(), claimed_at=None, last_error=note[:2000]
    )


def _record_failure(message: OutboxMessage, error: DeliveryError, report: DeliveryReport) -> None:
    text = error.text[:2000]
    pending = OutboxMessage.objects.filter(pk=message.pk, status=Status.SENDING)
    if error.permanent or message.attempts >= MAX_ATTEMPTS:
        if not error.permanent:
            text = f"gave up after {message.attempts} attempts: {text}"
        pending.update(status=Status.FAILED, claimed_at=None, last_error=text)
        report.failed += 1
        log.warning("outbox: message %s failed: %s", message.pk, text)
        return
    delay = RETRY_DELAYS[message.attempts - 1]
    pending.update(status=Status.READY, claimed_at=None, last_error=text, next_attempt_at=clock.now() + delay)
    report.retried += 1
    log.info("outbox: message %s will be tried again in %s: %s", message.pk, delay, text)


def _send(message: OutboxMessage, raw: bytes, session: Session) -> str:
    try:
        return session.send(
            sender=message.envelope_from,
            recipients=message.envelope_to,
            raw=raw,
            message_id=message.message_id,
        )
    except DeliveryError:
        raise
    except Exception as exc:  # a bug must not leave the row SENDING until the claim times out
        log.exception("outbox: unexpected error sending message %s", message.pk)
        raise DeliveryError(f"unexpected error: {type(exc).__name__}: {exc}") from exc


def outbox_deliver_due(*, limit: int | None = None, stop: threading.Event | None = None) -> DeliveryReport:
    """One worker pass: deliver every message due now (at most `limit`), over one connection.

    Safe to run in several processes at once. Messages are claimed a few at a time, each with
    its own conditional update, and their bytes read in one query. The connection is opened
    before claiming: while the server is unreachable no try is spent, and the pass ends with
    `report.error` set. Stops early when `stop` is set.
    """
    now = clock.now()
    session = backend_open()  # a bad EMAIL_URL stops here, before any message is claimed
    report = DeliveryReport(reclaimed=_reclaim_stuck(now))
    last_pk = 0
    try:
        while limit is None or report.handled < limit:
            # Without the bytes: a message another worker claims first is not read in full.
            batch = list(
                OutboxMessage.objects.filter(status=Status.READY, next_attempt_at__lte=now, pk__gt=last_pk)
                .order_by("pk")
                .only(*_ENVELOPE_FIELDS)
                .annotate(size=Length("raw"))[:CLAIM_BATCH]
            )
            if not batch:
                break
            last_pk = batch[-1].pk
            # Several workers reading the same rows try them in different orders: fewer lost races.
            random.shuffle(batch)
            for group in _groups(batch):
                if limit is not None:
                    group = group[: limit - report.handled]
                if not group or (stop is not None and stop.is_set()):
                    return report
                try:
                    session.open()
                except ConnectionFailed as exc:
                    report.error = exc.text
                    log.warning("outbox: cannot deliver now: %s", exc.text)
                    return report
                claimed = [message for message in group if _claim(message, now)]
                if claimed and not _deliver_claimed(claimed, session, report, stop):
                    return report
    finally:
        session.close()
    return report


def _deliver_claimed(
    claimed: list[OutboxMessage], session: Session, report: DeliveryReport, stop: threading.Event | None
) -> bool:
    """Send claimed messages in turn, recording each outcome; False when the pass must end."""
    raws = dict(OutboxMessage.objects.filter(pk__in=[m.pk for m in claimed]).values_list("pk", "raw"))
    for position, message in enumerate(claimed):
        if stop is not None and stop.is_set():
            _release(claimed[position:])
            return False
        try:
            note = _send(message, bytes(raws[message.pk]), session)
        except DeliveryError as exc:
            _record_failure(message, exc, report)
            if isinstance(exc, ConnectionFailed):
                _release(claimed[position + 1 :])
                report.error = exc.text
                return False
        else:
            _record_sent(message, note)
            report.sent += 1
    return True
