"""The renewal tickler: reminders before the term ends, the renewal engagement, the outcome.

The outcome closes the loop: renewed (or changed, with new terms) makes the next term's
executed agreement on the renewal engagement, which moves to Partner with its own executed
close and gets its invoices, check-ins and renewal reminders planned; ended stops every item
still planned for the partnership and says so on the timeline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from partnerdesk.agreements.models import Agreement
from partnerdesk.agreements.partnership_rules import KIND_LABELS, add_months, days_between
from partnerdesk.agreements.services import agreement_next_term
from partnerdesk.lib import clock
from partnerdesk.mail.outbox import message_queue
from partnerdesk.partnership.models import WORKER, Renewal, Tickler
from partnerdesk.pipeline import services as pipeline
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from partnerdesk.pipeline.selectors import owner_address
from partnerdesk.pipeline.services import Actor, ServiceError, engagement_create_linked
from partnerdesk.pipeline.stages import Stage


def engagement_url(engagement: Engagement) -> str:
    return settings.PARTNERDESK_BASE_URL + reverse("engagement", args=[engagement.reference])


def renewal_open(*, agreement: Agreement, actor: Actor = WORKER) -> Renewal:
    """The agreement's renewal engagement (Prospect, contacts copied), opened once."""
    existing = Renewal.objects.filter(agreement=agreement).select_related("renewal_engagement").first()
    if existing is not None:
        return existing
    renewal_engagement = engagement_create_linked(
        source=agreement.engagement,
        stage=Stage.PROSPECT,
        actor=actor,
        why=f"renewal of {agreement.title}, which ends {agreement.term_end}",
    )
    return Renewal.objects.create(
        engagement=agreement.engagement,
        agreement=agreement,
        renewal_engagement=renewal_engagement,
        opened_at=clock.now(),
    )


def fire_renewal_reminder(tickler: Tickler) -> str:
    engagement, agreement = tickler.engagement, tickler.agreement
    assert agreement is not None and agreement.term_end is not None
    decided = Renewal.objects.filter(agreement=agreement).exclude(outcome="").first()
    if decided is not None:
        return f"skipped: the renewal was decided ({decided.get_outcome_display().lower()})"
    if engagement.stage != Stage.PARTNER.value:
        return f"skipped: {engagement.reference} is no longer a Partner"
    renewal = renewal_open(agreement=agreement)
    to = owner_address(engagement)
    partner = engagement.organization.name
    # The days left are counted from the day it goes out, whatever day it was planned for.
    today, term_end = clock.today(), agreement.term_end
    left = days_between(today, term_end)
    ends = "ends" if term_end >= today else "ended"
    successor = renewal.renewal_engagement
    message_queue(
        to=[to],
        subject=f"Renewal: {partner}'s agreement {ends} {term_end.isoformat()} ({left})",
        body=(
            f'{partner}\'s agreement "{agreement.title}" {ends} on {term_end.isoformat()}:'
            f" as of {today.isoformat()}, that is {left}.\n\n"
            f"The renewal is tracked as {successor.reference} (at {Stage(successor.stage).label})."
            " When it is decided, record the outcome in partnerdesk (renewed, renewed with"
            f" changes, or ended): {engagement_url(successor)}\n"
        ),
        engagement=engagement,
        idempotency_key=f"tickler:{tickler.key}",
        actor=WORKER,
    )
    return f"reminder sent to {to}; renewal {successor.reference}"


def next_term(agreement: Agreement) -> tuple[dt.date, dt.date]:
    """The term after `agreement`'s: from the day after it ends, as long (in whole months when the
    term is whole months, else in days)."""
    start, end = agreement.term_start, agreement.term_end
    if end is None:
        raise ServiceError(f"{agreement.title} has no term end: give the next term's dates")
    first = end + dt.timedelta(days=1)
    if start is None:
        return first, add_months(first, 12) - dt.timedelta(days=1)
    for months in range(1, 121):
        if add_months(start, months) == first:
            return first, add_months(first, months) - dt.timedelta(days=1)
    return first, first + (end - start)


@dataclass
class RenewalOutcome:
    renewal: Renewal
    # The next term's agreement (renewed, changed).
    next_agreement: Agreement | None = None
    # What `ended` stopped, by kind.
    stopped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _renewal_for(engagement: Engagement, actor: Actor) -> Renewal:
    renewal = (
        Renewal.objects.filter(engagement=engagement).order_by("-id").first()
        or Renewal.objects.filter(renewal_engagement=engagement).first()
    )
    if renewal is not None:
        return renewal
    # Decided before the first reminder opened it: open it now, for the latest executed agreement.
    executed = Agreement.objects.filter(engagement=engagement, status=Agreement.Status.EXECUTED)
    agreement = executed.order_by("-id").first()
    if agreement is None:
        raise ServiceError(f"{engagement.reference} has no executed agreement to renew")
    return renewal_open(agreement=agreement, actor=actor)


def _stop_planned(engagement: Engagement, why: str) -> dict[str, int]:
    """Stop every item still planned or missed for the engagement (overdue reminders of invoices
    already issued go on: that money is still owed); returns the counts by kind."""
    stopped: dict[str, int] = {}
    open_items = Tickler.objects.filter(
        engagement=engagement,
        status__in=(Tickler.Status.PENDING, Tickler.Status.MISSED),
        kind__in=(Tickler.Kind.RENEWAL, Tickler.Kind.CHECK_IN, Tickler.Kind.INVOICE),
    )
    for kind in open_items.values_list("kind", flat=True):
        stopped[kind] = stopped.get(kind, 0) + 1
    open_items.update(status=Tickler.Status.CANCELLED, fired_at=clock.now(), outcome=f"stopped: {why}")
    return stopped


def renewal_record(
    *,
    engagement: Engagement,
    outcome: str,
    actor: Actor,
    reason: str = "",
    value: Decimal | None = None,
    currency: str | None = None,
    term_start: dt.date | None = None,
    term_end: dt.date | None = None,
    **billing: Any,
) -> RenewalOutcome:
    """Record a partnership's renewal outcome: "renewed", "changed" or "ended".

    `engagement` may be the partnership or its renewal engagement (opened now if no reminder
    has). Renewed and changed make the next term's agreement on the renewal engagement (by
    default the same length, value and terms, from the day after the term ends; `value`,
    `currency`, `term_start`, `term_end` and `agreement_set_terms`'s billing keywords change
    them), record its executed close, move it to Partner and plan its items. Ended needs a
    `reason`, stops every planned item and closes both engagements. Raises ServiceError.
    """
    if outcome not in Renewal.Outcome.values:
        raise ServiceError(f"{outcome!r} is not an outcome (renewed, changed, ended)")
    reason = reason.strip()
    if outcome == Renewal.Outcome.ENDED and not reason:
        raise ServiceError("an ended partnership needs a reason")
    changes = {"value": value, "currency": currency, "term_start": term_start, "term_end": term_end}
    changes = {key: given for key, given in {**changes, **billing}.items() if given is not None}
    if outcome == Renewal.Outcome.ENDED and changes:
        raise ServiceError("an ended partnership has no next term: give no new terms")
    with transaction.atomic():  # all of it or nothing: a refused move leaves no half-made term
        renewal = _renewal_for(engagement, actor)
        result = RenewalOutcome(renewal)
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
            _end(result, actor, reason)
        else:
            # The term's remaining renewal reminders have nothing left to remind of.
            Tickler.objects.filter(
                agreement=renewal.agreement,
                kind=Tickler.Kind.RENEWAL,
                status__in=(Tickler.Status.PENDING, Tickler.Status.MISSED),
            ).update(
                status=Tickler.Status.CANCELLED,
                fired_at=clock.now(),
                outcome=f"stopped: the renewal was decided ({label.lower()})",
            )
            _continue(result, actor, changes)
    if result.next_agreement is not None:
        # ticklers.py fires this module's reminders, so it is imported when needed, not at the top.
        from partnerdesk.partnership.ticklers import tickler_plan_agreement

        tickler_plan_agreement(agreement=result.next_agreement)
    renewal.refresh_from_db()
    return result


def _continue(result: RenewalOutcome, actor: Actor, changes: dict[str, Any]) -> None:
    renewal = result.renewal
    successor = renewal.renewal_engagement
    term_start, term_end = changes.pop("term_start", None), changes.pop("term_end", None)
    if term_start is None or term_end is None:
        usual_start, usual_end = next_term(renewal.agreement)
        # A new start alone keeps the usual length; a new end alone keeps the usual start.
        term_end = term_end or (term_start or usual_start) + (usual_end - usual_start)
        term_start = term_start or usual_start
    agreement = agreement_next_term(
        agreement=renewal.agreement,
        engagement=successor,
        actor=actor,
        term_start=term_start,
        term_end=term_end,
        **changes,
    )
    Renewal.objects.filter(pk=renewal.pk).update(next_agreement=agreement)
    pipeline.engagement_record_executed_close(
        engagement=successor, agreement=agreement.title, actor=actor, on=agreement.executed_on
    )
    successor.refresh_from_db()
    if successor.stage != Stage.PARTNER.value:
        pipeline.engagement_move(engagement=successor, to=Stage.PARTNER, actor=actor)
    pipeline.timeline_record(
        engagement=renewal.engagement,
        kind=TimelineEntry.Kind.NOTE,
        actor=actor,
        summary=f"The partnership continues as {successor.reference} from {term_start.isoformat()}"
        f" to {term_end.isoformat()}",
        data={"renewal": renewal.pk, "next_agreement": agreement.pk, "engagement": successor.pk},
    )
    result.next_agreement = agreement


def _end(result: RenewalOutcome, actor: Actor, reason: str) -> None:
    renewal = result.renewal
    current, successor = renewal.engagement, renewal.renewal_engagement
    stopped: dict[str, int] = {}
    for each in (current, successor):
        for kind, count in _stop_planned(each, "the partnership ended").items():
            stopped[kind] = stopped.get(kind, 0) + count
    result.stopped = stopped
    owed = list(
        Tickler.objects.filter(
            engagement=current,
            kind=Tickler.Kind.INVOICE_OVERDUE,
            status__in=(Tickler.Status.PENDING, Tickler.Status.MISSED),
        )
        .values_list("payload__number", flat=True)
        .distinct()
    )
    what = ", ".join(f"{count} {KIND_LABELS[kind].lower()}(s)" for kind, count in sorted(stopped.items()))
    summary = f"Partnership ended: {what or 'nothing'} still planned stopped"
    if owed:
        summary += f"; reminders of unpaid invoice(s) {', '.join(sorted(set(owed)))} go on"
    pipeline.timeline_record(
        engagement=current,
        kind=TimelineEntry.Kind.NOTE,
        actor=actor,
        summary=summary,
        data={"renewal": renewal.pk, "stopped": stopped, "unpaid": sorted(set(owed))},
    )
    result.notes.append(summary)
    for each in (successor, current):
        each.refresh_from_db()
        if each.stage != Stage.CLOSED.value:
            pipeline.engagement_move(
                engagement=each, to=Stage.CLOSED, actor=actor, reason=f"Partnership ended: {reason}"
            )


def renewal_record_outcome(
    *, engagement: Engagement, outcome: str, actor: Actor, reason: str = ""
) -> Renewal:
    """`renewal_record` under its former name, returning the renewal only (kept for its callers)."""
    return renewal_record(engagement=engagement, outcome=outcome, actor=actor, reason=reason).renewal
