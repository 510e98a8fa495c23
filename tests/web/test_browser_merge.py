"""Merging in the browser: the engagement page's merge form, the review page, the merged page.
At desktop and phone sizes, with screenshots in test-output/screenshots/."""

from __future__ import annotations

import pytest

from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.naming import engagement_open_provisional
from tests.web.test_browser import _shot, _sign_in, playwright_api, pytestmark  # noqa: F401


@pytest.fixture
def twice(transactional_db) -> tuple[Engagement, Engagement]:
    """Made before the browser starts: one relationship opened twice."""
    actor = services.Actor(label="alice")
    ridge = services.engagement_create(
        organization_name="Ridge College", contacts=[("Ana Diaz", "ana@ridge.example.edu")], actor=actor
    )
    duplicate = engagement_open_provisional(
        name="ridge.example.edu", contacts=[("Ro Diaz", "ro@ridge.example.edu")], actor=actor, source="email"
    )
    services.task_create(engagement=duplicate, title="Send the deck", actor=actor)
    return ridge, duplicate


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_an_engagement_opened_twice_is_merged_from_its_page(page, live_server, sign_in_path, twice, size):
    expect = playwright_api.expect
    ridge, duplicate = twice
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _sign_in(page, live_server, sign_in_path)
    page.goto(f"{live_server.url}/engagements/{duplicate.reference}/")
    page.get_by_text("Merge into another engagement").click()
    choice = page.get_by_label(f"Merge {duplicate.reference} into")
    choice.select_option(label=f"{ridge.reference} Ridge College (Lead)")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(page, f"merge-1-form-{size[0]}")
    page.get_by_role("button", name="Review the merge").click()
    question = f"Merge {duplicate.reference} into {ridge.reference}?"
    expect(page.get_by_role("heading", name=question)).to_be_visible()
    expect(page.get_by_text("1 task")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(page, f"merge-2-review-{size[0]}")
    page.get_by_role("button", name=f"Merge {duplicate.reference} into {ridge.reference}").click()
    expect(page.get_by_role("heading", name=f"{ridge.reference} Ridge College")).to_be_visible()
    expect(page.locator("#tasks")).to_contain_text("Send the deck")
    _shot(page, f"merge-3-merged-{size[0]}")
    page.goto(f"{live_server.url}/engagements/{duplicate.reference}/")
    expect(page.get_by_role("status").filter(has_text="was merged into")).to_be_visible()
    page.get_by_role("link", name=f"{ridge.reference} Ridge College").click()
    expect(page.get_by_role("heading", name=f"{ridge.reference} Ridge College")).to_be_visible()
