"""Inviting a team member: an account without a password, and an email with a link that sets one.

The link is Django's password-reset token: it works once (setting the password changes what the
token is made of), expires after settings.PASSWORD_RESET_TIMEOUT (3 days by default), and a new
invitation makes the earlier links stop working.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import default_from_address, message_queue
from partnerdesk.pipeline.owners import owner_accounts_link
from partnerdesk.pipeline.services import Actor, ServiceError
from partnerdesk.profile import get_profile


def invitation_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.PARTNERDESK_BASE_URL + reverse("invitation-accept", args=[uid, token])


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
        # A new unusable password changes the token's ingredients: earlier invitation links stop working.
        user.set_unusable_password()
        user.save(update_fields=["password"])
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
