from __future__ import annotations

from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "partnerdesk.documents"
    label = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        from partnerdesk.documents.folders import follow_for_pipeline
        from partnerdesk.pipeline.folder_follow import partner_folder_mover_register

        partner_folder_mover_register(follow_for_pipeline)
