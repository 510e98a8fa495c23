"""Mail you can read and the pages around the app, in Chromium at desktop and phone sizes: one sent
message's page, a timeline entry opened in place, the 404 page and the signed-out page. Screenshots
in test-output/screenshots/."""

from __future__ import annotations

import pytest

from partnerdesk.mail.composing import Attachment
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import message_queue
from partnerdesk.pipeline import services
from tests.agreements.conftest import docx_bytes
from tests.partnership.conftest import partner  # noqa: F401 - the fixture
from tests.web.test_browser import _shot, _sign_in, playwright_api, pytestmark  # noqa: F401

SIZES = pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def sent(transactional_db, sign_in_path) -> OutboxMessage:
    engagement = services.engagement_create(
        organization_name="Harbor University",
        contacts=[("Lee Park", "lee@harbor.example.edu")],
        actor=services.Actor(label="alice"),
    )
    message = message_queue(
        to=["Lee Park <lee@harbor.example.edu>"],
        cc=["partnerships@2i2c.org"],
        subject="The draft agreement for Harbor University's hub, with a long subject to wrap",
        body=(
            "Hello Lee,\n\nThe **draft agreement** is attached. The main points:\n\n"
            "- a hub for 200 students\n- support in US hours\n\n"
            "Questions? See [the service page](https://2i2c.org/service/) or reply to this email.\n\n"
            "Best regards,\n2i2c's Partnerships Team"
        ),
        engagement=engagement,
        attachments=[Attachment("Harbor University agreement (draft).docx", docx_bytes("Agreement"), DOCX)],
    )
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="failed",
        attempts=8,
        last_error="smtp.example.org:587: ConnectionRefusedError: [Errno 111] Connection refused",
    )
    return message


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "scrolls sideways"


@SIZES
def test_a_sent_message_opens_from_the_outbox_and_from_the_timeline(
    page, live_server, sign_in_path, sent, size
):
    expect = playwright_api.expect
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _sign_in(page, live_server, sign_in_path)
    page.get_by_role("link", name="Outbox").click()
    page.get_by_role("link", name=sent.subject).click()
    expect(page.get_by_role("heading", name=sent.subject)).to_be_visible()
    expect(page.get_by_text("smtp.example.org:587: Connection refused")).to_be_visible()
    expect(page.locator(".mail-html strong")).to_have_text("draft agreement")
    expect(page.get_by_role("link", name="Harbor University agreement (draft).docx")).to_be_visible()
    _fits(page)
    _shot(page, f"outbox-message-{size[0]}")

    page.get_by_role("button", name="Retry: send it again").click()
    expect(page.get_by_role("status").filter(has_text="is queued again")).to_be_visible()
    expect(page.get_by_role("heading", name=sent.subject)).to_be_visible()

    # On the engagement's timeline the entry opens in place, the body fetched when it opens.
    page.get_by_role("link", name="PD-1").first.click()
    entry = page.locator("#timeline details.mail").first
    entry.locator("summary").click()
    expect(entry.locator(".mail-html")).to_contain_text("a hub for 200 students")
    entry.scroll_into_view_if_needed()
    _fits(page)
    _shot(page, f"timeline-message-open-{size[0]}")


@SIZES
def test_a_missing_page_and_signing_out_land_on_the_apps_own_pages(page, live_server, sign_in_path, size):
    expect = playwright_api.expect
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _sign_in(page, live_server, sign_in_path)
    # A tab of its own: the `page` fixture counts every 4xx answer as a failure.
    lost = page.context.new_page()
    lost.set_viewport_size({"width": size[0], "height": size[1]})
    missing = lost.goto(live_server.url + "/engagements/PD-404/")
    assert missing.status == 404
    expect(lost.get_by_role("heading", name="This page does not exist")).to_be_visible()
    expect(lost).to_have_title("Page not found · 2i2c")
    _fits(lost)
    _shot(lost, f"page-not-found-{size[0]}")
    lost.get_by_role("link", name="Go to the pipeline").click()
    expect(lost.get_by_role("heading", name="2i2c partnerships pipeline")).to_be_visible()
    lost.close()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in again")).to_be_visible()
    _fits(page)
    _shot(page, f"signed-out-{size[0]}")


@SIZES
def test_a_partner_rates_the_partnership_with_one_click_on_a_branded_page(
    page,
    live_server,
    partner,  # noqa: F811 - the fixture imported above
    frozen_clock,
    size,
):
    import datetime as dt
    import email
    import email.policy
    import re

    from partnerdesk.mail.worker import run_due_work
    from partnerdesk.partnership.models import CheckIn

    expect = playwright_api.expect
    frozen_clock.set(dt.date(2027, 4, 1))
    run_due_work(raise_errors=True)
    [message] = OutboxMessage.objects.filter(idempotency_key__endswith=":lee@harbor.example.edu")
    parsed = email.message_from_bytes(bytes(message.raw), policy=email.policy.default)
    body = parsed.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"4 - Satisfied: \S+?(/p/checkin/\S+)", body).group(1)

    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(live_server.url + link)
    expect(page.get_by_role("heading", name="How is our partnership going?")).to_be_visible()
    expect(page.get_by_role("button", name="4 Satisfied your choice in the email")).to_be_visible()
    _fits(page)
    _shot(page, f"check-in-{size[0]}")
    page.get_by_label("Anything you would like to add? (optional)").fill("Very responsive team.")
    page.get_by_role("button", name="5 Very satisfied").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    _shot(page, f"check-in-done-{size[0]}")
    answered = CheckIn.objects.get(email="lee@harbor.example.edu")
    assert (answered.rating, answered.comment) == (5, "Very responsive team.")


@SIZES
def test_the_organizations_logo_and_colour_brand_every_page(
    page, live_server, sign_in_path, profile_file, size
):
    import re

    from partnerdesk.profile import DEFAULT_PROFILE_PATH

    text = DEFAULT_PROFILE_PATH.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^name = "2i2c"$', 'name = "Ocean Hub Co"', text)
    text = text.replace('logo_url = ""', 'logo_url = "/static/partnerdesk/favicon.svg"')
    profile_file(text.replace('accent_colour = ""', 'accent_colour = "#f5c518"'))
    expect = playwright_api.expect
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(live_server.url + sign_in_path)
    header = page.locator("header.top")
    expect(header.get_by_text("Ocean Hub Co")).to_be_visible()
    expect(page).to_have_title(re.compile(r" · Ocean Hub Co$"))
    assert header.evaluate("h => getComputedStyle(h).backgroundColor") == "rgb(245, 197, 24)"
    assert header.locator("img.logo").evaluate("img => img.complete && img.naturalWidth > 0")
    _fits(page)
    _shot(page, f"branded-board-{size[0]}")
