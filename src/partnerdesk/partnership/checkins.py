"""Satisfaction check-ins: an email per contact with five one-click ratings.

Each link carries a signed token naming the check-in and its engagement: no sign-in, no way to
rate another engagement (a changed token fails the signature), answered once (a conditional
update), and only until the check-in expires.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.db import transaction

from partnerdesk.agreements.partnership_rules import get_rules
from partnerdesk.lib import clock
from partnerdesk.mail.outbox import message_queue
from partnerdesk.partnership.models import CheckIn, Tickler
from partnerdesk.partnership.renewals import WORKER
from partnerdesk.pipeline import services as pipeline
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from partnerdesk.pipeline.stages import Stage

SALT = "partnerdesk.partnership.check-in"
RATINGS = {
    1: "Very dissatisfied",
    2: "Dissatisfied",
    3: "Neutral",
    4: "Satisfied",
    5: "Very satisfied",
}


class CheckInRefused(Exception):
    """The link is not valid (tampered), already used, or expired; the message says which."""


def check_in_token(check_in: CheckIn) -> str:
    return signing.Signer(salt=SALT).sign_object({"c": check_in.pk, "e": check_in.engagement_id})


def check_in_url(check_in: CheckIn, rating: int) -> str:
    return f"{settings.PARTNERDESK_BASE_URL}/p/checkin/{check_in_token(check_in)}/{rating}/"


def check_in_from_token(token: str) -> CheckIn:
    try:
        data = signing.Signer(salt=SALT).unsign_object(token)
    except signing.BadSignature:
        raise CheckInRefused("This link is not valid.") from None
    check_in = CheckIn.objects.select_related("engagement__organization").filter(pk=data.get("c")).first()
    if check_in is None or check_in.engagement_id != data.get("e"):
        raise CheckInRefused("This link is not valid.")
    if check_in.answered_at is not None:
        raise CheckInRefused("This check-in was already answered. Thank you!")
    if check_in.expires_at <= clock.now():
        raise CheckInRefused("This check-in link has expired.")
    return check_in


def _body(engagement: Engagement, check_in: CheckIn, days: int) -> str:
    from partnerdesk.profile import get_profile

    profile = get_profile()
    greeting = f"Hello {check_in.name}," if check_in.name else "Hello,"
    lines = [
        greeting,
        "",
        f"How satisfied are you with {engagement.organization.name}'s partnership with"
        f" {profile.organization.name}? One click answers (you can add a comment on the next page):",
        "",
    ]
    lines += [f"  {rating} - {label}: {check_in_url(check_in, rating)}" for rating, label in RATINGS.items()]
    lines += ["", f"The links work once, for {days} days.", "", "Best regards,", profile.mailbox.display_name]
    return "\n".join(lines) + "\n"


def fire_check_in(tickler: Tickler) -> str:
    engagement = tickler.engagement
    if engagement.stage != Stage.PARTNER.value:
        return f"skipped: {engagement.reference} is no longer a Partner"
    contacts = list(engagement.contacts.order_by("engagement_links__id"))
    if not contacts:
        return "skipped: the engagement has no contacts"
    days = get_rules().check_in_link_days
    now = clock.now()
    for contact in contacts:
        check_in, _ = CheckIn.objects.get_or_create(
            tickler=tickler,
            email=contact.email,
            defaults={
                "engagement": engagement,
                "name": contact.name,
                "sent_at": now,
                "expires_at": now + dt.timedelta(days=days),
            },
        )
        message_queue(
            to=[str(contact)],
            subject=f"How is our partnership going? ({engagement.organization.name})",
            body=_body(engagement, check_in, days),
            engagement=engagement,
            idempotency_key=f"tickler:{tickler.key}:{contact.email}",
            actor=WORKER,
        )
    return f"check-in sent to {len(contacts)} contact(s)"


def check_in_answer(
    *, check_in: CheckIn, rating: int, comment: str = "", recorded_by: pipeline.Actor | None = None
) -> CheckIn:
    """Record the answer once; a low rating makes a task for the owner. Raises CheckInRefused.

    `recorded_by`: a team member recording an answer given another way (a call, an email), which
    the link's expiry does not stop; None when the contact answers through the link.
    """
    if rating not in RATINGS:
        raise CheckInRefused("Choose a rating from 1 to 5.")
    comment = comment.strip()[:5000]
    now = clock.now()
    engagement = check_in.engagement
    with transaction.atomic():
        open_check_in = CheckIn.objects.filter(pk=check_in.pk, answered_at__isnull=True)
        if recorded_by is None:
            open_check_in = open_check_in.filter(expires_at__gt=now)
        claimed = open_check_in.update(answered_at=now, rating=rating, comment=comment)
        if claimed != 1:
            if recorded_by is None:
                check_in_from_token(check_in_token(check_in))  # raises the reason
            raise CheckInRefused("This check-in was already answered. Thank you!")
        who = f"{check_in.name} <{check_in.email}>" if check_in.name else check_in.email
        actor = recorded_by or pipeline.Actor(label=f"check-in:{check_in.email}")
        pipeline.timeline_record(
            engagement=engagement,
            kind=TimelineEntry.Kind.NOTE,
            actor=actor,
            summary=f"Satisfaction check-in: {rating}/5 ({RATINGS[rating]}) from {who}"
            + (f" (recorded by {recorded_by.label})" if recorded_by else "")
            + (f": {comment}" if comment else ""),
            data={"check_in": check_in.pk, "rating": rating, "comment": comment},
        )
        if rating <= get_rules().check_in_low_score:
            owner = engagement.owner.get_username() if engagement.owner else ""
            pipeline.task_create(
                engagement=engagement,
                title=f"Follow up on a low satisfaction score ({rating}/5) from {who}",
                actor=actor,
                assignee=owner,
                due_on=clock.today() + dt.timedelta(days=7),
                idempotency_key=f"check-in:{check_in.pk}:low-score",
            )
    check_in.refresh_from_db()
    return check_in
