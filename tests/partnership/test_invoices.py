"""Invoices over a partnership: on schedule, numbered without gaps, PDFs with the right totals,
sent to the billing contact with the fiscal sponsor in cc, overdue reminders until paid."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
from decimal import Decimal

import pypdf
import pytest

from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.worker import run_due_work
from partnerdesk.partnership import invoicing, ticklers
from partnerdesk.partnership.models import Invoice, Tickler
from tests.partnership.conftest import make_partner

pytestmark = pytest.mark.django_db


def _run(frozen_clock, first: dt.date, last: dt.date, step: int = 1) -> None:
    day = first
    while day <= last:
        frozen_clock.set(day)
        run_due_work(raise_errors=True)
        day += dt.timedelta(days=step)


def _pdf_text(message: OutboxMessage) -> str:
    parsed = email.message_from_bytes(bytes(message.raw), policy=email.policy.default)
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(attachment.get_content()))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_annual_invoices_over_two_years_are_issued_once_each_with_the_right_pdf(frozen_clock, partner, cli):
    engagement, agreement = partner
    _run(frozen_clock, dt.date(2026, 12, 30), dt.date(2027, 1, 10))
    [first] = Invoice.objects.all()
    assert (first.number, first.issued_on, first.total, first.currency) == (
        "2027-0001",
        dt.date(2027, 1, 1),
        Decimal("12000.00"),
        "USD",
    )
    message = first.message
    assert message.to == ["lee@harbor.example.edu"]
    assert message.cc == ["fsp@codeforscience.org", "partnerships@2i2c.org"]
    text = _pdf_text(message)
    assert "Invoice 2027-0001" in text and "Total" in text and "12,000.00 USD" in text
    assert "Services 2027-01-01 to 2027-12-31 (1 of 2)" in text

    assert cli("invoice", "mark-paid", "2027-0001").code == 0
    _run(frozen_clock, dt.date(2027, 1, 11), dt.date(2029, 2, 28), step=3)
    numbers = list(Invoice.objects.values_list("number", "issued_on"))
    # Issued the day the worker issues it: every third day here, so two days after the 1st.
    assert numbers == [("2027-0001", dt.date(2027, 1, 1)), ("2028-0001", dt.date(2028, 1, 3))]
    assert sum(Invoice.objects.values_list("total", flat=True)) == Decimal("24000.00")
    # The unpaid second invoice got its three overdue reminders, once each; the paid one none.
    reminders = OutboxMessage.objects.filter(subject__contains="is overdue")
    assert sorted(m.subject.split("invoice ")[1][:9] for m in reminders) == ["2028-0001"] * 3
    assert Invoice.objects.get(number="2028-0001").status == "overdue"
    rows = json.loads(cli("invoice", "list", "--json").out)
    assert [(r["number"], r["status"]) for r in rows] == [("2027-0001", "paid"), ("2028-0001", "overdue")]


def test_quarterly_invoices_add_up_to_the_value(alice, frozen_clock, cli):
    engagement, agreement = make_partner(owner=alice, value=Decimal("10000.00"), currency="EUR")
    assert (
        cli(
            "invoice",
            "schedule",
            engagement.reference,
            "--every",
            "quarterly",
            "--billing",
            "billing@harbor.example.edu",
        ).code
        == 0
    )
    _run(frozen_clock, dt.date(2027, 1, 1), dt.date(2028, 12, 31), step=7)
    invoices = list(Invoice.objects.all())
    assert len(invoices) == 8
    assert [i.number for i in invoices] == [f"2027-000{n}" for n in range(1, 5)] + [
        f"2028-000{n}" for n in range(1, 5)
    ]
    assert sum(i.total for i in invoices) == Decimal("10000.00") and invoices[0].total == Decimal("1250.00")
    assert {i.billing_contact for i in invoices} == {"billing@harbor.example.edu"}


def test_milestone_invoices_follow_the_deliverables(alice, frozen_clock, cli):
    engagement, _ = make_partner(
        owner=alice,
        value=Decimal("9000.00"),
        deliverables=[("Hub live", dt.date(2027, 2, 15)), ("Training", dt.date(2027, 6, 1))],
    )
    cli("invoice", "schedule", engagement.reference, "--every", "milestones")
    _run(frozen_clock, dt.date(2027, 1, 1), dt.date(2027, 7, 1))
    invoices = list(Invoice.objects.all())
    assert [(i.issued_on, i.total) for i in invoices] == [
        (dt.date(2027, 2, 15), Decimal("4500.00")),
        (dt.date(2027, 6, 1), Decimal("4500.00")),
    ]
    assert "Milestone: Hub live" in _pdf_text(invoices[0].message)


def test_numbering_has_no_gap_after_a_failed_issue(alice, frozen_clock, monkeypatch):
    make_partner(owner=alice, organization="Bay College", contacts=[("Kim Lo", "kim@bay.example.edu")])
    make_partner(owner=alice)
    ticklers.ticklers_plan()
    frozen_clock.set(dt.date(2027, 1, 1))
    real_pdf = invoicing.invoice_pdf
    calls = []

    def failing_once(**kwargs):
        calls.append(kwargs["partner"])
        if len(calls) == 1:
            raise OSError("disk full")
        return real_pdf(**kwargs)

    monkeypatch.setattr(invoicing, "invoice_pdf", failing_once)
    report = ticklers.ticklers_fire_due()
    assert (report.fired, report.failed) == (1, 1)
    assert list(Invoice.objects.values_list("number", flat=True)) == ["2027-0001"]
    frozen_clock.advance(days=1)
    ticklers.ticklers_fire_due()
    assert list(Invoice.objects.values_list("number", flat=True)) == ["2027-0001", "2027-0002"]
    assert (
        Tickler.objects.filter(
            kind="invoice", fired_at__isnull=True, due_on__lte=frozen_clock.today()
        ).count()
        == 0
    )


def test_mark_paid_twice_is_refused(frozen_clock, partner, cli):
    _run(frozen_clock, dt.date(2027, 1, 1), dt.date(2027, 1, 1))
    assert cli("invoice", "mark-paid", "2027-0001", "--on", "2027-01-20").code == 0
    again = cli("invoice", "mark-paid", "2027-0001")
    assert again.code == 1 and "already paid" in again.err
    assert cli("invoice", "mark-paid", "1999-0001").code == 1
