"""Webhooks: the only URLs that need no sign-in (each verifies its own signature)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from partnerdesk.inbound.calendly_hook import calendly_webhook

urlpatterns: list[URLPattern | URLResolver] = [
    path("calendly", calendly_webhook, name="calendly-webhook"),
    path("calendly/", calendly_webhook),
    path("docusign/", include("partnerdesk.integrations.docusign.urls")),
]
