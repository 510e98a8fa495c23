from __future__ import annotations

from django.apps import AppConfig


class PartnershipConfig(AppConfig):
    name = "partnerdesk.partnership"
    label = "partnership"
    verbose_name = "Partnership: ticklers, invoices, check-ins, renewals"

    def ready(self) -> None:
        from partnerdesk.mail.worker import register_work
        from partnerdesk.partnership.ticklers import partnership_work

        register_work("partnership", partnership_work)
