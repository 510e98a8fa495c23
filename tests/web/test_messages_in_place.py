"""Every action answers where the user acted, in view, and says in words whether it was done: the
board's move (its "Move to" control and drag and drop), a held message's Confirm, a new lead. In
Chromium at desktop and phone sizes; screenshots in test-output/screenshots/."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from partnerdesk.inbound.models import InboundMessage
from partnerdesk.pipeline import services
from tests.inbound.conftest import receive
from tests.web.browser import screenshot
from tests.web.test_browser import _sign_in, playwright_api, pytestmark  # noqa: F401

SIZES = pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
ALICE = services.Actor(label="alice")


def _said(locator, word: str, text: str) -> None:
    """The message says `text`, led by `word` ("Done:" or "Not done:", drawn by app.css before the
    message the status or alert is in, which screen readers read too): success and error differ
    in words, not only in colour."""
    playwright_api.expect(locator).to_contain_text(text)
    lead = locator.evaluate("e => getComputedStyle(e.closest('.message'), '::before').content")
    assert word in lead, lead


def _in_view(locator) -> None:
    """The element is on screen now, without the user scrolling."""
    playwright_api.expect(locator).to_be_in_viewport()


@pytest.fixture
def leads(transactional_db, sign_in_path) -> None:
    """Twelve leads, so the board is longer than a screen, the one to move last."""
    for number in range(1, 13):
        services.engagement_create(
            organization_name=f"University {number:02d}",
            contacts=[(f"Contact {number}", f"c{number}@u{number}.example.edu")],
            actor=ALICE,
            owner=get_user_model().objects.first(),
        )


@SIZES
def test_a_move_is_answered_on_the_card_moved_or_refused(page, live_server, sign_in_path, leads, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _sign_in(page, live_server, sign_in_path)
    card = page.locator("#card-1")
    card.get_by_label("Move PD-1 to").select_option(label="Qualified Lead")
    card.get_by_role("button", name="Move").click()
    refusal = page.locator("#card-1").get_by_role("alert")
    _said(refusal, "Not done:", "PD-1 cannot move to Qualified Lead")
    _in_view(refusal)
    screenshot(page, f"in-place-move-refused-{size[0]}")

    page.locator("#card-1").get_by_label("Move PD-1 to").select_option(label="Closed")
    page.locator("#card-1").get_by_label("Reason").fill("Chose another provider")
    page.locator("#card-1").get_by_role("button", name="Move").click()
    done = page.locator("#column-closed #card-1").get_by_role("status")
    _said(done, "Done:", "PD-1 moved to Closed.")
    _in_view(done)
    screenshot(page, f"in-place-move-done-{size[0]}")


@pytest.mark.parametrize("size", [(1280, 800)], ids=["desktop"])  # a phone has no drag and drop
def test_a_card_dropped_on_a_column_is_answered_there(page, live_server, sign_in_path, leads, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _sign_in(page, live_server, sign_in_path)
    card = page.locator("#column-lead .card").first
    card_id = card.get_attribute("id")
    reference = card.get_attribute("data-reference")
    card.drag_to(page.locator("#column-qualified-lead h2"))
    refusal = page.locator(f"#{card_id}").get_by_role("alert")
    _said(refusal, "Not done:", f"{reference} cannot move to Qualified Lead")
    _in_view(refusal)
    screenshot(page, f"in-place-drop-refused-{size[0]}")


HELD = (
    b"From: Alice Ng <alice@2i2c.org>\r\nTo: partnerships@2i2c.org\r\nSubject: Hail the Lead\r\n"
    b"Reply-To: mallory@evil.example\r\nMessage-ID: <held-in-place@2i2c.org>\r\n\r\n"
    b"Partner: Ridge College\r\nRo Diaz <ro@ridge.example.edu>\r\n"
)


@SIZES
def test_confirming_a_held_message_is_answered_beside_the_buttons(page, live_server, sign_in_path, size):
    held = receive(HELD)
    assert held.status == InboundMessage.Status.HELD
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _sign_in(page, live_server, sign_in_path)
    page.goto(f"{live_server.url}/inbox/{held.pk}/")
    # Someone else dismisses it first, in another tab: Confirm is then refused, in words.
    other = page.context.new_page()
    other.goto(f"{live_server.url}/inbox/{held.pk}/")
    other.get_by_role("button", name="Dismiss").click()
    _said(other.locator("#actions").get_by_role("status"), "Done:", "Dismissed")
    other.close()
    page.get_by_role("button", name="Confirm and carry it out").click()
    refusal = page.locator("#actions").get_by_role("alert")
    _said(refusal, "Not done:", "This message is not held any more")
    _in_view(refusal)
    screenshot(page, f"in-place-confirm-refused-{size[0]}")

    again = receive(HELD.replace(b"held-in-place", b"held-in-place-2"))
    page.goto(f"{live_server.url}/inbox/{again.pk}/")
    page.get_by_role("button", name="Confirm and carry it out").click()
    done = page.locator("#actions").get_by_role("status")
    _said(done, "Done:", "Confirmed: the request will be carried out")
    _in_view(done)
    screenshot(page, f"in-place-confirm-done-{size[0]}")


@SIZES
def test_a_new_lead_is_answered_in_view_whether_added_or_not(page, live_server, sign_in_path, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _sign_in(page, live_server, sign_in_path)
    # A tab of its own: the refused form is answered with 400, which the `page` fixture counts
    # as a failure.
    page = page.context.new_page()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Add a lead").click()
    page.get_by_label("Organization").fill("Harbor University")
    page.get_by_label("Contacts").fill("not an address")
    page.get_by_role("button", name="Add the lead").click()
    problem = page.get_by_role("alert")
    _said(problem, "Not done:", "The lead was not added")
    _in_view(problem)
    screenshot(page, f"in-place-lead-refused-{size[0]}")

    page.get_by_label("Contacts").fill("Lee Park <lee@harbor.example.edu>")
    page.get_by_role("button", name="Add the lead").click()
    done = page.get_by_role("status").filter(has_text="PD-1 opened as a Lead for Harbor University")
    _said(done, "Done:", "PD-1 opened")
    _in_view(done)
    screenshot(page, f"in-place-lead-done-{size[0]}")
