"""`partnerdesk audit [REF] [--since D] [--format csv|json]`: who changed what, when, and how."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.core.management.base import OutputWrapper

from partnerdesk.lib.commands import PartnerdeskCommand, date_argument
from partnerdesk.pipeline import selectors
from partnerdesk.pipeline.audit import audit_entries, audit_write_csv, audit_write_json


class Command(PartnerdeskCommand):
    help = (
        "Every change, oldest first, with when, the engagement, the channel (email, web, cli, webhook, "
        "worker), who and what changed: for one engagement (REF) or all. CSV is safe to open in a "
        "spreadsheet."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("reference", metavar="REF", nargs="?", help="one engagement (PD-12); all without")
        parser.add_argument(
            "--since", type=date_argument, metavar="YYYY-MM-DD", help="only changes on or after this day"
        )
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(
        self, *args: Any, reference: str | None, since: dt.date | None, format: str, **options: Any
    ) -> None:
        engagement = selectors.engagement_get(reference) if reference else None
        rows = audit_entries(engagement=engagement, since=since)
        out = _Unended(self.stdout)
        if format == "json":
            audit_write_json(rows, out)
        else:
            audit_write_csv(rows, out)


class _Unended:
    """The command's output for the writers, which end their own lines."""

    def __init__(self, stdout: OutputWrapper) -> None:
        self.stdout = stdout

    def write(self, text: str) -> None:
        self.stdout.write(text, ending="")
