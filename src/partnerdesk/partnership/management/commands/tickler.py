"""`partnerdesk tickler list`: the reminders coming up (renewals, check-ins, invoices)."""

from __future__ import annotations

import argparse
import datetime as dt
import re
from typing import Any

from partnerdesk.lib.commands import PartnerdeskCommand
from partnerdesk.partnership.ticklers import ticklers_plan, ticklers_upcoming


def duration_argument(text: str) -> dt.timedelta:
    """An argparse type: `90d`, `12w` or a bare number of days."""
    match = re.fullmatch(r"\s*(\d{1,5})\s*([dw]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (like 90d or 12w)")
    number = int(match.group(1))
    return dt.timedelta(weeks=number) if match.group(2) == "w" else dt.timedelta(days=number)


class Command(PartnerdeskCommand):
    help = "Scheduled reminders: renewals, satisfaction check-ins, invoices, overdue reminders."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="the reminders not fired yet, soonest first")
        listing.add_argument("--due-within", type=duration_argument, metavar="DURATION", help="e.g. 90d")
        listing.add_argument("--all", action="store_true", help="include the ones already fired")
        listing.add_argument("--json", action="store_true")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        ticklers_plan()  # an agreement executed since the worker's last pass is listed too
        ticklers = ticklers_upcoming(within=options["due_within"], include_fired=options["all"])
        rows = [
            {
                "id": tickler.pk,
                "due_on": tickler.due_on.isoformat(),
                "kind": tickler.kind,
                "reference": tickler.engagement.reference,
                "organization": tickler.engagement.organization.name,
                "agreement": tickler.agreement.title if tickler.agreement else None,
                "payload": tickler.payload,
                "fired_at": tickler.fired_at.isoformat() if tickler.fired_at else None,
                "outcome": tickler.outcome,
                "last_error": tickler.last_error,
            }
            for tickler in ticklers
        ]
        if options["json"]:
            self.write_json(rows)
            return
        if not rows:
            self.stdout.write("no reminders")
            return
        for tickler, row in zip(ticklers, rows, strict=True):
            state = f"  fired: {row['outcome']}" if tickler.fired_at else ""
            error = f"  (failed {tickler.attempts}x: {tickler.last_error})" if tickler.last_error else ""
            self.stdout.write(
                f"{row['due_on']}  {row['reference']:<8} {tickler.get_kind_display():<26}"
                f" {row['organization']}{state}{error}"
            )
