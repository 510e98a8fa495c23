"""The engagement list (/engagements/): one row per engagement, sorted and filtered, a page at a
time. It is also the list behind each number of the dashboard: `among` names the set a tile
counts ("forecast", "won"...), built from the same querysets the dashboard counts with.

Two queries a page whatever the number of engagements: the count and the page's rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.db.models import (
    Case,
    DateField,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)

from partnerdesk.lib import clock
from partnerdesk.partnership.reports import (
    forecast_agreements,
    overdue_invoices,
    renewing_agreements,
    with_current_value,
)
from partnerdesk.pipeline.models import Engagement, Task
from partnerdesk.pipeline.stages import PURSUIT_STAGE_VALUES, Stage
from partnerdesk.web.dashboard import won_engagements
from partnerdesk.web.periods import DEFAULT_PERIOD, PERIODS, Period, midnight, period_of
from partnerdesk.web.queries import BoardFilters, board_engagements

LIST_PAGE_SIZE = 100

# The sets behind the dashboard's tiles: (its name in the address, what the list says it shows).
SETS = {
    "pipeline": "in the pipeline (Lead, Qualified Lead, Prospect)",
    "forecast": "in the weighted forecast (open, closing this month or later)",
    "won": "won (moved to Partner)",
    "renewals": "with a term ending in the next 12 months",
    "overdue": "with an overdue invoice",
}

SET_CHOICES = {
    "pipeline": "In the pipeline",
    "forecast": "In the forecast",
    "won": "Won",
    "renewals": "Renewals due",
    "overdue": "Overdue invoices",
}

SORTS = {
    "reference": "Reference",
    "organization": "Organization",
    "stage": "Stage",
    "owner": "Owner",
    "value": "Value",
    "days": "Days in stage",
    "due": "Next due",
}
DEFAULT_SORT = "reference"


def in_set(
    queryset: QuerySet[Engagement], name: str, *, today: dt.date, period: Period
) -> QuerySet[Engagement]:
    """`queryset` narrowed to the set `name` (a key of SETS); an unknown name narrows nothing."""
    if name == "pipeline":
        return queryset.filter(stage__in=PURSUIT_STAGE_VALUES)
    if name == "forecast":
        counted = forecast_agreements(stages=PURSUIT_STAGE_VALUES, from_month=today)
        return queryset.filter(pk__in=counted.values("engagement_id"))
    if name == "won":
        return queryset.filter(pk__in=won_engagements(period).values("pk"))
    if name == "renewals":
        return queryset.filter(pk__in=renewing_agreements(today=today).values("engagement_id"))
    if name == "overdue":
        return queryset.filter(pk__in=overdue_invoices(today=today).values("engagement_id"))
    return queryset


class ListForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    owner = forms.ChoiceField(label="Owner", required=False)
    stage = forms.ChoiceField(
        label="Stage", required=False, choices=[("", "Any stage"), *((s.value, s.label) for s in Stage)]
    )
    among = forms.ChoiceField(
        label="Among", required=False, choices=[("", "All engagements"), *SET_CHOICES.items()]
    )
    period = forms.ChoiceField(label="Won in", required=False, choices=list(PERIODS.items()))
    created_from = forms.DateField(
        label="Created from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label="Created to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[
            choice
            for key, label in SORTS.items()
            for choice in ((key, label), (f"-{key}", f"{label}, reversed"))
        ],
    )

    def __init__(self, *args: Any, owners: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["owner"]).choices = [
            ("", "Anyone"),
            ("-", "No owner"),
            *((u, u) for u in owners),
        ]

    def filters(self) -> ListFilters:
        """The valid filters; an invalid value is ignored rather than hiding the list."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        try:
            page = max(int(self.data.get("page", "1")), 1)
        except (TypeError, ValueError):
            page = 1
        return ListFilters(
            q=data.get("q") or "",
            owner=data.get("owner") or "",
            stage=Stage(data["stage"]) if data.get("stage") else None,
            among=data.get("among") or "",
            period=data.get("period") or DEFAULT_PERIOD,
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
            sort=data.get("sort") or DEFAULT_SORT,
            page=page,
        )


@dataclass(frozen=True)
class ListFilters:
    q: str = ""
    owner: str = ""
    stage: Stage | None = None
    among: str = ""
    period: str = DEFAULT_PERIOD
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    sort: str = DEFAULT_SORT
    page: int = 1

    def as_query(self, **changes: Any) -> dict[str, str]:
        """The filters as an address's query, with `changes` (sort, page...) applied; defaults left out."""
        values: dict[str, Any] = {
            "q": self.q,
            "owner": self.owner,
            "stage": self.stage.value if self.stage else "",
            "among": self.among,
            "period": self.period if self.among == "won" and self.period != DEFAULT_PERIOD else "",
            "created_from": self.created_from.isoformat() if self.created_from else "",
            "created_to": self.created_to.isoformat() if self.created_to else "",
            "sort": self.sort if self.sort != DEFAULT_SORT else "",
            "page": "",
        }
        values.update({key: str(value) for key, value in changes.items()})
        if values.get("sort") == DEFAULT_SORT:
            values["sort"] = ""
        if values.get("page") == "1":
            values["page"] = ""
        return {key: value for key, value in values.items() if value}

    def description(self, today: dt.date) -> str:
        """What the list shows, in words: "Engagements won (moved to Partner) this quarter"."""
        words = ["Engagements"]
        if self.among:
            words.append(SETS[self.among])
            if self.among == "won":
                words.append(period_of(self.period, today=today).phrase)
        if self.stage:
            words.append(f"at {self.stage.label}")
        if self.owner:
            words.append("with no owner" if self.owner == "-" else f"owned by {self.owner}")
        if self.created_from or self.created_to:
            start = self.created_from.isoformat() if self.created_from else "the start"
            end = self.created_to.isoformat() if self.created_to else "today"
            words.append(f"created {start} to {end}")
        if self.q:
            words.append(f"matching \u201c{self.q}\u201d")
        return " ".join(words)


@dataclass
class ListRow:
    engagement: Engagement
    days_in_stage: int

    @property
    def value(self) -> Any:
        return self.engagement.current_value  # type: ignore[attr-defined]


@dataclass
class EngagementList:
    rows: list[ListRow]
    count: int
    page: int
    pages: int


_STAGE_ORDER = Case(
    *(When(stage=stage.value, then=Value(number)) for number, stage in enumerate(Stage)),
    output_field=IntegerField(),
)
_ORDERS = {
    "reference": [F("id").asc()],
    "organization": [F("organization__name").asc(), F("id").asc()],
    "stage": [_STAGE_ORDER.asc(), F("stage_changed_at").asc(), F("id").asc()],
    "owner": [F("owner__username").asc(nulls_last=True), F("id").asc()],
    "value": [F("current_value").asc(nulls_last=True), F("id").asc()],
    "days": [F("stage_changed_at").desc(), F("id").asc()],  # fewest days first
    "due": [F("next_due").asc(nulls_last=True), F("id").asc()],
}


def _reversed(order: Any) -> Any:
    expression = order.expression
    if order.descending:
        return expression.asc(nulls_last=True)
    return expression.desc(nulls_last=True)


def list_engagements(filters: ListFilters, *, today: dt.date | None = None) -> QuerySet[Engagement]:
    """The engagements the filters select, with their value and next due date, in the sort's order."""
    today = today or clock.today()
    queryset = board_engagements(BoardFilters(q=filters.q, owner=filters.owner, stage=filters.stage))
    if filters.among:
        queryset = in_set(queryset, filters.among, today=today, period=period_of(filters.period, today=today))
    if filters.created_from:
        queryset = queryset.filter(created_at__gte=midnight(filters.created_from))
    if filters.created_to:
        queryset = queryset.filter(created_at__lt=midnight(filters.created_to + dt.timedelta(days=1)))
    open_tasks = Task.objects.filter(engagement=OuterRef("pk"), done_at__isnull=True, due_on__isnull=False)
    queryset = with_current_value(queryset.select_related("organization", "owner")).annotate(
        next_due=Subquery(open_tasks.order_by("due_on", "id").values("due_on")[:1], output_field=DateField()),
        next_task=Subquery(open_tasks.order_by("due_on", "id").values("title")[:1]),
    )
    key = filters.sort.lstrip("-")
    orders = _ORDERS.get(key, _ORDERS[DEFAULT_SORT])
    if filters.sort.startswith("-"):
        orders = [_reversed(orders[0]), *orders[1:]]
    return queryset.order_by(*orders)


def engagement_list(filters: ListFilters) -> EngagementList:
    queryset = list_engagements(filters)
    count = queryset.count()
    pages = max((count + LIST_PAGE_SIZE - 1) // LIST_PAGE_SIZE, 1)
    page = min(filters.page, pages)
    start = (page - 1) * LIST_PAGE_SIZE
    now = clock.now()
    rows = [
        ListRow(engagement, max((now - engagement.stage_changed_at).days, 0))
        for engagement in queryset[start : start + LIST_PAGE_SIZE]
    ]
    return EngagementList(rows, count, page, pages)
