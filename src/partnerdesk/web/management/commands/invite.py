"""`partnerdesk invite EMAIL`: invite a team member by email (a link that sets their password)."""

from __future__ import annotations

import argparse
from typing import Any

from partnerdesk.lib.commands import PartnerdeskCommand
from partnerdesk.web.invitations import invitation_send


class Command(PartnerdeskCommand):
    help = "Invite a team member: queue an email with a one-time link that sets their password."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--staff", action="store_true", help="may use the admin and invite others")

    def handle(self, *args: Any, email: str, staff: bool, **options: Any) -> None:
        message = invitation_send(email=email, actor=self.cli_actor(), staff=staff)
        self.stdout.write(f"Invitation queued for {message.to[0]} (outbox #{message.pk}).")
