from __future__ import annotations

from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    name = "partnerdesk.agreements"
    label = "agreements"
    verbose_name = "Agreements"

    def ready(self) -> None:
        from partnerdesk.agreements.partner_folder import AGREEMENTS_FOLLOW
        from partnerdesk.agreements.signature_events import signature_events_apply_due
        from partnerdesk.documents.folders import path_follower_register
        from partnerdesk.mail.worker import register_work

        register_work("signature-events", signature_events_apply_due)
        path_follower_register(AGREEMENTS_FOLLOW)
