"""`partnerdesk mailgate`, when the console script has not already dispatched it before Django
(see inbound/mailgate.py): the same code, only slower to start."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from partnerdesk.inbound import mailgate


class Command(BaseCommand):
    help = "Store one message from standard input for the worker (exit 0), or exit 75 to make the MTA retry."
    requires_system_checks: list[str] = []

    def run_from_argv(self, argv: list[str]) -> None:
        mailgate.main(argv)

    def handle(self, *args: Any, **options: Any) -> None:
        mailgate.main(["partnerdesk", "mailgate"])
