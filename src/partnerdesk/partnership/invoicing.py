"""Invoices: issued by the invoice tickler from the agreement's schedule, numbered without gaps.

The number comes from a per-year counter row locked (select_for_update) in the transaction that
writes the invoice, its lines, its PDF email in the outbox and its overdue reminders: a failure
anywhere rolls the number back with the rest, so numbers have no gaps. A failed *send* happens
later, in the outbox, and leaves the invoice and its number as they are.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from partnerdesk.lib import clock
from partnerdesk.mail.composing import Attachment
from partnerdesk.mail.outbox import message_queue
from partnerdesk.partnership.invoice_pdf import invoice_pdf, money
from partnerdesk.partnership.models import AgreementPlan, Invoice, InvoiceCounter, InvoiceLine, Tickler
from partnerdesk.partnership.renewals import WORKER
from partnerdesk.partnership.rules import get_rules
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
    plan = AgreementPlan.objects.filter(agreement_id=tickler.agreement_id).first()
    if plan is not None and plan.billing_contact:
        return plan.billing_contact
    first = tickler.engagement.contacts.order_by("engagement_links__id").first()
    if first is None:
        raise ServiceError(f"{tickler.engagement.reference} has no contact to bill")
    return first.email


def fire_invoice(tickler: Tickler) -> str:
    engagement, agreement = tickler.engagement, tickler.agreement
    assert agreement is not None
    if engagement.stage == Stage.CLOSED.value:
        return f"skipped: {engagement.reference} is closed"
    existing = Invoice.objects.filter(idempotency_key=f"tickler:{tickler.key}").first()
    if existing is not None:
        return f"invoice {existing.number} already issued"
    payload = tickler.payload
    amount, currency = Decimal(payload["amount"]), payload["currency"]
    lines = [(f"{payload['description']} ({payload['number']} of {payload['of']})", amount)]
    profile, rules = get_profile(), get_rules()
    issued_on = tickler.due_on
    due_on = issued_on + dt.timedelta(days=rules.payment_terms_days)
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
        pdf = invoice_pdf(
            number=number,
            issued_on=issued_on.isoformat(),
            due_on=due_on.isoformat(),
            issuer=profile.organization.name,
            fiscal_sponsor=profile.organization.fiscal_sponsor_name,
            bill_to=bill_to,
            partner=engagement.organization.name,
            agreement=agreement.title,
            lines=lines,
            total=total,
            currency=currency,
        )
        message = message_queue(
            to=[bill_to],
            cc=[profile.organization.fiscal_sponsor_email, profile.mailbox.address],
            subject=f"Invoice {number} from {profile.organization.name}: {money(total, currency)}",
            body=(
                f"Hello,\n\nPlease find attached invoice {number} for {money(total, currency)},"
                f' due on {due_on.isoformat()}, under the agreement "{agreement.title}".\n\n'
                f"The invoice is issued in collaboration with {profile.organization.fiscal_sponsor_name}"
                f" ({profile.organization.fiscal_sponsor_email}), in copy.\n\n"
                f"Best regards,\n{profile.mailbox.display_name}\n"
            ),
            attachments=[Attachment(f"Invoice {number}.pdf", pdf, "application/pdf")],
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
    return f"invoice {number} ({money(total, currency)}) sent to {bill_to}"


def fire_overdue_reminder(tickler: Tickler) -> str:
    invoice = Invoice.objects.get(pk=tickler.payload["invoice"])
    if invoice.status == Invoice.Status.PAID:
        return f"skipped: invoice {invoice.number} was paid"
    if invoice.status != Invoice.Status.OVERDUE:
        Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.OVERDUE)
    profile = get_profile()
    days = tickler.payload["days_overdue"]
    message_queue(
        to=[invoice.billing_contact],
        cc=[profile.organization.fiscal_sponsor_email, profile.mailbox.address],
        subject=f"Reminder: invoice {invoice.number} is overdue",
        body=(
            f"Hello,\n\nInvoice {invoice.number} for {money(invoice.total, invoice.currency)} was due on"
            f" {invoice.due_on.isoformat()} ({days} day(s) ago) and we have not received the payment yet."
            f" If it is on its way, thank you, and please ignore this message.\n\n"
            f"Best regards,\n{profile.mailbox.display_name}\n"
        ),
        engagement=tickler.engagement,
        idempotency_key=f"tickler:{tickler.key}",
        actor=WORKER,
    )
    return f"overdue reminder for {invoice.number} sent to {invoice.billing_contact}"


def invoice_mark_paid(*, invoice: Invoice, actor: Actor, on: dt.date | None = None) -> Invoice:
    on = on or clock.today()
    with transaction.atomic():
        updated = (
            Invoice.objects.filter(pk=invoice.pk)
            .exclude(status=Invoice.Status.PAID)
            .update(status=Invoice.Status.PAID, paid_on=on)
        )
        if updated != 1:
            raise ServiceError(f"invoice {invoice.number} is already paid")
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


def invoice_set_schedule(
    *, agreement_id: int, schedule: str = "", billing_contact: str = ""
) -> AgreementPlan:
    """The agreement's invoice schedule and billing contact ("" keeps the current one)."""
    plan, _ = AgreementPlan.objects.get_or_create(agreement_id=agreement_id)
    if schedule:
        plan.invoice_schedule = schedule
    if billing_contact:
        plan.billing_contact = billing_contact.strip().lower()
    plan.fingerprint = ""  # re-planned on the next pass
    plan.save(update_fields=["invoice_schedule", "billing_contact", "fingerprint"])
    return plan
