"""The dashboard: tiles, the pipeline's charts and the partner phase's reports, for one owner
(or everyone) and one period; each count links to the engagement list behind it."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from partnerdesk.lib import clock
from partnerdesk.profile import get_profile
from partnerdesk.web.dashboard import DashboardFilters, dashboard_figures, owners, partner_figures, tiles
from partnerdesk.web.dashboard_charts import dashboard_charts, list_url, partner_charts
from partnerdesk.web.periods import DEFAULT_PERIOD, PERIODS, period_of


class DashboardFilterForm(forms.Form):
    owner = forms.ChoiceField(label="Owner", required=False)
    period = forms.ChoiceField(label="Period", required=False, choices=list(PERIODS.items()))

    def __init__(self, *args: object, usernames: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        cast(forms.ChoiceField, self.fields["owner"]).choices = [
            ("", "Anyone"),
            ("-", "No owner"),
            *((u, u) for u in usernames),
        ]


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    users = owners()
    form = DashboardFilterForm(
        request.GET or None, initial={"period": DEFAULT_PERIOD}, usernames=[name for _, name in users]
    )
    form.is_valid()  # an invalid value is ignored rather than hiding the dashboard
    data = getattr(form, "cleaned_data", {})
    owner = data.get("owner") or ""
    filters = DashboardFilters(
        owner=owner,
        owner_id=next((pk for pk, name in users if name == owner), None),
        period=period_of(data.get("period") or DEFAULT_PERIOD, today=clock.today()),
    )
    figures = dashboard_figures(filters)
    reports = partner_figures(filters)
    links = {
        name: list_url(filters, among=name) for name in ("pipeline", "forecast", "won", "renewals", "overdue")
    }
    links["all"] = list_url(filters)
    return render(
        request,
        "partnerdesk/dashboard.html",
        {
            "profile": get_profile(),
            "form": form,
            "filters": filters,
            "figures": figures,
            "tiles": tiles(filters, reports),
            "links": links,
            "stage_rows": [(s, list_url(filters, stage=s.stage.value)) for s in figures.stages],
            "charts": dashboard_charts(figures, filters),
            "reports": reports,
            "partner_charts": partner_charts(reports, filters),
        },
    )
