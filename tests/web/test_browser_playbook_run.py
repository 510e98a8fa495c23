"""A playbook run in the browser: Run queues it and opens the run's page, which turns to done on
its own (htmx asks again every 2 s) once a worker pass has done the steps. At desktop and phone
sizes, audited with axe, with screenshots in test-output/screenshots/."""

from __future__ import annotations

import pytest

from partnerdesk.mail.worker import run_due_work
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement
from tests.web.axe import axe_report, axe_violations
from tests.web.test_browser import _shot, _sign_in, playwright_api, pytestmark  # noqa: F401

SIZES = pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])


@pytest.fixture
def harbor_lead(transactional_db) -> Engagement:
    """Made before the browser starts."""
    return services.engagement_create(
        organization_name="Harbor University",
        contacts=[("Lee Park", "lee@harbor.example.edu")],
        actor=services.Actor(label="alice"),
    )


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _passes_axe(page, name: str) -> None:
    _fits(page)
    violations = axe_violations(page)
    assert violations == [], axe_report(violations, page_name=name)


@SIZES
def test_run_opens_the_queued_run_which_turns_to_done_without_a_reload(
    page, live_server, sign_in_path, harbor_lead, size
):
    expect = playwright_api.expect
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _sign_in(page, live_server, sign_in_path)
    page.goto(f"{live_server.url}/engagements/{harbor_lead.reference}/")
    page.locator("#playbooks").get_by_role("link", name="Create running notes for the lead").click()
    page.get_by_role("button", name="Run Create running notes for the lead").click()

    queued = "Queued: Create running notes for the lead runs for PD-1 in a moment"
    expect(page.get_by_role("status").filter(has_text=queued)).to_be_visible()
    progress = page.locator("#run-progress")
    expect(progress).to_contain_text("Queued")
    expect(progress.locator(".run-step.step-queued")).to_have_count(3)
    _fits(page)
    _shot(page, f"playbook-run-1-queued-{size[0]}")
    _passes_axe(page, "the queued run")
    run_page = page.url

    # Its preview now leads to the run instead of offering to start it again.
    page.go_back()
    page.reload()
    expect(page.get_by_role("link", name="follow it on its page")).to_be_visible()
    expect(page.get_by_role("button", name="Resume Create running notes for the lead")).to_have_count(0)
    _fits(page)
    _shot(page, f"playbook-run-1b-preview-of-queued-{size[0]}")
    page.get_by_role("link", name="follow it on its page").click()
    assert page.url == run_page

    page.evaluate("window.sameDocument = true")  # gone if the page were loaded again
    run_due_work(raise_errors=True)

    expect(progress).to_contain_text("Done")
    expect(progress.locator(".run-step.step-done")).to_have_count(3)
    expect(progress).to_contain_text("with lee@harbor.example.edu")
    assert page.evaluate("window.sameDocument === true")
    _fits(page)
    _shot(page, f"playbook-run-2-done-{size[0]}")
    _passes_axe(page, "the finished run")

    page.get_by_role("link", name="Back to PD-1").click()
    expect(page.locator("#documents")).to_contain_text("Running notes -- Harbor University + 2i2c")
