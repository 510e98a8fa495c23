"""What every `partnerdesk` command shares: one-line errors and who the actor is."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from partnerdesk.lib.actors import Actor
from partnerdesk.lib.addresses import AddressError
from partnerdesk.lib.errors import UserError


def date_argument(text: str) -> dt.date:
    """An argparse type: a date written YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def seconds_argument(text: str) -> float:
    """An argparse type: a pause in seconds, more than 0 and at most an hour."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds between 0 and 3600")
    return value


# Errors whose message is already meant for the user.
USER_ERRORS = (UserError, AddressError, ValueError)


class PartnerdeskCommand(BaseCommand):
    requires_system_checks: list[str] = []

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except USER_ERRORS as exc:
            raise CommandError(str(exc)) from exc

    def run_from_argv(self, argv: list[str]) -> None:
        # Django's own version prints "CommandError: ..."; ours names the command instead. Connections
        # are left open: the process ends right after, and a test's transaction must survive it.
        self._called_from_command_line = True
        parser = self.create_parser(argv[0], argv[1])
        options = vars(parser.parse_args(argv[2:]))
        args = options.pop("args", ())
        try:
            self.execute(*args, **options)
        except CommandError as exc:
            sys.stderr.write(f"partnerdesk {argv[1]}: {exc}\n")
            sys.exit(exc.returncode)

    def cli_actor(self) -> Actor:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        return Actor(label=f"cli:{user}")

    def write_json(self, data: Any) -> None:
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
