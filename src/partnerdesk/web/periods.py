"""The dashboard's periods (this month, this quarter...) and the buckets its charts count in.

A period is a span of local days, [start, end): its datetimes are the local midnights, so a count
"this quarter" is the same whatever the database stores (UTC).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from partnerdesk.agreements.partnership_rules import add_months

PERIODS = {
    "month": "This month",
    "quarter": "This quarter",
    "year": "This year",
    "12m": "The last 12 months",
    "all": "All time",
}
DEFAULT_PERIOD = "quarter"
# "All time" starts here for the charts: older engagements are counted, in the first bucket.
ALL_TIME_CHART_YEARS = 5


@dataclass(frozen=True)
class Bucket:
    start: dt.date
    end: dt.date  # exclusive
    label: str  # the first line under a column
    group: str  # the second line: shown where it changes (the month of a week, the year of a month)


@dataclass(frozen=True)
class Period:
    key: str
    start: dt.date | None  # None: since the beginning
    end: dt.date  # exclusive: tomorrow

    @property
    def label(self) -> str:
        return PERIODS[self.key]

    @property
    def phrase(self) -> str:
        """ "this quarter", "all time": for sentences."""
        return self.label[0].lower() + self.label[1:]

    def start_at(self) -> dt.datetime | None:
        return midnight(self.start) if self.start else None

    def end_at(self) -> dt.datetime:
        return midnight(self.end)

    def buckets(self) -> list[Bucket]:
        """Weeks (from Monday) for a span up to a quarter, else months, else years: at most 14."""
        start = self.start or dt.date(self.end.year - ALL_TIME_CHART_YEARS + 1, 1, 1)
        days = (self.end - start).days
        buckets: list[Bucket] = []
        if days <= 100:
            day = start - dt.timedelta(days=start.weekday())
            while day < self.end:
                buckets.append(
                    Bucket(day, day + dt.timedelta(weeks=1), day.strftime("%d"), day.strftime("%b"))
                )
                day += dt.timedelta(weeks=1)
        elif days <= 400:
            day = start.replace(day=1)
            while day < self.end:
                buckets.append(Bucket(day, add_months(day, 1), day.strftime("%b"), str(day.year)))
                day = add_months(day, 1)
        else:
            for year in range(start.year, self.end.year + 1):
                buckets.append(Bucket(dt.date(year, 1, 1), dt.date(year + 1, 1, 1), str(year), ""))
        return buckets


def midnight(day: dt.date) -> dt.datetime:
    """The local midnight that starts `day`, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def period_of(key: str, *, today: dt.date) -> Period:
    """The period named `key` (a key of PERIODS; anything else is the default), up to today."""
    end = today + dt.timedelta(days=1)
    starts: dict[str, dt.date | None] = {
        "month": today.replace(day=1),
        "quarter": quarter_start(today),
        "year": today.replace(month=1, day=1),
        "12m": add_months(today, -12) + dt.timedelta(days=1),
        "all": None,
    }
    key = key if key in starts else DEFAULT_PERIOD
    return Period(key, starts[key], end)
