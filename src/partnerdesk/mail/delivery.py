"""The worker's pass over the outbox: claim what is due, send it, record the outcome.

Due rows are claimed a few at a time (claims.py: one conditional UPDATE, a lease renewed by a
heartbeat) and read once with their bytes; they go out over one SMTP connection for the whole
pass, one message at a time. Before each message's SMTP transaction the try is committed; its
outcome is committed before the next one begins: sent; ready again later (a 4xx answer, a
network error), waiting longer after each try; or failed (a 5xx answer, or MAX_ATTEMPTS tries).

Delivery is at least once, with at most one duplicate per crash, and a duplicate carries the
same Message-ID: a worker that dies after the server took a message but before recording it
leaves that one message "started"; once its claim expires (CLAIM_LEASE) it is sent again with
the same bytes and counted in `possible_duplicates`.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models.functions import Length

from partnerdesk.lib import clock
from partnerdesk.mail.backends import ConnectionFailed, DeliveryError, Session, backend_open
from partnerdesk.mail.claims import CLAIM_LEASE, Claimed, Claims, claims_take_back
from partnerdesk.mail.models import OutboxMessage

log = logging.getLogger("partnerdesk.mail")

Status = OutboxMessage.Status
# The wait after the 1st, 2nd, ... failed try; after the last try the message fails.
RETRY_DELAYS = tuple(dt.timedelta(minutes=minutes) for minutes in (1, 5, 15, 60, 180, 360, 720))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
__all__ = ["CLAIM_LEASE", "MAX_ATTEMPTS", "RETRY_DELAYS", "DeliveryReport", "outbox_deliver_due"]
CLAIM_BATCH = 100
# Messages claimed together (then read in one query), unless their bytes add up to more.
CLAIM_GROUP = 20
CLAIM_GROUP_BYTES = 2**20


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    reclaimed: int = 0  # claims taken back from a worker that stopped
    resent: int = 0  # of those, messages whose try may have reached the server: sent again
    error: str = ""  # why the pass stopped early: the server cannot be reached

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed

    def __str__(self) -> str:
        text = f"{self.sent} sent, {self.retried} to retry, {self.failed} failed"
        if self.reclaimed:
            text += f", {self.reclaimed} taken back from a stopped worker"
            text += f" ({self.resent} may arrive twice)" if self.resent else ""
        return text + (f"; stopped: {self.error}" if self.error else "")


@dataclass
class _Candidate:
    pk: int
    size: int


def _groups(batch: list[_Candidate]) -> Iterator[list[_Candidate]]:
    group: list[_Candidate] = []
    size = 0
    for candidate in batch:
        if group and (len(group) == CLAIM_GROUP or size + candidate.size > CLAIM_GROUP_BYTES):
            yield group
            group, size = [], 0
        group.append(candidate)
        size += candidate.size
    if group:
        yield group


def _record_failure(claims: Claims, message: Claimed, error: DeliveryError, report: DeliveryReport) -> None:
    text = error.text[:2000]
    if error.permanent or message.attempts >= MAX_ATTEMPTS:
        if not error.permanent:
            text = f"gave up after {message.attempts} attempts: {text}"
        claims.record(message, status=Status.FAILED, last_error=text)
        report.failed += 1
        log.warning("outbox: message %s failed: %s", message.pk, text)
        return
    delay = RETRY_DELAYS[message.attempts - 1]
    claims.record(message, status=Status.READY, last_error=text, next_attempt_at=clock.now() + delay)
    report.retried += 1
    log.info("outbox: message %s will be tried again in %s: %s", message.pk, delay, text)


def _send(message: Claimed, session: Session) -> str:
    try:
        return session.send(
            sender=message.envelope_from,
            recipients=message.envelope_to,
            raw=message.raw,
            message_id=message.message_id,
        )
    except DeliveryError:
        raise
    except Exception as exc:  # a bug must not leave the row SENDING until its claim expires
        log.exception("outbox: unexpected error sending message %s", message.pk)
        raise DeliveryError(f"unexpected error: {type(exc).__name__}: {exc}") from exc


def outbox_deliver_due(*, limit: int | None = None, stop: threading.Event | None = None) -> DeliveryReport:
    """One worker pass: deliver every message due now (at most `limit`), over one connection.

    Safe to run in several processes at once. First takes back the claims of workers that
    stopped. The connection is opened before claiming: while the server is unreachable no try
    is spent, and the pass ends with `report.error` set. Stops early when `stop` is set.
    """
    now = clock.now()
    session = backend_open()  # a bad EMAIL_URL stops here, before any message is claimed
    report = DeliveryReport()
    report.reclaimed, report.resent = claims_take_back(now, max_attempts=MAX_ATTEMPTS)
    claims = Claims()
    try:
        _deliver(claims, session, now, report, limit, stop)
        claims.flush()
    finally:
        claims.close()
        session.close()
    return report


def _deliver(
    claims: Claims,
    session: Session,
    now: dt.datetime,
    report: DeliveryReport,
    limit: int | None,
    stop: threading.Event | None,
) -> None:
    last_pk = 0
    while limit is None or report.handled < limit:
        # Without the bytes: a message another worker claims first is not read in full.
        batch = [
            _Candidate(pk, size or 0)
            for pk, size in OutboxMessage.objects.filter(
                status=Status.READY, next_attempt_at__lte=now, pk__gt=last_pk
            )
            .order_by("pk")
            .annotate(size=Length("raw"))
            .values_list("pk", "size")[:CLAIM_BATCH]
        ]
        if not batch:
            return
        last_pk = batch[-1].pk
        # Several workers reading the same rows try them in different orders: fewer lost races.
        random.shuffle(batch)
        for group in _groups(batch):
            if limit is not None:
                group = group[: limit - report.handled]
            if not group or (stop is not None and stop.is_set()):
                return
            try:
                session.open()
            except ConnectionFailed as exc:
                report.error = exc.text
                log.warning("outbox: cannot deliver now: %s", exc.text)
                return
            claimed = claims.take([candidate.pk for candidate in group], now)
            if claimed and not _deliver_claimed(claimed, claims, session, report, stop):
                return


def _deliver_claimed(
    claimed: list[Claimed],
    claims: Claims,
    session: Session,
    report: DeliveryReport,
    stop: threading.Event | None,
) -> bool:
    """Send claimed messages in turn, recording each outcome; False when the pass must end."""
    for position, message in enumerate(claimed):
        if stop is not None and stop.is_set():
            claims.release(claimed[position:])
            return False
        if not claims.start(message):
            continue
        try:
            note = _send(message, session)
        except DeliveryError as exc:
            _record_failure(claims, message, exc, report)
            if isinstance(exc, ConnectionFailed):
                claims.release(claimed[position + 1 :])
                report.error = exc.text
                return False
        else:
            claims.sent(message, note)
            report.sent += 1
    return True
