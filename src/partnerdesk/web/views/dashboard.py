"""The dashboard: counts, conversion and time per stage, and new leads per week."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from partnerdesk.web.dashboard import dashboard_charts, dashboard_figures


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    figures = dashboard_figures()
    return render(
        request,
        "partnerdesk/dashboard.html",
        {"figures": figures, "charts": dashboard_charts(figures)},
    )
