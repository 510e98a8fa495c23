"""Run and Resume queue the playbook: the request writes a queued run and sends nothing, the
worker's pass does the steps, and the run's page follows it (htmx asks again while unfinished)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from partnerdesk.documents.models import Document
from partnerdesk.lib import clock
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.worker import run_due_work
from partnerdesk.pipeline import services
from partnerdesk.playbooks.models import PlaybookRun, StepRun
from partnerdesk.profile import get_profile

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _run_url(engagement, playbook: str) -> str:
    return reverse("playbook-run", args=[engagement.reference, playbook])


def _page_url(run: PlaybookRun) -> str:
    return reverse("playbook-run-page", args=[f"PD-{run.engagement_id}", run.pk])


def _steps(page: str) -> list[tuple[str, str]]:
    """(state, title) of each step on a run's page, in order."""
    items = page.split('<ol class="run-steps">')[1].split("</ol>")[0].split('<li class="run-step step-')[1:]
    return [
        (item.split('"')[0], item.split('<span class="step-status">')[1].split("</span> ")[1].split("\n")[0])
        for item in items
    ]


def _partner_folder(data_folder):
    return data_folder / "drive" / get_profile().partner_folder("Harbor University")


def test_run_writes_a_queued_run_and_the_worker_pass_does_the_steps(alice_client, harbor, data_folder):
    response = alice_client.post(_run_url(harbor, "create-running-notes"), follow=True)

    run = PlaybookRun.objects.get()
    assert response.redirect_chain == [(_page_url(run), 302)]
    page = response.content.decode()
    assert f"Queued: Create running notes for the lead runs for {harbor.reference} in a moment" in page
    assert run.status == PlaybookRun.Status.QUEUED and run.actor == "alice"
    # Nothing left the request: no email, no document, no folder on the drive.
    assert not OutboxMessage.objects.exists() and not Document.objects.exists()
    assert not _partner_folder(data_folder).exists()
    assert [state for state, _ in _steps(page)] == ["queued", "queued", "queued"]

    run_due_work(raise_errors=True)

    run.refresh_from_db()
    assert run.status == PlaybookRun.Status.SUCCEEDED
    assert _partner_folder(data_folder).is_dir()
    assert Document.objects.get().title == "Running notes -- Harbor University + 2i2c"
    [share] = OutboxMessage.objects.all()
    assert share.to == ["lee@harbor.example.edu"] and share.status == OutboxMessage.Status.SENT
    done = alice_client.get(_page_url(run)).content.decode()
    assert "<strong>Done</strong>" in done
    assert [state for state, _ in _steps(done)] == ["done", "done", "done"]


def test_a_refused_guard_is_refused_in_the_request_with_the_reason(alice_client, harbor):
    services.engagement_move(
        engagement=harbor, to=services.Stage.CLOSED, actor=services.Actor("a"), reason="x"
    )

    response = alice_client.post(_run_url(harbor, "hail-the-lead"), follow=True)

    assert response.redirect_chain[-1][0] == reverse(
        "playbook-preview", args=[harbor.reference, "hail-the-lead"]
    )
    page = response.content.decode()
    assert f"hail-the-lead cannot run for {harbor.reference}: the engagement is at Closed" in page
    assert not PlaybookRun.objects.exists() and not OutboxMessage.objects.exists()


def test_a_double_click_queues_one_run(alice_client, harbor):
    alice_client.post(_run_url(harbor, "hail-the-lead"))
    second = alice_client.post(_run_url(harbor, "hail-the-lead"), follow=True)

    run = PlaybookRun.objects.get()
    assert second.redirect_chain == [(_page_url(run), 302)]
    assert (
        f"Hail the Lead is already queued for {harbor.reference}: it was not queued again."
        in second.content.decode()
    )
    run_due_work(raise_errors=True)
    assert OutboxMessage.objects.count() == 1


def test_a_running_run_is_not_queued_again(alice_client, harbor):
    alice_client.post(_run_url(harbor, "meet-with-lead"))
    PlaybookRun.objects.update(
        status=PlaybookRun.Status.RUNNING, claimed_until=clock.now() + dt.timedelta(minutes=5)
    )

    again = alice_client.post(_run_url(harbor, "meet-with-lead"), follow=True).content.decode()

    assert f"Meet with the lead is already running for {harbor.reference}" in again
    assert PlaybookRun.objects.get().status == PlaybookRun.Status.RUNNING


def test_the_preview_of_a_queued_run_leads_to_its_page_instead_of_offering_resume(alice_client, harbor):
    alice_client.post(_run_url(harbor, "meet-with-lead"))
    run = PlaybookRun.objects.get()

    preview = alice_client.get(reverse("playbook-preview", args=[harbor.reference, "meet-with-lead"]))

    page = preview.content.decode()
    assert f'is queued for {harbor.reference}: <a href="{_page_url(run)}">follow it on its page</a>' in page
    assert "Resume Meet with the lead" not in page and "<button" not in page.split("<main")[1]


def test_the_run_page_shows_each_state_and_asks_again_only_while_unfinished(alice_client, harbor):
    alice_client.post(_run_url(harbor, "meet-with-lead"))
    run = PlaybookRun.objects.get()
    url = _page_url(run)

    queued = alice_client.get(url, **HTMX)
    fragment = queued.content.decode()
    assert fragment.lstrip().startswith('<div id="run-progress"') and "<html" not in fragment
    assert f'hx-get="{url}?seen=queued.0.on-time" hx-trigger="every 2s"' in fragment
    # Asked again with nothing changed: no content, so htmx swaps nothing.
    assert alice_client.get(url, {"seen": "queued.0.on-time"}, **HTMX).status_code == 204
    assert "<strong>Queued</strong>" in fragment and "it starts in a moment" in fragment
    assert "worker" not in fragment.lower()

    # A worker has done the first step and is at the second.
    first, second, *rest = run.steps.order_by("index")
    StepRun.objects.filter(pk=first.pk).update(
        status=StepRun.Status.DONE, detail="Task: Answer their questions"
    )
    PlaybookRun.objects.filter(pk=run.pk).update(
        status=PlaybookRun.Status.RUNNING, claimed_until=clock.now() + dt.timedelta(minutes=5)
    )
    running = alice_client.get(url, {"seen": "queued.0.on-time"}, **HTMX).content.decode()
    assert f"<strong>Running</strong>: step 2 of {len(rest) + 2}." in running
    assert [state for state, _ in _steps(running)] == ["done", "running"] + ["queued"] * len(rest)
    assert "Task: Answer their questions" in running and "hx-trigger" in running

    # It stopped at the second step: the page says where and why, and offers Resume.
    StepRun.objects.filter(pk=second.pk).update(
        status=StepRun.Status.FAILED, error="the drive is unreachable"
    )
    PlaybookRun.objects.filter(pk=run.pk).update(
        status=PlaybookRun.Status.FAILED, error="the drive is unreachable"
    )
    failed = alice_client.get(url, **HTMX).content.decode()
    assert f"<strong>Stopped</strong> at step 2 ({second.title}): the drive is unreachable." in failed
    assert [state for state, _ in _steps(failed)] == ["done", "failed"] + ["not-run"] * len(rest)
    assert "Resume Meet with the lead</button>" in failed and "hx-trigger" not in failed

    # Resume queues it again: the failed step says how it failed before, the done one stays done.
    resumed = alice_client.post(_run_url(harbor, "meet-with-lead"), follow=True).content.decode()
    assert (
        "Queued: Meet with the lead resumes in a moment; the steps already done are not repeated." in resumed
    )
    assert [state for state, _ in _steps(resumed)] == ["done", "queued"] + ["queued"] * len(rest)
    assert "Failed before: the drive is unreachable" in resumed and "hx-trigger" in resumed

    run_due_work(raise_errors=True)
    done = alice_client.get(url, **HTMX).content.decode()
    assert "<strong>Done</strong>" in done and "hx-trigger" not in done
    assert [state for state, _ in _steps(done)] == ["done"] * (len(rest) + 2)
    tasks = set(harbor.tasks.values_list("title", flat=True))
    assert "Offer a demo" in tasks and "Answer the lead's questions" not in tasks  # step 1 was not redone


def test_a_run_queued_for_more_than_two_minutes_says_it_waits_for_the_worker(alice_client, harbor):
    alice_client.post(_run_url(harbor, "hail-the-lead"))
    run = PlaybookRun.objects.get()
    assert "Waiting for the worker" not in alice_client.get(_page_url(run)).content.decode()

    PlaybookRun.objects.filter(pk=run.pk).update(started_at=clock.now() - dt.timedelta(minutes=3))
    page = alice_client.get(_page_url(run)).content.decode()

    assert "<strong>Waiting for the worker.</strong> Queued 3\xa0minutes ago and not started yet" in page
    assert "partnerdesk worker" not in page and "run `" not in page


def test_a_running_run_whose_worker_stopped_says_it_waits_for_the_worker(alice_client, harbor):
    alice_client.post(_run_url(harbor, "meet-with-lead"))
    run = PlaybookRun.objects.get()
    first = run.steps.order_by("index").first()
    StepRun.objects.filter(pk=first.pk).update(status=StepRun.Status.DONE)
    PlaybookRun.objects.filter(pk=run.pk).update(
        status=PlaybookRun.Status.RUNNING, claimed_until=clock.now() - dt.timedelta(minutes=1)
    )

    page = alice_client.get(_page_url(run)).content.decode()

    assert "<strong>Waiting for the worker.</strong> The run stopped at step 2 when its worker did" in page
    assert [state for state, _ in _steps(page)][:2] == ["done", "running"]


def test_the_engagement_page_links_each_unfinished_run_to_its_page(alice_client, harbor):
    alice_client.post(_run_url(harbor, "hail-the-lead"))
    run = PlaybookRun.objects.get()

    page = alice_client.get(reverse("engagement", args=[harbor.reference])).content.decode()

    runs = page.split('id="runs"')[1].split("</section>")[0]
    link = f'<a href="{_page_url(run)}">see each step'
    assert f"<strong>Hail the Lead</strong> (queued 0\xa0minutes ago): {link}" in runs
    assert "now</button>" not in runs  # a queued run is the worker's: there is nothing to press


def test_a_finished_run_on_the_timeline_links_to_its_page(alice_client, harbor):
    alice_client.post(_run_url(harbor, "hail-the-lead"))
    run_due_work(raise_errors=True)
    run = PlaybookRun.objects.get(status=PlaybookRun.Status.SUCCEEDED)

    page = alice_client.get(reverse("engagement", args=[harbor.reference])).content.decode()

    timeline = page.split('<ol class="timeline">')[1]
    assert f'<a href="{_page_url(run)}">Open the run\'s page</a>' in timeline
    assert alice_client.get(_page_url(run)).status_code == 200


def test_a_run_of_another_engagement_is_404_here(alice_client, harbor):
    alice_client.post(_run_url(harbor, "hail-the-lead"))
    other = services.engagement_create(
        organization_name="Bay College", contacts=[], actor=services.Actor("bob")
    )
    run = PlaybookRun.objects.get()

    assert alice_client.get(reverse("playbook-run-page", args=[other.reference, run.pk])).status_code == 404
    assert (
        alice_client.get(reverse("playbook-run-page", args=[harbor.reference, run.pk + 1])).status_code == 404
    )
