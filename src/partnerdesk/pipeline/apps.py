from __future__ import annotations

from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "partnerdesk.pipeline"
    label = "pipeline"
    verbose_name = "Pipeline"

    def ready(self) -> None:
        # A malformed profile must stop start-up, not the first request that reads it.
        from partnerdesk.profile import get_profile

        get_profile()
