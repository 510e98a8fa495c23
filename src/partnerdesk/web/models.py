from __future__ import annotations

from django.conf import settings
from django.db import models

from partnerdesk.lib.access_links import AccessLink


class LoginToken(AccessLink):
    """A one-time sign-in link (lib/access_links.py: only the token's hash is stored)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")


class InvitationLink(AccessLink):
    """The link in an invitation that sets a new member's password, once (web/invitations.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
