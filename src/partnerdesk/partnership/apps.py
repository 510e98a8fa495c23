from __future__ import annotations

from django.apps import AppConfig


class PartnershipConfig(AppConfig):
    name = "partnerdesk.partnership"
    label = "partnership"
    verbose_name = "Partnership: ticklers, invoices, check-ins, renewals"
