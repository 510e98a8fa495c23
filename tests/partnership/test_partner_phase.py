"""Issue 17's partner phase: nothing sent that is not due now (missed items for a person), dates
in texts that match the calendar, the agreement's own billing terms, and the next term."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
import re
from decimal import Decimal

import pypdf
import pytest

from partnerdesk.agreements.models import Agreement
from partnerdesk.agreements.services import agreement_set_terms
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.worker import run_due_work
from partnerdesk.partnership import services as partnership
from partnerdesk.partnership.models import Invoice, Renewal, Tickler
from partnerdesk.partnership.renewals import renewal_record
from partnerdesk.partnership.selectors import agreement_preview, missed_items
from partnerdesk.pipeline.services import Actor, ServiceError
from tests.partnership.conftest import make_partner

pytestmark = pytest.mark.django_db

ALICE = Actor(label="alice")
LEE = (("Lee Park", "lee@harbor.example.edu"),)
TODAY = dt.date(2026, 12, 1)  # the time machine's first day
# Signed 400 days before TODAY, for two years, invoiced quarterly: by TODAY five invoices
# (2025-11-01 ... 2026-11-01) and four check-ins (2026-02-01 ... 2026-11-01) have passed.
SIGNED = TODAY - dt.timedelta(days=400)
START, END = dt.date(2025, 11, 1), dt.date(2027, 10, 31)


def _body(message) -> str:
    parsed = email.message_from_bytes(bytes(message.raw), policy=email.policy.default)
    return parsed.get_body(preferencelist=("plain",)).get_content()


def _pdf_text(message: OutboxMessage) -> str:
    parsed = email.message_from_bytes(bytes(message.raw), policy=email.policy.default)
    [attachment] = list(parsed.iter_attachments())
    reader = pypdf.PdfReader(io.BytesIO(attachment.get_content()))
    return "\n".join(page.extract_text() for page in reader.pages)


def _signed_a_year_ago(alice, **billing):
    return make_partner(
        owner=alice,
        contacts=LEE,
        term_start=START,
        term_end=END,
        executed_on=SIGNED,
        invoice_schedule="quarterly",
        **billing,
    )


def _kind(received) -> str:
    subject = received.message["Subject"]
    for kind, marker in (
        ("invoice", "Invoice 2026-"),
        ("check_in", "How is our partnership going"),
        ("missed", "missed partner-phase"),
        ("kickoff", "launch meeting"),
        ("renewal", "Renewal:"),
        ("overdue", "is overdue"),
    ):
        if marker in subject:
            return kind
    return subject


# 1. Nothing sent that is not due now


def test_an_agreement_signed_400_days_ago_sends_one_item_of_each_kind_and_lists_the_rest_as_missed(
    alice, frozen_clock, smtp_server, cli
):
    engagement, agreement = _signed_a_year_ago(alice)

    run_due_work(raise_errors=True)

    kinds = sorted(_kind(received) for received in smtp_server.handler.delivered)
    assert kinds == ["check_in", "invoice", "kickoff", "missed"]
    [invoice] = Invoice.objects.all()
    assert invoice.lines.get().description == "Services 2026-11-01 to 2027-01-31 (5 of 8)"
    assert (invoice.number, invoice.issued_on, invoice.total) == ("2026-0001", TODAY, Decimal("3000.00"))

    missed = missed_items(engagement)
    assert [(t.kind, t.due_on) for t in missed] == sorted(
        [("invoice", dt.date(2025, 11, 1)), ("invoice", dt.date(2026, 2, 1))]
        + [("invoice", dt.date(2026, 5, 1)), ("invoice", dt.date(2026, 8, 1))]
        + [("check_in", dt.date(2026, 2, 1)), ("check_in", dt.date(2026, 5, 1))]
        + [("check_in", dt.date(2026, 8, 1))],
        key=lambda pair: (pair[1], pair[0] == "invoice"),
    )
    listed = cli("tickler", "list", "--missed")
    assert listed.code == 0, listed.err
    lines = listed.out.strip().splitlines()
    assert len(lines) == 7 and all("MISSED" in line for line in lines)
    assert any("Invoice 1 of 8: 3,000.00 USD" in line for line in lines)

    # The owner's one note lists them, with the engagement's page, and no command to run.
    [note] = [r for r in smtp_server.handler.delivered if _kind(r) == "missed"]
    assert note.rcpt_tos == ["alice@2i2c.org"]
    text = note.message.get_body(preferencelist=("plain",)).get_content()
    assert text.count("\n- 2025-") + text.count("\n- 2026-") == 7 + 2  # missed, then what went out
    assert f"/engagements/{engagement.reference}/" in text and "partnerdesk tickler" not in text

    # Later passes send nothing more, and tell the owner nothing twice.
    for _ in range(2):
        run_due_work(raise_errors=True)
    assert len(smtp_server.handler.delivered) == 4


def test_after_downtime_the_catch_up_sends_the_most_recent_renewal_reminder_with_the_true_day_count(
    alice, frozen_clock
):
    engagement, agreement = make_partner(owner=alice, value=None, contacts=LEE)
    run_due_work(raise_errors=True)
    # The worker is down from before the 120-day reminder until 20 days before the end.
    frozen_clock.set(agreement.term_end - dt.timedelta(days=20))
    run_due_work(raise_errors=True)

    [reminder] = OutboxMessage.objects.filter(subject__contains="Renewal:")
    assert "ends 2028-12-31 (in 20 days)" in reminder.subject
    assert "as of 2028-12-11, that is in 20 days" in _body(reminder)
    fired = Tickler.objects.get(kind="renewal", status="fired")
    assert fired.payload["days_before"] == 30  # the most recent one due
    assert sorted(
        Tickler.objects.filter(kind="renewal", status="missed").values_list("payload__days_before", flat=True)
    ) == [60, 90, 120]


def test_day_counts_in_every_reminder_text_match_the_dates_in_it(alice, frozen_clock, smtp_server):
    engagement, agreement = make_partner(owner=alice, contacts=LEE)
    # Runs on a few days only, so most reminders go out late.
    for day in (dt.date(2027, 1, 1), dt.date(2027, 2, 20), dt.date(2027, 3, 9), dt.date(2028, 10, 17)):
        frozen_clock.set(day)
        run_due_work(raise_errors=True)
    # A missed one sent by a person later counts from that day too.
    frozen_clock.set(dt.date(2028, 11, 5))
    [older] = Tickler.objects.filter(kind="renewal", status="missed").order_by("due_on")[:1]
    partnership.tickler_send_missed(tickler=older, actor=ALICE)
    run_due_work(raise_errors=True)

    checked = 0
    for received in smtp_server.handler.delivered:
        text = received.message.get_body(preferencelist=("plain",)).get_content()
        found = re.search(
            r"(?:ends|ended|due) on (\d{4}-\d\d-\d\d).*?as of (\d{4}-\d\d-\d\d), that is (.+?)[,.]",
            text,
            re.S,
        )
        if not found:
            continue
        target, as_of = (dt.date.fromisoformat(found.group(n)) for n in (1, 2))
        days = (target - as_of).days
        expected = "today" if days == 0 else f"in {days} days" if days > 0 else f"{-days} days ago"
        assert found.group(3) == expected, text
        checked += 1
    subjects = [received.message["Subject"] for received in smtp_server.handler.delivered]
    # Renewal reminders: 90 days before (sent on 2028-10-17), 120 (sent by a person), 60 (2028-11-05).
    assert sum("Renewal:" in s for s in subjects) == 3 and sum("is overdue" in s for s in subjects) == 2
    assert checked == 5


# 2. A person sends, skips or marks done a missed item


def test_a_person_sends_skips_or_marks_done_each_missed_item(alice, frozen_clock, cli):
    engagement, _ = _signed_a_year_ago(alice)
    run_due_work(raise_errors=True)
    first, second, third, *_ = [t for t in missed_items(engagement) if t.kind == "invoice"]

    sent = partnership.tickler_send_missed(tickler=first, actor=ALICE)
    assert sent.status == "fired" and sent.resolved_by == "alice"
    invoice = Invoice.objects.get(lines__description__startswith="Services 2025-11-01")
    assert (invoice.number, invoice.issued_on) == ("2026-0002", TODAY)  # issued today, next number

    result = cli("tickler", "skip", str(second.pk), "--reason", "invoiced by the fiscal sponsor")
    assert result.code == 0, result.err
    assert cli("tickler", "done", str(third.pk), "--note", "paid in advance").code == 0
    statuses = {t.pk: t.status for t in Tickler.objects.filter(pk__in=[second.pk, third.pk])}
    assert statuses == {second.pk: "skipped", third.pk: "done"}

    again = cli("tickler", "send", str(second.pk))
    assert again.code == 1 and "is not missed: it is skipped" in again.err
    with pytest.raises(ServiceError, match="not missed"):
        partnership.tickler_send_missed(tickler=sent, actor=ALICE)
    summaries = list(engagement.timeline.values_list("summary", flat=True))
    assert any(s.startswith("Missed item sent: Invoice 1 of 8") for s in summaries)
    assert any(s.startswith("Skipped: Invoice 2 of 8") and "fiscal sponsor" in s for s in summaries)
    assert any(s.startswith("Marked done by hand: Invoice 3 of 8") for s in summaries)
    assert len(missed_items(engagement)) == 7 - 3


def test_the_preview_shows_what_the_next_90_days_send_before_the_agreement_is_signed(
    alice, frozen_clock, cli
):
    engagement, agreement = _signed_a_year_ago(alice)
    rows = agreement_preview(agreement)
    assert [(row.due_on, row.kind, row.when) for row in rows if row.when != "missed"] == [
        (dt.date(2026, 11, 1), "check_in", "now"),
        (dt.date(2026, 11, 1), "invoice", "now"),
        (dt.date(2027, 2, 1), "check_in", "planned"),
        (dt.date(2027, 2, 1), "invoice", "planned"),
    ]
    assert sum(row.when == "missed" for row in rows) == 7
    result = cli("tickler", "preview", engagement.reference, "--within", "30d")
    assert result.code == 0, result.err
    assert "MISSED (not sent)" in result.out and "2027-02-01" not in result.out
    assert not Tickler.objects.exists()  # a preview plans nothing


def test_the_preview_works_on_terms_not_saved_yet(alice, frozen_clock):
    engagement, _ = make_partner(owner=alice)
    draft = Agreement(
        engagement=engagement,
        value=Decimal("1000.00"),
        currency="EUR",
        term_start=dt.date(2026, 10, 1),
        term_end=dt.date(2027, 9, 30),
        invoice_schedule="quarterly",
    )
    rows = [(row.due_on, row.kind, row.when) for row in agreement_preview(draft, days=31)]
    assert rows == [
        (dt.date(2026, 10, 1), "invoice", "now"),
        (dt.date(2027, 1, 1), "check_in", "planned"),
        (dt.date(2027, 1, 1), "invoice", "planned"),
    ]


# 3. The agreement's own terms


def test_an_invoice_under_net_45_is_due_45_days_after_issue_in_the_pdf_the_email_and_the_list(
    alice, frozen_clock, cli
):
    engagement, agreement = make_partner(owner=alice, payment_terms_days=45, po_number="PO-7781")
    frozen_clock.set(dt.date(2027, 1, 1))
    run_due_work(raise_errors=True)

    [invoice] = Invoice.objects.all()
    due = dt.date(2027, 2, 15)
    assert (invoice.issued_on, invoice.due_on, invoice.terms) == (dt.date(2027, 1, 1), due, "net 45")
    body, pdf = _body(invoice.message), _pdf_text(invoice.message)
    wording = "was issued on 2027-01-01 and is due on 2027-02-15 (net 45)"
    assert wording in " ".join(body.split()) and wording in " ".join(pdf.split())
    assert "purchase order PO-7781" in body and "Purchase order: PO-7781" in pdf
    assert "Due: 2027-02-15 (net 45)" in pdf
    listed = cli("invoice", "list")
    assert "due 2027-02-15 (net 45)" in listed.out
    [row] = json.loads(cli("invoice", "list", "--json").out)
    assert (row["due_on"], row["terms"], row["po_number"]) == ("2027-02-15", "net 45", "PO-7781")


def test_a_fixed_due_date_and_the_billing_contact_come_from_the_agreement(alice, frozen_clock, cli):
    engagement, agreement = make_partner(owner=alice)
    result = cli(
        "agreement",
        "set",
        engagement.reference,
        "--payment-due-on",
        "2027-03-31",
        "--billing-contact",
        "Accounts <AP@harbor.example.edu>",
    )
    assert result.code == 0, result.err  # billing terms may be recorded after signature
    assert "payment due on: - -> 2027-03-31" in result.out
    refused = cli("agreement", "set", engagement.reference, "--value", "1")
    assert refused.code == 1 and "can no longer change" in refused.err
    frozen_clock.set(dt.date(2027, 1, 1))
    run_due_work(raise_errors=True)
    [invoice] = Invoice.objects.all()
    assert (invoice.due_on, invoice.terms, invoice.billing_contact) == (
        dt.date(2027, 3, 31),
        "due by 2027-03-31",
        "ap@harbor.example.edu",
    )
    shown = cli("agreement", "show", engagement.reference).out
    assert "payment terms: due by 2027-03-31" in shown and "billed to: ap@harbor.example.edu" in shown


def test_milestone_invoices_carry_their_own_amounts(alice, frozen_clock):
    engagement, agreement = make_partner(
        owner=alice,
        value=Decimal("9000.00"),
        deliverables=[("Hub live", dt.date(2027, 2, 15)), ("Training", dt.date(2027, 6, 1))],
    )
    with pytest.raises(ServiceError, match="add up to 8,000.00, not the agreement's value 9,000.00"):
        agreement_set_terms(agreement=agreement, actor=ALICE, invoice_amounts=[Decimal(3000), Decimal(5000)])
    with pytest.raises(ServiceError, match="has 2 invoice"):
        agreement_set_terms(
            agreement=agreement,
            actor=ALICE,
            invoice_schedule="milestones",
            invoice_amounts=[Decimal(9000)],
        )
    agreement_set_terms(
        agreement=agreement,
        actor=ALICE,
        invoice_schedule="milestones",
        invoice_amounts=[Decimal(3000), Decimal(6000)],
    )
    for day in (dt.date(2027, 2, 15), dt.date(2027, 6, 1)):
        frozen_clock.set(day)
        run_due_work(raise_errors=True)
    assert list(Invoice.objects.values_list("issued_on", "total")) == [
        (dt.date(2027, 2, 15), Decimal("3000.00")),
        (dt.date(2027, 6, 1), Decimal("6000.00")),
    ]


def test_a_void_invoice_keeps_its_number_and_the_next_one_follows_it(alice, frozen_clock, cli):
    make_partner(owner=alice, invoice_schedule="quarterly")
    frozen_clock.set(dt.date(2027, 1, 1))
    run_due_work(raise_errors=True)
    result = cli("invoice", "void", "2027-0001", "--reason", "wrong purchase order")
    assert result.code == 0, result.err
    assert cli("invoice", "mark-paid", "2027-0001").err.strip().endswith("already void")
    frozen_clock.set(dt.date(2027, 4, 1))
    run_due_work(raise_errors=True)
    assert list(Invoice.objects.values_list("number", "status")) == [
        ("2027-0001", "void"),
        ("2027-0002", "sent"),
    ]
    # Its reminders stopped; the partner was told to disregard it.
    assert not Tickler.objects.filter(key__startswith="invoice:2027-0001:", status__in=["pending", "missed"])
    assert OutboxMessage.objects.filter(subject__contains="Invoice 2027-0001 is void").count() == 1


# 4. Renewal closes the loop


def test_renewed_makes_the_next_term_moves_the_renewal_to_partner_and_plans_its_items(
    alice, frozen_clock, cli
):
    engagement, agreement = make_partner(owner=alice)
    frozen_clock.set(agreement.term_end - dt.timedelta(days=120))
    run_due_work(raise_errors=True)
    successor = Renewal.objects.get().renewal_engagement

    result = cli("renewal", "record", successor.reference, "renewed")

    assert result.code == 0, result.err
    successor.refresh_from_db()
    assert successor.stage == "partner" and successor.executed_close_on == frozen_clock.today()
    following = Agreement.objects.get(engagement=successor)
    assert (
        following.status,
        following.term_start,
        following.term_end,
        following.value,
        following.renews,
    ) == (
        "executed",
        dt.date(2029, 1, 1),
        dt.date(2030, 12, 31),
        Decimal("24000.00"),
        agreement,
    )
    planned = Tickler.objects.filter(agreement=following)
    assert {t.engagement_id for t in planned} == {successor.pk}
    assert sorted(planned.filter(kind="invoice").values_list("due_on", flat=True)) == [
        dt.date(2029, 1, 1),
        dt.date(2030, 1, 1),
    ]
    assert planned.filter(kind="check_in").count() == 7 and planned.filter(kind="renewal").count() == 4
    assert engagement.timeline.filter(
        summary__startswith=f"The partnership continues as {successor.reference}"
    )

    # On the first day of the next term its first invoice goes out, from the renewal engagement.
    frozen_clock.set(dt.date(2029, 1, 1))
    run_due_work(raise_errors=True)
    assert Invoice.objects.filter(engagement=successor, issued_on=dt.date(2029, 1, 1)).count() == 1


def test_changed_makes_the_next_term_with_its_new_terms(alice, frozen_clock):
    engagement, agreement = make_partner(owner=alice)
    result = renewal_record(
        engagement=engagement,
        outcome="changed",
        reason="a bigger hub",
        actor=ALICE,
        value=Decimal("30000.00"),
        term_end=dt.date(2029, 12, 31),
        invoice_schedule="quarterly",
        payment_terms_days=45,
    )
    following = result.next_agreement
    assert (following.term_start, following.term_end, following.value, following.payment_terms_days) == (
        dt.date(2029, 1, 1),
        dt.date(2029, 12, 31),
        Decimal("30000.00"),
        45,
    )
    amounts = [
        Decimal(t.payload["amount"]) for t in Tickler.objects.filter(agreement=following, kind="invoice")
    ]
    assert amounts == [Decimal("7500.00")] * 4


def test_ended_stops_every_future_item_and_says_so_on_the_timeline(alice, frozen_clock, cli):
    engagement, agreement = make_partner(owner=alice)
    frozen_clock.set(dt.date(2027, 1, 1))
    run_due_work(raise_errors=True)  # the first invoice, unpaid

    result = cli("renewal", "record", engagement.reference, "ended", "--reason", "no budget next year")

    assert result.code == 0, result.err
    assert not Tickler.objects.filter(
        engagement=engagement, kind__in=["invoice", "check_in", "renewal"], status__in=["pending", "missed"]
    ).exists()
    [entry] = engagement.timeline.filter(summary__startswith="Partnership ended:")
    assert (
        "7 satisfaction check-in(s), 1 invoice(s), 4 renewal reminder(s) still planned stopped"
        in entry.summary
    )
    assert "reminders of unpaid invoice(s) 2027-0001 go on" in entry.summary
    engagement.refresh_from_db()
    assert engagement.stage == "closed"
    before = OutboxMessage.objects.exclude(subject__contains="is overdue").count()
    frozen_clock.set(dt.date(2028, 12, 31))
    run_due_work(raise_errors=True)
    assert OutboxMessage.objects.exclude(subject__contains="is overdue").count() == before


# 5. One pass of the worker does everything due


def test_worker_once_sends_the_mail_of_a_fresh_due_tickler_in_the_same_run(
    alice, frozen_clock, smtp_server, cli
):
    make_partner(owner=alice, value=None, contacts=LEE)
    run_due_work(raise_errors=True)  # the launch playbook, queued at the close, and its kickoff email
    smtp_server.handler.attempts.clear()
    frozen_clock.set(dt.date(2027, 4, 1))  # the first check-in is due

    result = cli("worker", "--once")

    assert result.code == 0, result.err
    [check_in] = smtp_server.handler.delivered
    assert (
        check_in.rcpt_tos == ["lee@harbor.example.edu"] and "partnership going" in check_in.message["Subject"]
    )
    # What it did, by kind, on its log (standard error).
    assert "ticklers: sent 1 satisfaction check-in\n" in result.err
    assert "outbox: 1 sent" in result.err


def test_a_renewal_that_cannot_move_to_partner_records_nothing(alice, frozen_clock):
    from partnerdesk.pipeline import services
    from partnerdesk.pipeline.stages import Stage

    engagement, agreement = make_partner(owner=alice)
    frozen_clock.set(agreement.term_end - dt.timedelta(days=120))
    run_due_work(raise_errors=True)
    successor = Renewal.objects.get().renewal_engagement
    services.engagement_move(engagement=successor, to=Stage.CLOSED, actor=ALICE, reason="opened by mistake")

    with pytest.raises(ServiceError, match="Closed can move only to"):
        renewal_record(engagement=engagement, outcome="renewed", actor=ALICE)

    assert Renewal.objects.get().outcome == ""
    assert not Agreement.objects.filter(engagement=successor).exists()
    assert Tickler.objects.filter(agreement=agreement, kind="renewal", status="pending").count() == 3
