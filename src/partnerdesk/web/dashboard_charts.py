"""The dashboard's charts and links: every count on the dashboard links to the engagement list
(/engagements/) filtered to the engagements behind it, with the dashboard's owner filter."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from partnerdesk.pipeline.stages import OPEN_STAGES
from partnerdesk.web.charts import BarRow, ColumnBar, bar_chart, column_chart
from partnerdesk.web.dashboard import Dashboard, DashboardFilters, PartnerReports
from partnerdesk.web.periods import DEFAULT_PERIOD

RATING_SCALE = 5  # check-in ratings are 1 to 5


def list_url(filters: DashboardFilters, **query: Any) -> str:
    """The engagement list with `query` (stage=, among=, created_from=...) and the owner filter."""
    values = {"owner": filters.owner, **query}
    if values.get("among") == "won" and filters.period.key != DEFAULT_PERIOD:
        values["period"] = filters.period.key
    return reverse("engagement-list") + "?" + urlencode({k: v for k, v in values.items() if v})


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} d"


def dashboard_charts(figures: Dashboard, filters: DashboardFilters) -> dict[str, SafeString]:
    funnel = [s for s in figures.stages if s.stage in OPEN_STAGES[:-1]]
    period = filters.period
    span = (figures.buckets[0][0].end - figures.buckets[0][0].start).days if figures.buckets else 7
    kind = "week" if span == 7 else "month" if span <= 31 else "year"
    return {
        "counts": bar_chart(
            chart_id="chart-counts",
            title="Engagements in each stage now",
            rows=[
                BarRow(s.stage.label, s.count, str(s.count), list_url(filters, stage=s.stage.value))
                for s in figures.stages
            ],
        ),
        "conversion": bar_chart(
            chart_id="chart-conversion",
            title="Conversion to the next stage",
            rows=[
                BarRow(
                    f"{s.stage.label} to {OPEN_STAGES[OPEN_STAGES.index(s.stage) + 1].label}",
                    (s.conversion or 0) * 100,
                    "-" if s.conversion is None else f"{s.conversion:.0%} of {s.reached}",
                )
                for s in funnel
            ],
            top=100,
        ),
        "median_days": bar_chart(
            chart_id="chart-median-days",
            title=f"Median days in each stage (stays that ended, {period.phrase})",
            rows=[
                BarRow(s.stage.label, s.median_days or 0, _days(s.median_days)) for s in figures.stages[:-1]
            ],
        ),
        "new": column_chart(
            chart_id="chart-new-leads",
            title=f"New leads per {kind}, {period.phrase}",
            columns=[
                ColumnBar(
                    bucket.label,
                    bucket.group,
                    count,
                    list_url(
                        filters,
                        created_from=bucket.start.isoformat(),
                        created_to=(bucket.end - dt.timedelta(days=1)).isoformat(),
                    ),
                )
                for bucket, count in figures.buckets
            ],
        ),
    }


def partner_charts(reports: PartnerReports, filters: DashboardFilters) -> dict[str, Any]:
    """`forecast` is a list of (currency, chart), one chart per currency; the others are charts,
    or None when there is nothing to draw (no invoice outstanding, no check-in sent)."""
    forecast_list = list_url(filters, among="forecast")
    forecast = [
        (
            currency,
            bar_chart(
                chart_id=f"chart-forecast-{number}",
                title=f"Weighted contract value in {currency} by expected close month",
                rows=[
                    BarRow(
                        row["month"],
                        float(row["weighted_value"]),
                        f"{row['weighted_value']:,.0f}",
                        forecast_list,
                    )
                    for row in reports.forecast
                    if row["currency"] == currency
                ],
            ),
        )
        for number, currency in enumerate(reports.forecast_currencies, start=1)
    ]
    invoices = None
    if reports.outstanding:
        overdue_list = list_url(filters, among="overdue")
        invoices = bar_chart(
            chart_id="chart-invoices",
            title="Invoices outstanding: overdue and not yet due, per currency",
            rows=[
                row
                for o in reports.outstanding
                for row in (
                    BarRow(f"{o.currency} overdue", o.overdue, str(o.overdue), overdue_list),
                    BarRow(f"{o.currency} not yet due", o.not_yet_due, str(o.not_yet_due)),
                )
            ],
        )
    satisfaction = None
    if reports.satisfaction:
        satisfaction = bar_chart(
            chart_id="chart-satisfaction",
            title=f"Average check-in rating per quarter (out of {RATING_SCALE}), answers in brackets",
            rows=[
                BarRow(
                    row["quarter"],
                    float(row["average"] or 0),
                    f"{'-' if row['average'] is None else row['average']} ({row['answered']})",
                )
                for row in reports.satisfaction
            ],
            top=RATING_SCALE,
        )
    renewals_list = list_url(filters, among="renewals")
    return {
        "forecast": forecast,
        "renewals": column_chart(
            chart_id="chart-renewals",
            title="Agreement terms ending per month, the next 12 months",
            columns=[
                ColumnBar(month.strftime("%b"), str(month.year), count, renewals_list if count else "")
                for month, count in reports.renewal_months
            ],
        ),
        "invoices": invoices,
        "satisfaction": satisfaction,
    }
