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
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from partnerdesk.agreements.models import Agreement
from partnerdesk.agreements.partnership_rules import PartnershipRules, add_months, get_rules
from partnerdesk.lib import clock
from partnerdesk.partnership.models import CheckIn, Invoice, Tickler
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.references import reference_of

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


# The stages whose deals are still to win: what "open pipeline" and the dashboard's forecast count.


def _works_first() -> Case:
    done = [Agreement.Status.EXECUTED, Agreement.Status.WITHDRAWN]
    return Case(When(status__in=done, then=Value(1)), default=Value(0), output_field=IntegerField())


def current_agreement(engagement: str = "pk") -> QuerySet[Agreement]:
    """The current agreement of the engagement `OuterRef(engagement)` (the one in the works, else
    the latest), for a subquery: slice it and take one column."""
    return Agreement.objects.filter(engagement=OuterRef(engagement)).order_by(_works_first(), "-id")


def current_agreements() -> QuerySet[Agreement]:
    """Each engagement's current agreement, and no other: an agreement in the works with no newer
    one in the works beside it, or a finished one with nothing in the works and nothing newer.
    Each row is checked against its own engagement's few agreements through the index, so the
    cost follows the rows asked for, not every agreement there is."""
    done = [Agreement.Status.EXECUTED, Agreement.Status.WITHDRAWN]
    siblings = Agreement.objects.filter(engagement=OuterRef("engagement")).exclude(pk=OuterRef("pk"))
    newer_in_works = siblings.filter(pk__gt=OuterRef("pk")).exclude(status__in=done)
    in_works_or_newer = siblings.filter(~Q(status__in=done) | Q(pk__gt=OuterRef("pk")))
    return Agreement.objects.filter(
        (~Q(status__in=done) & ~Exists(newer_in_works)) | (Q(status__in=done) & ~Exists(in_works_or_newer))
    )


def valued_current_agreements(engagements: QuerySet[Engagement] | None = None) -> QuerySet[Agreement]:
    """The current agreements that count for a value: not withdrawn, with a value and a currency."""
    agreements = (
        current_agreements()
        .exclude(status=Agreement.Status.WITHDRAWN)
        .filter(value__isnull=False)
        .exclude(currency="")
    )
    if engagements is not None:
        agreements = agreements.filter(engagement__in=engagements.values("pk"))
    return agreements


def with_current_value(queryset: QuerySet[Engagement]) -> QuerySet[Engagement]:
    """Each engagement with its current agreement's value and currency (None and "" when it
    has none, or the current one is withdrawn): `current_value`, `current_currency`."""
    current = current_agreement().annotate(
        counted_value=Case(When(status=Agreement.Status.WITHDRAWN, then=Value(None)), default=F("value")),
        counted_currency=Case(When(status=Agreement.Status.WITHDRAWN, then=Value("")), default=F("currency")),
    )
    return queryset.annotate(
        current_value=Subquery(current.values("counted_value")[:1], output_field=DecimalField()),
        current_currency=Coalesce(Subquery(current.values("counted_currency")[:1]), Value("")),
    )


@dataclass(frozen=True)
class ForecastItem:
    """One engagement's share of the forecast."""

    engagement_id: int
    stage: str
    month: str  # "2027-01": the expected close month
    currency: str
    value: Decimal
    weight: Decimal


def forecast_agreements(
    *,
    rules: PartnershipRules | None = None,
    engagements: QuerySet[Engagement] | None = None,
    stages: tuple[str, ...] | None = None,
    from_month: dt.date | None = None,
) -> QuerySet[Agreement]:
    """The current agreements the forecast counts: of engagements at a stage with a probability
    (of `stages` if given, of `engagements` if given), expected to close in `from_month` or later
    if given. The expected close is the term start, else the last stage change + 90 days (local
    days), so "from this month" is a condition the database checks."""
    rules = rules or get_rules()
    counted = [stage for stage in rules.stage_probabilities if stages is None or stage in stages]
    agreements = valued_current_agreements(engagements).filter(engagement__stage__in=counted)
    if from_month is not None:
        first = from_month.replace(day=1)
        changed_since = timezone.make_aware(dt.datetime.combine(first - CLOSE_AFTER_STAGE_CHANGE, dt.time()))
        agreements = agreements.filter(
            Q(term_start__gte=first)
            | Q(term_start__isnull=True, engagement__stage_changed_at__gte=changed_since)
        )
    return agreements


def forecast_items(
    *,
    rules: PartnershipRules | None = None,
    engagements: QuerySet[Engagement] | None = None,
    stages: tuple[str, ...] | None = None,
    from_month: dt.date | None = None,
) -> list[ForecastItem]:
    """Each engagement `forecast_agreements` counts, with its value, month and weight. One query,
    one row per engagement counted (not per agreement or stage change)."""
    rules = rules or get_rules()
    weights = {stage: Decimal(str(weight)) for stage, weight in rules.stage_probabilities.items()}
    rows = (
        forecast_agreements(rules=rules, engagements=engagements, stages=stages, from_month=from_month)
        .order_by("engagement_id")
        .values_list(
            "engagement_id",
            "engagement__stage",
            "engagement__stage_changed_at",
            "term_start",
            "currency",
            "value",
        )
    )
    items = []
    for engagement_id, stage, changed, term_start, currency, value in rows:
        close = term_start or timezone.localtime(changed).date() + CLOSE_AFTER_STAGE_CHANGE
        month = close.strftime("%Y-%m")
        assert value is not None  # forecast_agreements keeps valued agreements only
        items.append(ForecastItem(engagement_id, stage, month, currency, value, weights[stage]))
    return items


def forecast_report(
    *,
    rules: PartnershipRules | None = None,
    engagements: QuerySet[Engagement] | None = None,
    stages: tuple[str, ...] | None = None,
    from_month: dt.date | None = None,
) -> list[Row]:
    """Contract value by expected close month and currency, weighted by the stage probabilities.

    Each engagement at a stage with a probability counts once, with its current agreement (the one
    in the works, else the latest): withdrawn agreements and agreements without a value or currency
    count for nothing. The dashboard narrows it to the stages still to win (`stages`) and to this
    month and later (`from_month`). One query.
    """
    groups: dict[tuple[str, str], Row] = {}
    for item in forecast_items(rules=rules, engagements=engagements, stages=stages, from_month=from_month):
        row = groups.setdefault(
            (item.month, item.currency),
            {
                "month": item.month,
                "currency": item.currency,
                "engagements": 0,
                "value": Decimal(0),
                "weighted_value": Decimal(0),
                "references": [],
            },
        )
        row["engagements"] += 1
        row["value"] += item.value
        row["weighted_value"] += item.value * item.weight
        row["references"].append(reference_of(item.engagement_id))
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


def renewing_agreements(*, today: dt.date) -> QuerySet[Agreement]:
    """Executed agreements whose term ends within the next 12 months (from today, inclusive)."""
    until = add_months(today, RENEWAL_WINDOW_MONTHS)
    return Agreement.objects.filter(
        status=Agreement.Status.EXECUTED, term_end__gte=today, term_end__lte=until
    )


def renewals_report(
    *,
    today: dt.date | None = None,
    engagements: QuerySet[Engagement] | None = None,
    limit: int | None = None,
) -> list[Row]:
    """Executed agreements whose term ends within the next 12 months (from today, inclusive),
    soonest first, with their renewal reminders, the renewal engagement and the outcome; of
    `engagements` if given, the first `limit` if given. Two queries."""
    today = today or clock.today()
    selected = renewing_agreements(today=today)
    if engagements is not None:
        selected = selected.filter(engagement__in=engagements.values("pk"))
    agreements = (
        selected.select_related("engagement__organization", "renewal__renewal_engagement")
        .prefetch_related(
            Prefetch(
                "ticklers",
                queryset=Tickler.objects.filter(kind=Tickler.Kind.RENEWAL).order_by("due_on", "id"),
                to_attr="renewal_reminders",
            )
        )
        .order_by("term_end", "id")
    )
    if limit is not None:
        agreements = agreements[:limit]
    rows = []
    for agreement in agreements:
        assert agreement.term_end is not None
        # Selected with the agreement; absent (RelatedObjectDoesNotExist, an AttributeError) is None.
        renewal = getattr(agreement, "renewal", None)
        reminders = agreement.renewal_reminders
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


def renewals_per_month(
    *, today: dt.date, engagements: QuerySet[Engagement] | None = None
) -> list[tuple[dt.date, int]]:
    """(first of the month, terms ending) for this month and the next 12: one row of conditional
    counts, however many agreements."""
    selected = renewing_agreements(today=today)
    if engagements is not None:
        selected = selected.filter(engagement__in=engagements.values("pk"))
    months = [add_months(today.replace(day=1), n) for n in range(RENEWAL_WINDOW_MONTHS + 1)]
    counts = selected.aggregate(
        **{
            f"m{n}": Count("id", filter=Q(term_end__gte=month, term_end__lt=add_months(month, 1)))
            for n, month in enumerate(months)
        }
    )
    return [(month, counts[f"m{n}"]) for n, month in enumerate(months)]


def outstanding_invoices() -> QuerySet[Invoice]:
    return Invoice.objects.filter(status__in=[Invoice.Status.SENT, Invoice.Status.OVERDUE])


def overdue_invoices(*, today: dt.date) -> QuerySet[Invoice]:
    """Invoices not paid and past their due date (the worker marks them overdue on its pass)."""
    return outstanding_invoices().filter(due_on__lt=today)


def outstanding_totals(
    *, today: dt.date | None = None, engagements: QuerySet[Engagement] | None = None
) -> list[Row]:
    """The totals of `invoices_report` per currency, counted by the database: invoices and
    amount outstanding, and of those overdue. One query, one row per currency."""
    today = today or clock.today()
    invoices = outstanding_invoices()
    if engagements is not None:
        invoices = invoices.filter(engagement__in=engagements.values("pk"))
    overdue = Q(due_on__lt=today)
    return [
        dict(row)
        for row in (
            invoices.order_by("currency")
            .values("currency")
            .annotate(
                invoices=Count("id"),
                amount=Sum("total"),
                overdue=Count("id", filter=overdue),
                overdue_amount=Sum("total", filter=overdue, default=Decimal(0)),
            )
        )
    ]


def quarter_of(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def satisfaction_report(
    *, rules: PartnershipRules | None = None, engagements: QuerySet[Engagement] | None = None
) -> list[Row]:
    """Check-in ratings per quarter (the quarter the check-in was sent in, local time): how many
    were sent and answered, the average rating, and the lows (at or below the profile's
    `check_in_low_score`) with their engagements; of `engagements` if given. One query, one row
    per check-in (a few a year per partner contact)."""
    rules = rules or get_rules()
    check_ins = CheckIn.objects.all()
    if engagements is not None:
        check_ins = check_ins.filter(engagement__in=engagements.values("pk"))
    quarters: dict[str, Row] = {}
    for sent_at, rating, engagement_id in check_ins.order_by("sent_at", "id").values_list(
        "sent_at", "rating", "engagement_id"
    ):
        quarter = quarter_of(timezone.localtime(sent_at).date())
        row = quarters.setdefault(
            quarter, {"quarter": quarter, "sent": 0, "answered": 0, "ratings": [], "low_engagements": []}
        )
        row["sent"] += 1
        if rating is None:
            continue
        row["answered"] += 1
        row["ratings"].append(rating)
        if rating <= rules.check_in_low_score:
            row["low_engagements"].append(reference_of(engagement_id))
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
