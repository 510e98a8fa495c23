"""Ticklers: planned from each executed agreement, fired by the worker when due.

Firing claims the row with a conditional update (`fired_at IS NULL`) inside the transaction
that does the tickler's work (queue the email, open the renewal, issue the invoice), so every
effect is written once or not at all: two workers never fire one tickler, a failure leaves it
for a later pass, and a worker that was down catches up by firing each missed tickler once.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from partnerdesk.agreements.models import Agreement
from partnerdesk.lib import clock
from partnerdesk.partnership.models import AgreementPlan, Tickler
from partnerdesk.partnership.rules import AgreementDates, get_rules, planned_items

log = logging.getLogger("partnerdesk.partnership")

# Kinds planned from the agreement (re-planning replaces the unfired ones); overdue reminders
# are planned by the invoice that needs them.
PLANNED_KINDS = (Tickler.Kind.RENEWAL, Tickler.Kind.CHECK_IN, Tickler.Kind.INVOICE)
RETRY_AFTER = (dt.timedelta(minutes=5), dt.timedelta(hours=1), dt.timedelta(hours=6))
BATCH = 200


def _dates(agreement: Agreement) -> AgreementDates:
    deliverables = tuple(
        (title, due)
        for title, due in agreement.addenda.filter(kind="deliverable", due_on__isnull=False)
        .order_by("due_on", "id")
        .values_list("title", "due_on")
    )
    return AgreementDates(
        id=agreement.pk,
        term_start=agreement.term_start,
        term_end=agreement.term_end,
        executed_on=agreement.executed_on,
        value=agreement.value,
        currency=agreement.currency,
        deliverables=deliverables,
    )


def tickler_plan_agreement(*, agreement: Agreement) -> int:
    """Bring one executed agreement's ticklers up to date; returns how many were added."""
    rules = get_rules()
    plan, _ = AgreementPlan.objects.get_or_create(agreement=agreement)
    schedule = plan.invoice_schedule or rules.invoice_schedule
    dates = _dates(agreement)
    fingerprint = dates.fingerprint(rules, schedule)
    if plan.fingerprint == fingerprint:
        return 0
    items = planned_items(dates, rules, schedule)
    now = clock.now()
    with transaction.atomic():
        keys = {item.key for item in items}
        # Reminders no longer in the plan go, unless they already fired.
        Tickler.objects.filter(agreement=agreement, kind__in=PLANNED_KINDS, fired_at__isnull=True).exclude(
            key__in=keys
        ).delete()
        existing = {t.key: t for t in Tickler.objects.filter(key__in=keys)}
        # Unfired reminders whose date or details changed (a new term end, say) move with them.
        moved = []
        for item in items:
            tickler = existing.get(item.key)
            if (
                tickler
                and tickler.fired_at is None
                and (tickler.due_on, tickler.payload) != (item.due_on, item.payload)
            ):
                tickler.due_on, tickler.payload = item.due_on, item.payload
                moved.append(tickler)
        Tickler.objects.bulk_update(moved, ["due_on", "payload"])
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
    return len(new)


def ticklers_plan() -> int:
    """Plan every executed agreement whose dates, deliverables or rules changed since last time."""
    added = 0
    for agreement in Agreement.objects.filter(status=Agreement.Status.EXECUTED).order_by("id"):
        added += tickler_plan_agreement(agreement=agreement)
    return added


Handler = Callable[[Tickler], str]


def _handlers() -> dict[str, Handler]:
    from partnerdesk.partnership import checkins, invoicing, renewals

    return {
        Tickler.Kind.RENEWAL: renewals.fire_renewal_reminder,
        Tickler.Kind.CHECK_IN: checkins.fire_check_in,
        Tickler.Kind.INVOICE: invoicing.fire_invoice,
        Tickler.Kind.INVOICE_OVERDUE: invoicing.fire_overdue_reminder,
    }


def _due() -> Q:
    now = clock.now()
    return Q(fired_at__isnull=True, due_on__lte=clock.today()) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def tickler_fire(*, tickler_id: int, handlers: dict[str, Handler] | None = None) -> bool:
    """Fire one tickler if nobody has; True when this call fired it. A failure is recorded and raised."""
    handlers = handlers or _handlers()
    try:
        with transaction.atomic():
            if Tickler.objects.filter(pk=tickler_id, fired_at__isnull=True).update(fired_at=clock.now()) != 1:
                return False
            tickler = Tickler.objects.select_related("engagement__organization", "agreement").get(
                pk=tickler_id
            )
            outcome = handlers[tickler.kind](tickler)
            Tickler.objects.filter(pk=tickler_id).update(outcome=outcome, last_error="", next_attempt_at=None)
            return True
    except Exception as exc:
        attempts = Tickler.objects.filter(pk=tickler_id).values_list("attempts", flat=True).first() or 0
        wait = RETRY_AFTER[min(attempts, len(RETRY_AFTER) - 1)]
        Tickler.objects.filter(pk=tickler_id, fired_at__isnull=True).update(
            attempts=attempts + 1,
            last_error=f"{type(exc).__name__}: {exc}",
            next_attempt_at=clock.now() + wait,
        )
        raise


@dataclass
class FireReport:
    fired: int = 0
    failed: int = 0


def ticklers_fire_due(*, stop: threading.Event | None = None) -> FireReport:
    """Fire everything due, oldest first; safe to run in several processes at once."""
    report = FireReport()
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
                report.fired += tickler_fire(tickler_id=tickler_id, handlers=handlers)
            except Exception:
                report.failed += 1
                log.exception("tickler %s failed; it is tried again later", tickler_id)


def partnership_work(stop: threading.Event | None) -> int:
    """The worker's job: plan what changed, then fire what is due."""
    ticklers_plan()
    report = ticklers_fire_due(stop=stop)
    if report.fired or report.failed:
        log.info("ticklers: %s fired, %s failed", report.fired, report.failed)
    return report.fired


def ticklers_upcoming(*, within: dt.timedelta | None = None, include_fired: bool = False) -> list[Tickler]:
    tickers = Tickler.objects.select_related("engagement__organization", "agreement")
    if not include_fired:
        tickers = tickers.filter(fired_at__isnull=True)
    if within is not None:
        tickers = tickers.filter(due_on__lte=clock.today() + within)
    return list(tickers.order_by("due_on", "id"))
