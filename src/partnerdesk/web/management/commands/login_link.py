"""`partnerdesk login-link [USERNAME]`: a fresh one-time sign-in link."""

from __future__ import annotations

import argparse
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from partnerdesk.lib.commands import PartnerdeskCommand
from partnerdesk.web.login_links import first_user_ensure, login_link_create


class Command(PartnerdeskCommand):
    help = "Print a one-time sign-in link (for the first user, or the one named)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("username", nargs="?", help="default: the first administrator")

    def handle(self, *args: Any, username: str | None, **options: Any) -> None:
        if username:
            user = get_user_model().objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"no active user named {username!r}")
        else:
            user = first_user_ensure()
        self.stdout.write(login_link_create(user=user))
