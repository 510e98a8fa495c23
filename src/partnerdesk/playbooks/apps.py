from __future__ import annotations

from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "partnerdesk.playbooks"
    label = "playbooks"
    verbose_name = "Playbooks"
