"""`partnerdesk renewal record REF OUTCOME`: how a partnership's renewal turned out."""

from __future__ import annotations

import argparse
from typing import Any

from partnerdesk.agreements.models import Agreement
from partnerdesk.agreements.services import parse_value
from partnerdesk.lib.commands import PartnerdeskCommand, date_argument
from partnerdesk.partnership.models import Renewal
from partnerdesk.partnership.renewals import renewal_record
from partnerdesk.pipeline.selectors import engagement_get


class Command(PartnerdeskCommand):
    help = "Renewals: record the outcome (renewed, changed, ended) of a partnership's renewal."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        record = sub.add_parser(
            "record",
            help="record the outcome: renewed or changed makes the next term; ended stops everything planned",
        )
        record.add_argument("reference", help="the partnership or its renewal engagement, e.g. PD-12")
        record.add_argument("outcome", choices=Renewal.Outcome.values)
        record.add_argument("--reason", default="", help="why (required for ended)")
        terms = record.add_argument_group("the next term's changes (default: as the current term)")
        terms.add_argument("--value")
        terms.add_argument("--currency")
        terms.add_argument("--term-start", type=date_argument, help="default: the day after the term ends")
        terms.add_argument("--term-end", type=date_argument, help="default: as long as the current term")
        terms.add_argument("--schedule", choices=Agreement.InvoiceSchedule.values)
        terms.add_argument("--payment-terms-days", type=int, metavar="DAYS")
        terms.add_argument("--billing", metavar="EMAIL", help="the billing contact")
        terms.add_argument("--po-number")

    def handle(self, *args: Any, action: str, reference: str, outcome: str, **options: Any) -> None:
        engagement = engagement_get(reference)
        value = options["value"]
        result = renewal_record(
            engagement=engagement,
            outcome=outcome,
            reason=options["reason"],
            actor=self.cli_actor(),
            value=parse_value(value) if value is not None else None,
            currency=options["currency"],
            term_start=options["term_start"],
            term_end=options["term_end"],
            invoice_schedule=options["schedule"],
            payment_terms_days=options["payment_terms_days"],
            billing_contact=options["billing"],
            po_number=options["po_number"],
        )
        renewal = result.renewal
        self.stdout.write(
            f"{renewal.engagement.reference}: renewal {renewal.get_outcome_display().lower()}"
            f" ({renewal.renewal_engagement.reference})"
        )
        following = result.next_agreement
        if following is not None:
            self.stdout.write(
                f"{renewal.renewal_engagement.reference} is a Partner: next term {following.term_start}"
                f" to {following.term_end}; its invoices, check-ins and renewal reminders are planned"
            )
        for note in result.notes:
            self.stdout.write(note)
