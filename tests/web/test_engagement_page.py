"""The engagement page: contacts, stage and moves, scorecard, tasks, documents, timeline, notes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Assessment, Task
from partnerdesk.pipeline.qualification import Answer, Criterion
from partnerdesk.playbooks.engine import playbook_run
from partnerdesk.playbooks.library import get_library

pytestmark = pytest.mark.django_db


def _url(engagement, name="engagement", *args) -> str:
    return reverse(name, args=[engagement.reference, *args])


def test_the_page_shows_the_organization_contacts_stage_and_the_allowed_moves(alice_client, harbor):
    page = alice_client.get(_url(harbor)).content.decode()

    assert f"<h1>{harbor.reference} Harbor University</h1>" in page
    assert "lee@harbor.example.edu" in page and "Lee Park" in page
    # What the next stage needs is in the summary at the top (tests/web/test_engagement_page_by_stage.py).
    summary = page.split('class="engagement-summary"')[1].split("</section>")[0]
    assert "<dt>For Qualified Lead</dt>" in summary
    assert "Are their needs a good candidate for partnership with 2i2c? (answer: unknown)" in summary
    stage = page.split('id="stage"')[1].split("</section>")[0]
    assert '<option value="qualified-lead">Qualified Lead</option>' in stage
    assert '<option value="closed">Closed</option>' in stage


def test_the_scorecard_form_asks_the_handbook_questions_and_saves_the_answers(alice_client, harbor):
    page = alice_client.get(_url(harbor)).content.decode()
    for criterion in Criterion:
        assert criterion.question.replace("'", "&#x27;") in page
    assert "Are they qualified to set up partnership with 2i2c?" in page

    data = {"good_candidate": "yes", "qualified": "no"}
    data |= {c.value: "unknown" for c in Criterion} | {f"{c.value}-notes": "" for c in Criterion}
    data |= {"money": "yes", "money-notes": "NSF grant, $40k"}
    response = alice_client.post(_url(harbor, "engagement-qualify"), data, follow=True)

    assert "Scorecard saved." in response.content.decode()
    harbor.refresh_from_db()
    assert (harbor.good_candidate, harbor.qualified) == ("yes", "no")
    money = Assessment.objects.get(engagement=harbor, criterion="money")
    assert (money.answer, money.notes) == ("yes", "NSF grant, $40k")
    assert "6 unknown" in response.content.decode()


def test_a_scorecard_with_an_answer_that_is_not_a_choice_is_refused(alice_client, harbor):
    data = {"good_candidate": "maybe", "qualified": "yes"} | {c.value: "unknown" for c in Criterion}
    page = alice_client.post(_url(harbor, "engagement-qualify"), data, follow=True).content.decode()
    assert "Select a valid choice" in page
    harbor.refresh_from_db()
    assert harbor.good_candidate == "unknown"


def test_moving_from_the_page_refuses_with_what_is_missing_then_moves(alice_client, harbor):
    refused = alice_client.post(_url(harbor, "engagement-move"), {"to": "qualified-lead"}, follow=True)
    assert "cannot move to Qualified Lead" in refused.content.decode()

    services.engagement_qualify(
        engagement=harbor, actor=services.Actor("alice"), good_candidate=Answer.YES, qualified=Answer.YES
    )
    moved = alice_client.post(_url(harbor, "engagement-move"), {"to": "qualified-lead"}, follow=True)
    assert "moved to Qualified Lead" in moved.content.decode()
    closing = alice_client.post(_url(harbor, "engagement-move"), {"to": "closed"}, follow=True)
    assert "a reason for closing is required" in closing.content.decode()


def test_verbal_yes_and_executed_close_are_recorded_for_the_later_moves(alice_client, harbor):
    alice_client.post(_url(harbor, "engagement-verbal-yes"), {"by": "Lee Park", "on": "2030-05-01"})
    alice_client.post(_url(harbor, "engagement-executed-close"), {"agreement": "Harbor + 2i2c/CS&S"})
    harbor.refresh_from_db()
    assert harbor.verbal_yes_by == "Lee Park" and str(harbor.verbal_yes_on) == "2030-05-01"
    assert harbor.executed_agreement == "Harbor + 2i2c/CS&S" and harbor.executed_close_on is not None


def test_a_contact_is_added_and_a_bad_address_is_refused(alice_client, harbor):
    page = alice_client.post(
        _url(harbor, "engagement-contact-add"),
        {"name": "Ana Ruiz", "email": "Ana@Harbor.example.edu"},
        follow=True,
    ).content.decode()
    assert "Added Ana Ruiz &lt;ana@harbor.example.edu&gt;." in page
    assert list(harbor.contacts.values_list("email", flat=True)) == [
        "ana@harbor.example.edu",
        "lee@harbor.example.edu",
    ]

    bad = alice_client.post(_url(harbor, "engagement-contact-add"), {"email": "not an address"}, follow=True)
    assert "Enter a valid email address." in bad.content.decode()
    assert harbor.contacts.count() == 2


def test_a_note_goes_on_the_timeline_with_its_author_and_is_escaped(alice_client, harbor):
    page = alice_client.post(
        _url(harbor, "engagement-note"), {"text": "Met at JupyterCon <script>alert(1)</script>"}, follow=True
    ).content.decode()
    assert "Note added." in page
    assert "Met at JupyterCon &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert harbor.timeline.get(kind="note").actor == "alice"
    empty = alice_client.post(_url(harbor, "engagement-note"), {"text": "  "}, follow=True)
    assert "This field is required." in empty.content.decode()


def test_tasks_are_added_and_marked_done_and_undone(alice_client, harbor, bob):
    alice_client.post(_url(harbor, "engagement-task-add"), {"title": "Send the demo", "assignee": "alice"})
    task = Task.objects.get(engagement=harbor)
    alice_client.post(_url(harbor, "task-toggle", task.pk), {"done": "1"})
    task.refresh_from_db()
    assert task.is_done
    page = alice_client.get(_url(harbor)).content.decode()
    assert 'aria-label="Reopen: Send the demo"' in page
    alice_client.post(_url(harbor, "task-toggle", task.pk), {"done": "0"})
    task.refresh_from_db()
    assert not task.is_done

    other = services.engagement_create(
        organization_name="Bay College", contacts=[], actor=services.Actor("bob")
    )
    assert alice_client.post(_url(other, "task-toggle", task.pk), {"done": "1"}).status_code == 404


def test_documents_with_their_shares_and_playbook_runs_with_each_step_show(alice_client, alice, harbor):
    actor = services.Actor.for_user(alice)
    report = playbook_run(spec=get_library().get("create-running-notes"), actor=actor, engagement=harbor)
    assert report.succeeded

    page = alice_client.get(_url(harbor)).content.decode()
    documents = page.split('id="documents"')[1].split("</section>")[0]
    assert "Running notes -- Harbor University + 2i2c" in documents
    assert "Shared with Lee Park &lt;lee@harbor.example.edu&gt; as editor" in documents
    timeline = page.split('id="timeline"')[1].split("</section>")[0]
    assert "Playbook Create the Running Notes document" in timeline or "Playbook " in timeline
    assert timeline.count('<li class="step-done">') == len(report.steps)
    # The share notification is an email on the timeline, with its outbox status.
    assert "Ready" in timeline and "lee@harbor.example.edu" in timeline


def test_a_document_kept_on_google_drive_links_to_it(alice_client, alice, harbor):
    from partnerdesk.documents.models import Document
    from partnerdesk.lib import clock

    Document.objects.create(
        engagement=harbor,
        kind="running_notes",
        title="Running notes -- Harbor University + 2i2c",
        store="google-drive",
        store_id="1AbC",
        folder_path="Partnerships/Agreements/Harbor University",
        url="https://docs.google.com/document/d/1AbC/edit",
        created_at=clock.now(),
    )
    page = alice_client.get(_url(harbor)).content.decode()
    documents = page.split('id="documents"')[1].split("</section>")[0]
    assert (
        '<a href="https://docs.google.com/document/d/1AbC/edit" rel="noopener">Open in Google Drive</a>'
        in documents
    )


def test_the_technical_needs_show_what_is_still_to_ask_before_the_handoff(alice_client, alice, harbor):
    from partnerdesk.technical.services import technical_answer_set

    actor = services.Actor.for_user(alice)
    technical_answer_set(engagement=harbor, key="community", value="Oceanography students", actor=actor)
    technical_answer_set(engagement=harbor, key="gpus", value="", status="not-applicable", actor=actor)
    page = alice_client.get(_url(harbor)).content.decode()
    technical = page.split('id="technical"')[1].split("</section>")[0]
    assert (
        "Still to answer before the hand-off: expected-users, peak-concurrency, authentication" in technical
    )
    assert "community," not in technical.split("Still to answer")[1].split(".")[0]
    assert "Oceanography students <small>(cli)</small>" in technical
    assert "not applicable" in technical


def test_an_unknown_engagement_is_404(alice_client):
    assert alice_client.get(reverse("engagement", args=["PD-999"])).status_code == 404
    assert alice_client.get(reverse("engagement", args=["not-a-ref"])).status_code == 404
    assert alice_client.post(reverse("engagement-note", args=["PD-999"]), {"text": "x"}).status_code == 404


def test_the_page_costs_the_same_queries_however_long_the_story(
    alice_client, alice, harbor, django_assert_num_queries
):
    actor = services.Actor.for_user(alice)

    def grow(times: int) -> None:
        for number in range(times):
            services.engagement_add_note(engagement=harbor, text=f"note {number}", actor=actor)
            services.task_create(engagement=harbor, title=f"task {number}", actor=actor)
            services.engagement_add_contacts(
                engagement=harbor, contacts=[("", f"p{Task.objects.count()}@harbor.example.edu")], actor=actor
            )

    playbook_run(spec=get_library().get("create-running-notes"), actor=actor, engagement=harbor)
    grow(2)
    # session, user, engagement, contacts, assessments, tasks, documents, shares, outbox, timeline, runs,
    # agreements, technical answers, hand-off, partner links, merge candidates (with an agreement,
    # three more: tests/web/test_agreement_page.py)
    with django_assert_num_queries(16):
        assert alice_client.get(_url(harbor)).status_code == 200
    grow(50)
    playbook_run(spec=get_library().get("meet-with-lead"), actor=actor, engagement=harbor)
    with django_assert_num_queries(16):
        page = alice_client.get(_url(harbor)).content.decode()
    assert "note 49" in page and "task 49" in page
