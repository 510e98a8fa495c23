from __future__ import annotations

from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "partnerdesk.playbooks"
    label = "playbooks"
    verbose_name = "Playbooks"

    def ready(self) -> None:
        from partnerdesk.mail.worker import register_work
        from partnerdesk.playbooks.engine import playbook_runs_due

        register_work("playbooks", playbook_runs_due)
