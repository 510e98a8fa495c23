from __future__ import annotations

from django.conf import settings
from django.db import models

from partnerdesk.lib.access_links import AccessLink


class LoginToken(AccessLink):
    """A one-time sign-in link (lib/access_links.py: only the token's hash is stored)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")


class PartnerLink(models.Model):
    """A link that opens, without sign-in, the documents shared with one contact.

    Only the token's hash is stored; the link works until it expires or is revoked, and reaches
    nothing but what is shared with its contact.
    """

    contact = models.ForeignKey("pipeline.Contact", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=200, blank=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"partner link #{self.pk} for {self.contact_id}"
