"""The engagement page by stage: a summary header (stage, owner, value, next due, what the next
stage still needs), only the sections of the stage open, and a timeline filtered by kind and paged."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerdesk.agreements import services as agreements
from partnerdesk.lib import clock
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import TimelineEntry
from partnerdesk.pipeline.qualification import Answer
from partnerdesk.pipeline.stages import Stage
from partnerdesk.web.engagement_page import SECTIONS, TIMELINE_GROUPS, UNGROUPED_KINDS
from tests.partnership.conftest import make_partner

pytestmark = pytest.mark.django_db

ALICE = services.Actor("alice")


def _get(client, engagement, query: str = "") -> str:
    return client.get(reverse("engagement", args=[engagement.reference]) + query).content.decode()


def _summary(page: str) -> str:
    return page.split('class="engagement-summary"')[1].split("</section>")[0]


def _fact(page: str, name: str) -> str:
    """The text of one fact of the header, tags and runs of spaces removed."""
    found = re.search(rf"<dt>{name}</dt>\s*<dd>(.*?)</dd>", _summary(page), re.S)
    assert found, f"no {name} in the header"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def _open_sections(page: str) -> set[str]:
    found = dict(re.findall(r'<section id="([a-z-]+)" class="fold"[^>]*>\s*<details( open)?>', page))
    assert set(found) == set(SECTIONS), "every section is on the page, open or folded"
    return {section for section, opened in found.items() if opened}


def _timeline(page: str) -> list[str]:
    """The summaries of the timeline entries shown, newest first."""
    body = page.split('id="timeline-body"')[1]
    return [" ".join(s.split()) for s in re.findall(r'<p class="summary">(.*?)</p>', body, re.S)]


def _prospect(engagement):
    services.engagement_qualify(
        engagement=engagement, actor=ALICE, good_candidate=Answer.YES, qualified=Answer.YES
    )
    services.engagement_move(engagement=engagement, to=Stage.QUALIFIED_LEAD, actor=ALICE)
    services.engagement_record_verbal_yes(engagement=engagement, by="Lee Park", actor=ALICE)
    services.engagement_move(engagement=engagement, to=Stage.PROSPECT, actor=ALICE)
    return engagement


def test_a_leads_header_says_its_stage_owner_and_what_qualifying_still_needs(alice_client, harbor):
    page = _get(alice_client, harbor)

    assert _fact(page, "Stage") == "Lead for 0 days"
    assert _fact(page, "Owner") == "alice"
    assert _fact(page, "Value") == "no agreement yet"
    assert _fact(page, "Next due") == "no open task"
    needs = _fact(page, "For Qualified Lead")
    assert needs.startswith("still missing:")
    assert "Are their needs a good candidate for partnership with 2i2c? (answer: unknown)" in needs
    assert "Are they qualified to set up partnership with 2i2c? (answer: unknown)" in needs


def test_a_prospects_header_shows_the_agreements_value_the_task_due_first_and_the_missing_close(
    alice_client, harbor
):
    _prospect(harbor)
    agreement = agreements.agreement_create(engagement=harbor, actor=ALICE)
    agreements.agreement_set_terms(agreement=agreement, actor=ALICE, value=Decimal("12000"), currency="USD")
    today = clock.today()
    services.task_create(engagement=harbor, title="Undated chore", actor=ALICE)
    services.task_create(
        engagement=harbor,
        title="Send the redline",
        assignee="bob",
        due_on=today + dt.timedelta(days=3),
        actor=ALICE,
    )
    late = services.task_create(
        engagement=harbor, title="Call the CFO", due_on=today - dt.timedelta(days=2), actor=ALICE
    )
    page = _get(alice_client, harbor)

    assert _fact(page, "Stage") == "Prospect for 0 days"
    assert _fact(page, "Value") == "12,000.00 USD"
    assert _fact(page, "Next due") == f"{late.due_on:%Y-%m-%d} (overdue) : Call the CFO"
    assert _fact(page, "For Partner") == (
        "still missing: the executed close date is not recorded"
        " the signed agreement's reference is not recorded"
    )
    # What is missing is recorded in the stage section: its form is open.
    stage = page.split('id="stage"')[1].split("</section>")[0]
    assert "<details open>\n    <summary>Record a verbal yes or an executed close</summary>" in stage

    services.task_set_done(task=late, done=True, actor=ALICE)
    assert _fact(_get(alice_client, harbor), "Next due").endswith(": Send the redline · bob")


def test_a_lead_opens_contacts_and_qualification_and_folds_the_agreement_and_partner_phase(
    alice_client, harbor
):
    page = _get(alice_client, harbor)

    assert _open_sections(page) == {"stage", "playbooks", "contacts", "scorecard", "tasks", "timeline"}
    # A folded section is still on the page, its heading the control that opens it.
    assert '<summary><h2 id="agreement-heading">Agreement</h2>' in page
    assert "Invoices, check-ins and the renewal show here once the engagement is a Partner." in page


def test_a_partner_opens_the_partner_phase_and_folds_qualification(alice_client, alice):
    partner, _ = make_partner(owner=alice)
    page = _get(alice_client, partner)

    assert _open_sections(page) == {"stage", "partner", "tasks", "timeline"}
    assert _fact(page, "Stage") == "Partner for 0 days"
    assert _fact(page, "Value") == "24,000.00 USD"
    assert _fact(page, "Term") == "2027-01-01 to 2028-12-31 : the renewal is decided in Partner"


def test_a_folded_section_opens_when_an_answer_comes_back_to_it(alice_client, alice):
    partner, _ = make_partner(owner=alice)
    response = alice_client.post(
        reverse("engagement-contact-add", args=[partner.reference]),
        {"name": "Ro Diaz", "email": "ro@harbor.example.edu"},
        follow=True,
    )
    page = response.content.decode()

    contacts = page.split('<section id="contacts"')[1].split("</section>")[0]
    assert "Added Ro Diaz" in contacts, "the answer shows in the section the user acted in"
    assert "contacts" in _open_sections(page)
    assert "contacts" not in _open_sections(_get(alice_client, partner))


def test_a_closed_engagement_says_why_and_keeps_open_only_the_stage_and_the_timeline(alice_client, harbor):
    services.engagement_move(engagement=harbor, to=Stage.CLOSED, actor=ALICE, reason="Chose another provider")
    page = _get(alice_client, harbor)

    assert _open_sections(page) == {"stage", "timeline"}
    assert _fact(page, "Closed") == "Chose another provider · reopen as a Lead"


def test_every_kind_of_entry_has_its_timeline_group_or_shows_under_all_only():
    grouped = [kind for _, kinds in TIMELINE_GROUPS.values() for kind in kinds]
    assert len(grouped) == len(set(grouped)), "a kind is in one group at most"
    assert set(grouped) | UNGROUPED_KINDS == set(TimelineEntry.Kind.values)


def test_the_timeline_is_filtered_by_kind_with_links_that_say_which_is_shown(alice_client, harbor):
    services.engagement_add_note(engagement=harbor, text="Met at JupyterCon", actor=ALICE)
    services.engagement_qualify(
        engagement=harbor, actor=ALICE, good_candidate=Answer.YES, qualified=Answer.YES
    )
    services.engagement_move(engagement=harbor, to=Stage.QUALIFIED_LEAD, actor=ALICE)

    everything = _get(alice_client, harbor)
    assert "Met at JupyterCon" in _timeline(everything)
    assert '<a href="?#timeline" aria-current="page">All' in everything
    assert re.search(
        r'<a href="\?timeline=notes#timeline">Notes <span class="count">\(1\)</span>', everything
    )

    notes = _get(alice_client, harbor, "?timeline=notes")
    assert _timeline(notes) == ["Met at JupyterCon"]
    assert '<a href="?timeline=notes#timeline" aria-current="page">Notes' in notes
    stages = _timeline(_get(alice_client, harbor, "?timeline=stage"))
    assert "Met at JupyterCon" not in stages and any("Qualified Lead" in entry for entry in stages)
    assert "No entries of this kind." in _get(alice_client, harbor, "?timeline=mail")
    # An unknown kind shows everything rather than an error.
    assert _timeline(_get(alice_client, harbor, "?timeline=nonsense")) == _timeline(everything)


def test_the_timeline_shows_25_entries_a_page_with_older_and_newer_links(alice_client, harbor):
    for number in range(1, 31):
        services.engagement_add_note(engagement=harbor, text=f"note {number}", actor=ALICE)

    first = _get(alice_client, harbor, "?timeline=notes")
    assert _timeline(first) == [f"note {number}" for number in range(30, 5, -1)]
    assert "1–25 of 30" in first
    assert '<a href="?timeline=notes&amp;timeline_page=2#timeline" rel="next">Older</a>' in first
    assert '<span class="disabled">Newer</span>' in first

    second = _get(alice_client, harbor, "?timeline=notes&timeline_page=2")
    assert _timeline(second) == [f"note {number}" for number in range(5, 0, -1)]
    assert "26–30 of 30" in second
    assert '<a href="?timeline=notes#timeline" rel="prev">Newer</a>' in second
    # Paging the timeline keeps it open whatever the stage.
    assert "timeline" in _open_sections(second)
    # A page past the end shows the last one; a malformed number the first.
    assert _timeline(_get(alice_client, harbor, "?timeline=notes&timeline_page=9")) == _timeline(second)
    assert _timeline(_get(alice_client, harbor, "?timeline=notes&timeline_page=x")) == _timeline(first)


def test_a_filtered_page_of_the_timeline_costs_the_same_queries_as_the_whole(alice_client, harbor):
    for number in range(40):
        services.engagement_add_note(engagement=harbor, text=f"note {number}", actor=ALICE)
    url = reverse("engagement", args=[harbor.reference])
    # The filter and the page are worked out from the rows the page loads anyway.
    with CaptureQueriesContext(connection) as whole:
        alice_client.get(url)
    with CaptureQueriesContext(connection) as filtered:
        alice_client.get(url + "?timeline=notes&timeline_page=2")
    assert len(filtered.captured_queries) == len(whole.captured_queries)


def test_a_note_added_with_htmx_answers_with_the_first_page_of_the_whole_timeline(alice_client, harbor):
    for number in range(30):
        services.engagement_add_note(engagement=harbor, text=f"note {number}", actor=ALICE)
    response = alice_client.post(
        reverse("engagement-note", args=[harbor.reference]), {"text": "The newest"}, HTTP_HX_REQUEST="true"
    )
    fragment = response.content.decode()

    assert _timeline(fragment)[0] == "The newest"
    assert len(_timeline(fragment)) == 25
    assert "Note added." in fragment
