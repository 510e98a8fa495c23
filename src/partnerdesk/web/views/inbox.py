"""The inbox: received messages, processed, ignored (auto-replies), held for confirmation, refused
(forged) or quarantined, with the reason; and one message's page, where a held message is
confirmed or dismissed and a quarantined one processed again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from partnerdesk.inbound.models import InboundMessage
from partnerdesk.inbound.store import message_raw
from partnerdesk.inbound.trust import held_message_dismiss, held_message_release, quarantined_message_retry
from partnerdesk.profile import get_profile
from partnerdesk.web.access import actor_of
from partnerdesk.web.mail_view import ShownMessage, attachment_response, message_shown
from partnerdesk.web.views.outbox import mail_list_page


def _message_or_404(message_id: int) -> InboundMessage:
    message = InboundMessage.objects.select_related("engagement").filter(pk=message_id).first()
    if message is None:
        raise Http404("no such message")
    return message


@login_required
@require_GET
def inbox_list(request: HttpRequest) -> HttpResponse:
    held = InboundMessage.objects.filter(status=InboundMessage.Status.HELD).count()
    return mail_list_page(
        request,
        model=InboundMessage,
        template="partnerdesk/inbox.html",
        extra={"held_count": held, "unproven_mailbox": not get_profile().inbound.authserv_id},
    )


@login_required
@require_GET
def inbox_message(request: HttpRequest, message_id: int) -> HttpResponse:
    message = _message_or_404(message_id)
    try:
        shown = message_shown(message_raw(message))
    except OSError:  # an oversized message kept as a file that is gone
        shown = ShownMessage(None, unreadable="its file is missing from the data folder")
    parsed = shown.parsed
    name = parsed.from_name if parsed else ""
    context = {
        "message": message,
        "parsed": parsed,
        "shown": shown,
        "from_line": f"{name} <{message.from_addr}>" if name else message.from_addr,
        "reference": message.engagement.reference if message.engagement else "",
    }
    return render(request, "partnerdesk/inbox_message.html", context)


@login_required
@require_GET
def inbox_attachment(request: HttpRequest, message_id: int, number: int) -> HttpResponse:
    try:
        response = attachment_response(message_raw(_message_or_404(message_id)), number)
    except OSError:
        response = None
    if response is None:
        raise Http404("no such attachment")
    return response


@login_required
@require_POST
def inbox_message_confirm(request: HttpRequest, message_id: int) -> HttpResponse:
    message = _message_or_404(message_id)
    who = actor_of(request).label
    if held_message_release(message=message, confirmed_by=who):
        messages.success(request, "Confirmed: the request will be carried out within a minute.")
    else:
        messages.error(request, "This message is not held any more: someone confirmed or dismissed it first.")
    return redirect(reverse("inbox-message", args=[message.pk]) + "#actions")


@login_required
@require_POST
def inbox_message_dismiss(request: HttpRequest, message_id: int) -> HttpResponse:
    message = _message_or_404(message_id)
    if held_message_dismiss(message=message, dismissed_by=actor_of(request).label):
        messages.success(request, "Dismissed: nothing will be done with this message. It stays in the inbox.")
    else:
        messages.error(request, "This message is not held any more: someone confirmed or dismissed it first.")
    return redirect(reverse("inbox-message", args=[message.pk]) + "#actions")


@login_required
@require_POST
def inbox_message_retry(request: HttpRequest, message_id: int) -> HttpResponse:
    message = _message_or_404(message_id)
    if quarantined_message_retry(message=message):
        messages.success(request, "The message will be processed again within a minute.")
    else:
        messages.error(request, "Only a quarantined message can be processed again.")
    return redirect(reverse("inbox-message", args=[message.pk]) + "#actions")
