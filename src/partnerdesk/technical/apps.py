from __future__ import annotations

from django.apps import AppConfig


class TechnicalConfig(AppConfig):
    name = "partnerdesk.technical"
    label = "technical"
    verbose_name = "Technical exchanges"
