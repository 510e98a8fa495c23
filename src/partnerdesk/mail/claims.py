"""Claims on outbox rows: which worker is sending what, for how long, and what a stopped one left.

A worker claims a few due READY rows at once with one conditional UPDATE (only rows still READY
and due change, so two workers never claim one row), under a token of its own. A claim is a lease
of CLAIM_LEASE: while a pass holds claims, a heartbeat thread renews them every HEARTBEAT, so a
claim not renewed for CLAIM_LEASE belongs to a worker that stopped, and any worker takes it back.

Before each SMTP transaction the worker commits "try N started" on the row, in one transaction
with the previous message's outcome, and it sends one message at a time. So a claim taken back
tells whether its message may have reached the server: if no try had started, it is simply ready
again; if one had, it is sent again with the same Message-ID and counted in `possible_duplicates`.
A worker that dies leaves at most one message in that state: at most one duplicate per crash.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Cast, Concat

from partnerdesk.lib import clock
from partnerdesk.mail.models import OutboxMessage

log = logging.getLogger("partnerdesk.mail")

Status = OutboxMessage.Status
# A claim not renewed for this long belongs to a worker that stopped: it is taken back.
CLAIM_LEASE = dt.timedelta(minutes=2)
# How often a pass that holds claims renews them (four chances per lease).
HEARTBEAT = CLAIM_LEASE / 4


@dataclass
class Claimed:
    """One claimed message, read once with its bytes: all the pass needs to send it."""

    pk: int
    message_id: str
    envelope_from: str
    envelope_to: list[str]
    raw: bytes
    attempts: int  # tries made before this one; `start` counts this one


def worker_token() -> str:
    """Names the claims of one pass: host and process (for people reading the row), and a nonce."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


def claims_take_back(now: dt.datetime, *, max_attempts: int) -> tuple[int, int]:
    """Claims not renewed for CLAIM_LEASE back to READY; returns (taken back, of which sent again).

    A message whose try had started may have reached the server: it goes again at once, with the
    same bytes and Message-ID, and is counted; after `max_attempts` tries it fails instead.
    """
    stale = OutboxMessage.objects.filter(status=Status.SENDING, claimed_at__lt=now - CLAIM_LEASE)
    released = {"claimed_by": "", "claimed_at": None, "attempt_started_at": None}
    unstarted = stale.filter(attempt_started_at__isnull=True).update(status=Status.READY, **released)
    in_flight = stale.filter(attempt_started_at__isnull=False)
    stopped = Concat(Value("the worker sending it stopped during try "), Cast("attempts", CharField()))
    given_up = in_flight.filter(attempts__gte=max_attempts).update(
        status=Status.FAILED, last_error=Concat(stopped, Value("; no tries left")), **released
    )
    again = in_flight.update(
        status=Status.READY,
        next_attempt_at=now,
        possible_duplicates=F("possible_duplicates") + 1,
        last_error=Concat(stopped, Value("; sent again with the same Message-ID (it may arrive twice)")),
        **released,
    )
    taken = unstarted + given_up + again
    if taken:
        log.warning(
            "outbox: %d message(s) taken back from a worker that stopped; %d sent again (may arrive twice)",
            taken,
            again,
        )
    return taken, again


class _Statements:
    """The two statements run once per message, written out once: building them with the ORM
    each time costs more than running them."""

    def __init__(self) -> None:
        quote = connection.ops.quote_name
        column = {field.name: quote(str(field.column)) for field in OutboxMessage._meta.concrete_fields}
        table = quote(OutboxMessage._meta.db_table)
        mine = f"{column['id']} = %s AND {column['status']} = %s AND {column['claimed_by']} = %s"
        self.start = (
            f"UPDATE {table} SET {column['attempts']} = {column['attempts']} + 1, "
            f"{column['attempt_started_at']} = %s, {column['claimed_at']} = %s WHERE {mine}"
        )
        self.sent = (
            f"UPDATE {table} SET {column['status']} = %s, {column['sent_at']} = %s, "
            f"{column['last_error']} = %s, {column['claimed_by']} = '', {column['claimed_at']} = NULL, "
            f"{column['attempt_started_at']} = NULL WHERE {mine}"
        )


# One outcome waiting to be written: it runs in the transaction that starts the next try.
Write = Callable[[], int]


class Claims:
    """One pass's claims: taken a few at a time, each try started and its outcome recorded in
    turn, renewed by a heartbeat while held. Every write is limited to rows this pass still
    holds, so a pass whose claim was taken back changes nothing."""

    def __init__(self) -> None:
        self.token = worker_token()
        self._statements = _Statements()
        self._pending: list[tuple[Write, int]] = []  # (write, the message's pk)
        self._heartbeat: threading.Thread | None = None
        self._done = threading.Event()

    def _mine(self, pk: int | Sequence[int]) -> QuerySet[OutboxMessage]:
        rows = OutboxMessage.objects.filter(status=Status.SENDING, claimed_by=self.token)
        return rows.filter(pk__in=pk) if isinstance(pk, Sequence) else rows.filter(pk=pk)

    def take(self, pks: Sequence[int], now: dt.datetime) -> list[Claimed]:
        """Claim those of `pks` still READY and due (one UPDATE), and read them (one SELECT)."""
        due = OutboxMessage.objects.filter(pk__in=pks, status=Status.READY, next_attempt_at__lte=now)
        with transaction.atomic():
            if connection.features.has_select_for_update_skip_locked:
                # PostgreSQL: rows another worker is claiming are skipped, not waited for; two
                # workers locking the same rows in different orders would deadlock.
                due = OutboxMessage.objects.filter(
                    pk__in=list(due.select_for_update(skip_locked=True).values_list("pk", flat=True))
                )
            claimed = due.update(
                status=Status.SENDING, claimed_by=self.token, claimed_at=clock.now(), attempt_started_at=None
            )
        if not claimed:
            return []
        self._start_heartbeat()
        rows = self._mine(pks).values_list(
            "pk", "message_id", "envelope_from", "envelope_to", "raw", "attempts"
        )
        by_pk = {
            pk: Claimed(pk, message_id, sender, recipients, bytes(raw), attempts)
            for pk, message_id, sender, recipients, raw, attempts in rows
        }
        return [by_pk[pk] for pk in pks if pk in by_pk]

    def start(self, message: Claimed) -> bool:
        """Commit "try N started" (with the outcome before it); False if the claim was lost."""
        now = connection.ops.adapt_datetimefield_value(clock.now())
        params = [now, now, message.pk, Status.SENDING, self.token]
        with transaction.atomic():
            self._write_pending()
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    # The commit need not wait for the disk: a worker that dies after it still
                    # leaves it written. Only a crash of the database host can lose the last
                    # moment's records (as SQLite's synchronous=NORMAL can): see docs/delivery.md.
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
                cursor.execute(self._statements.start, params)
                started = cursor.rowcount == 1
        if started:
            message.attempts += 1
        else:
            log.warning("outbox: message %s was taken back from this worker before it was sent", message.pk)
        return started

    def sent(self, message: Claimed, note: str) -> None:
        """The server took the message: SENT, written with the next write."""

        def write() -> int:
            params = [Status.SENT, connection.ops.adapt_datetimefield_value(clock.now()), note[:2000]]
            with connection.cursor() as cursor:
                cursor.execute(self._statements.sent, [*params, message.pk, Status.SENDING, self.token])
                return cursor.rowcount

        self._pending.append((write, message.pk))

    def record(self, message: Claimed, **fields: object) -> None:
        """Another outcome (ready again later, failed), written with the next write."""
        released = {"claimed_by": "", "claimed_at": None, "attempt_started_at": None}
        self._pending.append((lambda: self._mine(message.pk).update(**fields, **released), message.pk))

    def release(self, messages: Sequence[Claimed]) -> None:
        """Claimed messages this pass will not try after all: READY again, no try spent."""
        with transaction.atomic():
            self._write_pending()
            if messages:
                self._mine([m.pk for m in messages]).filter(attempt_started_at__isnull=True).update(
                    status=Status.READY, claimed_by="", claimed_at=None
                )

    def flush(self) -> None:
        """Write the outcome still waiting (the pass is over)."""
        if self._pending:
            with transaction.atomic():
                self._write_pending()

    def renew(self) -> int:
        """Renew every claim this pass holds (the heartbeat); returns how many."""
        return OutboxMessage.objects.filter(status=Status.SENDING, claimed_by=self.token).update(
            claimed_at=clock.now()
        )

    def close(self) -> None:
        """Stop the heartbeat. Claims still held (after an error) expire and are taken back."""
        self._done.set()
        if self._heartbeat is not None:
            self._heartbeat.join()

    def _write_pending(self) -> None:
        for write, pk in self._pending:
            if write() != 1:
                log.warning(
                    "outbox: message %s was taken back from this worker before its outcome was recorded; "
                    "it will be sent again",
                    pk,
                )
        self._pending.clear()

    def _start_heartbeat(self) -> None:
        if self._heartbeat is None:
            self._heartbeat = threading.Thread(target=self._beat, name="outbox-heartbeat", daemon=True)
            self._heartbeat.start()

    def _beat(self) -> None:
        try:
            while not self._done.wait(HEARTBEAT.total_seconds()):
                try:
                    self.renew()
                except Exception:  # the claims then expire and are sent again: log, keep beating
                    log.exception("outbox: could not renew this worker's claims")
        finally:
            connection.close()  # this thread's own connection
