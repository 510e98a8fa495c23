"""The audit trail as a download: one engagement's (linked from its page) or every engagement's
(linked from the dashboard), as CSV safe for spreadsheets or JSON; `?since=YYYY-MM-DD` narrows it."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_GET

from partnerdesk.lib import clock
from partnerdesk.pipeline.audit import audit_entries, audit_write_csv, audit_write_json
from partnerdesk.web.access import engagement_or_404

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@login_required
@require_GET
def audit_download(request: HttpRequest, reference: str | None = None) -> HttpResponse:
    engagement = engagement_or_404(reference) if reference else None
    file_format = request.GET.get("format") or "csv"
    if file_format not in CONTENT_TYPES:
        return HttpResponseBadRequest("The format is csv or json.", content_type="text/plain")
    since = None
    if request.GET.get("since"):
        try:
            since = dt.date.fromisoformat(request.GET["since"])
        except ValueError:
            return HttpResponseBadRequest("The date is written YYYY-MM-DD.", content_type="text/plain")
    response = HttpResponse(content_type=CONTENT_TYPES[file_format])
    name = f"audit-{engagement.reference if engagement else 'all'}-{clock.now():%Y-%m-%d}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    rows = audit_entries(engagement=engagement, since=since)
    if file_format == "json":
        audit_write_json(rows, response)
    else:
        audit_write_csv(rows, response)
    return response
