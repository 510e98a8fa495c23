from __future__ import annotations

from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    name = "partnerdesk.agreements"
    label = "agreements"
    verbose_name = "Agreements"
