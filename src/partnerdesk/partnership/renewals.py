"""The renewal tickler: reminders before the term ends, the renewal engagement, the outcome."""

from __future__ import annotations

from django.db import transaction

from partnerdesk.lib import clock
from partnerdesk.mail.outbox import message_queue
from partnerdesk.partnership.models import Renewal, Tickler
from partnerdesk.partnership.services import engagement_create_linked, owner_address
from partnerdesk.pipeline import services as pipeline
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from partnerdesk.pipeline.services import Actor, ServiceError
from partnerdesk.pipeline.stages import Stage

WORKER = Actor(label="partnerdesk:ticklers")


def renewal_open(*, tickler: Tickler, actor: Actor = WORKER) -> Renewal:
    """The agreement's renewal engagement (Prospect, contacts copied), opened once."""
    assert tickler.agreement is not None
    existing = (
        Renewal.objects.filter(agreement=tickler.agreement).select_related("renewal_engagement").first()
    )
    if existing is not None:
        return existing
    term_end = tickler.agreement.term_end
    renewal_engagement = engagement_create_linked(
        source=tickler.engagement,
        stage=Stage.PROSPECT,
        actor=actor,
        why=f"renewal of {tickler.agreement.title}, which ends {term_end}",
    )
    return Renewal.objects.create(
        engagement=tickler.engagement,
        agreement=tickler.agreement,
        renewal_engagement=renewal_engagement,
        opened_at=clock.now(),
    )


def fire_renewal_reminder(tickler: Tickler) -> str:
    engagement, agreement = tickler.engagement, tickler.agreement
    assert agreement is not None
    decided = Renewal.objects.filter(agreement=agreement).exclude(outcome="").first()
    if decided is not None:
        return f"skipped: the renewal was decided ({decided.get_outcome_display().lower()})"
    if engagement.stage != Stage.PARTNER.value:
        return f"skipped: {engagement.reference} is no longer a Partner"
    renewal = renewal_open(tickler=tickler)
    days = tickler.payload.get("days_before")
    to = owner_address(engagement)
    partner = engagement.organization.name
    message_queue(
        to=[to],
        subject=f"Renewal: {partner}'s agreement ends {agreement.term_end} (in {days} days)",
        body=(
            f'{partner}\'s agreement "{agreement.title}" ends on {agreement.term_end}, {days} days from'
            f" the reminder date {tickler.due_on}.\n\n"
            f"The renewal is tracked as {renewal.renewal_engagement.reference} (Prospect). When it is"
            f" decided, record the outcome:\n\n"
            f"    partnerdesk renewal record {engagement.reference} renewed|changed|ended [--reason TEXT]\n"
        ),
        engagement=engagement,
        idempotency_key=f"tickler:{tickler.key}",
        actor=WORKER,
    )
    return f"reminder sent to {to}; renewal {renewal.renewal_engagement.reference}"


def renewal_record_outcome(
    *, engagement: Engagement, outcome: str, actor: Actor, reason: str = ""
) -> Renewal:
    """Record renewed, changed or ended. Ended closes both engagements with the reason.

    `engagement` may be the partnership or its renewal engagement.
    """
    if outcome not in Renewal.Outcome.values:
        raise ServiceError(f"{outcome!r} is not an outcome (renewed, changed, ended)")
    reason = reason.strip()
    if outcome == Renewal.Outcome.ENDED and not reason:
        raise ServiceError("an ended partnership needs a reason (--reason TEXT)")
    renewal = (
        Renewal.objects.filter(engagement=engagement).order_by("-id").first()
        or Renewal.objects.filter(renewal_engagement=engagement).first()
    )
    if renewal is None:
        raise ServiceError(f"{engagement.reference} has no renewal open (it opens at the first reminder)")
    with transaction.atomic():
        if (
            Renewal.objects.filter(pk=renewal.pk, outcome="").update(
                outcome=outcome, reason=reason, decided_at=clock.now()
            )
            != 1
        ):
            renewal.refresh_from_db()
            raise ServiceError(f"the renewal was already recorded: {renewal.get_outcome_display().lower()}")
        renewal.refresh_from_db()
        label = renewal.get_outcome_display()
        current, successor = renewal.engagement, renewal.renewal_engagement
        summary = f"Renewal outcome: {label}" + (f": {reason}" if reason else "")
        for each in (current, successor):
            pipeline.timeline_record(
                engagement=each,
                kind=TimelineEntry.Kind.NOTE,
                actor=actor,
                summary=summary,
                data={"renewal": renewal.pk, "outcome": outcome, "reason": reason},
            )
        if outcome == Renewal.Outcome.ENDED:
            for each in (successor, current):
                each.refresh_from_db()
                if each.stage != Stage.CLOSED.value:
                    pipeline.engagement_move(
                        engagement=each, to=Stage.CLOSED, actor=actor, reason=f"Partnership ended: {reason}"
                    )
    return renewal
