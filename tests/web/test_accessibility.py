"""An accessibility audit (axe-core) of the app's pages in Chromium at desktop and phone sizes: no
serious or critical violation, and no page scrolls sideways at 390 px. The engagement page has its
own audit beside its tests. Screenshots in test-output/screenshots/ (accessibility-<page>-<width>).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model

from partnerdesk.documents.partner_links import partner_link_create
from partnerdesk.inbound.models import InboundMessage
from partnerdesk.lib import clock
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import message_queue
from partnerdesk.partnership.checkins import check_in_link_issue
from partnerdesk.partnership.models import CheckIn
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Contact
from partnerdesk.technical.links import technical_form_link_create
from partnerdesk.web.invitations import invitation_link
from tests.inbound.conftest import receive
from tests.partnership.conftest import make_partner
from tests.web.axe import axe_report, axe_violations
from tests.web.browser import screenshot
from tests.web.test_browser import _sign_in, playwright_api, pytestmark  # noqa: F401

SIZES = pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
ALICE = services.Actor(label="alice")
HELD = (
    b"From: Alice Ng <alice@2i2c.org>\r\nTo: partnerships@2i2c.org\r\nSubject: Hail the Lead\r\n"
    b"Reply-To: mallory@evil.example\r\nMessage-ID: <held-a11y@2i2c.org>\r\n\r\n"
    b"Partner: Ridge College\r\nRo Diaz <ro@ridge.example.edu>\r\n"
)


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


@dataclass
class Pages:
    """The paths of the pages to audit that need data to exist."""

    inbox_message: str
    outbox_message: str
    partner_link: str
    technical_link: str
    check_in: str
    invitation: str


@pytest.fixture
def pages(transactional_db, sign_in_path) -> Pages:
    """A pipeline with a lead, a partner (its invoices), a held message and a failed email: every
    page has something to show. Made before the browser starts."""
    harbor = services.engagement_create(
        organization_name="Harbor University",
        contacts=[("Lee Park", "lee@harbor.example.edu")],
        actor=ALICE,
        owner=get_user_model().objects.first(),
    )
    ridge, _ = make_partner(organization="Ridge College", contacts=(("Ro Diaz", "ro@ridge.example.edu"),))
    held = receive(HELD)
    assert held.status == InboundMessage.Status.HELD
    sent = message_queue(
        to=["Lee Park <lee@harbor.example.edu>"],
        subject="The draft agreement for Harbor University's hub",
        body="Hello Lee,\n\nThe **draft agreement** is attached.\n\nBest regards,\n2i2c",
        engagement=harbor,
    )
    OutboxMessage.objects.filter(pk=sent.pk).update(status="failed", attempts=8, last_error="refused")
    now = clock.now()
    check_in = CheckIn.objects.create(
        engagement=ridge,
        email="ro@ridge.example.edu",
        name="Ro Diaz",
        sent_at=now,
        expires_at=now + dt.timedelta(days=30),
    )
    invited = get_user_model().objects.create_user(username="carol@2i2c.org", email="carol@2i2c.org")
    invited.set_unusable_password()
    invited.save()
    lee = Contact.objects.get(email="lee@harbor.example.edu")
    return Pages(
        inbox_message=f"/inbox/{held.pk}/",
        outbox_message=f"/outbox/{sent.pk}/",
        partner_link=_path(partner_link_create(contact=lee, actor=ALICE)),
        technical_link=_path(technical_form_link_create(engagement=harbor, contact=lee, actor=ALICE)),
        check_in=f"/p/checkin/{check_in_link_issue(check_in)}/4/",
        invitation=_path(invitation_link(invited)),
    )


def _audit(page, name: str, width: int, found: dict[str, str]) -> None:
    """Audit the page as it is; note what is wrong under its name."""
    problems = []
    violations = axe_violations(page)
    if violations:
        problems.append(axe_report(violations))
    if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
        problems.append("the page scrolls sideways")
    if problems:
        found[name] = "\n".join(problems)
    screenshot(page, f"accessibility-{name}-{width}")


def _goto(page, url: str) -> None:
    page.goto(url)
    playwright_api.expect(page.locator("h1").first).to_be_visible()


@SIZES
def test_the_teams_pages_have_no_serious_accessibility_violation(
    page, live_server, sign_in_path, pages, size
):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _sign_in(page, live_server, sign_in_path)
    found: dict[str, str] = {}
    _audit(page, "board", size[0], found)
    for name, path in [
        ("engagement-list", "/engagements/"),
        ("inbox", "/inbox/"),
        ("inbox-message", pages.inbox_message),
        ("outbox", "/outbox/"),
        ("outbox-message", pages.outbox_message),
        ("dashboard", "/dashboard/"),
        ("invoices", "/invoices/"),
        ("playbooks", "/playbooks/"),
        ("lead-new", "/leads/new/"),
        ("invitation-create", "/invitations/"),
    ]:
        _goto(page, live_server.url + path)
        _audit(page, name, size[0], found)
    # The 404 page in a tab of its own: the `page` fixture counts every 4xx answer as a failure.
    lost = page.context.new_page()
    lost.set_viewport_size({"width": size[0], "height": size[1]})
    assert lost.goto(live_server.url + "/engagements/PD-404/").status == 404
    _audit(lost, "404", size[0], found)
    lost.close()
    page.get_by_role("button", name="Sign out").click()
    playwright_api.expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    _audit(page, "signed-out", size[0], found)
    _goto(page, live_server.url + "/login/")
    _audit(page, "sign-in", size[0], found)
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    playwright_api.expect(page.get_by_role("alert")).to_contain_text("Please enter a correct")
    _audit(page, "sign-in-refused", size[0], found)
    if found:
        pytest.fail("\n\n".join(f"== {name}\n{problems}" for name, problems in found.items()))


@SIZES
def test_the_partners_pages_have_no_serious_accessibility_violation(page, live_server, pages, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    found: dict[str, str] = {}
    for name, path in [
        ("partner-open", pages.partner_link),
        ("technical-open", pages.technical_link),
        ("check-in", pages.check_in),
        ("invitation-accept", pages.invitation),
    ]:
        _goto(page, live_server.url + path)
        _audit(page, name, size[0], found)
        if name == "partner-open":
            page.get_by_role("button").first.click()
            playwright_api.expect(page.locator("h1").first).to_be_visible()
            _audit(page, "partner-documents", size[0], found)
        if name == "technical-open":
            page.get_by_role("button", name="Open the form").click()
            playwright_api.expect(page.get_by_role("button", name=re.compile("Send|Save"))).to_be_visible()
            _audit(page, "technical-form", size[0], found)
    if found:
        pytest.fail("\n\n".join(f"== {name}\n{problems}" for name, problems in found.items()))
