"""The inbox: received messages, processed, ignored (auto-replies) or quarantined, with the reason."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from partnerdesk.inbound.models import InboundMessage
from partnerdesk.profile import get_profile

PER_PAGE = 50


@login_required
@require_GET
def inbox_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    queryset = InboundMessage.objects.defer("raw").order_by("-id")
    if status in InboundMessage.Status.values:
        queryset = queryset.filter(status=status)
    else:
        status = ""
    page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    prefix = get_profile().organization.reference_prefix
    rows = [(m, f"{prefix}-{m.engagement_id}" if m.engagement_id else None) for m in page]
    return render(
        request,
        "partnerdesk/inbox.html",
        {
            "profile": get_profile(),
            "page": page,
            "rows": rows,
            "status": status,
            "statuses": InboundMessage.Status.choices,
        },
    )
