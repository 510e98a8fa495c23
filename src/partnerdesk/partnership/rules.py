"""The partner phase's rules (profile section `[partnership]`) and the dates computed from them.

The date arithmetic here is pure (no Django, no database): `planned_items` turns an agreement's
dates and the rules into the list of reminders it should have.
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
    from partnerdesk.profile import get_profile

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

    def fingerprint(self, rules: PartnershipRules, schedule: str) -> str:
        text = json.dumps([asdict(self), rules.fingerprint(), schedule], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def split_amount(total: Decimal, parts: int) -> list[Decimal]:
    """`total` in `parts` instalments of whole cents; the last takes the remainder, so they add up."""
    if parts < 1:
        return []
    share = (total / parts).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return [share] * (parts - 1) + [total - share * (parts - 1)]


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
        amounts = split_amount(dates.value, len(issues))
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
