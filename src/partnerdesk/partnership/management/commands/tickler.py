"""`partnerdesk tickler list|preview|send|skip|done`: the partner phase's dated items.

Renewal reminders, check-ins, invoices and overdue reminders; a *missed* item (its date passed
before it could be sent) waits here for a person to send, skip or mark done.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from typing import Any

from partnerdesk.agreements.partnership_rules import KIND_LABELS
from partnerdesk.agreements.selectors import agreement_for
from partnerdesk.lib.commands import PartnerdeskCommand
from partnerdesk.partnership import services
from partnerdesk.partnership.models import Tickler
from partnerdesk.partnership.selectors import agreement_preview, tickler_row
from partnerdesk.partnership.ticklers import ticklers_plan, ticklers_upcoming
from partnerdesk.pipeline.selectors import engagement_get
from partnerdesk.pipeline.services import ServiceError

WHEN = {"missed": "MISSED (not sent)", "now": "sent now", "planned": "planned"}


def duration_argument(text: str) -> dt.timedelta:
    """An argparse type: `90d`, `12w` or a bare number of days."""
    match = re.fullmatch(r"\s*(\d{1,5})\s*([dw]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (like 90d or 12w)")
    number = int(match.group(1))
    return dt.timedelta(weeks=number) if match.group(2) == "w" else dt.timedelta(days=number)


class Command(PartnerdeskCommand):
    help = "Scheduled items: renewal reminders, check-ins, invoices, overdue reminders; missed ones."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="the items not handled yet (planned and missed), soonest first")
        listing.add_argument("--due-within", type=duration_argument, metavar="DURATION", help="e.g. 90d")
        listing.add_argument("--missed", action="store_true", help="only the missed items")
        listing.add_argument("--all", action="store_true", help="include the ones already handled")
        listing.add_argument("--json", action="store_true")
        preview = sub.add_parser("preview", help="what an engagement's agreement sends, recorded today")
        preview.add_argument("reference")
        preview.add_argument(
            "--within", type=duration_argument, default=dt.timedelta(days=90), metavar="DURATION"
        )
        preview.add_argument("--json", action="store_true")
        send = sub.add_parser("send", help="send a missed item now")
        send.add_argument("id", type=int)
        skip = sub.add_parser("skip", help="never send an item")
        skip.add_argument("id", type=int)
        skip.add_argument("--reason", default="")
        done = sub.add_parser("done", help="mark an item done by hand (it was taken care of another way)")
        done.add_argument("id", type=int)
        done.add_argument("--note", default="")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"handle_{action}")(**options)

    def _tickler(self, number: int) -> Tickler:
        tickler = (
            Tickler.objects.select_related("engagement__organization", "agreement").filter(pk=number).first()
        )
        if tickler is None:
            raise ServiceError(f"no item {number} (see the ids in `partnerdesk tickler list`)")
        return tickler

    def handle_send(self, *, id: int, **_: Any) -> None:
        tickler = services.tickler_send_missed(tickler=self._tickler(id), actor=self.cli_actor())
        self.stdout.write(f"{tickler.pk}: {tickler.outcome}")

    def handle_skip(self, *, id: int, reason: str, **_: Any) -> None:
        tickler = services.tickler_skip(tickler=self._tickler(id), actor=self.cli_actor(), reason=reason)
        self.stdout.write(f"{tickler.pk}: {tickler.outcome}")

    def handle_done(self, *, id: int, note: str, **_: Any) -> None:
        tickler = services.tickler_mark_done(tickler=self._tickler(id), actor=self.cli_actor(), note=note)
        self.stdout.write(f"{tickler.pk}: {tickler.outcome}")

    def handle_preview(self, *, reference: str, within: dt.timedelta, json: bool, **_: Any) -> None:
        engagement = engagement_get(reference)
        agreement = agreement_for(engagement)
        if agreement is None:
            raise ServiceError(f"{engagement.reference} has no agreement")
        rows = agreement_preview(agreement, days=within.days)
        if json:
            self.write_json(
                [
                    {"due_on": row.due_on.isoformat(), "kind": row.kind, "label": row.label, "when": row.when}
                    for row in rows
                ]
            )
            return
        self.stdout.write(f"{agreement.title}: recorded today, it sends")
        for row in rows or []:
            self.stdout.write(f"  {row.due_on.isoformat()}  {WHEN[row.when]:<17} {row.label}")
        if not rows:
            self.stdout.write(f"  nothing in the next {within.days} days")

    def handle_list(
        self, *, due_within: dt.timedelta | None, missed: bool, all: bool, json: bool, **_: Any
    ) -> None:
        ticklers_plan()  # an agreement executed since the worker's last pass is listed too
        ticklers = ticklers_upcoming(within=due_within, include_fired=all, missed_only=missed)
        rows = [tickler_row(tickler) for tickler in ticklers]
        if json:
            self.write_json(rows)
            return
        if not rows:
            self.stdout.write("no missed items" if missed else "no reminders")
            return
        for tickler, row in zip(ticklers, rows, strict=True):
            states: dict[str, str] = {
                Tickler.Status.PENDING: "",
                Tickler.Status.MISSED: "  MISSED: not sent; send, skip or mark it done",
            }
            state = states.get(tickler.status, f"  {tickler.get_status_display().lower()}: {row['outcome']}")
            error = f"  (failed {tickler.attempts}x: {tickler.last_error})" if tickler.last_error else ""
            self.stdout.write(
                f"{row['due_on']}  {row['reference']:<8} {KIND_LABELS[tickler.kind]:<26}"
                f" {row['organization']}  [item {row['id']}] {row['label']}{state}{error}"
            )
