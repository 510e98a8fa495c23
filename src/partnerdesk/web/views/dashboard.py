"""The dashboard: counts, conversion and time per stage, new leads per week, and the partner
phase's reports (forecast, renewals calendar, invoices outstanding, satisfaction trend)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from partnerdesk.web.dashboard import dashboard_charts, dashboard_figures, partner_charts, partner_figures


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    figures = dashboard_figures()
    reports = partner_figures()
    return render(
        request,
        "partnerdesk/dashboard.html",
        {
            "figures": figures,
            "charts": dashboard_charts(figures),
            "reports": reports,
            "partner_charts": partner_charts(reports),
        },
    )
