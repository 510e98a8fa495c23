"""The partner phase in the web: every action of the engagement page's Partner section and of the
Invoices page, each with a refusal that says in red what went wrong and what to do on the page."""

from __future__ import annotations

import datetime as dt
import io
import re
import threading

import pypdf
import pytest
from django.urls import reverse

from partnerdesk.agreements.models import Agreement
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.worker import run_due_work
from partnerdesk.partnership.models import CheckIn, Invoice, Renewal, Tickler
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.services import Actor
from partnerdesk.profile import DEFAULT_PROFILE_PATH
from partnerdesk.technical.models import Handoff
from partnerdesk.technical.services import technical_answer_set
from tests.partnership.conftest import make_partner
from tests.technical.conftest import FakeGitHub
from tests.technical.test_handoff import REQUIRED_ANSWERS

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 1)
LEE = (("Lee Park", "lee@harbor.example.edu"),)
# A command a page must never tell a user to run.
CLI = re.compile(r"partnerdesk (tech|tickler|invoice|renewal|playbook|agreement|lead|worker)\b")


@pytest.fixture
def github(profile_file, monkeypatch):
    """GitHub (tests/technical's fake) and engineering's address as where hand-offs go."""
    server = FakeGitHub()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-test-token")
    text = DEFAULT_PROFILE_PATH.read_text(encoding="utf-8")
    text = text.replace('engineering_email = ""', 'engineering_email = "engineering@2i2c.org"')
    text = text.replace('github_repository = ""', 'github_repository = "2i2c-org/infrastructure"')
    text = text.replace('github_api_url = "https://api.github.com"', f'github_api_url = "{server.url}"')
    profile_file(text)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def signed_a_year_ago(alice, frozen_clock) -> Engagement:
    """Quarterly invoices from 2025-11-01, recorded today: one worker pass sends the current
    invoice and check-in, and lists the older ones as missed."""
    engagement, _ = make_partner(
        owner=alice,
        contacts=LEE,
        term_start=dt.date(2025, 11, 1),
        term_end=dt.date(2027, 10, 31),
        executed_on=TODAY - dt.timedelta(days=400),
        invoice_schedule="quarterly",
        payment_terms_days=45,
    )
    run_due_work()
    return engagement


def _page(client, engagement: Engagement) -> str:
    return client.get(reverse("engagement", args=[engagement.reference])).content.decode()


def _section(page: str, anchor: str = "partner") -> str:
    return page.split(f'<section id="{anchor}"')[1].split("</section>")[0]


def _alerts(response) -> list[str]:
    return re.findall(
        r'<li class="message error[^"]*"><div role="alert">(.*?)</div></li>', response.content.decode(), re.S
    )


def _successes(response) -> list[str]:
    return re.findall(
        r'<li class="message success[^"]*"><div role="status">(.*?)</div></li>',
        response.content.decode(),
        re.S,
    )


def _invoice(number_in_year: int = 1) -> Invoice:
    return Invoice.objects.get(number=f"2026-{number_in_year:04d}")


def test_the_partner_section_shows_missed_items_the_next_90_days_invoices_and_check_ins(
    alice_client, signed_a_year_ago
):
    section = _section(_page(alice_client, signed_a_year_ago))
    assert "Missed items (7)" in section  # four older invoices, three older check-ins
    assert "Invoice 1 of 8: 3,000.00 USD (Services 2025-11-01 to 2026-01-31)" in section
    assert "2026-0001</strong> 3,000.00 USD" in section and "(net 45)" in section
    assert "Issue this invoice now" in section  # the next one, 2027-02-01, is within 90 days
    assert "Satisfaction check-in" in section and "Lee Park, sent 2026-12-01" in section
    assert "How was the renewal decided?" in section
    assert not CLI.search(_page(alice_client, signed_a_year_ago))


def test_a_lead_has_no_partner_phase_yet(alice_client, harbor):
    section = _section(_page(alice_client, harbor))
    assert "show here once the engagement is a Partner" in section


def test_marking_an_invoice_paid_stops_its_reminders_and_a_second_try_says_so_in_red(
    alice_client, signed_a_year_ago, frozen_clock
):
    invoice = _invoice()
    url = reverse("invoice-paid", args=[invoice.number])
    done = alice_client.post(url, {"paid_on": "2026-12-05", "next": "/invoices/"}, follow=True)
    assert done.redirect_chain[-1][0] == "/invoices/"
    assert _successes(done) == ["Invoice 2026-0001 is paid (2026-12-05); its overdue reminders stop."]
    invoice.refresh_from_db()
    assert invoice.status == "paid" and invoice.paid_on == dt.date(2026, 12, 5)
    reminders = Tickler.objects.filter(kind="invoice_overdue", payload__number=invoice.number)
    assert set(reminders.values_list("status", flat=True)) == {"cancelled"}

    again = alice_client.post(url, {}, follow=True)
    [alert] = _alerts(again)
    assert alert.startswith("Marking invoice 2026-0001 failed: invoice 2026-0001 is already paid.")
    assert "Invoices page" in alert


def test_voiding_an_invoice_needs_a_reason_keeps_its_number_and_tells_the_billing_contact(
    alice_client, signed_a_year_ago
):
    invoice = _invoice()
    url = reverse("invoice-void", args=[invoice.number])
    [alert] = _alerts(alice_client.post(url, {"reason": ""}, follow=True))
    assert "Voiding invoice 2026-0001 failed: Reason: it is empty." in alert
    assert "Write why it is void" in alert
    invoice.refresh_from_db()
    assert invoice.status == "sent"

    alice_client.post(url, {"reason": "sent to the wrong department"})
    invoice.refresh_from_db()
    assert invoice.status == "void" and invoice.number == "2026-0001"
    told = OutboxMessage.objects.get(subject__endswith="Invoice 2026-0001 is void")
    assert told.to == ["lee@harbor.example.edu"]


def test_resending_queues_the_invoice_again_and_a_void_one_is_refused(alice_client, signed_a_year_ago):
    invoice = _invoice()
    url = reverse("invoice-resend", args=[invoice.number])
    sent = alice_client.post(url, follow=True)
    assert _successes(sent) == [
        "Invoice 2026-0001 is queued to go again to lee@harbor.example.edu (see the Outbox)."
    ]
    assert OutboxMessage.objects.filter(subject__contains="Invoice 2026-0001 from").count() == 2

    alice_client.post(reverse("invoice-void", args=[invoice.number]), {"reason": "duplicate"})
    [alert] = _alerts(alice_client.post(url, follow=True))
    assert alert.startswith("Resending invoice 2026-0001 failed: invoice 2026-0001 is void")
    assert "issue the next invoice from the engagement&#x27;s Partner section" in alert


def test_the_invoice_pdf_downloads_with_the_due_date_of_the_agreement_terms(alice_client, signed_a_year_ago):
    response = alice_client.get(reverse("invoice-pdf", args=["2026-0001"]))
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="Invoice 2026-0001.pdf"' in response["Content-Disposition"]
    text = pypdf.PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages[0].extract_text()
    assert "2027-01-15" in text and "net 45" in text  # issued 2026-12-01, due 45 days later
    assert alice_client.get(reverse("invoice-pdf", args=["2026-9999"])).status_code == 404


def test_the_invoices_page_lists_and_filters_by_status(alice_client, signed_a_year_ago):
    alice_client.post(reverse("invoice-paid", args=["2026-0001"]), {})
    page = alice_client.get(reverse("invoices")).content.decode()
    assert 'id="invoice-2026-0001"' in page and "(net 45)" in page
    assert "Harbor University" in page
    assert (
        'id="invoice-2026-0001"'
        not in alice_client.get(reverse("invoices") + "?status=sent").content.decode()
    )
    assert 'id="invoice-2026-0001"' in alice_client.get(reverse("invoices") + "?status=paid").content.decode()
    assert '<a href="/invoices/">Invoices</a>' in page
    assert not CLI.search(page)


def test_a_missed_item_is_sent_skipped_or_marked_done_each_once(alice_client, signed_a_year_ago):
    missed = list(Tickler.objects.filter(status="missed", kind="invoice").order_by("due_on"))
    reference = signed_a_year_ago.reference
    sent = alice_client.post(reverse("item-send", args=[reference, missed[0].pk]), follow=True)
    [said] = _successes(sent)
    assert said.startswith("Sent: invoice 2026-0002 (3,000.00 USD, net 45) sent to lee@harbor.example.edu")
    alice_client.post(reverse("item-skip", args=[reference, missed[1].pk]), {"note": "paid by card"})
    alice_client.post(
        reverse("item-done", args=[reference, missed[2].pk]), {"note": "sent from the accounts"}
    )
    statuses = [Tickler.objects.get(pk=t.pk).status for t in missed[:3]]
    assert statuses == ["fired", "skipped", "done"]
    timeline = " ".join(signed_a_year_ago.timeline.values_list("summary", flat=True))
    assert "Skipped: Invoice 2 of 8" in timeline and "(paid by card)" in timeline

    [alert] = _alerts(alice_client.post(reverse("item-skip", args=[reference, missed[1].pk]), follow=True))
    assert "Skipping the item failed:" in alert and "was already handled: skipped" in alert
    assert "the Partner section shows what is still open" in alert
    # Another engagement's item is not found here.
    other = make_partner(organization="Ridge College", contacts=(("Ana", "ana@ridge.example.edu"),))[0]
    assert alice_client.post(reverse("item-send", args=[other.reference, missed[3].pk])).status_code == 404


def test_a_missed_invoice_without_anyone_to_bill_says_what_to_fix_in_red(alice_client, signed_a_year_ago):
    signed_a_year_ago.contact_links.all().delete()
    item = Tickler.objects.filter(status="missed", kind="invoice").first()
    engagement_page = reverse("engagement", args=[signed_a_year_ago.reference])
    response = alice_client.post(
        reverse("item-send", args=[signed_a_year_ago.reference, item.pk]),
        {"next": f"{engagement_page}#missed"},  # as the Send button's form says
        follow=True,
    )
    [alert] = _alerts(response)
    # Back to the missed items, where the red message shows beside them.
    assert response.redirect_chain == [(f"/engagements/{signed_a_year_ago.reference}/#missed", 302)]
    page = response.content.decode()
    assert page.index('id="missed"') < page.index(alert) < page.index(f'id="item-{item.pk}"')
    assert f"{signed_a_year_ago.reference} has no contact to bill" in alert
    assert "add a contact, or set the agreement&#x27;s billing contact" in alert
    assert Tickler.objects.get(pk=item.pk).status == "missed"
    assert f'id="item-{item.pk}"' in response.content.decode()  # still listed, with its last error


def test_the_next_invoice_can_be_issued_before_its_day(alice_client, signed_a_year_ago):
    planned = Tickler.objects.filter(status="pending", kind="invoice").order_by("due_on").first()
    assert planned.due_on == dt.date(2027, 2, 1)
    response = alice_client.post(
        reverse("item-issue", args=[signed_a_year_ago.reference, planned.pk]), follow=True
    )
    [said] = _successes(response)
    assert said.startswith("Issued: invoice 2026-0002")
    assert Invoice.objects.get(number="2026-0002").due_on == dt.date(2027, 1, 15)


def test_a_check_in_answered_on_a_call_is_recorded_once(alice_client, signed_a_year_ago):
    check_in = CheckIn.objects.get()
    url = reverse("check-in-record", args=[signed_a_year_ago.reference, check_in.pk])
    recorded = alice_client.post(url, {"rating": "2", "comment": "Slow support"}, follow=True)
    assert _successes(recorded) == ["Check-in of lee@harbor.example.edu recorded: 2/5 (Dissatisfied)."]
    check_in.refresh_from_db()
    assert check_in.rating == 2 and check_in.comment == "Slow support"
    assert signed_a_year_ago.tasks.filter(title__startswith="Follow up on a low satisfaction score").exists()
    assert signed_a_year_ago.timeline.filter(summary__contains="(recorded by alice)").exists()

    [alert] = _alerts(alice_client.post(url, {"rating": "5"}, follow=True))
    assert alert.startswith(
        "Recording lee@harbor.example.edu&#x27;s check-in failed: it was already answered."
    )
    [alert] = _alerts(alice_client.post(url, {"rating": "9"}, follow=True))
    assert "Choose a rating from 1 to 5" in alert


def test_renewed_makes_the_next_term_and_plans_its_items(alice_client, signed_a_year_ago):
    response = alice_client.post(
        reverse("renewal-record", args=[signed_a_year_ago.reference]), {"outcome": "renewed"}, follow=True
    )
    [said] = _successes(response)
    renewal = Renewal.objects.get()
    successor = renewal.renewal_engagement
    assert said.startswith("Renewal outcome recorded: Renewed.")
    assert f"continues as {successor.reference} from 2027-11-01 to 2029-10-31" in said
    successor.refresh_from_db()
    assert successor.stage == "partner"
    assert Tickler.objects.filter(agreement=renewal.next_agreement, kind="invoice").count() == 8
    # Decided: the form is gone, the outcome shows.
    section = _section(_page(alice_client, signed_a_year_ago))
    assert "How was the renewal decided?" not in section and "Outcome: <strong>Renewed</strong>" in section


def test_renewed_with_changes_takes_the_new_terms(alice_client, signed_a_year_ago):
    alice_client.post(
        reverse("renewal-record", args=[signed_a_year_ago.reference]),
        {"outcome": "changed", "value": "30000", "invoice_schedule": "annual", "payment_terms_days": "60"},
    )
    agreement = Renewal.objects.get().next_agreement
    assert agreement.value == 30000 and agreement.invoice_schedule == "annual"
    assert agreement.payment_terms_days == 60


def test_ended_needs_a_reason_then_stops_every_planned_item(alice_client, signed_a_year_ago):
    url = reverse("renewal-record", args=[signed_a_year_ago.reference])
    [alert] = _alerts(alice_client.post(url, {"outcome": "ended"}, follow=True))
    assert alert.startswith("Recording the renewal failed: say why the partnership ended, in Reason.")
    assert "Renewal form of the Partner section" in alert
    assert not Renewal.objects.filter(outcome="ended").exists()
    [alert] = _alerts(alice_client.post(url, {"outcome": "changed"}, follow=True))
    assert "give at least one new term" in alert

    alice_client.post(url, {"outcome": "ended", "reason": "no budget next year"})
    signed_a_year_ago.refresh_from_db()
    assert signed_a_year_ago.stage == "closed"
    assert not Tickler.objects.filter(
        engagement=signed_a_year_ago,
        kind__in=["invoice", "check_in", "renewal"],
        status__in=["pending", "missed"],
    ).exists()


def test_technical_answers_are_saved_from_the_page_only_where_they_changed(alice_client, harbor):
    url = reverse("technical-answers", args=[harbor.reference])
    response = alice_client.post(
        url,
        {"source": "meeting", "q-community": "Oceanography students", "na-gpus": "on"},
        follow=True,
    )
    assert _successes(response)[0].startswith("2 answers saved. Still to answer before the hand-off:")
    technical = _section(response.content.decode(), "technical")
    assert "Oceanography students <small>(meeting)</small>" in technical
    again = alice_client.post(
        url, {"source": "email", "q-community": "Oceanography students", "na-gpus": "on"}, follow=True
    )
    assert _successes(again)[0].startswith("0 answers saved.")


def test_the_handoff_button_queues_it_and_the_worker_runs_it(alice_client, alice, harbor, github):
    url = reverse("technical-handoff", args=[harbor.reference])
    [alert] = _alerts(alice_client.post(url, follow=True))
    assert alert.startswith("The hand-off to engineering did not start:")
    assert "still to answer: community (" in alert and "Answer them under Answer the questions below" in alert

    for key, value in REQUIRED_ANSWERS.items():
        technical_answer_set(engagement=harbor, key=key, value=value, actor=Actor("alice"))
    assert "Hand off to engineering</button>" in _section(_page(alice_client, harbor), "technical")
    queued = alice_client.post(url, follow=True)
    assert _successes(queued)[0].startswith("The hand-off to engineering is queued")
    assert github.issues == []  # the request did not call GitHub
    assert "is queued: the worker files the request" in _section(queued.content.decode(), "technical")

    run_due_work()
    assert len(github.issues) == 1
    technical = _section(_page(alice_client, harbor), "technical")
    assert "Handed off to engineering:" in technical and "/issues/1" in technical
    [alert] = _alerts(alice_client.post(url, follow=True))
    assert "was already handed off to engineering" in alert


def test_a_failed_handoff_shows_in_red_with_a_retry_button(alice_client, harbor, github):
    for key, value in REQUIRED_ANSWERS.items():
        technical_answer_set(engagement=harbor, key=key, value=value, actor=Actor("alice"))
    alice_client.post(reverse("technical-handoff", args=[harbor.reference]))
    github.fail_next = 422  # permanent: no automatic retry
    run_due_work()
    handoff = Handoff.objects.get()
    assert handoff.status == "failed" and "HTTP 422" in handoff.last_error
    technical = _section(_page(alice_client, harbor), "technical")
    assert '<div class="message error" role="alert">' in technical
    assert "The hand-off to engineering failed: GitHub:" in technical and "Retry the hand-off" in technical
    assert "run the hand-off again" not in technical and not CLI.search(technical)

    alice_client.post(reverse("technical-handoff", args=[harbor.reference]))
    run_due_work()
    handoff.refresh_from_db()
    assert handoff.status == "done" and len(github.issues) == 1


def test_the_preview_shows_what_an_agreement_not_yet_executed_will_send(alice_client, alice, frozen_clock):
    engagement, agreement = make_partner(owner=alice, contacts=LEE, term_start=dt.date(2026, 6, 1))
    Agreement.objects.filter(pk=agreement.pk).update(status=Agreement.Status.READY_TO_SIGN)
    page = alice_client.get(reverse("agreement-preview", args=[engagement.reference])).content.decode()
    assert "Nothing is planned or sent from this page." in page
    assert re.search(r"<td>2026-06-01</td><td>Missed</td><td>Invoice 1 of", page) is None  # annual
    assert "<td>Now</td><td>Invoice 1 of 3: 8,000.00 USD (Services 2026-06-01 to 2027-05-31)</td>" in page
    assert "<td>Planned</td><td>Satisfaction check-in 3</td>" in page


def test_the_renewal_engagement_opened_by_a_reminder_records_the_outcome_on_its_own_page(
    alice_client, signed_a_year_ago
):
    from partnerdesk.partnership.renewals import renewal_open

    renewal = renewal_open(agreement=signed_a_year_ago.agreements.get())
    successor = renewal.renewal_engagement
    section = _section(_page(alice_client, successor))
    assert (
        f'This engagement is the renewal of <a href="/engagements/{signed_a_year_ago.reference}/">' in section
    )
    assert "How was the renewal decided?" in section
    alice_client.post(reverse("renewal-record", args=[successor.reference]), {"outcome": "renewed"})
    successor.refresh_from_db()
    assert successor.stage == "partner"
    assert Renewal.objects.get().outcome == "renewed"
