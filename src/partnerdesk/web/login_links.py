"""One-time sign-in links, printed by `partnerdesk serve` the way Jupyter prints its token URL."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse

from partnerdesk.lib import clock
from partnerdesk.web.models import LoginToken

LINK_LIFETIME = dt.timedelta(hours=24)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
    token = secrets.token_urlsafe(32)
    now = clock.now()
    LoginToken.objects.create(user=user, token_hash=_hash(token), created_at=now, expires_at=now + lifetime)
    return settings.PARTNERDESK_BASE_URL + reverse("login-token", args=[token])


@transaction.atomic
def login_token_redeem(token: str) -> User | None:
    """The token's user if the token is valid, unused and unexpired; it can never be used again."""
    now = clock.now()
    claimed = LoginToken.objects.filter(token_hash=_hash(token), used_at__isnull=True, expires_at__gt=now)
    row = claimed.select_related("user").first()
    if row is None or claimed.filter(pk=row.pk).update(used_at=now) != 1:
        return None
    return row.user if row.user.is_active else None
