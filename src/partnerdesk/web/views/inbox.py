"""The inbox: received messages, processed, ignored (auto-replies) or quarantined, with the reason."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from partnerdesk.inbound.models import InboundMessage
from partnerdesk.web.views.outbox import mail_list_page


@login_required
@require_GET
def inbox_list(request: HttpRequest) -> HttpResponse:
    return mail_list_page(request, model=InboundMessage, template="partnerdesk/inbox.html")
