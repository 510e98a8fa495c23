"""Partner-facing pages of the partner phase (signed, expiring links; no sign-in)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
