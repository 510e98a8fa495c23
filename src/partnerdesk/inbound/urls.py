"""Webhooks: the only URLs that need no sign-in (each verifies its own signature)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
