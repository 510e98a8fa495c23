"""What a signed-in team member may reach, and where a form may send them back to.

Every signed-in user is a member of the partnerships team and sees every engagement; what is
checked here is that the thing exists (404 otherwise) and that a redirect stays on this site.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline.models import Contact, Engagement, Task
from partnerdesk.pipeline.selectors import EngagementNotFound, engagement_id_from_reference
from partnerdesk.pipeline.services import Actor


def actor_of(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user)  # type: ignore[arg-type]


def engagement_id_or_404(reference: str) -> int:
    try:
        return engagement_id_from_reference(reference)
    except EngagementNotFound:
        raise Http404("no such engagement") from None


def engagement_or_404(reference: str) -> Engagement:
    engagement = (
        Engagement.objects.select_related("organization", "owner")
        .filter(pk=engagement_id_or_404(reference))
        .first()
    )
    if engagement is None:
        raise Http404("no such engagement")
    return engagement


def task_or_404(engagement: Engagement, task_id: int) -> Task:
    task = Task.objects.select_related("engagement").filter(pk=task_id, engagement=engagement).first()
    if task is None:
        raise Http404("no such task")
    return task


def engagement_contact_or_404(engagement: Engagement, contact_id: int) -> Contact:
    """A contact of this engagement: another engagement's contact is 404 here."""
    contact = Contact.objects.filter(pk=contact_id, engagement_links__engagement=engagement).first()
    if contact is None:
        raise Http404("no such contact on this engagement")
    return contact


def outbox_message_or_404(message_id: int) -> OutboxMessage:
    message = OutboxMessage.objects.defer("raw").filter(pk=message_id).first()
    if message is None:
        raise Http404("no such message")
    return message


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` field of a form if it points into this site, else the fallback."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
