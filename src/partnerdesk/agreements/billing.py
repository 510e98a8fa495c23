"""An agreement's billing terms: payment terms (days or a fixed due date), invoice schedule and
amounts per invoice, billing contact and purchase order number, checked before they are saved.

Left empty, each one is the profile's (`[partnership]`); `services.agreement_set_terms` sets them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from partnerdesk.agreements.models import Addendum, Agreement
from partnerdesk.agreements.partnership_rules import AgreementDates, get_rules, invoice_dates
from partnerdesk.lib.addresses import parse_contact
from partnerdesk.pipeline.services import ServiceError

BILLING_FIELDS = (
    "payment_terms_days",
    "payment_due_on",
    "invoice_schedule",
    "invoice_amounts",
    "billing_contact",
    "po_number",
)


def billing_terms(
    *,
    payment_terms_days: int | None,
    payment_due_on: dt.date | None,
    invoice_schedule: str | None,
    invoice_amounts: list[Decimal] | None,
    billing_contact: str | None,
    po_number: str | None,
) -> dict[str, Any]:
    """The billing terms given (None: unchanged), checked; "" or [] puts back the profile's."""
    terms: dict[str, Any] = {}
    if payment_terms_days is not None:
        if not 0 <= payment_terms_days <= 365:
            raise ServiceError(f"payment terms of {payment_terms_days} days: give 0 to 365 days")
        terms["payment_terms_days"] = payment_terms_days
        terms["payment_due_on"] = None  # days or a fixed date, not both
    if payment_due_on is not None:
        terms["payment_due_on"] = payment_due_on
        terms["payment_terms_days"] = None
    if invoice_schedule is not None:
        schedule = invoice_schedule.strip().lower()
        if schedule and schedule not in Agreement.InvoiceSchedule.values:
            raise ServiceError(
                f"{invoice_schedule!r} is not an invoice schedule (annual, quarterly or milestones)"
            )
        terms["invoice_schedule"] = schedule
    if invoice_amounts is not None:
        terms["invoice_amounts"] = [str(amount) for amount in invoice_amounts]
    if billing_contact is not None:
        address = billing_contact.strip()
        if address:
            _, address = parse_contact(address)
        terms["billing_contact"] = address.lower()
    if po_number is not None:
        number = " ".join(po_number.split())
        if len(number) > 100:
            raise ServiceError("the purchase order number is longer than 100 characters")
        terms["po_number"] = number
    return terms


def agreement_dates(agreement: Agreement) -> AgreementDates:
    """The agreement's dates and terms, as the partner phase's rules read them (its invoices,
    check-ins and renewal); an unsaved agreement (a form being filled in) has no deliverables yet."""
    deliverables: tuple[tuple[str, dt.date], ...] = ()
    if agreement.pk is not None:
        deliverables = tuple(
            (title, due)
            for title, due in agreement.addenda.filter(kind=Addendum.Kind.DELIVERABLE, due_on__isnull=False)
            .order_by("due_on", "id")
            .values_list("title", "due_on")
            if due is not None
        )
    return AgreementDates(
        id=agreement.pk,
        term_start=agreement.term_start,
        term_end=agreement.term_end,
        executed_on=agreement.executed_on,
        value=agreement.value,
        currency=agreement.currency,
        deliverables=deliverables,
        amounts=tuple(str(amount) for amount in agreement.invoice_amounts or ()),
    )


def check_amounts(agreement: Agreement) -> None:
    """Amounts per invoice add up to the value, one per invoice of the schedule."""
    amounts = [Decimal(amount) for amount in agreement.invoice_amounts or ()]
    if not amounts:
        return
    if agreement.value is not None and sum(amounts) != agreement.value:
        raise ServiceError(
            f"the invoice amounts add up to {sum(amounts):,.2f},"
            f" not the agreement's value {agreement.value:,.2f}"
        )
    schedule = agreement.invoice_schedule or get_rules().invoice_schedule
    dates = agreement_dates(agreement)
    count = len(invoice_dates(dates, schedule))
    if count and count != len(amounts):
        raise ServiceError(
            f"the {schedule} schedule has {count} invoice(s) over this term: give {count} amount(s),"
            f" not {len(amounts)}"
        )
