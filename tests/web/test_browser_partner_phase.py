"""The partner phase in the browser: an invoice marked paid, a missed item sent, a renewal outcome
recorded, and a refusal shown in red with what to do. At desktop and phone sizes, with screenshots
in test-output/screenshots/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from partnerdesk.mail.worker import run_due_work
from partnerdesk.partnership.models import Invoice, Renewal, Tickler
from partnerdesk.pipeline.models import Engagement
from tests.partnership.conftest import make_partner
from tests.web.test_browser import _shot, _sign_in, playwright_api, pytestmark  # noqa: F401

SIZES = pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
TODAY = dt.date(2026, 12, 1)


@pytest.fixture
def signed_a_year_ago(transactional_db, frozen_clock) -> Engagement:
    """Made before the browser starts: quarterly invoices from 2025-11-01, recorded today; one
    worker pass sent the current invoice and check-in and listed the older ones as missed."""
    frozen_clock.set(TODAY)
    alice = get_user_model().objects.create_user("alice", email="alice@2i2c.org")
    engagement, _ = make_partner(
        owner=alice,
        contacts=(("Lee Park", "lee@harbor.example.edu"),),
        term_start=dt.date(2025, 11, 1),
        term_end=dt.date(2027, 10, 31),
        executed_on=TODAY - dt.timedelta(days=400),
        invoice_schedule="quarterly",
        payment_terms_days=45,
    )
    run_due_work()
    return engagement


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _open(page, live_server, sign_in_path, size, path: str) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _sign_in(page, live_server, sign_in_path)
    page.goto(live_server.url + path)


@SIZES
def test_an_invoice_is_marked_paid_on_the_invoices_page(
    page, live_server, sign_in_path, signed_a_year_ago, size
):
    expect = playwright_api.expect
    _open(page, live_server, sign_in_path, size, "/")
    page.get_by_role("link", name="Invoices").click()
    expect(page.get_by_role("heading", name="Invoices")).to_be_visible()
    row = page.locator("#invoice-2026-0001")
    expect(row).to_contain_text("net 45")
    _fits(page)
    _shot(page, f"partner-invoice-1-list-{size[0]}")
    row.get_by_label("Paid on").fill("2026-12-05")
    row.get_by_role("button", name="Mark 2026-0001 paid").click()
    expect(
        page.get_by_role("status").filter(has_text="Invoice 2026-0001 is paid (2026-12-05)")
    ).to_be_visible()
    expect(page.locator("#invoice-2026-0001")).to_contain_text("Paid 2026-12-05")
    _fits(page)
    _shot(page, f"partner-invoice-2-paid-{size[0]}")
    page.get_by_label("Status").select_option(label="Sent")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("No invoices with this status.")).to_be_visible()
    assert Invoice.objects.get(number="2026-0001").status == "paid"


@SIZES
def test_a_missed_item_is_sent_from_the_partner_section(
    page, live_server, sign_in_path, signed_a_year_ago, size
):
    expect = playwright_api.expect
    reference = signed_a_year_ago.reference
    _open(page, live_server, sign_in_path, size, f"/engagements/{reference}/#partner")
    missed = page.locator("#missed")
    expect(missed).to_contain_text("Missed items (7)")
    missed.scroll_into_view_if_needed()
    _fits(page)
    _shot(page, f"partner-missed-1-listed-{size[0]}")
    first = Tickler.objects.filter(status="missed", kind="invoice").order_by("due_on").first()
    page.get_by_role("button", name="Send now: Invoice 1 of 8").click()
    expect(
        page.get_by_role("status").filter(has_text="Sent: invoice 2026-0002 (3,000.00 USD, net 45)")
    ).to_be_visible()
    expect(page.locator("#missed")).to_contain_text("Missed items (6)")
    _shot(page, f"partner-missed-2-sent-{size[0]}")
    item = page.locator(f"#item-{Tickler.objects.filter(status='missed').order_by('due_on').first().pk}")
    item.get_by_text("Skip or mark done").click()
    item.get_by_label("Why (optional)").fill("handled by the fiscal sponsor")
    item.get_by_role("button", name="Mark done").click()
    expect(page.get_by_role("status").filter(has_text="Marked done by hand")).to_be_visible()
    expect(page.locator("#missed")).to_contain_text("Missed items (5)")
    assert Tickler.objects.get(pk=first.pk).status == "fired"


@SIZES
def test_the_renewal_outcome_is_recorded_and_the_next_term_planned(
    page, live_server, sign_in_path, signed_a_year_ago, size
):
    expect = playwright_api.expect
    reference = signed_a_year_ago.reference
    _open(page, live_server, sign_in_path, size, f"/engagements/{reference}/#renewal")
    form = page.locator("form.renewal-form")
    form.get_by_label("Renewed with changes").check()
    form.get_by_text("New terms (for a renewal with changes)").click()
    form.get_by_label("Value").fill("30000")
    form.get_by_label("Payment terms (days)").fill("60")
    form.scroll_into_view_if_needed()
    _fits(page)
    _shot(page, f"partner-renewal-1-form-{size[0]}")
    form.get_by_role("button", name="Record the renewal outcome").click()
    said = page.get_by_role("status").filter(has_text="Renewal outcome recorded: Renewed with changes.")
    expect(said).to_contain_text("from 2027-11-01 to 2029-10-31")
    renewal = Renewal.objects.get()
    expect(page.locator("#partner")).to_contain_text("Outcome: Renewed with changes")
    _shot(page, f"partner-renewal-2-recorded-{size[0]}")
    page.get_by_role("link", name=renewal.renewal_engagement.reference).first.click()
    expect(page.locator(".stage-badge")).to_have_text("Partner")
    expect(page.locator("#upcoming")).to_be_visible()
    _fits(page)
    _shot(page, f"partner-renewal-3-next-term-{size[0]}")
    assert renewal.next_agreement.value == 30000 and renewal.next_agreement.payment_terms_days == 60


@SIZES
def test_a_refusal_shows_in_red_with_what_to_do(page, live_server, sign_in_path, signed_a_year_ago, size):
    expect = playwright_api.expect
    reference = signed_a_year_ago.reference
    signed_a_year_ago.contact_links.all().delete()  # nobody left to bill
    _open(page, live_server, sign_in_path, size, f"/engagements/{reference}/#missed")
    page.get_by_role("button", name="Send now: Invoice 1 of 8").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(f"Sending the missed item failed: {reference} has no contact to bill.")
    expect(alert).to_contain_text("add a contact, or set the agreement's billing contact")
    expect(alert).to_be_in_viewport()
    color = alert.evaluate("element => getComputedStyle(element).color")
    assert color == "rgb(160, 23, 23)"  # the stylesheet's --error red
    expect(page.locator("#missed")).to_contain_text("The last try failed")
    _fits(page)
    _shot(page, f"partner-refusal-1-no-contact-{size[0]}")
    page.get_by_role("link", name="Invoices").click()
    row = page.locator("#invoice-2026-0001")
    row.locator("summary", has_text="Void").click()
    row.get_by_role("button", name="Void 2026-0001").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Voiding invoice 2026-0001 failed: Reason: it is empty.")
    expect(alert).to_contain_text("Write why it is void in the box under Void")
    _shot(page, f"partner-refusal-2-void-without-reason-{size[0]}")
    assert "partnerdesk " not in page.content().replace("partnerdesk</", "").replace("· partnerdesk", "")
