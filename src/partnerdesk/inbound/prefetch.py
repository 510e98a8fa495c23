"""What the routing looks up, read once for a chunk of messages instead of once per message.

The batch pipeline (`ingest.py`) routes a chunk of messages one by one, each through
`routing.message_route` as ever. While it does, `ChunkLookups` answers the routing's read-only
questions (is this one of our own messages, which engagement does this thread belong to, what
open engagement does this sender have, how many messages did this sender send in the last hour)
from maps it filled with a few queries for the whole chunk, so that every answer is the one the
database would give at that moment:

- after each message, `message_done` adds what that message changed to the maps (its thread
  now leads to its engagement; a new lead's sender is looked up afresh);
- a message routed any other way (a command, an action, a booking, a held request...) may have
  changed anything, so the maps are read again for the rest of the chunk (`stale`).

It also holds back two kinds of writes until the end of the chunk, to make each one statement:
the timeline entry of each email (`timeline_record`, from `routing.email_record`) and each
message's final status (`message_finish`). Held-back rows are written before any statement
that reads or changes their table, so nothing ever reads the table without them; an entry is
also written before another entry of its engagement, so an engagement's entries keep their order.
A message whose savepoint is rolled back takes its own held-back rows with it.

Outside a chunk (`current()` is None) the routing asks the database directly and writes at once.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from django.db import connection
from django.db.models import Count

from partnerdesk.inbound.models import InboundMessage
from partnerdesk.inbound.parsing import ParsedMessage
from partnerdesk.lib import clock
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from partnerdesk.pipeline.stages import OPEN_STAGE_VALUES

Status = InboundMessage.Status
SLICE = 900  # values per IN (...) list, well under every database's limit
# Routes whose only writes are timeline entries and a new lead: what they change is added to the
# maps by `message_done`. Any other route makes the maps stale.
KNOWN_EFFECTS = frozenset({"own", "automatic", "capped", "forged", "reply", "contact", "new_lead",
                           "team_reply", "team"})  # fmt: skip

_INBOUND = f'"{InboundMessage._meta.db_table}"'
_TIMELINE = f'"{TimelineEntry._meta.db_table}"'
_current: ContextVar[ChunkLookups | None] = ContextVar("partnerdesk_chunk_lookups", default=None)


def current() -> ChunkLookups | None:
    return _current.get()


def thread_ids(parsed: ParsedMessage) -> list[str]:
    """The Message-IDs a message answers, the most telling first (In-Reply-To, then References
    newest first), at most 50."""
    return list(dict.fromkeys([*parsed.in_reply_to, *reversed(parsed.references)]))[:50]


def threads_found(ids: Sequence[str]) -> dict[str, int]:
    """Message-ID -> engagement id of the stored and sent messages among `ids` that have one."""
    found: dict[str, int] = {}
    for part in _slices(ids):
        for message_id, engagement_id in InboundMessage.objects.filter(
            message_id__in=part, engagement__isnull=False
        ).values_list("message_id", "engagement_id"):
            found.setdefault(message_id, engagement_id)
    for part in _slices(ids):
        for message_id, engagement_id in OutboxMessage.objects.filter(
            message_id__in=[f"<{i}>" for i in part], engagement__isnull=False
        ).values_list("message_id", "engagement_id"):
            found.setdefault(message_id.strip("<>"), engagement_id)
    return found


def _slices(values: Sequence[str]) -> Iterator[list[str]]:
    values = list(values)
    for start in range(0, len(values), SLICE):
        yield values[start : start + SLICE]


def _open_engagements():
    return Engagement.objects.filter(stage__in=OPEN_STAGE_VALUES)


class ChunkLookups:
    """The maps for `items` (stored rows with their parsed message, in the order they are routed)."""

    def __init__(self, items: Sequence[tuple[InboundMessage, ParsedMessage]]) -> None:
        self.items = list(items)
        self.position = 0  # the index of the message being routed
        self.stale = True
        # Held-back writes, each with the position of the message that made it.
        self.entries: list[tuple[int, TimelineEntry]] = []
        self.finished: list[tuple[int, InboundMessage]] = []
        # Held back, then written during the message being routed.
        self.written: list[tuple[int, TimelineEntry | InboundMessage]] = []
        self.writing = False

    def _load(self) -> None:
        rest = self.items[self.position :]
        self.stale = False
        # Threads: every Message-ID the rest of the chunk answers.
        ids = list(dict.fromkeys(i for _, parsed in rest for i in thread_ids(parsed)))
        self.threads = threads_found(ids)
        # Our own messages coming back: their Message-ID is in the outbox.
        own = [f"<{parsed.message_id}>" for _, parsed in rest if parsed.message_id]
        self.outbox_ids = {
            message_id
            for part in _slices(own)
            for message_id in OutboxMessage.objects.filter(message_id__in=part).values_list(
                "message_id", flat=True
            )
        }
        # Senders: their open engagement (the most recent), as `engagement_of_relationship`.
        senders = sorted({p.from_addr.strip().lower() for _, p in rest if p.from_addr.strip()})
        self.senders: dict[str, int] = {}
        for part in _slices(senders):
            for email, engagement_id in (
                _open_engagements().filter(contacts__email__in=part).values_list("contacts__email", "id")
            ):
                self.senders[email] = max(engagement_id, self.senders.get(email, 0))
        self.senders_asked_again: set[str] = set()
        # The hourly cap: messages stored before the rest of the chunk, per sender.
        self.since = clock.now() - dt.timedelta(hours=1)
        first_pk = min((message.pk for message, _ in rest), default=0)
        addresses = sorted({message.from_addr for message, _ in rest})
        self.recent: Counter[str] = Counter()
        for part in _slices(addresses):
            for address, count in (
                InboundMessage.objects.filter(
                    from_addr__in=part, received_at__gte=self.since, pk__lt=first_pk
                )
                .exclude(status=Status.QUARANTINED)
                .values_list("from_addr")
                .annotate(count=Count("id"))
                .values_list("from_addr", "count")
                .order_by()
            ):
                self.recent[address] = count
        self.recent_first_pk = first_pk
        self.by_sender: dict[str, list[int]] = {}
        for message, _ in self.items:  # the pks of the chunk's rows that count towards the cap
            if message.status != Status.QUARANTINED:
                self.by_sender.setdefault(message.from_addr, []).append(message.pk)
        # The engagements all of that leads to, read once; handed out as copies.
        wanted = {*self.threads.values(), *self.senders.values()}
        self.engagements: dict[int, Engagement | None] = dict(
            Engagement.objects.select_related("organization", "owner").in_bulk(wanted)
        )

    def _ready(self) -> None:
        if self.stale:
            self._load()

    # --- what the routing asks -------------------------------------------------------------

    def threads_found(self, ids: Sequence[str]) -> dict[str, int]:
        self._ready()
        return {i: self.threads[i] for i in ids if i in self.threads}

    def is_in_outbox(self, message_id: str) -> bool:
        self._ready()
        return f"<{message_id}>" in self.outbox_ids

    def sent_recently(self, message: InboundMessage) -> int | None:
        """How many messages (not quarantined) its sender sent in the last hour before this one;
        None when the chunk cannot tell (the row is not one of its own)."""
        self._ready()
        if message.pk is None or message.pk < self.recent_first_pk:
            return None
        earlier = sum(
            1 for pk in self.by_sender.get(message.from_addr, ()) if self.recent_first_pk <= pk < message.pk
        )
        return self.recent[message.from_addr] + earlier

    def sender_engagement_id(self, email: str) -> int | None | bool:
        """The id of the sender's open engagement, None when it has none, False when the chunk
        does not know (ask the database)."""
        self._ready()
        email = email.strip().lower()
        if email in self.senders_asked_again:
            return False
        return self.senders.get(email)

    def engagement(self, pk: int) -> Engagement | None:
        """The engagement (with its organization and owner), as read for this chunk, or None."""
        self._ready()
        if pk not in self.engagements:
            self.engagements[pk] = (
                Engagement.objects.select_related("organization", "owner").filter(pk=pk).first()
            )
        engagement = self.engagements[pk]
        if engagement is None:
            return None
        handed = copy.copy(engagement)
        handed.organization = copy.copy(engagement.organization)
        return handed

    # --- writes held back ----------------------------------------------------------------

    def timeline_record(self, entry: TimelineEntry) -> None:
        self.entries.append((self.position, entry))

    def message_finish(self, message: InboundMessage) -> None:
        """Write `message`'s status, route, outcome, engagement and processed_at (soon)."""
        self.finished.append((self.position, message))

    def write(self) -> None:
        """Write every held-back row now."""
        if self.writing:
            return
        self.writing = True
        try:
            entries, self.entries = self.entries, []
            finished, self.finished = self.finished, []
            if entries:
                TimelineEntry.objects.bulk_create([entry for _, entry in entries])
            if finished:
                adapt = connection.ops.adapt_datetimefield_value
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"UPDATE {_INBOUND} SET status = %s, route = %s, outcome = %s, engagement_id = %s, "
                        "processed_at = %s, claimed_at = NULL WHERE id = %s",
                        [(m.status, m.route, m.outcome, m.engagement_id, adapt(m.processed_at), m.pk)
                         for _, m in finished],
                    )  # fmt: skip
            self.written += [*entries, *finished]
        finally:
            self.writing = False

    def __call__(self, execute, sql: str, params, many: bool, context):  # noqa: ANN001, ANN204
        """The connection's execute wrapper: held-back rows first, when `sql` touches their table."""
        if not self.writing and (
            (self.finished and _INBOUND in sql)
            or (self.entries and _TIMELINE in sql and self._wants(sql, params, many))
        ):
            self.write()
        return execute(sql, params, many, context)

    def _wants(self, sql: str, params: Any, many: bool) -> bool:
        """Does this statement need the held-back entries written first? Any read or change of the
        timeline does; an insert only when it adds to an engagement that has one held back."""
        if not sql.startswith(f"INSERT INTO {_TIMELINE} ("):
            return True
        columns = sql[sql.index("(") + 1 : sql.index(")")].split(", ")
        if '"engagement_id"' not in columns:
            return True
        at = columns.index('"engagement_id"')
        rows = list(params) if many else [params]
        inserted = {value for row in rows for value in list(row)[at :: len(columns)]}
        return any(entry.engagement_id in inserted for _, entry in self.entries)

    # --- what the pipeline tells it ----------------------------------------------------------

    def message_begin(self) -> None:
        self.written = []

    def message_done(self, message: InboundMessage, route: str, engagement_id: int | None) -> None:
        """After `message` was routed (successfully): what it changed, for the next messages."""
        self.position += 1
        if self.stale:
            return
        if route not in KNOWN_EFFECTS:
            self.stale = True
            return
        if engagement_id is not None and message.message_id:
            self.threads.setdefault(message.message_id, engagement_id)
        if route == "new_lead":  # a new engagement with the sender as contact: ask the database
            self.senders_asked_again.add(message.from_addr.strip().lower())

    def message_failed(self) -> None:
        """Its savepoint was rolled back, and with it the held-back rows of earlier messages that
        were written meanwhile: hold those back again, and drop its own. Whatever it read or
        cached may not hold any more."""
        entries, finished = [], []
        for position, row in self.written:
            if position >= self.position:
                continue
            if isinstance(row, TimelineEntry):  # inserted again: a new row
                row.pk = None
                row._state.adding = True
                entries.append((position, row))
            elif isinstance(row, InboundMessage):  # updated again: the same row
                finished.append((position, row))
        self.entries = entries + [e for e in self.entries if e[0] < self.position]
        self.finished = finished + [f for f in self.finished if f[0] < self.position]
        self.written = []
        self.position += 1
        self.stale = True


@contextlib.contextmanager
def chunk_lookups(items: Sequence[tuple[InboundMessage, ParsedMessage]]) -> Iterator[ChunkLookups]:
    """The chunk's lookups and held-back writes, for the routing of `items`; the rows held back
    are written when the block ends without an error."""
    lookups = ChunkLookups(items)
    token = _current.set(lookups)
    try:
        with connection.execute_wrapper(lookups):
            yield lookups
            lookups.write()
    finally:
        _current.reset(token)


def timeline_record(
    *, engagement: Engagement, kind: str, actor: services.Actor, summary: str, data: Mapping[str, Any]
) -> None:
    """`services.timeline_record`, held back to the end of the chunk inside one."""
    chunk = current()
    if chunk is None:
        services.timeline_record(engagement=engagement, kind=kind, actor=actor, summary=summary, data=data)
        return
    chunk.timeline_record(
        TimelineEntry(engagement=engagement, kind=kind, at=clock.now(), actor=actor.label,
                      actor_user=actor.user, summary=summary, data=dict(data))
    )  # fmt: skip
