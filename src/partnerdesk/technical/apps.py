from __future__ import annotations

from django.apps import AppConfig


class TechnicalConfig(AppConfig):
    name = "partnerdesk.technical"
    label = "technical"
    verbose_name = "Technical exchanges"

    def ready(self) -> None:
        from partnerdesk.agreements.closing import partner_follow_up_register
        from partnerdesk.documents.folders import path_follower_register
        from partnerdesk.mail.worker import register_work
        from partnerdesk.playbooks.steps import step_kind_register
        from partnerdesk.technical.handoffs import handoff_at_executed_close, technical_handoffs_run_due
        from partnerdesk.technical.partner_folder import HANDOFF_FOLLOWS
        from partnerdesk.technical.playbook_step import SEND_TECHNICAL_FORM
        from partnerdesk.technical.reminders import technical_reminders_fire_due

        register_work("technical", technical_reminders_fire_due)
        register_work("technical-handoff", technical_handoffs_run_due)
        partner_follow_up_register(handoff_at_executed_close)
        step_kind_register(SEND_TECHNICAL_FORM)
        path_follower_register(HANDOFF_FOLLOWS)
