"""`partnerdesk outbox list|retry`: what the outbox holds, and a failed message tried again."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import CommandError

from partnerdesk.lib.commands import PartnerdeskCommand
from partnerdesk.mail import selectors
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import message_retry

STATUSES = [status.value for status in OutboxMessage.Status]


class Command(PartnerdeskCommand):
    help = "List outgoing messages, or put a failed one back in the queue."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        listing = actions.add_parser("list", help="list outgoing messages, oldest first")
        listing.add_argument("--status", choices=STATUSES, help="only messages in this status")
        listing.add_argument("--json", action="store_true", help="a JSON array, one object per message")
        retry = actions.add_parser("retry", help="put a failed message back in the queue")
        retry.add_argument("number", type=int, metavar="ID", help="the message's number (from `outbox list`)")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, "handle_" + action)(**options)

    def handle_list(self, *, status: str | None, json: bool, **_: Any) -> None:
        rows = selectors.outbox_list(status=status)
        if json:
            self.write_json(rows)
            return
        if not rows:
            self.stdout.write("the outbox is empty" if status is None else f"no {status} messages")
            return
        for row in rows:
            when = (row["sent_at"] or row["created_at"])[:16].replace("T", " ")
            self.stdout.write(
                f"{row['id']:>6}  {row['status']:<7}  {when}  {', '.join(row['to'])}  {row['subject']}"
            )
            if row["status"] == "ready" and row["attempts"]:
                retry_at = row["next_attempt_at"][:16].replace("T", " ")
                self.stdout.write(f"        try {row['attempts'] + 1} at {retry_at}: {row['last_error']}")
            elif row["status"] == "failed":
                self.stdout.write(f"        after {row['attempts']} tries: {row['last_error']}")
            if row["possible_duplicates"]:
                self.stdout.write(
                    f"        sent again {row['possible_duplicates']} time(s) after a worker stopped while"
                    " sending it: may have arrived twice (same Message-ID)"
                )
            if row["file"]:
                self.stdout.write(f"        {row['file']}")

    def handle_retry(self, *, number: int, **_: Any) -> None:
        message = OutboxMessage.objects.filter(pk=number).first()
        if message is None:
            raise CommandError(f"no outbox message {number}")
        message_retry(message=message)
        self.stdout.write(f"outbox message {number} is ready to be sent again")
