"""A held command in the browser: the inbox says why, the message's page shows it, and Confirm
hands it to the worker. At desktop and phone sizes, with screenshots in test-output/screenshots/."""

from __future__ import annotations

import pytest

from partnerdesk.inbound.models import InboundMessage
from partnerdesk.inbound.processing import messages_process_due
from partnerdesk.pipeline.models import Contact
from tests.inbound.conftest import receive
from tests.web.test_browser import _shot, _sign_in, playwright_api, pytestmark  # noqa: F401

HELD = (
    b"From: Alice Ng <alice@2i2c.org>\r\nTo: partnerships@2i2c.org\r\nSubject: Hail the Lead\r\n"
    b"Reply-To: mallory@evil.example\r\nMessage-ID: <held-browser@2i2c.org>\r\n\r\n"
    b"Partner: Ridge College\r\nRo Diaz <ro@ridge.example.edu>\r\n"
)


@pytest.fixture
def held(transactional_db) -> InboundMessage:
    message = receive(HELD)
    assert message.status == InboundMessage.Status.HELD
    return message


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_a_held_command_is_confirmed_from_its_page(page, live_server, sign_in_path, held, size):
    expect = playwright_api.expect
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _sign_in(page, live_server, sign_in_path)
    page.goto(live_server.url + "/inbox/")
    expect(page.get_by_text("would act but its sender is not proven")).to_be_visible()
    _shot(page, f"inbox-held-{size[0]}")
    page.get_by_role("link", name="Hail the Lead").click()
    expect(page.get_by_role("heading", name="Held: confirm or dismiss")).to_be_visible()
    expect(page.get_by_text("Ro Diaz <ro@ridge.example.edu>")).to_be_visible()
    # The page fits the phone's width: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(page, f"inbox-message-held-{size[0]}")
    page.get_by_role("button", name="Confirm and carry it out").click()
    expect(page.get_by_text("Confirmed: the request will be carried out")).to_be_visible()
    _shot(page, f"inbox-message-confirmed-{size[0]}")
    messages_process_due()
    assert Contact.objects.filter(email="ro@ridge.example.edu").exists()
