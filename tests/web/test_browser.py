"""The team's path through the app in a real browser: Debian's Chromium driven by Playwright.

Run with the rest of the suite; skipped with the reason when /usr/bin/chromium is absent
(`apt-get install chromium`). Each test leaves screenshots in test-output/screenshots/.
"""

from __future__ import annotations

import re

import pytest

from tests.web.browser import CHROMIUM, screenshot

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, reset_sequences=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not at /usr/bin/chromium"),
]


def _shot(page, name: str) -> None:
    screenshot(page, name)


def _worker_pass() -> None:
    """What the worker in `partnerdesk serve` does within seconds: the queued runs, then their mail."""
    from partnerdesk.mail.worker import run_due_work

    run_due_work(raise_errors=True)


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
    expect(page.get_by_role("status").filter(has_text="Queued: Hail the Lead runs for PD-1")).to_be_visible()
    _worker_pass()
    expect(page.locator("#run-progress")).to_contain_text("Done")
    page.get_by_role("link", name="Back to PD-1").click()
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


def _engagement(name: str, *, qualified: bool = False, tasks: tuple[str, ...] = ()):
    from partnerdesk.pipeline import services
    from partnerdesk.pipeline.qualification import Answer

    actor = services.Actor("alice")
    engagement = services.engagement_create(
        organization_name=name,
        contacts=[("Lee Park", f"lee@{name.split()[0].lower()}.example.edu")],
        actor=actor,
    )
    if qualified:
        services.engagement_qualify(
            engagement=engagement, actor=actor, good_candidate=Answer.YES, qualified=Answer.YES
        )
    for title in tasks:
        services.task_create(engagement=engagement, title=title, actor=actor)
    return engagement


@pytest.fixture
def two_leads(transactional_db):
    """PD-1 can become a Qualified Lead, PD-2 cannot; made before the browser starts."""
    return _engagement("Harbor University", qualified=True), _engagement("Bay College")


def _csp_violations(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


def test_a_card_dragged_onto_another_column_moves_or_shows_the_refusal(
    two_leads, page, live_server, sign_in_path
):
    expect = playwright_api.expect
    violations = _csp_violations(page)
    _sign_in(page, live_server, sign_in_path)
    expect(page.locator("#column-lead .count")).to_have_text("(2)")

    page.locator("#card-2").drag_to(page.locator("#column-qualified-lead"))
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("PD-2 cannot move to Qualified Lead")
    expect(refusal).to_contain_text(
        "Are their needs a good candidate for partnership with 2i2c? (answer: unknown)"
    )
    _shot(page, "drag-and-drop-1-refused")

    page.locator("#card-1").drag_to(page.locator("#column-qualified-lead"))
    expect(page.get_by_role("status").filter(has_text="PD-1 moved to Qualified Lead.")).to_be_visible()
    expect(page.locator("#column-qualified-lead")).to_contain_text("Harbor University")
    expect(page.locator("#column-lead .count")).to_have_text("(1)")
    expect(page.locator("#column-qualified-lead .count")).to_have_text("(1)")
    _shot(page, "drag-and-drop-2-moved")
    assert violations == []


@pytest.fixture
def lead_with_tasks(transactional_db):
    return _engagement("Harbor University", tasks=("Send the demo",))


def test_notes_and_tasks_update_in_place_with_htmx(lead_with_tasks, page, live_server, sign_in_path):
    expect = playwright_api.expect
    violations = _csp_violations(page)
    _sign_in(page, live_server, sign_in_path)
    page.goto(live_server.url + "/engagements/PD-1/")
    # A page load would forget this; an htmx swap keeps it.
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_label("Note:", exact=True).fill("Met at JupyterCon")
    page.get_by_role("button", name="Add the note").click()
    expect(page.locator("#timeline-body").get_by_role("status")).to_have_text("Note added.")
    expect(page.locator("#timeline .entry").first).to_contain_text("Met at JupyterCon")
    expect(page.get_by_label("Note:", exact=True)).to_have_value("")

    page.get_by_role("button", name="Mark done: Send the demo").click()
    expect(page.get_by_role("button", name="Reopen: Send the demo")).to_be_visible()
    expect(page.locator("#task-1")).to_have_class("done")
    _shot(page, "htmx-1-note-added-task-done")
    page.get_by_role("button", name="Reopen: Send the demo").click()
    expect(page.get_by_role("button", name="Mark done: Send the demo")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True
    assert violations == []


@pytest.fixture
def long_lead_column(transactional_db):
    from partnerdesk.web.queries import PAGE_SIZE

    for number in range(PAGE_SIZE + 2):
        _engagement(f"College{number:02d} of Arts")


def test_more_adds_the_next_cards_to_the_column_in_place(long_lead_column, page, live_server, sign_in_path):
    expect = playwright_api.expect
    violations = _csp_violations(page)
    _sign_in(page, live_server, sign_in_path)
    page.evaluate("window.stillTheSamePage = true")
    column = page.locator("#column-lead")
    expect(column.locator(".card")).to_have_count(25)

    column.get_by_role("link", name=re.compile(r"^More Lead")).click()
    expect(column.locator(".card")).to_have_count(27)
    expect(column.get_by_role("link", name=re.compile(r"^More Lead"))).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True
    _shot(page, "htmx-2-more-cards")
    assert violations == []


@pytest.fixture
def qualified_lead(transactional_db, tmp_path):
    """PD-1 at Qualified Lead, and the partner's negotiated .docx and signed PDF on disk."""
    import io

    import docx

    from partnerdesk.pipeline import services
    from partnerdesk.pipeline.stages import Stage

    engagement = _engagement("Harbor University", qualified=True)
    services.engagement_move(engagement=engagement, to=Stage.QUALIFIED_LEAD, actor=services.Actor("alice"))
    document = docx.Document()
    document.add_paragraph("Services Agreement between Harbor University and 2i2c.")
    document.add_paragraph("The term is twenty-four (24) months.")
    buffer = io.BytesIO()
    document.save(buffer)
    negotiated = tmp_path / "Harbor redline.docx"
    negotiated.write_bytes(buffer.getvalue())
    signed = tmp_path / "Harbor signed.pdf"
    signed.write_bytes(b"%PDF-1.4\n% signed by everyone\n")
    return negotiated, signed


def test_the_prospect_path_from_verbal_yes_to_partner_in_the_browser(
    qualified_lead, page, live_server, sign_in_path
):
    expect = playwright_api.expect
    negotiated, signed = qualified_lead
    violations = _csp_violations(page)
    _sign_in(page, live_server, sign_in_path)
    page.goto(live_server.url + "/engagements/PD-1/")

    # The verbal yes, recorded on the page, lets the engagement become a Prospect: its form is open,
    # since the move waits for it.
    expect(page.get_by_label("Verbal yes from")).to_be_visible()
    page.get_by_label("Verbal yes from").fill("Lee Park")
    page.get_by_role("button", name="Record the verbal yes").click()
    expect(page.get_by_role("status").filter(has_text="Verbal yes recorded.")).to_be_visible()
    page.get_by_label("Move to").select_option(label="Prospect")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="PD-1 moved to Prospect.")).to_be_visible()
    _shot(page, "prospect-path-1-verbal-yes-prospect")

    # send-draft-contract, after its preview.
    page.get_by_role("link", name="Send Draft Contract").click()
    expect(page.get_by_text("Nothing has been done yet")).to_be_visible()
    _shot(page, "prospect-path-2-send-draft-contract-preview")
    page.get_by_role("button", name="Run Send Draft Contract").click()
    _worker_pass()
    expect(page.locator("#run-progress")).to_contain_text("Done")
    page.get_by_role("link", name="Back to PD-1").click()
    agreement = page.locator("#agreement")
    expect(agreement).to_contain_text("Harbor University + 2i2c/CS&S - Services Agreement")
    expect(agreement.get_by_role("link", name=re.compile(r"^Version 1: "))).to_be_visible()

    # A negotiated version, uploaded: the summary of what changed is shown.
    page.get_by_label("New version (.docx)").set_input_files(str(negotiated))
    page.get_by_role("button", name="Upload the version").click()
    expect(page.get_by_role("status").filter(has_text="Version 2 attached. What changed:")).to_be_visible()
    expect(agreement.get_by_role("link", name="Version 2: Harbor redline.docx")).to_be_visible()
    _shot(page, "prospect-path-3-negotiated-version")

    # Ready to sign is refused, naming what is missing.
    page.get_by_role("button", name="Ready to sign").click()
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("is not ready to sign. Missing:")
    expect(refusal).to_contain_text("signatories (name, email, organization, role)")
    expect(refusal).to_contain_text("a statement of work (addendum)")
    _shot(page, "prospect-path-4-ready-refused")

    # The terms, a signatory and the statement of work.
    page.get_by_label("Value:", exact=True).fill("12000")
    page.get_by_label("Currency:", exact=True).fill("USD")
    page.get_by_label("Term start:", exact=True).fill("2030-01-01")
    page.get_by_label("Term end:", exact=True).fill("2031-12-31")
    page.get_by_role("button", name="Save the terms").click()
    expect(page.get_by_role("status").filter(has_text="Terms saved:")).to_be_visible()
    page.get_by_text("Add a signatory").click()
    page.get_by_label("Signatory name:").fill("Lee Park")
    page.get_by_label("Signatory email:").fill("lee@harbor.example.edu")
    page.get_by_label("Role:", exact=True).fill("CIO")
    page.get_by_role("button", name="Add the signatory").click()
    expect(page.get_by_role("status").filter(has_text="Signatory added: Lee Park")).to_be_visible()
    page.get_by_text("Add an addendum").click()
    page.get_by_label("Kind:").select_option("statement-of-work")
    page.get_by_label("Title:", exact=True).fill("A hub for three courses")
    page.get_by_role("button", name="Add the addendum").click()
    expect(
        page.get_by_role("status").filter(has_text="Addendum added: A hub for three courses")
    ).to_be_visible()
    expect(agreement).to_contain_text("Everything needed for signature is there.")
    _shot(page, "prospect-path-5-terms-signatory-addendum")

    page.get_by_role("button", name="Ready to sign").click()
    expect(page.get_by_role("status").filter(has_text="is ready to sign.")).to_be_visible()
    expect(agreement).to_contain_text("Ready to sign")

    # docusign-agreement, after its preview: the circulation request goes to the fiscal sponsor.
    page.locator("#playbooks").get_by_role("link", name="DocuSign Agreement").click()
    circulation = page.locator("pre").filter(has_text="Please circulate for DocuSign: Harbor University")
    expect(circulation).to_be_visible()
    _shot(page, "prospect-path-6-docusign-preview")
    page.get_by_role("button", name="Run DocuSign Agreement").click()
    _worker_pass()
    expect(page.locator("#run-progress")).to_contain_text("Done")
    page.get_by_role("link", name="Back to PD-1").click()
    expect(agreement).to_contain_text("Out for signature")

    # The signed file comes back: executed, and the engagement is a Partner.
    page.get_by_label("Signed agreement (.pdf or .docx)").set_input_files(str(signed))
    page.get_by_role("button", name="Mark executed").click()
    expect(page.get_by_role("status").filter(has_text="PD-1 moved to Partner.")).to_be_visible()
    expect(agreement).to_contain_text("Executed")
    expect(page.locator(".stage-badge")).to_have_text("Partner")
    _shot(page, "prospect-path-7-executed")

    page.get_by_role("link", name="Pipeline").click()
    expect(page.locator("#column-partner")).to_contain_text("Harbor University")
    expect(page.locator("#column-prospect .count")).to_have_text("(0)")
    _shot(page, "prospect-path-8-partner-column")
    assert violations == []
