"""`partnerdesk renewal record REF OUTCOME`: how a partnership's renewal turned out."""

from __future__ import annotations

import argparse
from typing import Any

from partnerdesk.lib.commands import PartnerdeskCommand
from partnerdesk.partnership.models import Renewal
from partnerdesk.partnership.renewals import renewal_record_outcome
from partnerdesk.pipeline.selectors import engagement_get


class Command(PartnerdeskCommand):
    help = "Renewals: record the outcome (renewed, changed, ended) of a partnership's renewal."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        record = sub.add_parser("record", help="record the outcome; ended closes the partnership")
        record.add_argument("reference", help="the partnership or its renewal engagement, e.g. PD-12")
        record.add_argument("outcome", choices=Renewal.Outcome.values)
        record.add_argument("--reason", default="", help="why (required for ended)")

    def handle(
        self, *args: Any, action: str, reference: str, outcome: str, reason: str, **options: Any
    ) -> None:
        engagement = engagement_get(reference)
        renewal = renewal_record_outcome(
            engagement=engagement, outcome=outcome, reason=reason, actor=self.cli_actor()
        )
        self.stdout.write(
            f"{renewal.engagement.reference}: renewal {renewal.get_outcome_display().lower()}"
            f" ({renewal.renewal_engagement.reference})"
        )
