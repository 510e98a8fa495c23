from __future__ import annotations

from django.apps import AppConfig


class InboundConfig(AppConfig):
    name = "partnerdesk.inbound"
    label = "inbound"
    verbose_name = "Inbound mail and webhooks"

    def ready(self) -> None:
        from partnerdesk.inbound import checks  # noqa: F401 - registers the profile check
        from partnerdesk.inbound.processing import inbound_due_work
        from partnerdesk.mail.worker import register_work

        register_work("inbound", inbound_due_work)
