"""Storing and processing incoming messages a chunk at a time: the path bulk mail takes.

`inbound ingest FOLDER`, the IMAP fetch and the worker's spool drain hand `chunk_ingest` up to
CHUNK messages at a time. In one transaction it:

1. parses each message once (the parse is kept for the routing);
2. finds which are stored already with one query, and stores the new ones with one bulk insert
   (unique by Message-ID or content hash, as `store.message_store`; a concurrent insert of the
   same message makes the chunk start over, and then it is a repeat);
3. routes each new message through `routing.message_route`, the one place that decides what a
   message becomes, in a savepoint of its own: a message whose routing raises is rolled back
   alone and goes back to the queue with the error counted, as `processing.message_process`
   does, and the rest of its chunk is kept. The routing's lookups come from maps read once for
   the chunk (`prefetch.py`).

The result is the one the same messages get one at a time through `message_store` and
`message_process` (tests/inbound/test_batch_ingest.py compares the two). Mail the routing
sends is an outbox row, delivered by the worker once the chunk is committed: nothing leaves the
process inside it. The caller removes a spool file or flags an IMAP message only after
`chunk_ingest` returned, that is after the commit: a crash in between means a second look,
which finds the messages stored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from partnerdesk.inbound import prefetch
from partnerdesk.inbound.mailgate import spool_folder, spool_write
from partnerdesk.inbound.models import InboundMessage
from partnerdesk.inbound.parsing import ParsedMessage, parse_message
from partnerdesk.inbound.routing import message_route
from partnerdesk.inbound.store import oversized_head, quarantine_folder, spool_files
from partnerdesk.lib import clock
from partnerdesk.profile import get_profile

log = logging.getLogger("partnerdesk.inbound")

Status = InboundMessage.Status
Channel = InboundMessage.Channel
CHUNK = 100
MAX_ATTEMPTS = 3


def message_failed(message: InboundMessage, exc: Exception) -> None:
    """Processing `message` (claimed, this try counted) raised `exc`: back in the queue with the
    error, or quarantined once it failed MAX_ATTEMPTS times."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if message.attempts >= MAX_ATTEMPTS:
        message.status, message.route = Status.QUARANTINED, "quarantine"
        message.outcome = f"processing failed {message.attempts} times: {error}"
        InboundMessage.objects.filter(pk=message.pk).update(
            status=message.status, route=message.route, outcome=message.outcome, claimed_at=None
        )
    else:
        message.status = Status.RECEIVED
        message.outcome = f"try {message.attempts} failed: {error}"
        InboundMessage.objects.filter(pk=message.pk).update(
            status=message.status, outcome=message.outcome, claimed_at=None
        )
    message.claimed_at = None


@dataclass
class ChunkReport:
    new: int = 0
    repeated: int = 0
    processed: int = 0
    failed: int = 0  # routing raised: back in the queue, or quarantined after MAX_ATTEMPTS tries
    # The stored row of each message handed in, in order (a repeat's is the row stored before).
    messages: list[InboundMessage] = field(default_factory=list)


@dataclass
class _Reading:
    raw: bytes
    parsed: ParsedMessage
    status: str
    outcome: str
    oversized: bool = False


def _read(raw: bytes, limit: int) -> _Reading:
    if len(raw) > limit:
        return _Reading(raw, oversized_head(raw), Status.QUARANTINED,
                        f"oversized: {len(raw):,} bytes; the limit is {limit:,}", oversized=True)  # fmt: skip
    parsed = parse_message(raw)
    if parsed.unparseable:
        return _Reading(raw, parsed, Status.QUARANTINED, parsed.unparseable)
    return _Reading(raw, parsed, Status.RECEIVED, "")


def chunk_ingest(raws: list[bytes], *, channel: str, process: bool = True) -> ChunkReport:
    """Store (and, with `process`, route) these messages in one transaction; returns what became
    of them. Never raises for what the bytes contain."""
    limit = get_profile().inbound.max_message_bytes
    readings = [_read(raw, limit) for raw in raws]
    for attempt in (1, 2):
        try:
            return _chunk_store_and_route(readings, channel=channel, process=process)
        except IntegrityError:
            # Another process stored one of these messages meanwhile: start over, and it is a
            # repeat this time. Twice in a row is no race: let the error be seen.
            if attempt == 2:
                raise
            log.info("inbound: a message of the chunk was stored concurrently; the chunk starts over")
    raise AssertionError("unreachable")


def _chunk_store_and_route(readings: list[_Reading], *, channel: str, process: bool) -> ChunkReport:
    report = ChunkReport()
    written_files: list[Path] = []
    try:
        with transaction.atomic():
            rows = _store(readings, channel=channel, process=process, report=report, files=written_files)
            if process:
                _route_all(rows, report)
    except BaseException:
        for path in written_files:  # the rows that named them are gone with the transaction
            path.unlink(missing_ok=True)
        raise
    return report


def _store(
    readings: list[_Reading], *, channel: str, process: bool, report: ChunkReport, files: list[Path]
) -> list[tuple[InboundMessage, ParsedMessage]]:
    """The new messages' rows (inserted in one statement), with their parse, to be routed."""
    keys = [reading.parsed.dedupe_key for reading in readings]
    stored = InboundMessage.objects.defer("raw").in_bulk(list(dict.fromkeys(keys)), field_name="dedupe_key")
    now = clock.now()
    new: list[tuple[InboundMessage, _Reading]] = []
    for key, reading in zip(keys, readings, strict=True):
        if key in stored:
            report.repeated += 1
            continue
        parsed = reading.parsed
        raw_path = ""
        if reading.oversized:
            # Kept as a file: a database row is no place for a 30 MB blob. Written before the row.
            path = spool_write(reading.raw, quarantine_folder())
            files.append(Path(path))
            raw_path = str(path)
        routed = process and reading.status == Status.RECEIVED
        message = InboundMessage(
            dedupe_key=key,
            message_id=parsed.message_id if len(parsed.message_id) <= 255 else "",
            content_hash=parsed.content_hash,
            channel=channel,
            from_addr=parsed.from_addr[:320],
            subject=parsed.subject[:2000],
            size=len(reading.raw),
            raw=None if raw_path else reading.raw,
            raw_path=raw_path,
            # A message routed in this chunk is claimed from the start, as `message_process` does.
            status=Status.PROCESSING if routed else reading.status,
            attempts=1 if routed else 0,
            claimed_at=now if routed else None,
            route="quarantine" if reading.status == Status.QUARANTINED else "",
            outcome=reading.outcome,
            received_at=now,
        )
        stored[key] = message
        new.append((message, reading))
    InboundMessage.objects.bulk_create([message for message, _ in new])
    report.new = len(new)
    report.messages = [stored[key] for key in keys]
    for message, reading in new:
        if reading.status == Status.QUARANTINED:
            log.warning("inbound: message %s quarantined: %s", message.pk, reading.outcome)
    return [(message, reading.parsed) for message, reading in new if message.status == Status.PROCESSING]


def _route_all(items: list[tuple[InboundMessage, ParsedMessage]], report: ChunkReport) -> None:
    with prefetch.chunk_lookups(items) as lookups:
        for message, parsed in items:
            lookups.message_begin()
            try:
                with transaction.atomic():
                    handled = message_route(message, parsed)
                    message.status = handled.status
                    message.route = handled.route
                    message.outcome = handled.outcome[:2000]
                    message.engagement = handled.engagement
                    message.processed_at = clock.now()
                    message.claimed_at = None
                    lookups.message_finish(message)  # written with the others of the chunk
            except Exception as exc:  # noqa: BLE001 - one bad message must not spoil its chunk
                log.exception("inbound: processing message %s failed (try %s)", message.pk, message.attempts)
                lookups.message_failed()
                message_failed(message, exc)
                report.failed += 1
            else:
                report.processed += 1
                lookups.message_done(message, handled.route, message.engagement_id)


@dataclass
class IngestReport:
    new: int = 0
    repeated: int = 0
    processed: int = 0
    failed: int = 0

    def add(self, chunk: ChunkReport) -> None:
        self.new += chunk.new
        self.repeated += chunk.repeated
        self.processed += chunk.processed
        self.failed += chunk.failed


def _chunks(paths: Iterable[Path], size: int) -> Iterator[list[Path]]:
    chunk: list[Path] = []
    for path in paths:
        chunk.append(path)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def folder_ingest(
    paths: Iterable[Path], *, channel: str = Channel.FOLDER, process: bool = True, chunk: int = CHUNK
) -> IngestReport:
    """Store (and route) each .eml file, a chunk at a time; the files are left in place."""
    report = IngestReport()
    for part in _chunks(paths, chunk):
        report.add(chunk_ingest([path.read_bytes() for path in part], channel=channel, process=process))
    return report


def spool_ingest(
    *, stop: threading.Event | None = None, limit: int = 1000, process: bool = True, chunk: int = CHUNK
) -> IngestReport:
    """Store and route what mailgate spooled, a chunk at a time, then remove the chunk's files.

    Several workers may share one spool: a file another worker removed first is skipped, and a
    message two workers read at once is stored once (the unique key). A file is removed only
    after its chunk is committed, so a crash in between means a harmless second look.
    """
    report = IngestReport()
    for part in _chunks(spool_files(spool_folder(Path(settings.PARTNERDESK_HOME)))[:limit], chunk):
        if stop is not None and stop.is_set():
            break
        read: list[tuple[Path, bytes]] = []
        for path in part:
            try:
                read.append((path, path.read_bytes()))
            except FileNotFoundError:
                continue
        report.add(chunk_ingest([raw for _, raw in read], channel=Channel.MAILGATE, process=process))
        for path, _ in read:
            path.unlink(missing_ok=True)
    return report
