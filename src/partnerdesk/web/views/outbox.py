"""The outbox: queued, sent and failed messages, with the error, and Retry for a failed one; and one
message's page, with what was sent (headers, text and HTML parts, attachments to download)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from partnerdesk.inbound.models import InboundMessage
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import message_retry
from partnerdesk.pipeline.references import reference_of
from partnerdesk.pipeline.services import ServiceError
from partnerdesk.profile import get_profile
from partnerdesk.web.access import outbox_message_or_404, safe_next
from partnerdesk.web.mail_view import attachment_response, message_shown

PER_PAGE = 50


def mail_list_page(
    request: HttpRequest,
    *,
    model: type[InboundMessage | OutboxMessage],
    template: str,
    extra: dict | None = None,
) -> HttpResponse:
    """A page of messages, newest first, filtered by `?status=`: the inbox and the outbox alike."""
    status = request.GET.get("status", "")
    queryset = model.objects.defer("raw").order_by("-id")
    if status in model.Status.values:
        queryset = queryset.filter(status=status)
    else:
        status = ""
    page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    shown = cast("Iterable[InboundMessage | OutboxMessage]", page)
    rows = [(m, reference_of(m.engagement_id) if m.engagement_id else None) for m in shown]
    context = {"profile": get_profile(), "page": page, "rows": rows, "status": status}
    return render(request, template, context | {"statuses": model.Status.choices} | (extra or {}))


@login_required
@require_GET
def outbox_list(request: HttpRequest) -> HttpResponse:
    return mail_list_page(request, model=OutboxMessage, template="partnerdesk/outbox.html")


def _message_with_bytes_or_404(message_id: int) -> OutboxMessage:
    message = OutboxMessage.objects.select_related("engagement__organization").filter(pk=message_id).first()
    if message is None:
        raise Http404("no such message")
    return message


@login_required
@require_GET
def outbox_message(request: HttpRequest, message_id: int) -> HttpResponse:
    message = _message_with_bytes_or_404(message_id)
    context = {
        "message": message,
        "shown": message_shown(bytes(message.raw)),
        "engagement": message.engagement,
        "attachment_url": "outbox-attachment",
    }
    return render(request, "partnerdesk/outbox_message.html", context)


@login_required
@require_GET
def outbox_attachment(request: HttpRequest, message_id: int, number: int) -> HttpResponse:
    response = attachment_response(bytes(_message_with_bytes_or_404(message_id).raw), number)
    if response is None:
        raise Http404("no such attachment")
    return response


@login_required
@require_POST
def outbox_retry(request: HttpRequest, message_id: int) -> HttpResponse:
    message = outbox_message_or_404(message_id)
    try:
        message_retry(message=message)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Message #{message.pk} is queued again: {message.subject}")
    return redirect(safe_next(request, reverse("outbox")))
