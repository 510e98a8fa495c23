"""The team's path through the app in a real browser: Debian's Chromium driven by Playwright.

Run with the rest of the suite; skipped with the reason when /usr/bin/chromium is absent
(`apt-get install chromium`). Each test leaves screenshots in test-output/screenshots/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.db import connections

from partnerdesk.web.login_links import first_user_ensure, login_link_create

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, reset_sequences=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not at /usr/bin/chromium"),
]


@pytest.fixture
def sign_in_path(transactional_db):
    """Made before the browser starts, so no query runs beside Playwright's event loop."""
    link = login_link_create(user=first_user_ensure())
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def page(request, sign_in_path):
    # Playwright's sync API runs an event loop in this thread; Django's ORM guard must allow it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(
            "response",
            lambda response: (
                errors.append(f"{response.status} {response.url}")
                if response.status >= 400 and not response.url.endswith("/favicon.ico")
                else None
            ),
        )
        yield page
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
        browser.close()
        assert errors == [], errors
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    connections.close_all()


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _sign_in(page, live_server, path: str) -> None:
    page.goto(live_server.url + path)
    playwright_api.expect(page.get_by_role("heading", name="2i2c partnerships pipeline")).to_be_visible()


def test_a_lead_is_hailed_refused_qualified_and_moved_in_the_browser(page, live_server, sign_in_path):
    expect = playwright_api.expect
    _sign_in(page, live_server, sign_in_path)
    _shot(page, "hail-refuse-qualify-move-1-board-signed-in")

    page.get_by_role("link", name="Add a lead").click()
    page.get_by_label("Organization").fill("Harbor University")
    page.get_by_label("Contacts").fill("Lee Park <lee@harbor.example.edu>")
    page.get_by_role("button", name="Add the lead").click()
    expect(page.get_by_role("heading", name="PD-1 Harbor University")).to_be_visible()
    _shot(page, "hail-refuse-qualify-move-2-lead-added")

    page.get_by_role("link", name="Hail the Lead").click()
    expect(page.get_by_text("Nothing has been done yet")).to_be_visible()
    expect(
        page.locator("pre").filter(has_text="Subject: [PD-1] Thank you for your interest in 2i2c")
    ).to_be_visible()
    _shot(page, "hail-refuse-qualify-move-3-hail-the-lead-preview")
    page.get_by_role("button", name="Run Hail the Lead").click()
    expect(page.get_by_role("status").filter(has_text="Hail the Lead: done for PD-1")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Email to lee@harbor.example.edu")
    _shot(page, "hail-refuse-qualify-move-4-hail-the-lead-done")

    page.get_by_role("link", name="Pipeline").click()
    page.get_by_label("Move PD-1 to").select_option(label="Qualified Lead")
    page.locator("#card-1").get_by_role("button", name="Move").click()
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("PD-1 cannot move to Qualified Lead")
    expect(refusal).to_contain_text(
        "Are their needs a good candidate for partnership with 2i2c? (answer: unknown)"
    )
    expect(refusal).to_contain_text("Are they qualified to set up partnership with 2i2c? (answer: unknown)")
    _shot(page, "hail-refuse-qualify-move-5-move-refused")

    page.locator("#card-1").get_by_role("link", name="PD-1 Harbor University").click()
    page.get_by_label("Are their needs a good candidate for partnership with 2i2c?").select_option("yes")
    page.get_by_label("Are they qualified to set up partnership with 2i2c?").select_option("yes")
    page.get_by_label("Money", exact=True).select_option("yes")
    page.get_by_label("Money notes").fill("NSF grant")
    page.get_by_role("button", name="Save the scorecard").click()
    expect(page.get_by_role("status").filter(has_text="Scorecard saved.")).to_be_visible()
    _shot(page, "hail-refuse-qualify-move-6-scorecard-filled")

    page.get_by_role("link", name="Pipeline").click()
    page.get_by_label("Move PD-1 to").select_option(label="Qualified Lead")
    page.locator("#card-1").get_by_role("button", name="Move").click()
    expect(page.get_by_role("status").filter(has_text="PD-1 moved to Qualified Lead.")).to_be_visible()
    expect(page.locator("#column-qualified-lead")).to_contain_text("Harbor University")
    expect(page.locator("#column-lead")).not_to_contain_text("Harbor University")
    expect(page.locator("#column-qualified-lead .count")).to_have_text("(1)")
    _shot(page, "hail-refuse-qualify-move-7-moved-to-qualified-lead")


def test_a_card_moves_with_the_keyboard_alone(page, live_server, sign_in_path):
    expect = playwright_api.expect
    _sign_in(page, live_server, sign_in_path)
    page.get_by_role("link", name="Add a lead").click()
    page.get_by_label("Organization").fill("Bay College")
    page.get_by_role("button", name="Add the lead").click()
    page.get_by_role("link", name="Pipeline").click()

    select = page.get_by_label("Move PD-1 to")
    select.focus()
    select.select_option("closed")  # the same as arrow keys on a focused select
    page.keyboard.press("Tab")
    page.keyboard.type("not a fit")
    page.keyboard.press("Tab")
    expect(page.locator("#card-1").get_by_role("button", name="Move")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="PD-1 moved to Closed.")).to_be_visible()
    expect(page.locator("#column-closed .count")).to_have_text("(1)")
    assert re.search(r"/#card-1$", page.url)
