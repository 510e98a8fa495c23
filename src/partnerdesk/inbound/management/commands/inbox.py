"""`partnerdesk inbox list [--quarantine] [--json]`, `partnerdesk inbox retry ID`."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import CommandError

from partnerdesk.inbound.models import InboundMessage
from partnerdesk.inbound.selectors import inbox_list
from partnerdesk.lib.commands import PartnerdeskCommand


class Command(PartnerdeskCommand):
    help = "List the messages the shared mailbox received, or put a quarantined one back in the queue."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        listing = actions.add_parser("list", help="stored messages, oldest first, with what became of each")
        listing.add_argument(
            "--quarantine", action="store_true", help="only the quarantined ones, with the reason"
        )
        listing.add_argument("--last", type=int, metavar="N", help="only the N most recent")
        listing.add_argument("--json", action="store_true", help="a JSON array, one object per message")
        retry = actions.add_parser("retry", help="process a quarantined message again")
        retry.add_argument("number", type=int, metavar="ID", help="the message's number (from `inbox list`)")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, "handle_" + action)(**options)

    def handle_list(self, *, quarantine: bool, last: int | None, json: bool, **_: Any) -> None:
        rows = inbox_list(quarantine=quarantine, limit=last)
        if json:
            self.write_json(rows)
            return
        if not rows:
            self.stdout.write("the quarantine is empty" if quarantine else "no message received yet")
            return
        for row in rows:
            when = row["received_at"][:16].replace("T", " ")
            where = f" {row['engagement']}" if row["engagement"] else ""
            self.stdout.write(
                f"{row['id']:>6}  {row['status']:<11} {when}  {row['from'] or '?'}  {row['subject']}"
            )
            if row["outcome"]:
                self.stdout.write(f"        {row['route'] or ''}{where}: {row['outcome']}")

    def handle_retry(self, *, number: int, **_: Any) -> None:
        message = InboundMessage.objects.filter(pk=number).first()
        if message is None:
            raise CommandError(f"no inbound message {number}")
        if message.raw is None:
            raise CommandError(f"message {number} is too large to process; it stays in quarantine")
        updated = InboundMessage.objects.filter(pk=number, status=InboundMessage.Status.QUARANTINED).update(
            status=InboundMessage.Status.RECEIVED, attempts=0, outcome=""
        )
        if not updated:
            raise CommandError(f"message {number} is {message.status}, not quarantined")
        self.stdout.write(f"message {number} will be processed again by the worker")
