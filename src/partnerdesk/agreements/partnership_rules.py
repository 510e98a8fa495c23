"""The partner phase's rules (profile section `[partnership]`) and the dates computed from them.

The date arithmetic here is pure (no Django, no database): `planned_items` turns an agreement's
dates and the rules into the list of reminders it should have. It lives in `agreements`, below
`partnership`, because an agreement's billing terms are checked against the same invoice schedule.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

SCHEDULES = ("annual", "quarterly", "milestones")


@dataclass(frozen=True)
class PartnershipRules:
    # Days before the term ends when the owner is reminded; the first opens the renewal engagement.
    renewal_reminder_days: tuple[int, ...] = (120, 90, 60, 30)
    # Satisfaction check-ins every N months from the term's start (0: none).
    check_in_every_months: int = 3
    # How long a check-in link works.
    check_in_link_days: int = 30
    # A rating at or below this creates a task for the owner.
    check_in_low_score: int = 2
    invoice_schedule: str = "annual"
    payment_terms_days: int = 30
    # Days after an invoice's due date when an unpaid invoice is reminded.
    overdue_reminder_days: tuple[int, ...] = (1, 15, 30)
    # The forecast's weight per stage.
    stage_probabilities: dict[str, float] = field(
        default_factory=lambda: {"lead": 0.1, "qualified-lead": 0.25, "prospect": 0.6, "partner": 1.0}
    )

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


def get_rules() -> PartnershipRules:
    """The profile's `[partnership]` rules, frozen (their digest tells when plans must change)."""
    from partnerdesk.profile import get_profile  # the rest of this module is pure date arithmetic

    section = get_profile().partnership
    values: dict[str, Any] = {}
    for name in PartnershipRules.__dataclass_fields__:
        value = getattr(section, name)
        values[name] = tuple(value) if isinstance(value, list) else value
    return PartnershipRules(**values)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day (Jan 31 + 1 month = Feb 28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class PlannedItem:
    key: str
    kind: str
    due_on: dt.date
    payload: dict[str, Any]


@dataclass(frozen=True)
class AgreementDates:
    id: int
    term_start: dt.date | None
    term_end: dt.date | None
    executed_on: dt.date | None
    value: Decimal | None
    currency: str
    # (title, due date) of each deliverable.
    deliverables: tuple[tuple[str, dt.date], ...] = ()
    # The agreement's own amount per invoice ("4000.00"), in order; empty: the value split evenly.
    amounts: tuple[str, ...] = ()

    def fingerprint(self, rules: PartnershipRules, schedule: str) -> str:
        text = json.dumps([asdict(self), rules.fingerprint(), schedule], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def split_amount(total: Decimal, parts: int) -> list[Decimal]:
    """`total` in `parts` instalments of whole cents; the last takes the remainder, so they add up."""
    if parts < 1:
        return []
    share = (total / parts).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return [share] * (parts - 1) + [total - share * (parts - 1)]


def invoice_amounts(dates: AgreementDates, count: int) -> list[Decimal]:
    """The agreement's own amounts when there is one per invoice, else its value split evenly."""
    if dates.amounts and len(dates.amounts) == count:
        return [Decimal(amount) for amount in dates.amounts]
    assert dates.value is not None
    return split_amount(dates.value, count)


def invoice_dates(dates: AgreementDates, schedule: str) -> list[tuple[dt.date, str]]:
    """(issue date, line description) of each invoice of the schedule."""
    start, end = dates.term_start, dates.term_end
    if schedule == "milestones":
        return [(due, f"Milestone: {title}") for title, due in sorted(dates.deliverables, key=lambda d: d[1])]
    if start is None or end is None:
        return []
    step = 12 if schedule == "annual" else 3
    issued, number = [], 0
    while add_months(start, step * number) <= end:
        period_start = add_months(start, step * number)
        period_end = min(add_months(start, step * (number + 1)) - dt.timedelta(days=1), end)
        issued.append((period_start, f"Services {period_start.isoformat()} to {period_end.isoformat()}"))
        number += 1
    return issued


def planned_items(dates: AgreementDates, rules: PartnershipRules, schedule: str) -> list[PlannedItem]:
    """Every reminder an executed agreement should have, keyed so planning again adds nothing."""
    prefix = f"agreement:{dates.id}"
    items: list[PlannedItem] = []
    if dates.term_end is not None:
        for days in sorted(set(rules.renewal_reminder_days), reverse=True):
            items.append(
                PlannedItem(
                    f"{prefix}:renewal:{days}",
                    "renewal",
                    dates.term_end - dt.timedelta(days=days),
                    {"days_before": days, "term_end": dates.term_end.isoformat()},
                )
            )
    start = dates.term_start or dates.executed_on
    if start is not None and rules.check_in_every_months > 0:
        last = dates.term_end or add_months(start, 24)
        number = 1
        while (due := add_months(start, rules.check_in_every_months * number)) <= last:
            items.append(PlannedItem(f"{prefix}:check-in:{number}", "check_in", due, {"number": number}))
            number += 1
    if dates.value is not None and dates.currency:
        issues = invoice_dates(dates, schedule)
        amounts = invoice_amounts(dates, len(issues))
        for number, ((due, description), amount) in enumerate(zip(issues, amounts, strict=True), start=1):
            items.append(
                PlannedItem(
                    f"{prefix}:invoice:{schedule}:{number}",
                    "invoice",
                    due,
                    {
                        "number": number,
                        "of": len(issues),
                        "description": description,
                        "amount": str(amount),
                        "currency": dates.currency,
                    },
                )
            )
    return sorted(items, key=lambda item: (item.due_on, item.key))


KIND_LABELS = {
    "renewal": "Renewal reminder",
    "check_in": "Satisfaction check-in",
    "invoice": "Invoice",
    "invoice_overdue": "Overdue invoice reminder",
}


def item_label(kind: str, payload: dict[str, Any]) -> str:
    """What a planned item is, in a few words: "Invoice 2 of 4: 3,000.00 USD (Services ...)"."""
    label = KIND_LABELS.get(kind, kind)
    if kind == "renewal":
        return f"{label}: {payload.get('days_before')} days before the term ends ({payload.get('term_end')})"
    if kind == "check_in":
        return f"{label} {payload.get('number')}"
    if kind == "invoice":
        amount = Decimal(str(payload.get("amount", "0")))
        return (
            f"{label} {payload.get('number')} of {payload.get('of')}:"
            f" {amount:,.2f} {payload.get('currency')} ({payload.get('description')})"
        )
    if kind == "invoice_overdue":
        days = payload.get("days_overdue")
        unit = "day" if days == 1 else "days"
        return f"{label}: invoice {payload.get('number')}, {days} {unit} after its due date"
    return label


def days_between(first: dt.date, last: dt.date) -> str:
    """How far `last` is from `first`: "in 20 days", "today", "3 days ago"."""
    days = (last - first).days
    if days == 0:
        return "today"
    if days > 0:
        return f"in {days} day{'s' if days != 1 else ''}"
    return f"{-days} day{'s' if days != -1 else ''} ago"


@dataclass(frozen=True)
class Backlog:
    """Due items split into the current one of each kind (sent) and the older ones (missed)."""

    current: list[Any]
    missed: list[Any]


def split_backlog(items: list[Any], today: dt.date) -> Backlog:
    """Of the items due by `today` (each with `engagement_id`, `kind`, `due_on` and `key`),
    keep the most recent of each kind per engagement; every older one is missed.

    So a partnership recorded late, or a worker back from downtime, sends at most one message of
    each kind, the one whose turn it is now, never a burst of the past.
    """
    latest: dict[tuple[Any, str], Any] = {}
    for item in items:
        if item.due_on > today:
            continue
        group = (item.engagement_id, item.kind)
        held = latest.get(group)
        if held is None or (item.due_on, item.key) > (held.due_on, held.key):
            latest[group] = item
    current = sorted(latest.values(), key=lambda item: (item.due_on, item.key))
    chosen = {id(item) for item in current}
    missed = [item for item in items if item.due_on <= today and id(item) not in chosen]
    return Backlog(current=current, missed=sorted(missed, key=lambda item: (item.due_on, item.key)))


@dataclass(frozen=True)
class PreviewRow:
    due_on: dt.date
    kind: str
    label: str
    # "now" (sent on the next pass), "missed" (listed for a person), or "planned" (sent on its day).
    when: str


@dataclass(frozen=True)
class _Due:
    engagement_id: Any
    kind: str
    due_on: dt.date
    key: str
    payload: dict[str, Any]


def preview(
    items: list[PlannedItem], *, engagement_id: Any, today: dt.date, days: int = 90
) -> list[PreviewRow]:
    """What recording the agreement today would do: the missed items, what goes out now, and what
    goes out over the next `days` days."""
    wrapped = [_Due(engagement_id, item.kind, item.due_on, item.key, item.payload) for item in items]
    backlog = split_backlog(wrapped, today)
    now = {item.key for item in backlog.current}
    missed = {item.key for item in backlog.missed}
    horizon = today + dt.timedelta(days=days)
    rows = []
    for item in sorted(wrapped, key=lambda item: (item.due_on, item.key)):
        if item.key in missed:
            when = "missed"
        elif item.key in now:
            when = "now"
        elif item.due_on <= horizon:
            when = "planned"
        else:
            continue
        rows.append(PreviewRow(item.due_on, item.kind, item_label(item.kind, item.payload), when))
    return rows
