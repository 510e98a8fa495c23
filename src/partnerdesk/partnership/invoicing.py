"""Invoices: issued by the invoice tickler from the agreement's schedule and terms, numbered
without gaps per year (a void invoice keeps its number).

The email, the PDF and the list state the same dates and terms: the email's body and the PDF's
note are one wording, rendered from `partnership/invoice_wording.txt` and the invoice's row.

The number comes from a per-year counter row locked (select_for_update) in the transaction that
writes the invoice, its lines, its PDF email in the outbox and its overdue reminders: a failure
anywhere rolls the number back with the rest, so numbers have no gaps. A failed *send* happens
later, in the outbox, and leaves the invoice and its number as they are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.template.loader import render_to_string

from partnerdesk.agreements.models import Agreement
from partnerdesk.agreements.partnership_rules import days_between, get_rules
from partnerdesk.lib import clock
from partnerdesk.lib.currencies import CurrencyError, currency_code
from partnerdesk.mail.composing import Attachment
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import message_queue
from partnerdesk.partnership.invoice_pdf import invoice_pdf, money
from partnerdesk.partnership.models import WORKER, Invoice, InvoiceCounter, InvoiceLine, Tickler
from partnerdesk.pipeline.models import TimelineEntry
from partnerdesk.pipeline.services import Actor, ServiceError, timeline_record
from partnerdesk.pipeline.stages import Stage
from partnerdesk.profile import get_profile


def _next_number(year: int) -> int:
    """The next sequence number of `year`; the caller's transaction holds the counter's lock."""
    InvoiceCounter.objects.get_or_create(year=year)
    counter = InvoiceCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def billing_contact(tickler: Tickler) -> str:
    agreement = tickler.agreement
    if agreement is not None and agreement.billing_contact:
        return agreement.billing_contact
    first = tickler.engagement.contacts.order_by("engagement_links__id").first()
    if first is None:
        raise ServiceError(f"{tickler.engagement.reference} has no contact to bill")
    return first.email


def payment_terms(agreement: Agreement, issued_on: dt.date) -> tuple[dt.date, str]:
    """(due date, how the invoice states it) under the agreement's terms, else the profile's.

    A fixed due date applies while it is still ahead; an invoice issued after it falls back to
    the days (the agreement's, else the profile's).
    """
    if agreement.payment_due_on is not None and agreement.payment_due_on >= issued_on:
        return agreement.payment_due_on, f"due by {agreement.payment_due_on.isoformat()}"
    days = agreement.payment_terms_days
    if days is None:
        days = get_rules().payment_terms_days
    return issued_on + dt.timedelta(days=days), f"net {days}" if days else "due on receipt"


@dataclass(frozen=True)
class InvoiceDocument:
    number: str
    subject: str
    body: str
    pdf: bytes

    @property
    def filename(self) -> str:
        return f"Invoice {self.number}.pdf"

    @property
    def attachment(self) -> Attachment:
        return Attachment(self.filename, self.pdf, "application/pdf")


def invoice_wording(invoice: Invoice) -> str:
    """The invoice's one wording (template `partnership/invoice_wording.txt`)."""
    organization = get_profile().organization
    return render_to_string(
        "partnership/invoice_wording.txt",
        {
            "number": invoice.number,
            "total": money(invoice.total, invoice.currency),
            "issued_on": invoice.issued_on.isoformat(),
            "due_on": invoice.due_on.isoformat(),
            "terms": invoice.terms,
            "agreement": invoice.agreement.title,
            "po_number": invoice.po_number,
            "fiscal_sponsor": organization.fiscal_sponsor_name,
            "fiscal_sponsor_email": organization.fiscal_sponsor_email,
        },
    ).strip()


def invoice_document(invoice: Invoice) -> InvoiceDocument:
    """The invoice's email subject, body and PDF, all from its row and the one wording."""
    profile = get_profile()
    lines = [(line.description, line.amount) for line in invoice.lines.all()]
    wording = invoice_wording(invoice)
    pdf = invoice_pdf(
        number=invoice.number,
        issued_on=invoice.issued_on.isoformat(),
        due_on=invoice.due_on.isoformat(),
        terms=invoice.terms,
        po_number=invoice.po_number,
        issuer=profile.organization.name,
        fiscal_sponsor=profile.organization.fiscal_sponsor_name,
        bill_to=invoice.billing_contact,
        partner=invoice.engagement.organization.name,
        agreement=invoice.agreement.title,
        lines=lines,
        total=invoice.total,
        currency=invoice.currency,
        note=wording,
        void=invoice.status == Invoice.Status.VOID,
    )
    total = money(invoice.total, invoice.currency)
    return InvoiceDocument(
        number=invoice.number,
        subject=f"Invoice {invoice.number} from {profile.organization.name}: {total}",
        body=f"Hello,\n\n{wording}\n\nThe invoice is attached.\n\n"
        f"Best regards,\n{profile.mailbox.display_name}\n",
        pdf=pdf,
    )


def _copies() -> list[str]:
    profile = get_profile()
    return [profile.organization.fiscal_sponsor_email, profile.mailbox.address]


def fire_invoice(tickler: Tickler) -> str:
    """Issue the tickler's invoice today: numbered, due under the agreement's terms, emailed."""
    engagement, agreement = tickler.engagement, tickler.agreement
    assert agreement is not None
    if engagement.stage == Stage.CLOSED.value:
        return f"skipped: {engagement.reference} is closed"
    existing = Invoice.objects.filter(idempotency_key=f"tickler:{tickler.key}").first()
    if existing is not None:
        return f"invoice {existing.number} already issued"
    payload = tickler.payload
    amount = Decimal(payload["amount"])
    try:
        # An agreement whose currency was set before currencies were checked may hold "DOL".
        currency = currency_code(payload["currency"])
    except CurrencyError as exc:
        raise ServiceError(f"no invoice for {agreement.title}: {exc}") from None
    lines = [(f"{payload['description']} ({payload['number']} of {payload['of']})", amount)]
    rules = get_rules()
    # Issued the day it goes out (its planned day, unless it was missed and sent later).
    issued_on = clock.today()
    due_on, terms = payment_terms(agreement, issued_on)
    bill_to = billing_contact(tickler)
    with transaction.atomic():
        sequence = _next_number(issued_on.year)
        number = f"{issued_on.year}-{sequence:04d}"
        total = sum((line_amount for _, line_amount in lines), Decimal("0.00"))
        invoice = Invoice.objects.create(
            number=number,
            year=issued_on.year,
            sequence=sequence,
            engagement=engagement,
            agreement=agreement,
            issued_on=issued_on,
            due_on=due_on,
            terms=terms,
            po_number=agreement.po_number,
            currency=currency,
            total=total,
            billing_contact=bill_to,
            idempotency_key=f"tickler:{tickler.key}",
            created_at=clock.now(),
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(invoice=invoice, position=n, description=text, amount=line_amount)
            for n, (text, line_amount) in enumerate(lines, start=1)
        )
        document = invoice_document(invoice)
        message = message_queue(
            to=[bill_to],
            cc=_copies(),
            subject=document.subject,
            body=document.body,
            attachments=[document.attachment],
            engagement=engagement,
            idempotency_key=f"invoice:{number}",
            actor=WORKER,
        )
        Invoice.objects.filter(pk=invoice.pk).update(message=message)
        now = clock.now()
        Tickler.objects.bulk_create(
            Tickler(
                key=f"invoice:{number}:overdue:{days}",
                kind=Tickler.Kind.INVOICE_OVERDUE,
                engagement=engagement,
                agreement=agreement,
                due_on=due_on + dt.timedelta(days=days),
                payload={"invoice": invoice.pk, "number": number, "days_overdue": days},
                created_at=now,
            )
            for days in rules.overdue_reminder_days
        )
    return f"invoice {number} ({money(total, currency)}, {terms}) sent to {bill_to}"


def fire_overdue_reminder(tickler: Tickler) -> str:
    invoice = Invoice.objects.get(pk=tickler.payload["invoice"])
    if invoice.status in (Invoice.Status.PAID, Invoice.Status.VOID):
        return f"skipped: invoice {invoice.number} is {invoice.get_status_display().lower()}"
    if invoice.status != Invoice.Status.OVERDUE:
        Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.OVERDUE)
    profile = get_profile()
    # Counted from the day this reminder goes out, whatever day it was planned for.
    today = clock.today()
    late = days_between(today, invoice.due_on)
    message_queue(
        to=[invoice.billing_contact],
        cc=_copies(),
        subject=f"Reminder: invoice {invoice.number} is overdue",
        body=(
            f"Hello,\n\nInvoice {invoice.number} for {money(invoice.total, invoice.currency)},"
            f" issued on {invoice.issued_on.isoformat()}, was due on {invoice.due_on.isoformat()}"
            f" ({invoice.terms or 'its payment terms'}): as of {today.isoformat()}, that is {late},"
            " and we have not received the payment yet."
            " If it is on its way, thank you, and please ignore this message.\n\n"
            f"Best regards,\n{profile.mailbox.display_name}\n"
        ),
        engagement=tickler.engagement,
        idempotency_key=f"tickler:{tickler.key}",
        actor=WORKER,
    )
    return f"overdue reminder for {invoice.number} sent to {invoice.billing_contact}"


def _stop_reminders(invoice: Invoice, why: str) -> int:
    return Tickler.objects.filter(
        key__startswith=f"invoice:{invoice.number}:overdue:",
        status__in=(Tickler.Status.PENDING, Tickler.Status.MISSED),
    ).update(status=Tickler.Status.CANCELLED, fired_at=clock.now(), outcome=f"stopped: {why}")


def invoice_mark_paid(*, invoice: Invoice, actor: Actor, on: dt.date | None = None) -> Invoice:
    """Record the payment (`on`, default today); its overdue reminders stop."""
    on = on or clock.today()
    with transaction.atomic():
        updated = (
            Invoice.objects.filter(pk=invoice.pk)
            .exclude(status__in=(Invoice.Status.PAID, Invoice.Status.VOID))
            .update(status=Invoice.Status.PAID, paid_on=on)
        )
        if updated != 1:
            invoice.refresh_from_db()
            raise ServiceError(f"invoice {invoice.number} is already {invoice.get_status_display().lower()}")
        _stop_reminders(invoice, f"paid on {on.isoformat()}")
        timeline_record(
            engagement=invoice.engagement,
            kind=TimelineEntry.Kind.NOTE,
            actor=actor,
            summary=f"Invoice {invoice.number} paid on {on.isoformat()}"
            f" ({money(invoice.total, invoice.currency)})",
            data={"invoice": invoice.pk},
        )
    invoice.refresh_from_db()
    return invoice


def invoice_void(*, invoice: Invoice, actor: Actor, reason: str) -> Invoice:
    """Void an invoice sent in error. It keeps its number (the series has no gap), its reminders
    stop, and the billing contact is told to disregard it."""
    reason = " ".join(reason.split())
    if not reason:
        raise ServiceError("say why the invoice is void")
    profile = get_profile()
    with transaction.atomic():
        updated = (
            Invoice.objects.filter(pk=invoice.pk)
            .exclude(status__in=(Invoice.Status.PAID, Invoice.Status.VOID))
            .update(status=Invoice.Status.VOID, voided_at=clock.now(), void_reason=reason)
        )
        if updated != 1:
            invoice.refresh_from_db()
            raise ServiceError(
                f"invoice {invoice.number} is {invoice.get_status_display().lower()}: it cannot be void"
            )
        _stop_reminders(invoice, "the invoice is void")
        invoice.refresh_from_db()
        message_queue(
            to=[invoice.billing_contact],
            cc=_copies(),
            subject=f"Invoice {invoice.number} is void",
            body=(
                f"Hello,\n\nInvoice {invoice.number} for {money(invoice.total, invoice.currency)},"
                f" issued on {invoice.issued_on.isoformat()}, is void: {reason}. Please disregard it;"
                " nothing is due under it.\n\n"
                f"Best regards,\n{profile.mailbox.display_name}\n"
            ),
            engagement=invoice.engagement,
            idempotency_key=f"invoice:{invoice.number}:void",
            actor=actor,
        )
        timeline_record(
            engagement=invoice.engagement,
            kind=TimelineEntry.Kind.NOTE,
            actor=actor,
            summary=f"Invoice {invoice.number} void ({money(invoice.total, invoice.currency)}): {reason}",
            data={"invoice": invoice.pk},
        )
    return invoice


def invoice_resend(*, invoice: Invoice, actor: Actor) -> OutboxMessage:
    """Send the invoice again, as it was issued, to its billing contact (fiscal sponsor in cc)."""
    if invoice.status == Invoice.Status.VOID:
        raise ServiceError(f"invoice {invoice.number} is void: it is not sent again")
    document = invoice_document(invoice)
    sent_before = OutboxMessage.objects.filter(
        idempotency_key__startswith=f"invoice:{invoice.number}"
    ).count()
    with transaction.atomic():
        return message_queue(
            to=[invoice.billing_contact],
            cc=_copies(),
            subject=document.subject,
            body=document.body,
            attachments=[document.attachment],
            engagement=invoice.engagement,
            idempotency_key=f"invoice:{invoice.number}:resend:{sent_before}",
            actor=actor,
        )
