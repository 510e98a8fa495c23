from __future__ import annotations

from django.apps import AppConfig


class DocuSignAppConfig(AppConfig):
    name = "partnerdesk.integrations.docusign"
    label = "docusign"
    verbose_name = "DocuSign"

    def ready(self) -> None:
        from partnerdesk.integrations.docusign.playbook_step import CIRCULATE_FOR_SIGNATURE
        from partnerdesk.playbooks.steps import step_kind_register

        step_kind_register(CIRCULATE_FOR_SIGNATURE)
