"""`partnerdesk report NAME [--format table|csv|json]`: the partner phase's reports."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from partnerdesk.lib import csv_safe
from partnerdesk.lib.commands import PartnerdeskCommand
from partnerdesk.partnership.reports import COLUMNS, REPORTS, Row
from partnerdesk.partnership.ticklers import ticklers_plan

DESCRIPTION = """\
reports:
  forecast      contract value by expected close month and currency, and the same weighted by
                the stage's probability ([partnership] stage_probabilities in the profile). The
                expected close month is the agreement's term start if set, else the engagement's
                last stage change + 90 days. Each engagement counts once, with its current
                agreement; engagements without an agreement value, closed ones and withdrawn
                agreements are left out.
  renewals      the renewals calendar: executed agreements whose term ends in the next 12
                months, with their renewal reminders, the renewal engagement and the outcome
  invoices      invoices outstanding (sent, and overdue: sent and past their due date), then
                a total per currency (rows of kind "total")
  satisfaction  check-in ratings per quarter the check-in was sent in: sent, answered, average,
                lowest, and the lows (at or below [partnership] check_in_low_score)

Amounts are decimal; CSV has a header line; JSON is an array of objects, amounts as strings."""


def _plain(value: Any) -> Any:
    """A JSON or CSV cell: dates in ISO form, amounts as exact strings."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class Command(PartnerdeskCommand):
    help = "Reports: forecast, renewals, invoices, satisfaction (see the list below)."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.epilog = DESCRIPTION
        return parser

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name", choices=sorted(REPORTS), metavar="NAME", help=", ".join(sorted(REPORTS)))
        parser.add_argument("--format", choices=["table", "csv", "json"], default="table")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        if name == "renewals":
            ticklers_plan()  # an agreement executed since the worker's last pass shows its reminders
        rows = REPORTS[name]()
        if options["format"] == "json":
            self.write_json([{key: _plain(value) for key, value in row.items()} for row in rows])
        elif options["format"] == "csv":
            self._write_csv(name, rows)
        else:
            self._write_table(name, rows)

    def _write_csv(self, name: str, rows: list[Row]) -> None:
        columns = COLUMNS[name]
        writer = csv_safe.writer(self.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row[column] is None else _plain(row[column]) for column in columns])

    def _write_table(self, name: str, rows: list[Row]) -> None:
        if not rows:
            self.stdout.write(f"{name}: nothing to report")
            return
        columns = COLUMNS[name]
        cells = [["-" if row[c] is None else str(_plain(row[c])) for c in columns] for row in rows]
        widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
        numeric = [all(isinstance(row[c], (int, Decimal)) or row[c] is None for row in rows) for c in columns]

        def line(values: Sequence[str]) -> str:
            parts = [
                value.rjust(width) if right else value.ljust(width)
                for value, width, right in zip(values, widths, numeric, strict=True)
            ]
            return "  ".join(parts).rstrip()

        self.stdout.write(line(columns))
        for values in cells:
            self.stdout.write(line(values))
