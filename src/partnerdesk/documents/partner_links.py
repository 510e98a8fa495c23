"""Partner links: what a contact opens, without signing in, to reach the documents shared with them.

A link is an access link (lib/access_links.py: only its token's hash is stored; it expires and is
revoked one by one). It is not used up when opened: the page asks for a click first (mail
scanners fetch every link in a message) and then remembers the link in that browser's session.
Everything a link reaches goes through `partner_shares` / `partner_share_or_404`, which only ever
look at the shares of the link's contact. The technical form's links are partner links of their
own purpose (technical/links.py), so neither kind opens the other's pages.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest
from django.urls import reverse

from partnerdesk.documents.models import PartnerLink, Share
from partnerdesk.lib import clock
from partnerdesk.lib.access_links import (
    access_link_find,
    access_link_issue,
    access_link_revoke,
    access_links_working,
)
from partnerdesk.mail.outbox import default_from_address, message_queue
from partnerdesk.pipeline.models import Contact, Engagement, TimelineEntry
from partnerdesk.pipeline.services import Actor, ServiceError, timeline_record
from partnerdesk.profile import get_profile

LINK_LIFETIME = dt.timedelta(days=30)
SESSION_KEY = "partnerdesk_partner_links"
# What a partner link opens: the documents shared with its contact, or a technical form.
DOCUMENTS = "documents"
TECHNICAL_FORM = "technical-form"
PURPOSES = (DOCUMENTS, TECHNICAL_FORM)


def partner_link_issue(
    *, contact: Contact, actor: Actor, purpose: str = DOCUMENTS, lifetime: dt.timedelta = LINK_LIFETIME
) -> tuple[PartnerLink, str]:
    """A new link for `contact` and its token; call it inside the transaction that sends it."""
    return access_link_issue(
        PartnerLink, purpose=purpose, lifetime=lifetime, contact=contact, created_by=actor.label
    )


def partner_link_create(*, contact: Contact, actor: Actor, lifetime: dt.timedelta = LINK_LIFETIME) -> str:
    """A new link to the documents shared with `contact` (the full URL)."""
    _, token = partner_link_issue(contact=contact, actor=actor, lifetime=lifetime)
    return settings.PARTNERDESK_BASE_URL + reverse("partner-open", args=[token])


def partner_link_find(token: str, *, purpose: str = DOCUMENTS) -> PartnerLink | None:
    """The link of `purpose` that `token` opens, if it is neither revoked nor expired."""
    return access_link_find(PartnerLink.objects.select_related("contact"), token, purpose=purpose)


def partner_link_confirm(request: HttpRequest, link: PartnerLink) -> None:
    """The visitor clicked to open the link: this browser may now use it."""
    confirmed = [i for i in request.session.get(SESSION_KEY, []) if isinstance(i, int)]
    if link.pk not in confirmed:
        request.session[SESSION_KEY] = [*confirmed[-9:], link.pk]
    PartnerLink.objects.filter(pk=link.pk).update(last_opened_at=clock.now())


def partner_link_confirmed(request: HttpRequest, link: PartnerLink) -> bool:
    return link.pk in request.session.get(SESSION_KEY, [])


def partner_actor(link: PartnerLink) -> Actor:
    return Actor(label=f"partner:{link.contact.email}")


def partner_shares(link: PartnerLink) -> list[Share]:
    """Exactly the shares of the link's contact, with their documents and engagements."""
    return list(
        Share.objects.filter(contact_id=link.contact_id)
        .select_related("document__engagement__organization")
        .order_by("document__engagement_id", "document_id")
    )


def partner_share_or_404(link: PartnerLink, document_id: int) -> Share:
    share = (
        Share.objects.filter(contact_id=link.contact_id, document_id=document_id)
        .select_related("document__engagement__organization")
        .first()
    )
    if share is None:
        raise Http404("no such document")
    return share


def engagement_partner_links(engagement: Engagement) -> list[PartnerLink]:
    """The links still working for the engagement's contacts (one query)."""
    of_engagement = PartnerLink.objects.filter(contact__engagement_links__engagement=engagement)
    return list(
        access_links_working(of_engagement, purpose=PURPOSES).select_related("contact").order_by("id")
    )


def partner_link_revoke(*, engagement: Engagement, link_id: int, actor: Actor) -> PartnerLink:
    """Revoke a link of one of the engagement's contacts; another's link is not found."""
    with transaction.atomic():
        link = (
            PartnerLink.objects.select_related("contact")
            .filter(pk=link_id, contact__engagement_links__engagement=engagement)
            .first()
        )
        if link is None:
            raise Http404("no such partner link")
        if not access_link_revoke(link, revoked_by=actor.label):
            return link  # revoked before (a second click): the timeline says it once
        timeline_record(
            engagement=engagement,
            kind=TimelineEntry.Kind.SHARE,
            actor=actor,
            summary=f"Revoked the document link sent to {link.contact}",
            data={"partner_link": link.pk, "contact": link.contact.email, "revoked": True},
        )
    return link


def partner_link_send(*, engagement: Engagement, contact_id: int, actor: Actor) -> Contact:
    """Email one of the engagement's contacts a new link to the documents shared with them."""
    contact = Contact.objects.filter(pk=contact_id, engagement_links__engagement=engagement).first()
    if contact is None:
        raise Http404("no such contact")
    if not Share.objects.filter(contact=contact).exists():
        raise ServiceError(f"nothing is shared with {contact}")
    team = get_profile().mailbox.display_name
    with transaction.atomic():
        link = partner_link_create(contact=contact, actor=actor)
        days = LINK_LIFETIME.days
        message_queue(
            to=[contact.email],
            subject="Your link to the shared documents",
            body=(f"Hello {contact.name},\n\n" if contact.name else "Hello,\n\n")
            + f"Here is a new link to the documents {team} shares with you (it works for {days} days):\n"
            + f"{link}\n\nBest regards,\n{team}\n",
            from_addr=default_from_address(),
            engagement=engagement,
            actor=actor,
        )
    return contact
