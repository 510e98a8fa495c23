"""Ticklers: planned from each executed agreement, fired by the worker when due.

Firing claims the row with a conditional update (`status = pending`) inside the transaction
that does the tickler's work (queue the email, open the renewal, issue the invoice), so every
effect is written once or not at all: two workers never fire one tickler, and a failure leaves it
for a later pass.

Nothing is sent that is not due now. When several items of one kind of an engagement are due at
once (an agreement recorded after some of its dates, or a worker back from downtime), only the
most recent goes out; the older ones are *missed*: listed for a person to send, skip or mark
done, and told to the owner in one email (`ticklers_settle`).
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse

from partnerdesk.agreements.billing import agreement_dates
from partnerdesk.agreements.models import Agreement
from partnerdesk.agreements.partnership_rules import (
    KIND_LABELS,
    PartnershipRules,
    get_rules,
    item_label,
    planned_items,
    split_backlog,
)
from partnerdesk.lib import clock
from partnerdesk.mail.outbox import message_queue
from partnerdesk.partnership.models import WORKER, AgreementPlan, Tickler
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.selectors import owner_address
from partnerdesk.pipeline.stages import Stage

log = logging.getLogger("partnerdesk.partnership")

Status = Tickler.Status
# Kinds planned from the agreement (re-planning replaces the unfired ones); overdue reminders
# are planned by the invoice that needs them.
PLANNED_KINDS = (Tickler.Kind.RENEWAL, Tickler.Kind.CHECK_IN, Tickler.Kind.INVOICE)
# Not handled yet: waiting for its day, or missed and waiting for a person.
OPEN = (Status.PENDING, Status.MISSED)
RETRY_AFTER = (dt.timedelta(minutes=5), dt.timedelta(hours=1), dt.timedelta(hours=6))
BATCH = 200


def agreement_schedule(agreement: Agreement, rules: PartnershipRules | None = None) -> str:
    """How the agreement is invoiced: its own schedule, else the profile's."""
    return agreement.invoice_schedule or (rules or get_rules()).invoice_schedule


def agreement_planned_items(agreement: Agreement) -> list:
    """Every item the agreement's dates and terms call for (saved or not), soonest first."""
    rules = get_rules()
    return planned_items(agreement_dates(agreement), rules, agreement_schedule(agreement, rules))


def tickler_plan_agreement(*, agreement: Agreement, report: FireReport | None = None) -> int:
    """Bring one executed agreement's ticklers up to date; returns how many were added.

    Items whose date has passed are then settled: the most recent of each kind stays to be sent,
    the older ones are missed (counted in `report.missed`).
    """
    rules = get_rules()
    plan, _ = AgreementPlan.objects.get_or_create(agreement=agreement)
    schedule = agreement_schedule(agreement, rules)
    dates = agreement_dates(agreement)
    fingerprint = dates.fingerprint(rules, schedule)
    if plan.fingerprint == fingerprint:
        return 0
    items = planned_items(dates, rules, schedule)
    now = clock.now()
    with transaction.atomic():
        keys = {item.key for item in items}
        # Reminders no longer in the plan go, unless they were handled already.
        Tickler.objects.filter(agreement=agreement, kind__in=PLANNED_KINDS, status__in=OPEN).exclude(
            key__in=keys
        ).delete()
        existing = {t.key: t for t in Tickler.objects.filter(key__in=keys)}
        # Open reminders whose date or details changed (a new term end, say) move with them, and
        # a missed one is planned again: its new date decides.
        moved = []
        for item in items:
            tickler = existing.get(item.key)
            if (
                tickler
                and tickler.status in OPEN
                and (tickler.due_on, tickler.payload) != (item.due_on, item.payload)
            ):
                tickler.due_on, tickler.payload, tickler.status = item.due_on, item.payload, Status.PENDING
                moved.append(tickler)
        Tickler.objects.bulk_update(moved, ["due_on", "payload", "status"])
        new = [
            Tickler(
                key=item.key,
                kind=item.kind,
                engagement_id=agreement.engagement_id,
                agreement=agreement,
                due_on=item.due_on,
                payload=item.payload,
                created_at=now,
            )
            for item in items
            if item.key not in existing
        ]
        Tickler.objects.bulk_create(new, ignore_conflicts=True)
        AgreementPlan.objects.filter(pk=plan.pk).update(fingerprint=fingerprint, planned_at=now)
    missed = ticklers_settle(engagement_ids=[agreement.engagement_id])
    if report is not None:
        report.missed += missed
    return len(new)


def ticklers_plan(*, report: FireReport | None = None) -> int:
    """Plan every executed agreement whose dates, deliverables, terms or rules changed since last time.

    A closed engagement's agreements are not planned again: an ended partnership stays stopped.
    """
    added = 0
    agreements = Agreement.objects.filter(status=Agreement.Status.EXECUTED).exclude(
        engagement__stage=Stage.CLOSED.value
    )
    for agreement in agreements.order_by("id"):
        added += tickler_plan_agreement(agreement=agreement, report=report)
    return added


def ticklers_settle(*, engagement_ids: list[int] | None = None) -> int:
    """Mark as missed every due item that is not the most recent of its kind in its engagement,
    and tell each engagement's owner in one email; returns how many were marked.

    Safe in several processes at once: each engagement is settled under its row's lock.
    """
    today = clock.today()
    due = Tickler.objects.filter(status=Status.PENDING, due_on__lte=today).exclude(
        engagement__stage=Stage.CLOSED.value
    )
    if engagement_ids is not None:
        due = due.filter(engagement_id__in=engagement_ids)
    # Cheap first look: engagements with more than one due item of a kind.
    crowded = (
        due.values("engagement_id", "kind")
        .annotate(count=Count("id"))
        .filter(count__gt=1)
        .values_list("engagement_id", flat=True)
    )
    marked = 0
    for engagement_id in sorted(set(crowded)):
        marked += _settle_engagement(engagement_id, today)
    return marked


def _settle_engagement(engagement_id: int, today: dt.date) -> int:
    with transaction.atomic():
        engagement = Engagement.objects.select_for_update().get(pk=engagement_id)
        due = list(
            Tickler.objects.filter(engagement_id=engagement_id, status=Status.PENDING, due_on__lte=today)
        )
        backlog = split_backlog(due, today)
        if not backlog.missed:
            return 0
        ids = [tickler.pk for tickler in backlog.missed]
        Tickler.objects.filter(pk__in=ids, status=Status.PENDING).update(status=Status.MISSED)
        url = settings.PARTNERDESK_BASE_URL + reverse("engagement", args=[engagement.reference])
        lines = [
            f"{engagement.organization.name} has partner-phase items whose date passed before they"
            " could be sent (the agreement was recorded after their dates, or partnerdesk was not"
            " running). So that nobody gets a burst of old messages, these were not sent:",
            "",
            *(f"- {t.due_on.isoformat()}: {item_label(t.kind, t.payload)}" for t in backlog.missed),
            "",
            "Only the most recent of each kind goes out now:",
            "",
            *(f"- {t.due_on.isoformat()}: {item_label(t.kind, t.payload)}" for t in backlog.current),
            "",
            f"On the engagement's page you can send, skip or mark done each missed item: {url}",
        ]
        message_queue(
            to=[owner_address(engagement)],
            subject=f"{len(ids)} missed partner-phase item(s) for {engagement.organization.name}",
            body="\n".join(lines) + "\n",
            engagement=engagement,
            idempotency_key=f"tickler-missed:{engagement_id}:{min(ids)}:{max(ids)}:{len(ids)}",
            actor=WORKER,
        )
    return len(ids)


Handler = Callable[[Tickler], str]


def _handlers() -> dict[str, Handler]:
    # Read when the worker fires, not at import: the renewal handler's module plans the next
    # term's ticklers with this module's tickler_plan_agreement.
    from partnerdesk.partnership import checkins, invoicing, renewals

    return {
        Tickler.Kind.RENEWAL: renewals.fire_renewal_reminder,
        Tickler.Kind.CHECK_IN: checkins.fire_check_in,
        Tickler.Kind.INVOICE: invoicing.fire_invoice,
        Tickler.Kind.INVOICE_OVERDUE: invoicing.fire_overdue_reminder,
    }


def _due() -> Q:
    now = clock.now()
    return Q(status=Status.PENDING, due_on__lte=clock.today()) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def tickler_fire(
    *,
    tickler_id: int,
    handlers: dict[str, Handler] | None = None,
    from_status: str = Status.PENDING,
    resolved_by: str = "",
) -> Tickler | None:
    """Fire one tickler in `from_status` if nobody has; returns it when this call fired it.

    A failure rolls its effects back, is recorded on the row and raised.
    """
    handlers = handlers or _handlers()
    try:
        with transaction.atomic():
            claimed = Tickler.objects.filter(pk=tickler_id, status=from_status).update(
                status=Status.FIRED, fired_at=clock.now(), resolved_by=resolved_by
            )
            if claimed != 1:
                return None
            tickler = Tickler.objects.select_related("engagement__organization", "agreement").get(
                pk=tickler_id
            )
            outcome = handlers[tickler.kind](tickler)
            status = Status.SKIPPED if outcome.startswith("skipped") else Status.FIRED
            Tickler.objects.filter(pk=tickler_id).update(
                status=status, outcome=outcome, last_error="", next_attempt_at=None
            )
            tickler.status, tickler.outcome = status, outcome
            return tickler
    except Exception as exc:
        attempts = Tickler.objects.filter(pk=tickler_id).values_list("attempts", flat=True).first() or 0
        wait = RETRY_AFTER[min(attempts, len(RETRY_AFTER) - 1)]
        Tickler.objects.filter(pk=tickler_id, status=from_status).update(
            attempts=attempts + 1,
            # The Partner section shows it: the words, not the class (the caller logs the traceback).
            last_error=f"unexpected error: {exc}" if str(exc) else "unexpected error (see the log)",
            next_attempt_at=clock.now() + wait,
        )
        raise


@dataclass
class FireReport:
    fired: int = 0
    failed: int = 0
    # Items marked missed in this pass.
    missed: int = 0
    # What went out, by kind ("invoice": 1); skipped items are counted in `skipped`.
    sent: collections.Counter[str] = field(default_factory=collections.Counter)
    skipped: int = 0

    def __str__(self) -> str:
        sent = ", ".join(
            f"{count} {KIND_LABELS.get(kind, kind).lower()}" for kind, count in sorted(self.sent.items())
        )
        parts = [f"sent {sent}" if sent else "sent nothing"]
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        if self.missed:
            parts.append(f"{self.missed} missed (listed for a person)")
        if self.failed:
            parts.append(f"{self.failed} failed")
        return "; ".join(parts)


def ticklers_fire_due(*, stop: threading.Event | None = None, report: FireReport | None = None) -> FireReport:
    """Settle the backlog, then fire everything due, oldest first; safe in several processes at once."""
    report = report or FireReport()
    report.missed += ticklers_settle()
    handlers = _handlers()
    while True:
        ids = list(
            Tickler.objects.filter(_due()).order_by("due_on", "id").values_list("id", flat=True)[:BATCH]
        )
        if not ids:
            return report
        for tickler_id in ids:
            if stop is not None and stop.is_set():
                return report
            try:
                fired = tickler_fire(tickler_id=tickler_id, handlers=handlers)
            except Exception:
                report.failed += 1
                log.exception("tickler %s failed; it is tried again later", tickler_id)
                continue
            if fired is None:
                continue
            report.fired += 1
            if fired.status == Status.SKIPPED:
                report.skipped += 1
            else:
                report.sent[fired.kind] += 1


def partnership_work(stop: threading.Event | None) -> int:
    """The worker's job: plan what changed and fire what is due. The mail that firing queued
    leaves at the end of the same pass (`run_due_work`), so `worker --once` does all of it."""
    report = FireReport()
    ticklers_plan(report=report)
    ticklers_fire_due(stop=stop, report=report)
    if report.fired or report.missed or report.failed:
        log.info("ticklers: %s", report)
    return report.fired + report.missed


def ticklers_upcoming(
    *, within: dt.timedelta | None = None, include_fired: bool = False, missed_only: bool = False
) -> list[Tickler]:
    """Open items (planned and missed), soonest first; with `include_fired`, handled ones too."""
    tickers = Tickler.objects.select_related("engagement__organization", "agreement")
    if missed_only:
        tickers = tickers.filter(status=Status.MISSED)
    elif not include_fired:
        tickers = tickers.filter(status__in=OPEN)
    if within is not None:
        tickers = tickers.filter(due_on__lte=clock.today() + within)
    return list(tickers.order_by("due_on", "id"))
