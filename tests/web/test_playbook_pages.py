"""Playbooks from the web: the handbook list, the dry-run preview, Run (queued for the worker), a
failed run and Resume. tests/web/test_playbook_run_queued.py follows a run's page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline import services
from partnerdesk.pipeline.qualification import Answer
from partnerdesk.playbooks.engine import playbook_runs_due
from partnerdesk.playbooks.models import PlaybookRun
from partnerdesk.settings import PACKAGE_DIR

DEFAULT_PROFILE = PACKAGE_DIR / "defaults" / "partnerdesk.toml"

pytestmark = pytest.mark.django_db

TEAM_PLAYBOOK = """
name = "qualify-and-move"
title = "Qualify and move"
phase = "lead"
description = "Makes a task, then moves the lead to Qualified Lead through the guard."

[trigger]
description = "Run by hand."

[[steps]]
id = "task"
kind = "create_task"
title = "Ask the two questions"
task = "Ask the handbook's two questions"

[[steps]]
id = "move"
kind = "set_stage"
title = "Move to Qualified Lead"
to = "qualified-lead"
"""


@pytest.fixture
def team_folder(profile_file, tmp_path):
    folder = tmp_path / "team-playbooks"
    folder.mkdir()
    shipped = DEFAULT_PROFILE.read_text(encoding="utf-8")
    profile_file(shipped.replace('folder = ""', 'folder = "team-playbooks"'))
    return folder


def test_the_preview_shows_the_exact_email_and_does_nothing(alice_client, harbor):
    page = alice_client.get(reverse("playbook-preview", args=[harbor.reference, "hail-the-lead"]))
    text = page.content.decode()

    assert "Nothing has been done yet" in text
    assert "To: lee@harbor.example.edu" in text
    assert "From partnerships@2i2c.org, cc partnerships@2i2c.org" in text  # the title, filled in
    assert "Cc: partnerships@2i2c.org" in text
    assert f"Subject: [{harbor.reference}] Thank you for your interest in 2i2c" in text
    assert "Thank you for your interest in learning more about 2i2c." in text
    assert "Run Hail the Lead" in text
    assert OutboxMessage.objects.count() == 0 and PlaybookRun.objects.count() == 0


def test_step_titles_show_the_handbooks_code_spans_as_code_and_escape_the_rest(alice_client, harbor):
    harbor.organization.name = "Harbor <b>University</b>"
    harbor.organization.save()
    page = alice_client.get(reverse("playbook-preview", args=[harbor.reference, "create-running-notes"]))
    text = page.content.decode()

    assert "on a <code>Partner:</code> line" in text
    assert "`Partner:`" not in text
    assert "<b>University</b>" not in text and "&lt;b&gt;University&lt;/b&gt;" in text


def test_run_queues_the_playbook_and_the_worker_queues_the_canned_response(alice_client, harbor):
    response = alice_client.post(
        reverse("playbook-run", args=[harbor.reference, "hail-the-lead"]), follow=True
    )
    assert f"Queued: Hail the Lead runs for {harbor.reference} in a moment" in response.content.decode()
    assert PlaybookRun.objects.get().actor == "alice" and not OutboxMessage.objects.exists()

    assert playbook_runs_due() == 1
    [message] = OutboxMessage.objects.all()
    assert message.to == ["lee@harbor.example.edu"] and message.status == "ready"
    page = alice_client.get(reverse("engagement", args=[harbor.reference])).content.decode()
    timeline = page.split('id="timeline"')[1]
    assert "Playbook Hail the Lead: done" in timeline
    assert '<li class="step-done"><span class="step-status">done</span> Confirm canned response' in timeline

    again = alice_client.get(reverse("playbook-preview", args=[harbor.reference, "hail-the-lead"]))
    assert "already ran for" in again.content.decode() and "Run Hail the Lead again" in again.content.decode()
    refused = alice_client.post(
        reverse("playbook-run", args=[harbor.reference, "hail-the-lead"]), follow=True
    )
    assert "already ran for" in refused.content.decode()
    assert playbook_runs_due() == 0 and OutboxMessage.objects.count() == 1


def test_a_playbook_its_guard_refuses_shows_why_and_offers_no_run_button(alice_client, harbor):
    services.engagement_move(
        engagement=harbor, to=services.Stage.CLOSED, actor=services.Actor("a"), reason="x"
    )
    page = alice_client.get(
        reverse("playbook-preview", args=[harbor.reference, "hail-the-lead"])
    ).content.decode()
    assert "This playbook cannot run now" in page and "runs at Lead" in page
    assert "Run Hail the Lead" not in page
    assert (
        alice_client.get(reverse("playbook-preview", args=[harbor.reference, "no-such"])).status_code == 404
    )


def test_a_failed_run_shows_its_error_and_resumes_without_repeating_steps(alice_client, harbor, team_folder):
    (team_folder / "qualify-and-move.toml").write_text(TEAM_PLAYBOOK, encoding="utf-8")
    run_url = reverse("playbook-run", args=[harbor.reference, "qualify-and-move"])

    alice_client.post(run_url)
    playbook_runs_due()
    run = PlaybookRun.objects.get()
    run_page = alice_client.get(
        reverse("playbook-run-page", args=[harbor.reference, run.pk])
    ).content.decode()
    assert "<strong>Stopped</strong> at step 2 (Move to Qualified Lead)" in run_page
    engagement_page = alice_client.get(reverse("engagement", args=[harbor.reference])).content.decode()
    runs = engagement_page.split('id="runs"')[1].split("</section>")[0]
    assert "Are their needs a good candidate" in runs and "Resume Qualify and move" in runs
    assert harbor.tasks.count() == 1

    services.engagement_qualify(
        engagement=harbor, actor=services.Actor("alice"), good_candidate=Answer.YES, qualified=Answer.YES
    )
    preview = alice_client.get(reverse("playbook-preview", args=[harbor.reference, "qualify-and-move"]))
    assert (
        "(done before)" in preview.content.decode() and "Resume Qualify and move" in preview.content.decode()
    )
    resumed = alice_client.post(run_url, follow=True).content.decode()
    assert "Queued: Qualify and move resumes in a moment" in resumed
    playbook_runs_due()
    done = alice_client.get(reverse("playbook-run-page", args=[harbor.reference, run.pk])).content.decode()
    assert "<strong>Done</strong>" in done
    harbor.refresh_from_db()
    assert harbor.stage == "qualified-lead" and harbor.tasks.count() == 1


def test_the_playbooks_page_shows_the_handbook_text_and_triggers(alice_client):
    page = alice_client.get(reverse("playbooks")).content.decode()
    assert "<h4>SOP: Hail the Lead</h4>" in page
    assert "Lead phase SOPs" in page and "a team member&#x27;s email command" in page
    assert "<strong>contact(s) with email addresses</strong>" in page
    assert "<pre><code>Hello!" in page and "Meet with the lead" in page


def test_a_team_playbook_that_fails_to_load_is_shown_plainly_and_escaped(alice_client, team_folder):
    (team_folder / "broken.toml").write_text(
        TEAM_PLAYBOOK.replace('name = "qualify-and-move"', 'name = "broken"').replace(
            'to = "qualified-lead"', 'to = "<b>nowhere</b>"'
        ),
        encoding="utf-8",
    )
    (team_folder / "note.toml").write_text(
        TEAM_PLAYBOOK.replace('name = "qualify-and-move"', 'name = "note"').replace(
            "Makes a task", "Makes a <script>task</script>"
        ),
        encoding="utf-8",
    )
    page = alice_client.get(reverse("playbooks")).content.decode()
    errors = page.split('class="load-errors"')[1].split("</section>")[0]
    assert "broken.toml" in errors and "steps[1] (id &#x27;move&#x27;).to" in errors
    assert "<b>nowhere</b>" not in page
    assert "Makes a &lt;script&gt;task&lt;/script&gt;" in page
