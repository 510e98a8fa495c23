from __future__ import annotations

from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "partnerdesk.playbooks"
    label = "playbooks"
    verbose_name = "Playbooks"

    def ready(self) -> None:
        from partnerdesk.agreements.closing import partner_follow_up_register
        from partnerdesk.mail.worker import register_work
        from partnerdesk.playbooks.engine import playbook_runs_due
        from partnerdesk.playbooks.partner_phase import partner_phase_queue
        from partnerdesk.playbooks.steps import step_kinds

        register_work("playbooks", playbook_runs_due)
        partner_follow_up_register(partner_phase_queue)
        step_kinds()  # the playbooks' own step kinds; apps above register theirs after this
