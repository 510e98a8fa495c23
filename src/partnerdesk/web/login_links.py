"""One-time sign-in links, printed by `partnerdesk serve` the way Jupyter prints its token URL."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse

from partnerdesk.lib.access_links import access_link_issue, access_link_redeem
from partnerdesk.web.models import LoginToken

LINK_LIFETIME = dt.timedelta(hours=24)
PURPOSE = "sign-in"


def first_user_ensure() -> User:
    """The first superuser, created (with no password: sign-in is by link) when there is none."""
    user_model = get_user_model()
    first = user_model.objects.filter(is_superuser=True).order_by("pk").first()
    if first is not None:
        return first
    user = user_model.objects.create_user(username="admin", is_staff=True, is_superuser=True)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def login_link_create(*, user: User, lifetime: dt.timedelta = LINK_LIFETIME) -> str:
    _, token = access_link_issue(LoginToken, purpose=PURPOSE, lifetime=lifetime, user=user)
    return settings.PARTNERDESK_BASE_URL + reverse("login-token", args=[token])


@transaction.atomic
def login_token_redeem(token: str) -> User | None:
    """The token's user if the token is valid, unused and unexpired; it can never be used again."""
    link = access_link_redeem(LoginToken.objects.select_related("user"), token, purpose=PURPOSE)
    if link is None or not link.user.is_active:
        return None
    return link.user
