"""The hand-off as queued work: asking for it calls nothing out; one worker pass files it, opens the
issue and delivers the email; GitHub down is retried, a refusal waits for a person."""

from __future__ import annotations

import datetime as dt

import pytest

from partnerdesk.lib import clock
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.worker import run_due_work
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.services import ServiceError
from partnerdesk.technical.handoffs import HandoffAlready, technical_handoff_queue
from partnerdesk.technical.models import Handoff
from partnerdesk.technical.services import technical_answer_set
from tests.technical.test_handoff import REQUIRED_ANSWERS

pytestmark = pytest.mark.django_db

ALICE = services.Actor("alice")


@pytest.fixture
def ready(handoff_profile) -> Engagement:
    engagement = services.engagement_create(
        organization_name="Harbor University", contacts=[("Lee Park", "lee@harbor.example.edu")], actor=ALICE
    )
    for key, value in REQUIRED_ANSWERS.items():
        technical_answer_set(engagement=engagement, key=key, value=value, actor=ALICE)
    return engagement


def test_asking_for_the_handoff_calls_nothing_and_one_worker_pass_does_all_of_it(
    cli, ready, fake_github, smtp_server
):
    handoff = technical_handoff_queue(engagement=ready, actor=ALICE)
    assert handoff.status == "queued" and handoff.queued_by == "alice"
    assert fake_github.requests == [] and OutboxMessage.objects.count() == 0

    assert cli("worker", "--once").code == 0
    handoff.refresh_from_db()
    assert handoff.status == "done" and handoff.issue_url.endswith("/issues/1")
    [received] = smtp_server.handler.delivered  # the same pass delivered the engineering email
    assert received.rcpt_tos == ["engineering@2i2c.org"]
    assert ready.timeline.filter(summary__startswith="Handed off to engineering", actor="alice").exists()
    with pytest.raises(HandoffAlready, match="was already handed off"):
        technical_handoff_queue(engagement=ready, actor=ALICE)


def test_github_down_is_retried_later_and_a_retry_opens_one_issue(ready, fake_github, frozen_clock):
    technical_handoff_queue(engagement=ready, actor=ALICE)
    fake_github.fail_next = 502
    run_due_work()
    handoff = Handoff.objects.get()
    assert handoff.status == "queued" and "HTTP 502" in handoff.last_error
    assert "run the hand-off again" not in handoff.last_error  # the page says what to do
    assert handoff.next_attempt_at == clock.now() + dt.timedelta(minutes=1)
    with pytest.raises(HandoffAlready, match="already queued"):
        technical_handoff_queue(engagement=ready, actor=ALICE)

    run_due_work()  # not due yet
    assert Handoff.objects.get().attempts == 1
    frozen_clock.advance(days=1)
    run_due_work()
    handoff.refresh_from_db()
    assert handoff.status == "done" and handoff.last_error == "" and len(fake_github.issues) == 1


def test_a_handoff_that_cannot_run_is_refused_before_it_is_queued(handoff_profile):
    engagement = services.engagement_create(
        organization_name="Ridge College", contacts=[("Ana", "ana@ridge.example.edu")], actor=ALICE
    )
    with pytest.raises(ServiceError, match="not ready for the hand-off; still to answer: community"):
        technical_handoff_queue(engagement=engagement, actor=ALICE)
    assert not Handoff.objects.exists()
