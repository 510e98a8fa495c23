"""The dashboard's figures and their charts: server-rendered SVG, no JavaScript.

Two queries whatever the number of engagements: the engagements (stage and dates) and the stage
changes of the timeline. The figures are then worked out here, in plain Python.

The partner phase's reports (forecast, renewals calendar, invoices outstanding, satisfaction
trend) come from `partnerdesk.partnership.reports`, the functions behind `partnerdesk report`:
five queries more, also whatever the number of rows (four when no term ends within the renewals
window: Django then skips the query for their reminders).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from partnerdesk.lib import clock
from partnerdesk.partnership.reports import (
    RENEWAL_WINDOW_MONTHS,
    Row,
    forecast_report,
    invoices_report,
    renewals_report,
    satisfaction_report,
)
from partnerdesk.partnership.rules import add_months
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from partnerdesk.pipeline.stages import Stage

FUNNEL = (Stage.LEAD, Stage.QUALIFIED_LEAD, Stage.PROSPECT, Stage.PARTNER)
WEEKS = 12
DAY = 86400


@dataclass
class StageFigures:
    stage: Stage
    count: int  # engagements in the stage now
    reached: int  # engagements that were ever in the stage
    converted: int  # of those, how many went on to the next stage of the funnel
    median_days: float | None  # median length of the stays in the stage that ended
    median_age: float | None  # median days in the stage of those in it now

    @property
    def conversion(self) -> float | None:
        return self.converted / self.reached if self.reached else None


@dataclass
class Dashboard:
    stages: list[StageFigures]
    weeks: list[tuple[dt.date, int]]  # (Monday, new leads that week), oldest first
    total: int


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def dashboard_figures(*, weeks: int = WEEKS) -> Dashboard:
    now = clock.now()
    engagements = list(
        Engagement.objects.order_by().values_list("id", "stage", "created_at", "stage_changed_at")
    )
    moves: dict[int, list[tuple[dt.datetime, str, str]]] = defaultdict(list)
    rows = (
        TimelineEntry.objects.filter(kind=TimelineEntry.Kind.STAGE_CHANGED)
        .order_by("engagement_id", "at", "id")
        .values_list("engagement_id", "at", KT("data__from"), KT("data__to"))
    )
    for engagement_id, at, origin, to in rows:
        if origin and to:
            moves[engagement_id].append((at, origin, to))

    counts: dict[str, int] = defaultdict(int)
    reached: dict[str, int] = defaultdict(int)
    converted: dict[str, int] = defaultdict(int)
    stays: dict[str, list[float]] = defaultdict(list)
    ages: dict[str, list[float]] = defaultdict(list)
    for engagement_id, stage, created_at, stage_changed_at in engagements:
        counts[stage] += 1
        ages[stage].append(max((now - stage_changed_at).total_seconds(), 0) / DAY)
        visited = {Stage.LEAD.value}
        entered = created_at
        for at, origin, to in moves.get(engagement_id, []):
            stays[origin].append(max((at - entered).total_seconds(), 0) / DAY)
            entered = at
            visited.add(to)
        visited.add(stage)
        for position, funnel_stage in enumerate(FUNNEL):
            if funnel_stage.value in visited:
                reached[funnel_stage.value] += 1
                if position + 1 < len(FUNNEL) and FUNNEL[position + 1].value in visited:
                    converted[funnel_stage.value] += 1

    figures = [
        StageFigures(
            stage=stage,
            count=counts[stage.value],
            reached=reached[stage.value] if stage in FUNNEL else counts[stage.value],
            converted=converted[stage.value],
            median_days=_median(stays[stage.value]),
            median_age=_median(ages[stage.value]),
        )
        for stage in Stage
    ]
    today = timezone.localdate(now)
    first_monday = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks - 1)
    per_week: dict[dt.date, int] = defaultdict(int)
    for _, _, created_at, _ in engagements:
        day = timezone.localdate(created_at)
        monday = day - dt.timedelta(days=day.weekday())
        if monday >= first_monday:
            per_week[monday] += 1
    week_list = [(first_monday + dt.timedelta(weeks=n), 0) for n in range(weeks)]
    return Dashboard(
        stages=figures,
        weeks=[(monday, per_week.get(monday, 0)) for monday, _ in week_list],
        total=len(engagements),
    )


# Charts. Sizes are in SVG user units; the CSS lets each chart shrink to the screen's width.


def bar_chart(
    *, chart_id: str, title: str, rows: list[tuple[str, float, str]], top: float | None = None
) -> SafeString:
    """Horizontal bars: one row per (label, value, the value as shown). The longest bar is `top`
    (a scale's end, such as 5 for ratings), by default the largest value."""
    label_width, bar_width, row_height = 130, 260, 28
    width, height = label_width + bar_width + 70, row_height * len(rows) + 8
    top = top or max((value for _, value, _ in rows), default=0) or 1
    bars = format_html_join(
        "",
        '<g class="row"><text class="label" x="{}" y="{}" text-anchor="end">{}</text>'
        '<rect class="bar" x="{}" y="{}" width="{}" height="{}"></rect>'
        '<text class="value" x="{}" y="{}">{}</text></g>',
        (
            (
                label_width - 8,
                index * row_height + 22,
                label,
                label_width,
                index * row_height + 8,
                f"{bar_width * value / top:.1f}",
                row_height - 10,
                label_width + bar_width * value / top + 6,
                index * row_height + 22,
                shown,
            )
            for index, (label, value, shown) in enumerate(rows)
        ),
    )
    return format_html(
        '<svg class="chart" id="{}" viewBox="0 0 {} {}" width="{}" height="{}" role="img"'
        ' aria-labelledby="{}-title">'
        '<title id="{}-title">{}</title>{}</svg>',
        chart_id,
        width,
        height,
        width,
        height,
        chart_id,
        chart_id,
        title,
        bars,
    )


def column_chart(*, chart_id: str, title: str, columns: list[tuple[str, int]]) -> SafeString:
    """Vertical bars: one column per (label, count), the count written above each."""
    column_width, plot_height, bottom = 36, 140, 36
    width, height = column_width * len(columns) + 16, plot_height + bottom + 20
    top = max((value for _, value in columns), default=0) or 1
    bars = format_html_join(
        "",
        '<g class="column"><rect class="bar" x="{}" y="{}" width="{}" height="{}"></rect>'
        '<text class="value" x="{}" y="{}" text-anchor="middle">{}</text>'
        '<text class="label" x="{}" y="{}" text-anchor="middle">{}</text></g>',
        (
            (
                8 + index * column_width + 4,
                f"{20 + plot_height - plot_height * value / top:.1f}",
                column_width - 8,
                f"{plot_height * value / top:.1f}",
                8 + index * column_width + column_width / 2,
                f"{16 + plot_height - plot_height * value / top:.1f}",
                value,
                8 + index * column_width + column_width / 2,
                20 + plot_height + 18,
                label,
            )
            for index, (label, value) in enumerate(columns)
        ),
    )
    return format_html(
        '<svg class="chart" id="{}" viewBox="0 0 {} {}" width="{}" height="{}" role="img"'
        ' aria-labelledby="{}-title">'
        '<title id="{}-title">{}</title>{}</svg>',
        chart_id,
        width,
        height,
        width,
        height,
        chart_id,
        chart_id,
        title,
        bars,
    )


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} d"


def dashboard_charts(figures: Dashboard) -> dict[str, SafeString]:
    funnel = [s for s in figures.stages if s.stage in FUNNEL[:-1]]
    return {
        "counts": bar_chart(
            chart_id="chart-counts",
            title="Engagements in each stage now",
            rows=[(s.stage.label, s.count, str(s.count)) for s in figures.stages],
        ),
        "conversion": bar_chart(
            chart_id="chart-conversion",
            title="Conversion to the next stage",
            rows=[
                (
                    s.stage.label,
                    (s.conversion or 0) * 100,
                    "-" if s.conversion is None else f"{s.conversion:.0%}",
                )
                for s in funnel
            ],
        ),
        "median_days": bar_chart(
            chart_id="chart-median-days",
            title="Median days in each stage (stays that ended)",
            rows=[(s.stage.label, s.median_days or 0, _days(s.median_days)) for s in figures.stages[:-1]],
        ),
        "weeks": column_chart(
            chart_id="chart-weeks",
            title=f"New leads per week, the last {len(figures.weeks)} weeks",
            columns=[(monday.strftime("%m-%d"), count) for monday, count in figures.weeks],
        ),
    }


# The partner phase: the reports of `partnerdesk report`, drawn.


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
    forecast: list[Row]  # forecast_report's rows: (month, currency), in order
    renewals: list[Row]  # renewals_report's rows: soonest term end first
    renewal_months: list[tuple[dt.date, int]]  # (first of the month, terms ending), in order
    outstanding: list[Outstanding]  # one per currency, in order
    satisfaction: list[Row]  # satisfaction_report's rows: one per quarter, in order

    @property
    def forecast_currencies(self) -> list[str]:
        return sorted({row["currency"] for row in self.forecast})

    @property
    def overdue(self) -> int:
        return sum(o.overdue for o in self.outstanding)


def _first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def partner_figures(*, today: dt.date | None = None) -> PartnerReports:
    """The four partner-phase reports, as `partnerdesk report` has them, and the few figures the
    charts need on top (counts per month and per currency). Five queries, whatever the rows."""
    today = today or clock.today()
    renewals = renewals_report(today=today)
    per_month: dict[dt.date, int] = defaultdict(int)
    for row in renewals:
        per_month[_first_of_month(row["term_end"])] += 1
    months: list[dt.date] = []
    month, last = _first_of_month(today), _first_of_month(add_months(today, RENEWAL_WINDOW_MONTHS))
    while month <= last:
        months.append(month)
        month = add_months(month, 1)

    outstanding: dict[str, Outstanding] = {}
    for row in invoices_report(today=today):
        figures = outstanding.setdefault(
            row["currency"], Outstanding(row["currency"], 0, Decimal(0), 0, Decimal(0))
        )
        if row["kind"] == "total":
            figures.invoices, figures.amount = row["invoices"], row["amount"]
        elif row["status"] == "overdue":
            figures.overdue += 1
            figures.overdue_amount += row["amount"]
    return PartnerReports(
        forecast=forecast_report(),
        renewals=renewals,
        renewal_months=[(month, per_month.get(month, 0)) for month in months],
        outstanding=[outstanding[currency] for currency in sorted(outstanding)],
        satisfaction=satisfaction_report(),
    )


RATING_SCALE = 5  # check-in ratings are 1 to 5


def partner_charts(reports: PartnerReports) -> dict[str, object]:
    """`forecast` is a list of (currency, chart), one chart per currency; the others are charts,
    or None when there is nothing to draw (no invoice outstanding, no check-in sent)."""
    forecast = [
        (
            currency,
            bar_chart(
                chart_id=f"chart-forecast-{number}",
                title=f"Weighted contract value in {currency} by expected close month",
                rows=[
                    (row["month"], float(row["weighted_value"]), f"{row['weighted_value']:,.0f}")
                    for row in reports.forecast
                    if row["currency"] == currency
                ],
            ),
        )
        for number, currency in enumerate(reports.forecast_currencies, start=1)
    ]
    invoices = None
    if reports.outstanding:
        invoices = bar_chart(
            chart_id="chart-invoices",
            title="Invoices outstanding: overdue and not yet due, per currency",
            rows=[
                row
                for o in reports.outstanding
                for row in (
                    (f"{o.currency} overdue", o.overdue, str(o.overdue)),
                    (f"{o.currency} not yet due", o.not_yet_due, str(o.not_yet_due)),
                )
            ],
        )
    satisfaction = None
    if reports.satisfaction:
        satisfaction = bar_chart(
            chart_id="chart-satisfaction",
            title=f"Average check-in rating per quarter (out of {RATING_SCALE}), answers in brackets",
            rows=[
                (
                    row["quarter"],
                    float(row["average"] or 0),
                    f"{'-' if row['average'] is None else row['average']} ({row['answered']})",
                )
                for row in reports.satisfaction
            ],
            top=RATING_SCALE,
        )
    return {
        "forecast": forecast,
        "renewals": column_chart(
            chart_id="chart-renewals",
            title=f"Agreement terms ending per month, the next {RENEWAL_WINDOW_MONTHS} months",
            columns=[(month.strftime("%b %y"), count) for month, count in reports.renewal_months],
        ),
        "invoices": invoices,
        "satisfaction": satisfaction,
    }
