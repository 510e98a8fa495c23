from __future__ import annotations

from django.apps import AppConfig


class TechnicalConfig(AppConfig):
    name = "partnerdesk.technical"
    label = "technical"
    verbose_name = "Technical exchanges"

    def ready(self) -> None:
        from partnerdesk.mail.worker import register_work
        from partnerdesk.technical.handoffs import technical_handoffs_run_due
        from partnerdesk.technical.reminders import technical_reminders_fire_due

        register_work("technical", technical_reminders_fire_due)
        register_work("technical-handoff", technical_handoffs_run_due)
