"""The dashboard's figures, counted by the database: its time and queries stay flat however long
the history (no stage change is read into Python).

The pipeline (three queries): counts per stage and new leads per bucket (conditional counts over
the engagements); how far each engagement got (its stage changes grouped per engagement, then
summed); the median days per stage, of the stays that ended in the period and of those in a
stage now (ranked with window functions; a median is the middle row or the mean of the middle
two). The tiles and the partner phase: the reports of `partnerdesk.partnership.reports`, narrowed
to the owner (five queries, four when no term ends within the renewals window).

Every filter is an owner ("" anyone, "-" no owner, or a username) and a period (web/periods.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, QuerySet, Sum
from django.db.models.expressions import RawSQL

from partnerdesk.lib import clock
from partnerdesk.partnership.reports import (
    Row,
    forecast_items,
    outstanding_totals,
    renewals_per_month,
    renewals_report,
    satisfaction_report,
    valued_current_agreements,
)
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from partnerdesk.pipeline.stages import OPEN_STAGES, PURSUIT_STAGE_VALUES, Stage
from partnerdesk.web.periods import Bucket, Period, midnight

RENEWALS_SHOWN = 10  # the soonest; the list behind the tile has them all


@dataclass
class StageFigures:
    stage: Stage
    count: int  # engagements in the stage now
    reached: int  # engagements (created in the period) that were ever in the stage
    converted: int  # of those, how many went on to the next stage of the funnel
    median_days: float | None  # median length of the stays in the stage that ended in the period
    median_age: float | None  # median days in the stage of those in it now

    @property
    def conversion(self) -> float | None:
        return self.converted / self.reached if self.reached else None


@dataclass
class Dashboard:
    stages: list[StageFigures]
    buckets: list[tuple[Bucket, int]]  # (bucket, new leads created in it), oldest first
    total: int

    @property
    def pipeline(self) -> int:
        return sum(s.count for s in self.stages if s.stage.value in PURSUIT_STAGE_VALUES)


@dataclass(frozen=True)
class DashboardFilters:
    owner: str  # "" anyone, "-" no owner, else a username
    owner_id: int | None  # the owner's id, when a username
    period: Period

    def engagements(self) -> QuerySet[Engagement] | None:
        """The owner's engagements, or None for everyone's (no filter at all)."""
        if self.owner == "-":
            return Engagement.objects.filter(owner__isnull=True)
        if self.owner:
            return Engagement.objects.filter(owner_id=self.owner_id)
        return None


def owners() -> list[tuple[int, str]]:
    """The active users, (id, username), for the owner filter. One query."""
    return list(
        get_user_model().objects.filter(is_active=True).order_by("username").values_list("id", "username")
    )


# SQL the ORM cannot say in one statement: the two backends partnerdesk runs on differ only in
# how they subtract times, read a JSON key and take the larger of two values.


def _days_between(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0)"
    return f"(julianday({later}) - julianday({earlier}))"


def _json_text(column: str, key: str) -> str:
    if connection.vendor == "postgresql":
        return f"({column} ->> '{key}')"
    return f"json_extract({column}, '$.{key}')"


def _json_time(column: str, key: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST({_json_text(column, key)} AS timestamptz)"
    return _json_text(column, key)  # julianday() reads ISO 8601 text with its offset


def _at_least_zero(expression: str) -> str:
    return f"GREATEST({expression}, 0)" if connection.vendor == "postgresql" else f"MAX({expression}, 0)"


def _param(value: dt.datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _owner_sql(filters: DashboardFilters, alias: str) -> tuple[str, list[Any]]:
    if filters.owner == "-":
        return f" AND {alias}.owner_id IS NULL", []
    if filters.owner:
        return f" AND {alias}.owner_id = %s", [filters.owner_id or 0]
    return "", []


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


# Stage changes are found through their own partial index (pipeline 0006), which the database
# uses only when the query names the kind as a literal.
MOVES = f"t.kind = '{TimelineEntry.Kind.STAGE_CHANGED.value}'"


def _counts(filters: DashboardFilters, buckets: list[Bucket]) -> tuple[int, dict[str, int], list[int]]:
    """Engagements per stage now (the stage index), and those created in each bucket (only the
    period's rows read): one query."""
    engagement = Engagement._meta.db_table
    owner, params = _owner_sql(filters, "e")
    bucket_params: list[Any] = []
    whens = []
    for number, bucket in enumerate(buckets[1:], start=1):
        whens.append(f"WHEN e.created_at < %s THEN '{number - 1}'")
        bucket_params.append(_param(midnight(bucket.start)))
    which = f"CASE {' '.join(whens)} ELSE '{len(buckets) - 1}' END" if whens else "'0'"
    sql = (
        f"SELECT 'stage', e.stage, COUNT(*) FROM {engagement} e WHERE 1 = 1{owner} GROUP BY e.stage"
        f" UNION ALL SELECT 'bucket', {which}, COUNT(*) FROM {engagement} e"
        f" WHERE e.created_at >= %s AND e.created_at < %s{owner} GROUP BY 2"
    )
    window = (
        [_param(midnight(buckets[0].start)), _param(midnight(buckets[-1].end))] if buckets else [None, None]
    )
    rows = (
        _fetch(sql, [*params, *bucket_params, *window, *params])
        if buckets
        else _fetch(sql.split(" UNION ALL ")[0], params)
    )
    stages = {key: int(count) for kind, key, count in rows if kind == "stage"}
    created = dict.fromkeys(range(len(buckets)), 0)
    for kind, key, count in rows:
        if kind == "bucket":
            created[int(key)] = int(count)
    return sum(stages.values()), stages, [created[n] for n in range(len(buckets))]


def _funnel(filters: DashboardFilters) -> dict[str, tuple[int, int]]:
    """(reached, converted) per funnel stage, of the engagements created in the period: each
    engagement's stages (Lead, every stage it moved to, its stage now) flagged in one pass over
    its stage changes, then summed."""
    engagement, timeline = Engagement._meta.db_table, TimelineEntry._meta.db_table
    owner, params = _owner_sql(filters, "e")
    to = _json_text("t.data", "to")
    # Every engagement was a Lead (one made at a later stage too); the others: its stage now, or
    # a stage change to it.
    flags = ", ".join(
        "1 AS f0"
        if stage == Stage.LEAD
        else f"MAX(CASE WHEN e.stage = '{stage.value}' OR {to} = '{stage.value}' THEN 1 ELSE 0 END) AS f{n}"
        for n, stage in enumerate(OPEN_STAGES)
    )
    since = ""
    period_params: list[Any] = []
    if filters.period.start is not None:
        since = " AND e.created_at >= %s AND e.created_at < %s"
        period_params = [_param(filters.period.start_at()), _param(filters.period.end_at())]
    sums = ", ".join(
        f"SUM(f{n}), SUM(f{n} * f{n + 1})" if n + 1 < len(OPEN_STAGES) else f"SUM(f{n})"
        for n in range(len(OPEN_STAGES))
    )
    sql = (
        f"SELECT COUNT(*), {sums} FROM (SELECT e.id, {flags} FROM {engagement} e"
        f" LEFT JOIN {timeline} t ON t.engagement_id = e.id AND {MOVES}"
        f" AND {_json_text('t.data', 'from')} IS NOT NULL AND {to} IS NOT NULL"
        f" WHERE 1 = 1{owner}{since} GROUP BY e.id) reached"
    )
    [row] = _fetch(sql, [*params, *period_params])
    _, *values = (int(value or 0) for value in row)
    figures: dict[str, tuple[int, int]] = {}
    position = 0
    for n, stage in enumerate(OPEN_STAGES):
        reached = values[position]
        converted = values[position + 1] if n + 1 < len(OPEN_STAGES) else 0
        position += 2 if n + 1 < len(OPEN_STAGES) else 1
        figures[stage.value] = (reached, converted)
    return figures


def _medians(
    filters: DashboardFilters, now: dt.datetime, counts: dict[str, int]
) -> dict[tuple[str, str], float]:
    """Median days per ("stay", stage) over the stays that ended in the period, and per ("age",
    stage) over the engagements in a stage now (`counts` of them): one query.

    A stay starts when the stage change before it happened (or the engagement was created),
    which the change records as `stage_since`, and ends at its own; only the period's stage
    changes are read. A change without it (none made by `engagement_move`) finds the one
    before through the index. An age's median is the middle one or two rows of the stage's index, reached by
    OFFSET: days are worked out for those rows alone."""
    engagement, timeline = Engagement._meta.db_table, TimelineEntry._meta.db_table
    owner, params = _owner_sql(filters, "e")
    origin, to = _json_text("t.data", "from"), _json_text("t.data", "to")
    before_origin, before_to = _json_text("p.data", "from"), _json_text("p.data", "to")
    before = (
        f"(SELECT p.at FROM {timeline} p WHERE {MOVES.replace('t.', 'p.')}"
        " AND p.engagement_id = t.engagement_id AND (p.at < t.at OR (p.at = t.at AND p.id < t.id))"
        f" AND {before_origin} IS NOT NULL AND {before_to} IS NOT NULL ORDER BY p.at DESC, p.id DESC LIMIT 1)"
    )
    in_period = ""
    period_params: list[Any] = []
    if filters.period.start is not None:
        in_period = " AND t.at >= %s AND t.at < %s"
        period_params = [_param(filters.period.start_at()), _param(filters.period.end_at())]
    days = _at_least_zero(
        _days_between("t.at", f"COALESCE({_json_time('t.data', 'stage_since')}, {before}, e.created_at)")
    )
    stays = (
        f"SELECT {origin} AS stage, {days} AS days FROM {timeline} t JOIN {engagement} e"
        f" ON e.id = t.engagement_id WHERE {MOVES}{in_period}"
        f" AND {origin} IS NOT NULL AND {to} IS NOT NULL{owner}"
    )
    parts = [
        "SELECT 'stay', stage, AVG(days) FROM (SELECT stage, days,"
        " ROW_NUMBER() OVER (PARTITION BY stage ORDER BY days) AS n, COUNT(*) OVER (PARTITION BY stage) AS c"
        f" FROM ({stays}) stays) ranked WHERE n IN ((c + 1) / 2, (c + 2) / 2) GROUP BY stage"
    ]
    all_params: list[Any] = [*period_params, *params]
    age = _at_least_zero(_days_between("%s", "middle.changed"))
    for stage in Stage:
        count = counts.get(stage.value, 0)
        if not count:
            continue
        parts.append(
            f"SELECT 'age', '{stage.value}', AVG({age}) FROM (SELECT e.stage_changed_at AS changed"
            f" FROM {engagement} e WHERE e.stage = '{stage.value}'{owner}"
            " ORDER BY e.stage_changed_at LIMIT %s OFFSET %s) middle"
        )
        all_params += [_param(now), *params, 2 - count % 2, (count - 1) // 2]
    rows = _fetch(" UNION ALL ".join(parts), all_params)
    return {(kind, stage): float(days) for kind, stage, days in rows if days is not None}


def won_engagements(period: Period) -> QuerySet[Engagement]:
    """Engagements that moved to Partner within the period (the stage changes of the period
    alone are read, through their index)."""
    timeline = TimelineEntry._meta.db_table
    sql = f"SELECT t.engagement_id FROM {timeline} t WHERE {MOVES} AND t.at < %s"
    params: list[Any] = [_param(period.end_at())]
    if period.start is not None:
        sql += " AND t.at >= %s"
        params.append(_param(period.start_at()))
    sql += f" AND {_json_text('t.data', 'to')} = '{Stage.PARTNER.value}'"
    return Engagement.objects.filter(pk__in=RawSQL(sql, params))


def dashboard_figures(filters: DashboardFilters) -> Dashboard:
    """The pipeline's figures: three queries, whatever the number of engagements and changes."""
    now = clock.now()
    buckets = filters.period.buckets()
    total, counts, created = _counts(filters, buckets)
    funnel = _funnel(filters)
    medians = _medians(filters, now, counts)
    stages = [
        StageFigures(
            stage=stage,
            count=counts.get(stage.value, 0),
            reached=funnel[stage.value][0] if stage in OPEN_STAGES else counts.get(stage.value, 0),
            converted=funnel[stage.value][1] if stage in OPEN_STAGES else 0,
            median_days=medians.get(("stay", stage.value)),
            median_age=medians.get(("age", stage.value)),
        )
        for stage in Stage
    ]
    return Dashboard(stages=stages, buckets=list(zip(buckets, created, strict=True)), total=total)


# The tiles.


@dataclass
class Money:
    """Amounts per currency, never added across currencies."""

    amounts: dict[str, Decimal] = field(default_factory=dict)

    def add(self, currency: str, amount: Decimal) -> None:
        self.amounts[currency] = self.amounts.get(currency, Decimal(0)) + amount

    def lines(self) -> list[str]:
        """ "USD 24,000": one per currency, in order; ["-"] for none."""
        return [f"{currency} {amount:,.0f}" for currency, amount in sorted(self.amounts.items())] or ["0"]


@dataclass
class Tiles:
    pipeline_value: Money
    pipeline_valued: int  # engagements in the pipeline with a value
    forecast: Money
    forecast_engagements: int
    won: int
    renewals: int
    overdue: int
    overdue_amount: Money


@dataclass
class Outstanding:
    """Invoices outstanding in one currency (sums are never added across currencies)."""

    currency: str
    invoices: int
    amount: Decimal
    overdue: int
    overdue_amount: Decimal

    @property
    def not_yet_due(self) -> int:
        return self.invoices - self.overdue


@dataclass
class PartnerReports:
    forecast: list[Row]  # forecast rows (month, currency), in order: open engagements, this month on
    renewals: list[Row]  # renewals_report's rows, the first RENEWALS_SHOWN: soonest term end first
    renewal_months: list[tuple[dt.date, int]]  # (first of the month, terms ending), in order
    outstanding: list[Outstanding]  # one per currency, in order
    satisfaction: list[Row]  # satisfaction_report's rows: one per quarter, in order

    @property
    def forecast_currencies(self) -> list[str]:
        return sorted({row["currency"] for row in self.forecast})

    @property
    def overdue(self) -> int:
        return sum(o.overdue for o in self.outstanding)

    @property
    def renewals_due(self) -> int:
        return sum(count for _, count in self.renewal_months)


def _forecast_rows(filters: DashboardFilters, today: dt.date) -> list[Row]:
    """The forecast of the open engagements (Lead to Prospect) closing this month or later."""
    groups: dict[tuple[str, str], Row] = {}
    for item in forecast_items(
        engagements=filters.engagements(), stages=PURSUIT_STAGE_VALUES, from_month=today
    ):
        row = groups.setdefault(
            (item.month, item.currency),
            {"month": item.month, "currency": item.currency, "engagements": 0, "value": Decimal(0)}
            | {"weighted_value": Decimal(0)},
        )
        row["engagements"] += 1
        row["value"] += item.value
        row["weighted_value"] += item.value * item.weight
    return [groups[key] for key in sorted(groups)]


def partner_figures(filters: DashboardFilters, *, today: dt.date | None = None) -> PartnerReports:
    """The forecast (open engagements, this month on), renewals (counts per month, the soonest
    few), invoices outstanding and the satisfaction trend, of the owner's engagements. Six
    queries (five with no renewal)."""
    today = today or clock.today()
    engagements = filters.engagements()
    renewal_months = renewals_per_month(today=today, engagements=engagements)
    outstanding = [
        Outstanding(row["currency"], row["invoices"], row["amount"], row["overdue"], row["overdue_amount"])
        for row in outstanding_totals(today=today, engagements=engagements)
    ]
    return PartnerReports(
        forecast=_forecast_rows(filters, today),
        renewals=renewals_report(today=today, engagements=engagements, limit=RENEWALS_SHOWN),
        renewal_months=renewal_months,
        outstanding=outstanding,
        satisfaction=satisfaction_report(engagements=engagements),
    )


def tiles(filters: DashboardFilters, reports: PartnerReports) -> Tiles:
    """The tiles: the pipeline's value (one query), won in the period (one query); the forecast,
    renewals and overdue invoices come from the reports already read."""
    pipeline_value, valued = Money(), 0
    engagements = filters.engagements()
    sums = (
        valued_current_agreements(engagements)
        .filter(engagement__stage__in=PURSUIT_STAGE_VALUES)
        .order_by("currency")
        .values_list("currency")
        .annotate(total=Sum("value"), n=Count("id"))
    )
    for currency, total, count in sums:
        pipeline_value.add(currency, total)
        valued += count
    won = won_engagements(filters.period)
    if engagements is not None:
        won = won.filter(pk__in=engagements.values("pk"))
    forecast = Money()
    for row in reports.forecast:
        forecast.add(row["currency"], row["weighted_value"])
    overdue_amount = Money()
    for o in reports.outstanding:
        if o.overdue:
            overdue_amount.add(o.currency, o.overdue_amount)
    return Tiles(
        pipeline_value=pipeline_value,
        pipeline_valued=valued,
        forecast=forecast,
        forecast_engagements=sum(row["engagements"] for row in reports.forecast),
        won=won.count(),
        renewals=reports.renewals_due,
        overdue=reports.overdue,
        overdue_amount=overdue_amount,
    )
