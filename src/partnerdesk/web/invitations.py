"""Inviting a team member: an account without a password, and an email with a link that sets one.

The link is an access link (lib/access_links.py): it works once (used up when the password is
set), expires after settings.PASSWORD_RESET_TIMEOUT (3 days by default), stops working once the
member has a password however it was set, and a new invitation revokes the earlier links.
Django's password-setting view checks it through `invitation_tokens`.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from partnerdesk.lib.access_links import (
    access_link_find,
    access_link_issue,
    access_link_revoke,
    access_link_use,
    access_links_working,
)
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import default_from_address, message_queue
from partnerdesk.pipeline.owners import owner_accounts_link
from partnerdesk.pipeline.services import Actor, ServiceError
from partnerdesk.profile import get_profile
from partnerdesk.web.models import InvitationLink

PURPOSE = "invitation"


def invitation_link(user: User) -> str:
    """A new invitation link for `user` (the full URL); call it in the transaction that sends it."""
    lifetime = dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    _, token = access_link_issue(InvitationLink, purpose=PURPOSE, lifetime=lifetime, user=user)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return settings.PARTNERDESK_BASE_URL + reverse("invitation-accept", args=[uid, token])


def _open_link(user: User, token: str) -> InvitationLink | None:
    if user.has_usable_password():
        return None  # a member who has a password signs in; the invitation is over
    link = access_link_find(InvitationLink.objects.filter(user=user), token, purpose=PURPOSE)
    return link if link is not None and link.used_at is None else None


class InvitationTokens:
    """What Django's password-setting view asks of a token generator, answered by invitation
    links; it never makes one (invitation_link does)."""

    def check_token(self, user: User | None, token: str | None) -> bool:
        return user is not None and token is not None and _open_link(user, token) is not None


invitation_tokens = InvitationTokens()


def invitation_use(*, user: User, token: str) -> bool:
    """Use up the invitation link as its password is set: True for the one request that does,
    False if it was used, revoked or expired meanwhile. Call it in the password's transaction."""
    link = _open_link(user, token)
    return link is not None and access_link_use(link)


def invitation_send(*, email: str, actor: Actor, staff: bool = False) -> OutboxMessage:
    """Make (or find) the account for `email` and queue the invitation to it.

    A member who already has a password is refused: they sign in, or reset it in the admin.
    """
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ServiceError(f"{email!r} is not an email address") from None
    user_model = get_user_model()
    with transaction.atomic():
        user = user_model.objects.select_for_update().filter(email__iexact=email).order_by("pk").first()
        if user is None:
            if user_model.objects.filter(username__iexact=email).exists():
                raise ServiceError(f"the username {email} is taken by another account")
            user = user_model.objects.create_user(username=email, email=email, is_staff=staff)
            owner_accounts_link(user=user)
        elif user.has_usable_password():
            raise ServiceError(f"{email} is a team member already ({user.get_username()})")
        elif not user.is_active:
            raise ServiceError(f"{user.get_username()} is deactivated: reactivate the account in the admin")
        for earlier in access_links_working(InvitationLink.objects.filter(user=user), purpose=PURPOSE):
            access_link_revoke(earlier)
        team = get_profile().mailbox.display_name
        days = max(settings.PASSWORD_RESET_TIMEOUT // 86400, 1)
        body = (
            "Hello,\n\n"
            f"{actor.label} invites you to partnerdesk, where {team} tracks its partnerships.\n\n"
            f"Choose your password here (the link works once, for {days} days):\n"
            f"{invitation_link(user)}\n\n"
            f"Your username is {user.get_username()}.\n\nBest regards,\n{team}\n"
        )
        return message_queue(
            to=[email],
            subject="You are invited to partnerdesk",
            body=body,
            from_addr=default_from_address(),
            actor=actor,
        )
