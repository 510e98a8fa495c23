from __future__ import annotations

from django.apps import AppConfig


class InboundConfig(AppConfig):
    name = "partnerdesk.inbound"
    label = "inbound"
    verbose_name = "Inbound mail and webhooks"
