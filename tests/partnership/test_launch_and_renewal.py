"""The executed close starts the launch meeting; the renewal tickler opens the renewal and
records its outcome."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy

import pytest
from django.test import Client

from partnerdesk.documents.models import RunningNoteEntry
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.worker import run_due_work
from partnerdesk.partnership.models import Renewal, Tickler
from partnerdesk.pipeline.models import Engagement, Task
from partnerdesk.playbooks import engine
from partnerdesk.playbooks.models import PlaybookRun
from partnerdesk.profile import get_profile

pytestmark = pytest.mark.django_db


def _body(message: OutboxMessage) -> str:
    parsed = email.message_from_bytes(bytes(message.raw), policy=email.policy.default)
    return parsed.get_body(preferencelist=("plain",)).get_content()


def test_the_executed_close_queues_the_launch_the_worker_sends_the_kickoff_and_makes_the_checklist(
    partner,
):
    engagement, agreement = partner
    [queued] = PlaybookRun.objects.filter(engagement=engagement, playbook="launch-meeting")
    assert queued.status == PlaybookRun.Status.QUEUED
    assert not OutboxMessage.objects.filter(subject__contains="launch meeting").exists()
    client = Client()
    client.force_login(engagement.owner)
    page = client.get(f"/engagements/{engagement.reference}/").content.decode()
    assert "Launch Meeting</strong> (queued" in page
    assert f"/engagements/{engagement.reference}/runs/{queued.pk}/" in page  # its page follows each step

    run_due_work(raise_errors=True)  # one pass: the playbook, then the mail it queued

    queued.refresh_from_db()
    assert queued.status == PlaybookRun.Status.SUCCEEDED
    [kickoff] = OutboxMessage.objects.filter(subject__contains="launch meeting")
    assert sorted(kickoff.to) == ["ana@harbor.example.edu", "lee@harbor.example.edu"]
    assert kickoff.cc == ["partnerships@2i2c.org"]
    assert get_profile().scheduling.link in _body(kickoff)
    titles = set(Task.objects.filter(engagement=engagement).values_list("title", flat=True))
    assert {
        "Collect Harbor University's hub request",
        "Get the names and addresses of Harbor University's hub administrators",
        "Set up the communication channel with Harbor University",
        "Agree on success criteria with Harbor University",
    } <= titles
    [entry] = RunningNoteEntry.objects.filter(line__contains="Partnership launched")
    assert agreement.title in entry.line


class WorkerKilled(BaseException):
    """What a `kill -9` looks like from inside: nothing after it runs, not even an except clause."""


def test_a_worker_killed_after_the_kickoff_email_leaves_the_run_to_the_next_worker_which_sends_nothing_twice(
    frozen_clock, partner, monkeypatch
):
    engagement, _ = partner
    kinds = engine.step_kinds()
    create_task = kinds["create_task"]

    def killed(*args, **kwargs):
        raise WorkerKilled

    kinds["create_task"] = dataclasses.replace(create_task, execute=killed)
    monkeypatch.setattr(engine, "step_kinds", lambda: kinds)
    with pytest.raises(WorkerKilled):
        run_due_work(raise_errors=True)
    run = PlaybookRun.objects.get(engagement=engagement, playbook="launch-meeting")
    assert run.status == PlaybookRun.Status.RUNNING, "the dead worker's claim is still on it"
    assert OutboxMessage.objects.filter(subject__contains="launch meeting").count() == 1
    kinds["create_task"] = create_task

    run_due_work(raise_errors=True)
    assert not Task.objects.filter(engagement=engagement, title__contains="hub request").exists(), (
        "another worker keeps off a run while its claim lasts"
    )

    frozen_clock.advance(days=1)
    run_due_work(raise_errors=True)
    run_due_work(raise_errors=True)

    run.refresh_from_db()
    assert run.status == PlaybookRun.Status.SUCCEEDED
    assert OutboxMessage.objects.filter(subject__contains="launch meeting").count() == 1
    assert Task.objects.filter(engagement=engagement, title__contains="hub request").count() == 1
    assert RunningNoteEntry.objects.filter(line__contains="Partnership launched").count() == 1


def _first_renewal_day(frozen_clock, partner):
    engagement, agreement = partner
    frozen_clock.set(agreement.term_end - dt.timedelta(days=120))
    run_due_work(raise_errors=True)
    return engagement, agreement


def test_the_first_renewal_reminder_opens_a_linked_renewal_at_prospect_with_the_contacts(
    frozen_clock, partner
):
    engagement, agreement = _first_renewal_day(frozen_clock, partner)
    renewal = Renewal.objects.get()
    successor = renewal.renewal_engagement
    assert (renewal.engagement, renewal.agreement) == (engagement, agreement)
    assert successor.stage == "prospect" and successor.owner == engagement.owner
    assert set(successor.contacts.values_list("email", flat=True)) == {
        "lee@harbor.example.edu",
        "ana@harbor.example.edu",
    }
    assert successor.timeline.first().data["renewal_of"] == engagement.pk
    assert engagement.timeline.filter(summary__contains=f"{successor.reference} opened at Prospect").exists()
    [reminder] = OutboxMessage.objects.filter(subject__contains="Renewal:")
    assert reminder.to == ["alice@2i2c.org"] and "(in 120 days)" in reminder.subject
    assert successor.reference in _body(reminder)

    frozen_clock.set(agreement.term_end - dt.timedelta(days=90))
    run_due_work(raise_errors=True)
    assert Renewal.objects.count() == 1 and Engagement.objects.count() == 2
    assert OutboxMessage.objects.filter(subject__contains="Renewal:").count() == 2


def test_a_renewal_outcome_is_recorded_once_and_later_reminders_are_skipped(cli, frozen_clock, partner):
    engagement, agreement = _first_renewal_day(frozen_clock, partner)
    result = cli("renewal", "record", engagement.reference, "renewed")
    assert result.code == 0, result.err
    assert Renewal.objects.get().outcome == "renewed"
    again = cli("renewal", "record", engagement.reference, "ended", "--reason", "budget")
    assert again.code == 1 and "already recorded: renewed" in again.err
    frozen_clock.set(agreement.term_end - dt.timedelta(days=30))
    run_due_work(raise_errors=True)
    stopped = Tickler.objects.filter(
        agreement=agreement, kind="renewal", outcome="stopped: the renewal was decided (renewed)"
    )
    assert stopped.count() == 3 and {t.status for t in stopped} == {"cancelled"}
    assert OutboxMessage.objects.filter(subject__contains="Renewal:").count() == 1


def test_an_ended_partnership_closes_both_engagements_with_the_reason(cli, frozen_clock, partner):
    engagement, agreement = _first_renewal_day(frozen_clock, partner)
    refused = cli("renewal", "record", engagement.reference, "ended")
    assert refused.code == 1 and "needs a reason" in refused.err
    successor = Renewal.objects.get().renewal_engagement
    result = cli("renewal", "record", successor.reference, "ended", "--reason", "no budget next year")
    assert result.code == 0, result.err
    for each in (engagement, successor):
        each.refresh_from_db()
        assert each.stage == "closed"
        assert each.closed_reason == "Partnership ended: no budget next year"
    frozen_clock.set(agreement.term_end - dt.timedelta(days=1))
    run_due_work(raise_errors=True)
    assert OutboxMessage.objects.filter(subject__contains="Renewal:").count() == 1
    assert not Tickler.objects.filter(fired_at__isnull=True, due_on__lte=frozen_clock.today()).exists()


def test_a_renewal_decided_before_the_first_reminder_opens_it_then(cli, partner):
    engagement, _ = partner
    result = cli("renewal", "record", engagement.reference, "renewed")
    assert result.code == 0, result.err
    renewal = Renewal.objects.get(engagement=engagement)
    assert renewal.outcome == "renewed" and renewal.renewal_engagement.stage == "partner"


def test_renewal_record_of_an_engagement_without_an_executed_agreement_is_refused(cli, db):
    from partnerdesk.pipeline import services

    ALICE = services.Actor(label="alice")
    engagement = services.engagement_create(
        organization_name="Bay College", contacts=[("Kim Lo", "kim@bay.example.edu")], actor=ALICE
    )
    result = cli("renewal", "record", engagement.reference, "renewed")
    assert result.code == 1 and "no executed agreement to renew" in result.err
