"""Satisfaction check-ins: an email per contact with five one-click ratings.

The five links carry one access link's token (lib/access_links.py: only its hash is stored, in a
CheckInLink of the purpose "check-in"): no sign-in, no way to rate another check-in, answered
once (a conditional update on the check-in, which the team can also record by hand), and only
until the check-in expires. Emails sent before the access links carry a signed token naming the
check-in and its engagement; those are honoured until their check-ins expire.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from partnerdesk.agreements.partnership_rules import get_rules
from partnerdesk.lib import clock
from partnerdesk.lib.access_links import access_link_get, access_link_issue, legacy_signed_value
from partnerdesk.mail.outbox import message_queue
from partnerdesk.partnership.models import WORKER, CheckIn, CheckInLink, Tickler
from partnerdesk.pipeline import services as pipeline
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from partnerdesk.pipeline.stages import Stage
from partnerdesk.profile import get_profile

PURPOSE = "check-in"
# What the signed tokens of the emails sent before access links were signed with.
LEGACY_SALT = "partnerdesk.partnership.check-in"
RATINGS = {
    1: "Very dissatisfied",
    2: "Dissatisfied",
    3: "Neutral",
    4: "Satisfied",
    5: "Very satisfied",
}


class CheckInRefused(Exception):
    """The link is not valid, already used, or expired; the message says which."""


NOT_VALID = "This link is not valid."


def check_in_link_issue(check_in: CheckIn) -> str:
    """A new token for the check-in's email, working until the check-in expires; call it in the
    transaction that queues the email."""
    _, token = access_link_issue(
        CheckInLink, purpose=PURPOSE, expires_at=check_in.expires_at, check_in=check_in
    )
    return token


def check_in_url(token: str, rating: int) -> str:
    return f"{settings.PARTNERDESK_BASE_URL}/p/checkin/{token}/{rating}/"


def _legacy_check_in(token: str) -> CheckIn | None:
    """The check-in a signed token of an email sent before access links names, if any; only a
    check-in without an access link of its own was sent such a token."""
    data = legacy_signed_value(token, salt=LEGACY_SALT)
    if not isinstance(data, dict) or not isinstance(data.get("c"), int) or not isinstance(data.get("e"), int):
        return None
    return (
        CheckIn.objects.select_related("engagement__organization")
        .filter(pk=data["c"], engagement_id=data["e"], link__isnull=True)
        .first()
    )


def _refuse_if_closed(check_in: CheckIn) -> None:
    if check_in.answered_at is not None:
        raise CheckInRefused("This check-in was already answered. Thank you!")
    if check_in.expires_at <= clock.now():
        raise CheckInRefused("This check-in link has expired.")


def check_in_from_token(token: str) -> CheckIn:
    """The open check-in `token` opens; raises CheckInRefused saying why not."""
    links = CheckInLink.objects.select_related("check_in__engagement__organization")
    link = access_link_get(links, token, purpose=PURPOSE)
    if link is not None and link.revoked_at is None:
        check_in = link.check_in
    else:
        legacy = _legacy_check_in(token) if link is None else None
        if legacy is None:
            raise CheckInRefused(NOT_VALID)
        check_in = legacy
    # The link expires with its check-in, whose own expiry says so for every link it was sent.
    _refuse_if_closed(check_in)
    return check_in


def _body(engagement: Engagement, check_in: CheckIn, token: str, days: int) -> str:
    profile = get_profile()
    greeting = f"Hello {check_in.name}," if check_in.name else "Hello,"
    lines = [
        greeting,
        "",
        f"How satisfied are you with {engagement.organization.name}'s partnership with"
        f" {profile.organization.name}? One click answers (you can add a comment on the next page):",
        "",
    ]
    lines += [f"  {rating} - {label}: {check_in_url(token, rating)}" for rating, label in RATINGS.items()]
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
        check_in, created = CheckIn.objects.get_or_create(
            tickler=tickler,
            email=contact.email,
            defaults={
                "engagement": engagement,
                "name": contact.name,
                "sent_at": now,
                "expires_at": now + dt.timedelta(days=days),
            },
        )
        if not created:
            continue  # its email was queued with it, and holds the only copy of its token
        message_queue(
            to=[str(contact)],
            subject=f"How is our partnership going? ({engagement.organization.name})",
            body=_body(engagement, check_in, check_in_link_issue(check_in), days),
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
                _refuse_if_closed(CheckIn.objects.get(pk=check_in.pk))  # says why: answered or expired
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
