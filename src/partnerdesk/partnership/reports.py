"""The partner phase's reports: forecast, renewals calendar, invoices outstanding, satisfaction.

Each report is a function that reads the database with a fixed number of queries (however many
engagements there are) and returns plain rows: dicts of str, int, date, Decimal or None, one key
per column, in column order. Formatting (table, CSV, JSON) is the command's business. Money is
Decimal throughout; sums are kept per currency, never added across currencies.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from partnerdesk.agreements.models import Agreement
from partnerdesk.lib import clock
from partnerdesk.partnership.models import CheckIn, Invoice, Tickler
from partnerdesk.partnership.rules import PartnershipRules, add_months, get_rules

Row = dict[str, Any]

CENT = Decimal("0.01")
# An agreement without a term start is expected to close this long after its engagement's last
# stage change.
CLOSE_AFTER_STAGE_CHANGE = dt.timedelta(days=90)
RENEWAL_WINDOW_MONTHS = 12


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def expected_close(agreement: Agreement) -> dt.date:
    """The agreement's term start if set, else its engagement's stage change + 90 days."""
    if agreement.term_start is not None:
        return agreement.term_start
    changed = timezone.localtime(agreement.engagement.stage_changed_at).date()
    return changed + CLOSE_AFTER_STAGE_CHANGE


def forecast_report(*, rules: PartnershipRules | None = None) -> list[Row]:
    """Contract value by expected close month and currency, weighted by the stage probabilities.

    Each engagement at a stage with a probability counts once, with its current agreement (the one
    in the works, else the latest): withdrawn agreements and agreements without a value or currency
    count for nothing. One query.
    """
    rules = rules or get_rules()
    weights = {stage: Decimal(str(weight)) for stage, weight in rules.stage_probabilities.items()}
    current: dict[int, Agreement] = {}
    agreements = (
        Agreement.objects.filter(engagement__stage__in=list(weights))
        .select_related("engagement")
        .order_by("engagement_id", "id")
    )
    for agreement in agreements:
        chosen = current.get(agreement.engagement.pk)
        if chosen is None or not chosen.is_open:  # a later one, or the one in the works, wins
            current[agreement.engagement.pk] = agreement
    groups: dict[tuple[str, str], Row] = {}
    for agreement in current.values():
        if (
            agreement.status == Agreement.Status.WITHDRAWN
            or agreement.value is None
            or not agreement.currency
        ):
            continue
        month = expected_close(agreement).strftime("%Y-%m")
        row = groups.setdefault(
            (month, agreement.currency),
            {
                "month": month,
                "currency": agreement.currency,
                "engagements": 0,
                "value": Decimal(0),
                "weighted_value": Decimal(0),
                "references": [],
            },
        )
        row["engagements"] += 1
        row["value"] += agreement.value
        row["weighted_value"] += agreement.value * weights[agreement.engagement.stage]
        row["references"].append(agreement.engagement.reference)
    rows = []
    for key in sorted(groups):
        row = groups[key]
        rows.append(
            {
                **row,
                "value": _cents(row["value"]),
                "weighted_value": _cents(row["weighted_value"]),
                "references": ", ".join(row["references"]),
            }
        )
    return rows


def _reminder_text(tickler: Tickler) -> str:
    """ "2028-09-02 (120 days before, sent)": the date, the lead time and what became of it."""
    if tickler.fired_at is None:
        state = "to come"
    else:
        state = "sent" if tickler.outcome.startswith("reminder sent") else "skipped"
    return f"{tickler.due_on.isoformat()} ({tickler.payload.get('days_before', '?')} days before, {state})"


def renewals_report(*, today: dt.date | None = None) -> list[Row]:
    """Executed agreements whose term ends within the next 12 months (from today, inclusive),
    soonest first, with their renewal reminders, the renewal engagement and the outcome.
    Two queries."""
    today = today or clock.today()
    until = add_months(today, RENEWAL_WINDOW_MONTHS)
    agreements = (
        Agreement.objects.filter(status=Agreement.Status.EXECUTED, term_end__gte=today, term_end__lte=until)
        .select_related("engagement__organization", "renewal__renewal_engagement")
        .prefetch_related(
            Prefetch(
                "ticklers",
                queryset=Tickler.objects.filter(kind=Tickler.Kind.RENEWAL).order_by("due_on", "id"),
                to_attr="renewal_reminders",
            )
        )
        .order_by("term_end", "id")
    )
    rows = []
    for agreement in agreements:
        assert agreement.term_end is not None
        # Selected with the agreement; absent (RelatedObjectDoesNotExist, an AttributeError) is None.
        renewal = getattr(agreement, "renewal", None)
        reminders = agreement.renewal_reminders  # type: ignore[attr-defined]
        pending = [tickler.due_on for tickler in reminders if tickler.fired_at is None]
        rows.append(
            {
                "term_end": agreement.term_end,
                "days_left": (agreement.term_end - today).days,
                "reference": agreement.engagement.reference,
                "organization": agreement.engagement.organization.name,
                "agreement": agreement.title,
                "value": agreement.value,
                "currency": agreement.currency or None,
                "reminders": "; ".join(_reminder_text(tickler) for tickler in reminders),
                "next_reminder": min(pending) if pending else None,
                "renewal": renewal.renewal_engagement.reference if renewal else None,
                "outcome": (renewal.outcome or "undecided") if renewal else "not opened",
            }
        )
    return rows


def invoices_report(*, today: dt.date | None = None) -> list[Row]:
    """Invoices not paid (sent, and overdue: sent and past due), oldest due first, then one total
    row per currency (`kind` "total"). One query."""
    today = today or clock.today()
    invoices = (
        Invoice.objects.filter(status__in=[Invoice.Status.SENT, Invoice.Status.OVERDUE])
        .select_related("engagement__organization")
        .order_by("due_on", "year", "sequence")
    )
    rows: list[Row] = []
    totals: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    for invoice in invoices:
        overdue = invoice.due_on < today
        rows.append(
            {
                "kind": "invoice",
                "number": invoice.number,
                "reference": invoice.engagement.reference,
                "organization": invoice.engagement.organization.name,
                "issued_on": invoice.issued_on,
                "due_on": invoice.due_on,
                "status": Invoice.Status.OVERDUE.value if overdue else Invoice.Status.SENT.value,
                "days_overdue": (today - invoice.due_on).days if overdue else 0,
                "invoices": 1,
                "currency": invoice.currency,
                "amount": invoice.total,
            }
        )
        totals[invoice.currency] += invoice.total
        counts[invoice.currency] += 1
    for currency in sorted(totals):
        rows.append(
            {
                "kind": "total",
                "number": None,
                "reference": None,
                "organization": None,
                "issued_on": None,
                "due_on": None,
                "status": None,
                "days_overdue": None,
                "invoices": counts[currency],
                "currency": currency,
                "amount": totals[currency],
            }
        )
    return rows


def quarter_of(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def satisfaction_report(*, rules: PartnershipRules | None = None) -> list[Row]:
    """Check-in ratings per quarter (the quarter the check-in was sent in, local time): how many
    were sent and answered, the average rating, and the lows (at or below the profile's
    `check_in_low_score`) with their engagements. One query."""
    rules = rules or get_rules()
    quarters: dict[str, Row] = {}
    for check_in in CheckIn.objects.select_related("engagement").order_by("sent_at", "id"):
        quarter = quarter_of(timezone.localtime(check_in.sent_at).date())
        row = quarters.setdefault(
            quarter, {"quarter": quarter, "sent": 0, "answered": 0, "ratings": [], "low_engagements": []}
        )
        row["sent"] += 1
        if check_in.rating is None:
            continue
        row["answered"] += 1
        row["ratings"].append(check_in.rating)
        if check_in.rating <= rules.check_in_low_score:
            row["low_engagements"].append(check_in.engagement.reference)
    rows = []
    for quarter in sorted(quarters):
        row = quarters[quarter]
        ratings: list[int] = row["ratings"]
        rows.append(
            {
                "quarter": quarter,
                "sent": row["sent"],
                "answered": row["answered"],
                "average": _cents(Decimal(sum(ratings)) / len(ratings)) if ratings else None,
                "lowest": min(ratings) if ratings else None,
                "lows": len(row["low_engagements"]),
                "low_engagements": ", ".join(dict.fromkeys(row["low_engagements"])),
            }
        )
    return rows


# Each report's columns, in order: the keys of its rows, and the CSV header (also of an empty report).
COLUMNS: dict[str, tuple[str, ...]] = {
    "forecast": ("month", "currency", "engagements", "value", "weighted_value", "references"),
    "renewals": (
        "term_end",
        "days_left",
        "reference",
        "organization",
        "agreement",
        "value",
        "currency",
        "reminders",
        "next_reminder",
        "renewal",
        "outcome",
    ),
    "invoices": (
        "kind",
        "number",
        "reference",
        "organization",
        "issued_on",
        "due_on",
        "status",
        "days_overdue",
        "invoices",
        "currency",
        "amount",
    ),
    "satisfaction": ("quarter", "sent", "answered", "average", "lowest", "lows", "low_engagements"),
}

REPORTS: dict[str, Callable[[], list[Row]]] = {
    "forecast": forecast_report,
    "renewals": renewals_report,
    "invoices": invoices_report,
    "satisfaction": satisfaction_report,
}
