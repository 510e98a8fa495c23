"""Partner-phase writes a person makes.

`tickler_send_missed`, `tickler_skip` and `tickler_mark_done` settle a missed item (one whose
date passed before it could be sent); each writes a timeline entry.


`invoice_issue_now` issues a planned invoice before its day.
"""

from __future__ import annotations

from django.db import transaction

from partnerdesk.agreements.partnership_rules import item_label
from partnerdesk.lib import clock
from partnerdesk.partnership.models import Tickler
from partnerdesk.partnership.ticklers import tickler_fire
from partnerdesk.pipeline.models import TimelineEntry
from partnerdesk.pipeline.services import Actor, ServiceError, timeline_record


def _tickler_label(tickler: Tickler) -> str:
    return f"{item_label(tickler.kind, tickler.payload)} (due {tickler.due_on.isoformat()})"


def _fire_by_hand(*, tickler: Tickler, actor: Actor, from_status: str, failed: str, summary: str) -> Tickler:
    """Fire `tickler` now, as the worker would on its day, and say so on the timeline; raises
    ServiceError saying why when it cannot (`failed`: "could not be sent", ...)."""
    try:
        fired = tickler_fire(tickler_id=tickler.pk, from_status=from_status, resolved_by=actor.label)
    except ServiceError:
        raise
    except Exception as exc:
        raise ServiceError(f"{_tickler_label(tickler)} {failed}: {exc}") from exc
    if fired is None:
        tickler.refresh_from_db()
        raise ServiceError(
            f"{_tickler_label(tickler)} was handled meanwhile: {tickler.get_status_display().lower()}"
        )
    timeline_record(
        engagement=fired.engagement,
        kind=TimelineEntry.Kind.NOTE,
        actor=actor,
        summary=f"{summary}: {_tickler_label(fired)}: {fired.outcome}",
        data={"tickler": fired.pk, "status": fired.status},
    )
    return fired


def tickler_send_missed(*, tickler: Tickler, actor: Actor) -> Tickler:
    """Send a missed item now, as the worker would have (an invoice is issued today, a reminder
    counts its days from today). Raises ServiceError when it is not missed or cannot be sent."""
    if tickler.status != Tickler.Status.MISSED:
        raise ServiceError(
            f"{_tickler_label(tickler)} is not missed: it is {tickler.get_status_display().lower()}"
        )
    return _fire_by_hand(
        tickler=tickler,
        actor=actor,
        from_status=Tickler.Status.MISSED,
        failed="could not be sent",
        summary="Missed item sent",
    )


def _tickler_close(*, tickler: Tickler, actor: Actor, status: str, outcome: str, verb: str) -> Tickler:
    with transaction.atomic():
        closed = Tickler.objects.filter(
            pk=tickler.pk, status__in=(Tickler.Status.PENDING, Tickler.Status.MISSED)
        ).update(status=status, fired_at=clock.now(), outcome=outcome, resolved_by=actor.label)
        tickler.refresh_from_db()
        if closed != 1:
            raise ServiceError(
                f"{_tickler_label(tickler)} was already handled: {tickler.get_status_display().lower()}"
            )
        timeline_record(
            engagement=tickler.engagement,
            kind=TimelineEntry.Kind.NOTE,
            actor=actor,
            summary=f"{verb}: {_tickler_label(tickler)}"
            + (f" ({outcome.split(': ', 1)[1]})" if ": " in outcome else ""),
            data={"tickler": tickler.pk, "status": status},
        )
    return tickler


def tickler_skip(*, tickler: Tickler, actor: Actor, reason: str = "") -> Tickler:
    """Never send this item (a missed one, or one still planned)."""
    reason = " ".join(reason.split())
    outcome = f"skipped by {actor.label}" + (f": {reason}" if reason else "")
    return _tickler_close(
        tickler=tickler, actor=actor, status=Tickler.Status.SKIPPED, outcome=outcome, verb="Skipped"
    )


def tickler_mark_done(*, tickler: Tickler, actor: Actor, note: str = "") -> Tickler:
    """The item was taken care of another way (the invoice sent from the accounts, say)."""
    note = " ".join(note.split())
    outcome = f"done by {actor.label}" + (f": {note}" if note else "")
    return _tickler_close(
        tickler=tickler, actor=actor, status=Tickler.Status.DONE, outcome=outcome, verb="Marked done by hand"
    )


def invoice_issue_now(*, tickler: Tickler, actor: Actor) -> Tickler:
    """Issue a planned invoice now, before its day (the partner asked for it early): numbered,
    dated and due from today, as the worker would on its day. A missed one goes through
    `tickler_send_missed`. Raises ServiceError."""
    if tickler.kind != Tickler.Kind.INVOICE:
        raise ServiceError(f"{_tickler_label(tickler)} is not an invoice")
    if tickler.status == Tickler.Status.MISSED:
        return tickler_send_missed(tickler=tickler, actor=actor)
    if tickler.status != Tickler.Status.PENDING:
        raise ServiceError(
            f"{_tickler_label(tickler)} is not planned any more: it is {tickler.get_status_display().lower()}"
        )
    return _fire_by_hand(
        tickler=tickler,
        actor=actor,
        from_status=Tickler.Status.PENDING,
        failed="could not be issued",
        summary="Invoice issued before its day",
    )
