"""Partner-phase writes a person makes, and pipeline writes the partner phase needs.

`tickler_send_missed`, `tickler_skip` and `tickler_mark_done` settle a missed item (one whose
date passed before it could be sent); each writes a timeline entry.


`engagement_create_linked` opens an engagement directly at a given stage, linked to another
one: a renewal starts in Prospect, with the organization, owner and contacts of the partnership
it renews. It uses the pipeline's models and `timeline_record` the way `pipeline.services`
does, and belongs there eventually.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from partnerdesk.agreements.partnership_rules import item_label
from partnerdesk.lib import clock
from partnerdesk.partnership.models import Tickler
from partnerdesk.pipeline.models import Engagement, EngagementContact, TimelineEntry
from partnerdesk.pipeline.services import Actor, ServiceError, timeline_record
from partnerdesk.pipeline.stages import Stage
from partnerdesk.profile import get_profile


def owner_address(engagement: Engagement) -> str:
    """Where the owner's reminders go: the owner's address, else the shared mailbox."""
    owner: User | None = engagement.owner
    address = getattr(owner, "email", "") if owner is not None else ""
    return address or get_profile().mailbox.address


@transaction.atomic
def engagement_create_linked(
    *, source: Engagement, stage: Stage, actor: Actor, why: str, link: str = "renewal_of"
) -> Engagement:
    """A new engagement with `source`'s organization, owner and contacts, opened at `stage`.

    Both timelines say so, each naming the other (`data[link]` on the new one).
    """
    now = clock.now()
    engagement = Engagement.objects.create(
        organization_id=source.organization_id,
        stage=stage.value,
        stage_changed_at=now,
        created_at=now,
        source=source.source,
        owner_id=source.owner_id,
    )
    contact_ids = list(source.contact_links.order_by("id").values_list("contact_id", flat=True))
    EngagementContact.objects.bulk_create(
        [EngagementContact(engagement=engagement, contact_id=contact_id) for contact_id in contact_ids]
    )
    emails = list(source.contacts.order_by("engagement_links__id").values_list("email", flat=True))
    timeline_record(
        engagement=engagement,
        kind=TimelineEntry.Kind.CREATED,
        actor=actor,
        summary=f"Created at {stage.label} for {source.organization.name}: {why} ({source.reference})",
        data={"contacts": emails, "source": source.source, link: source.pk, "stage": stage.value},
    )
    timeline_record(
        engagement=source,
        kind=TimelineEntry.Kind.NOTE,
        actor=actor,
        summary=f"{engagement.reference} opened at {stage.label}: {why}",
        data={"linked": engagement.pk, "link": link},
    )
    return engagement


def _tickler_label(tickler: Tickler) -> str:
    return f"{item_label(tickler.kind, tickler.payload)} (due {tickler.due_on.isoformat()})"


def tickler_send_missed(*, tickler: Tickler, actor: Actor) -> Tickler:
    """Send a missed item now, as the worker would have (an invoice is issued today, a reminder
    counts its days from today). Raises ServiceError when it is not missed or cannot be sent."""
    from partnerdesk.partnership.ticklers import tickler_fire

    if tickler.status != Tickler.Status.MISSED:
        raise ServiceError(
            f"{_tickler_label(tickler)} is not missed: it is {tickler.get_status_display().lower()}"
        )
    try:
        fired = tickler_fire(
            tickler_id=tickler.pk, from_status=Tickler.Status.MISSED, resolved_by=actor.label
        )
    except ServiceError:
        raise
    except Exception as exc:
        raise ServiceError(f"{_tickler_label(tickler)} could not be sent: {exc}") from exc
    if fired is None:
        tickler.refresh_from_db()
        raise ServiceError(
            f"{_tickler_label(tickler)} was handled meanwhile: {tickler.get_status_display().lower()}"
        )
    timeline_record(
        engagement=fired.engagement,
        kind=TimelineEntry.Kind.NOTE,
        actor=actor,
        summary=f"Missed item sent: {_tickler_label(fired)}: {fired.outcome}",
        data={"tickler": fired.pk, "status": fired.status},
    )
    return fired


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
    from partnerdesk.partnership.ticklers import tickler_fire

    if tickler.kind != Tickler.Kind.INVOICE:
        raise ServiceError(f"{_tickler_label(tickler)} is not an invoice")
    if tickler.status == Tickler.Status.MISSED:
        return tickler_send_missed(tickler=tickler, actor=actor)
    if tickler.status != Tickler.Status.PENDING:
        raise ServiceError(
            f"{_tickler_label(tickler)} is not planned any more: it is {tickler.get_status_display().lower()}"
        )
    try:
        fired = tickler_fire(tickler_id=tickler.pk, resolved_by=actor.label)
    except ServiceError:
        raise
    except Exception as exc:
        raise ServiceError(f"{_tickler_label(tickler)} could not be issued: {exc}") from exc
    if fired is None:
        tickler.refresh_from_db()
        raise ServiceError(
            f"{_tickler_label(tickler)} was handled meanwhile: {tickler.get_status_display().lower()}"
        )
    timeline_record(
        engagement=fired.engagement,
        kind=TimelineEntry.Kind.NOTE,
        actor=actor,
        summary=f"Invoice issued before its day: {_tickler_label(fired)}: {fired.outcome}",
        data={"tickler": fired.pk, "status": fired.status},
    )
    return fired
