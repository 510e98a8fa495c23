"""The engagement page by stage in Chromium at desktop and phone sizes: the summary header, the
sections of the stage open and the others a click away, the timeline filtered and paged by links;
axe-core finds no serious or critical violation and the page never scrolls sideways. Screenshots in
test-output/screenshots/ (engagement-<what>-<width>)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from partnerdesk.agreements import services as agreements
from partnerdesk.lib import clock
from partnerdesk.mail.outbox import message_queue
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.qualification import Answer
from partnerdesk.pipeline.stages import Stage
from tests.partnership.conftest import make_partner
from tests.web.axe import axe_report, axe_violations
from tests.web.test_browser import _shot, _sign_in, playwright_api, pytestmark  # noqa: F401

SIZES = pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
ALICE = services.Actor(label="alice")


@pytest.fixture
def lead_and_partner(transactional_db) -> tuple[Engagement, Engagement]:
    """Made before the browser starts: a Lead with a long story (30 notes, an email, a task) and a
    Partner with its executed agreement."""
    owner = get_user_model().objects.create_user("alice", email="alice@2i2c.org")
    lead = services.engagement_create(
        organization_name="Harbor University of Marine and Atmospheric Sciences",
        contacts=[("Lee Park", "lee@harbor.example.edu")],
        actor=ALICE,
        owner=owner,
    )
    message_queue(
        to=["Lee Park <lee@harbor.example.edu>"],
        subject="Thank you for your interest in 2i2c",
        body="Hello Lee,\n\nIf you wish to connect for a conversation, pick a time.\n\nBest regards,\n2i2c",
        engagement=lead,
    )
    for number in range(1, 31):
        services.engagement_add_note(engagement=lead, text=f"Call notes {number}", actor=ALICE)
    services.task_create(engagement=lead, title="Send the demo recording", assignee="alice", actor=ALICE)
    partner, _ = make_partner(organization="Ridge College", owner=owner)
    return lead, partner


def _check(page, name: str, width: int) -> None:
    """No serious or critical axe violation, no sideways scrolling; a screenshot either way."""
    _shot(page, f"engagement-{name}-{width}")
    violations = axe_violations(page)
    assert violations == [], axe_report(violations, page_name=name)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "scrolls sideways"


@SIZES
def test_a_leads_page_opens_what_a_lead_needs_and_pages_its_timeline(
    page, live_server, sign_in_path, lead_and_partner, size
):
    expect = playwright_api.expect
    lead, _ = lead_and_partner
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _sign_in(page, live_server, sign_in_path)
    page.goto(f"{live_server.url}/engagements/{lead.reference}/")

    summary = page.get_by_role("region", name="Summary")
    expect(summary).to_contain_text("Lead for 0 days")
    expect(summary).to_contain_text("Send the demo recording")
    expect(summary).to_contain_text("Are they qualified to set up partnership with 2i2c? (answer: unknown)")
    expect(page.get_by_role("button", name="Save the scorecard")).to_be_visible()
    expect(page.get_by_role("button", name="Add the contact")).to_be_visible()
    agreement = page.locator("#agreement")
    expect(agreement.get_by_text("No agreement yet", exact=False)).to_be_hidden()
    _check(page, "lead", size[0])

    # A folded section opens from its heading, by keyboard as by mouse.
    page.locator("#agreement summary").focus()
    page.keyboard.press("Enter")
    expect(agreement.locator("details").first).to_have_attribute("open", "")
    _check(page, "lead-agreement-opened", size[0])

    timeline = page.locator("#timeline")
    timeline.get_by_role("link", name="Notes (30)").click()
    expect(timeline.get_by_role("link", name="Notes (30)")).to_have_attribute("aria-current", "page")
    expect(timeline.locator(".entry")).to_have_count(25)
    expect(timeline.locator(".entry").first).to_contain_text("Call notes 30")
    expect(timeline).not_to_contain_text("Thank you for your interest in 2i2c")
    pages = timeline.get_by_role("navigation", name="Timeline pages", exact=True)
    pages.get_by_role("link", name="Older").click()
    expect(timeline.locator(".entry")).to_have_count(5)
    expect(timeline.locator(".entry").last).to_contain_text("Call notes 1")
    _check(page, "lead-notes-older", size[0])

    timeline.get_by_role("link", name="Mail (1)").click()
    expect(timeline.locator(".entry")).to_have_count(1)
    timeline.get_by_text("Show the message").click()
    expect(timeline.locator(".mail-lazy")).to_contain_text("pick a time")
    _check(page, "lead-mail", size[0])


@pytest.fixture
def prospect(transactional_db) -> Engagement:
    """Made before the browser starts: a Prospect with a draft agreement and a task due."""
    engagement = services.engagement_create(
        organization_name="Bay College",
        contacts=[("Ana Ruiz", "ana@bay.example.edu")],
        actor=ALICE,
    )
    services.engagement_qualify(
        engagement=engagement, actor=ALICE, good_candidate=Answer.YES, qualified=Answer.YES
    )
    services.engagement_move(engagement=engagement, to=Stage.QUALIFIED_LEAD, actor=ALICE)
    services.engagement_record_verbal_yes(engagement=engagement, by="Ana Ruiz", actor=ALICE)
    services.engagement_move(engagement=engagement, to=Stage.PROSPECT, actor=ALICE)
    agreement = agreements.agreement_create(engagement=engagement, actor=ALICE)
    agreements.agreement_set_terms(agreement=agreement, actor=ALICE, value=Decimal("18500"), currency="EUR")
    services.task_create(
        engagement=engagement,
        title="Ask for the billing contact",
        due_on=clock.today() + dt.timedelta(days=5),
        actor=ALICE,
    )
    return engagement


@SIZES
def test_a_prospects_page_with_every_section_opened_passes_the_audit(
    page, live_server, sign_in_path, prospect, size
):
    expect = playwright_api.expect
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _sign_in(page, live_server, sign_in_path)
    page.goto(f"{live_server.url}/engagements/{prospect.reference}/")

    summary = page.get_by_role("region", name="Summary")
    expect(summary).to_contain_text("18,500.00 EUR")
    expect(summary).to_contain_text("Ask for the billing contact")
    expect(summary).to_contain_text("the executed close date is not recorded")
    expect(page.get_by_role("button", name="Upload the version")).to_be_visible()
    expect(page.get_by_role("button", name="Save the scorecard")).to_be_hidden()
    _check(page, "prospect", size[0])

    # Everything folded is still there: open it all and audit what it holds too.
    folded = page.locator("section.fold > details:not([open]) > summary")
    while folded.count():
        folded.first.click()
    _check(page, "prospect-all-opened", size[0])


@SIZES
def test_a_partners_page_opens_the_partner_phase_and_folds_the_lead_work(
    page, live_server, sign_in_path, lead_and_partner, size
):
    expect = playwright_api.expect
    _, partner = lead_and_partner
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _sign_in(page, live_server, sign_in_path)
    page.goto(f"{live_server.url}/engagements/{partner.reference}/")

    summary = page.get_by_role("region", name="Summary")
    expect(summary).to_contain_text("Partner for 0 days")
    expect(summary).to_contain_text("24,000.00 USD")
    expect(page.locator("#partner details").first).to_have_attribute("open", "")
    expect(page.get_by_role("button", name="Save the scorecard")).to_be_hidden()
    _check(page, "partner", size[0])

    page.get_by_role("heading", name="Qualification").click()
    expect(page.get_by_role("button", name="Save the scorecard")).to_be_visible()

    # A link to a folded section from elsewhere opens it.
    page.goto(f"{live_server.url}/engagements/{partner.reference}/#agreement")
    expect(page.locator("#agreement details").first).to_have_attribute("open", "")
    expect(page.locator("#agreement")).to_contain_text("Version 1: final.docx")
