"""`partnerdesk invoice list|mark-paid|void|resend|schedule`: the partner phase's invoices."""

from __future__ import annotations

import argparse
from decimal import Decimal
from typing import Any

from partnerdesk.agreements.models import Agreement
from partnerdesk.agreements.selectors import agreement_for
from partnerdesk.agreements.services import agreement_set_terms
from partnerdesk.lib import clock
from partnerdesk.lib.commands import PartnerdeskCommand, date_argument
from partnerdesk.partnership.invoice_pdf import money
from partnerdesk.partnership.invoicing import invoice_mark_paid, invoice_resend, invoice_void
from partnerdesk.partnership.models import Invoice
from partnerdesk.pipeline.selectors import engagement_get
from partnerdesk.pipeline.services import ServiceError


def invoice_row(invoice: Invoice) -> dict[str, Any]:
    status = invoice.status
    if status == Invoice.Status.SENT and invoice.due_on < clock.today():
        status = Invoice.Status.OVERDUE
    return {
        "number": invoice.number,
        "reference": invoice.engagement.reference,
        "organization": invoice.engagement.organization.name,
        "issued_on": invoice.issued_on.isoformat(),
        "due_on": invoice.due_on.isoformat(),
        "terms": invoice.terms,
        "po_number": invoice.po_number,
        "total": str(invoice.total),
        "currency": invoice.currency,
        "status": status,
        "paid_on": invoice.paid_on.isoformat() if invoice.paid_on else None,
        "void_reason": invoice.void_reason,
        "billing_contact": invoice.billing_contact,
    }


class Command(PartnerdeskCommand):
    help = "Invoices: list them, mark one paid, void or resend one, set an agreement's invoice schedule."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="every invoice, oldest first")
        listing.add_argument("--status", choices=Invoice.Status.values)
        listing.add_argument("--json", action="store_true")
        paid = sub.add_parser("mark-paid", help="record a payment")
        paid.add_argument("number", help="e.g. 2027-0001")
        paid.add_argument("--on", type=date_argument, help="the payment date (default today)")
        void = sub.add_parser("void", help="void an invoice sent in error (it keeps its number)")
        void.add_argument("number")
        void.add_argument("--reason", required=True)
        resend = sub.add_parser("resend", help="send an invoice again to its billing contact")
        resend.add_argument("number")
        schedule = sub.add_parser("schedule", help="how an engagement's agreement is invoiced")
        schedule.add_argument("reference")
        schedule.add_argument("--every", choices=Agreement.InvoiceSchedule.values)
        schedule.add_argument("--billing", metavar="EMAIL", help="the billing contact")

    def _invoice(self, number: str) -> Invoice:
        invoice = (
            Invoice.objects.select_related("engagement__organization", "agreement")
            .filter(number=number)
            .first()
        )
        if invoice is None:
            raise ServiceError(f"no invoice numbered {number!r}")
        return invoice

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "mark-paid":
            invoice = invoice_mark_paid(
                invoice=self._invoice(options["number"]), actor=self.cli_actor(), on=options["on"]
            )
            self.stdout.write(f"invoice {invoice.number} paid on {invoice.paid_on}")
            return
        if action == "void":
            invoice = invoice_void(
                invoice=self._invoice(options["number"]), actor=self.cli_actor(), reason=options["reason"]
            )
            self.stdout.write(f"invoice {invoice.number} void; the billing contact is told")
            return
        if action == "resend":
            invoice = self._invoice(options["number"])
            invoice_resend(invoice=invoice, actor=self.cli_actor())
            self.stdout.write(f"invoice {invoice.number} queued again for {invoice.billing_contact}")
            return
        if action == "schedule":
            engagement = engagement_get(options["reference"])
            agreement = agreement_for(engagement)
            if agreement is None:
                raise ServiceError(f"{engagement.reference} has no agreement")
            agreement_set_terms(
                agreement=agreement,
                actor=self.cli_actor(),
                invoice_schedule=options["every"],
                billing_contact=options["billing"],
            )
            agreement.refresh_from_db()
            every = agreement.invoice_schedule or "the profile's schedule"
            billed = agreement.billing_contact or "the first contact"
            self.stdout.write(f"{engagement.reference}: invoiced {every}, billed to {billed}")
            return
        invoices = Invoice.objects.select_related("engagement__organization")
        rows = [invoice_row(invoice) for invoice in invoices]
        if options["status"]:
            rows = [row for row in rows if row["status"] == options["status"]]
        if options["json"]:
            self.write_json(rows)
            return
        for row in rows:
            self.stdout.write(
                f"{row['number']}  {row['reference']:<8} {row['issued_on']}  due {row['due_on']}"
                f" ({row['terms'] or '-'})  {money(Decimal(row['total']), row['currency']):>16}"
                f"  {row['status']}  {row['organization']}"
            )
        if not rows:
            self.stdout.write("no invoices")
