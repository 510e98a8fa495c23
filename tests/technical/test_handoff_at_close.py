"""The hand-off to engineering runs at the executed close when the record is ready, and says why
not when it is not."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from partnerdesk.agreements import services as agreements
from partnerdesk.agreements.closing import agreement_executed
from partnerdesk.agreements.status import agreement_mark_ready
from partnerdesk.mail.worker import run_due_work
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement
from partnerdesk.technical.models import Handoff
from partnerdesk.technical.services import technical_answer_set
from tests.technical.test_handoff import REQUIRED_ANSWERS

pytestmark = pytest.mark.django_db

ALICE = services.Actor("alice")
LEE = "Lee Park <lee@harbor.example.edu>"


@pytest.fixture
def ready_prospect(cli) -> Engagement:
    reference = cli(
        "lead", "add", "Harbor University", "--contact", "Lee Park <lee@harbor.example.edu>"
    ).out.strip()
    cli("lead", "qualify", reference, "--good-candidate", "yes", "--qualified", "yes")
    cli("lead", "move", reference, "qualified-lead")
    cli("lead", "verbal-yes", reference, "--by", "Lee Park")
    assert cli("lead", "move", reference, "prospect").code == 0
    assert cli("playbook", "run", "send-draft-contract", reference).code == 0
    engagement = Engagement.objects.get()
    agreement = engagement.agreements.get()
    agreements.agreement_set_terms(
        agreement=agreement,
        actor=ALICE,
        value=Decimal("12000"),
        currency="USD",
        term_start=dt.date(2027, 1, 1),
        term_end=dt.date(2027, 12, 31),
    )
    agreements.agreement_signatory_add(
        agreement=agreement, person="Lee Park <lee@harbor.example.edu>", actor=ALICE
    )
    agreements.agreement_addendum_add(
        agreement=agreement, kind="statement-of-work", title="Hub service", actor=ALICE
    )
    agreement_mark_ready(agreement=agreement, actor=ALICE)
    return engagement


def test_the_executed_close_hands_off_a_ready_record(ready_prospect, handoff_profile, fake_github):
    for key, value in REQUIRED_ANSWERS.items():
        technical_answer_set(engagement=ready_prospect, key=key, value=value, actor=ALICE)
    report = agreement_executed(engagement=ready_prospect, signed_file=None, filename="", actor=ALICE)
    assert report.moved_to_partner
    [note] = [note for note in report.notes if "hand-off" in note]
    assert note.startswith("the hand-off to engineering is queued: the worker files the request")
    assert fake_github.issues == []  # the close does not wait on GitHub
    run_due_work()
    assert Handoff.objects.get(engagement=ready_prospect).issue_url.endswith("/issues/1")
    assert len(fake_github.issues) == 1


def test_an_incomplete_record_does_not_stop_the_close_and_says_what_the_handoff_waits_for(
    ready_prospect, handoff_profile, fake_github
):
    report = agreement_executed(engagement=ready_prospect, signed_file=None, filename="", actor=ALICE)
    ready_prospect.refresh_from_db()
    assert ready_prospect.stage == "partner"
    [note] = [note for note in report.notes if "hand-off" in note]
    assert note.startswith("the hand-off to engineering did not run: ")
    assert "still to answer: community (" in note
    assert note.endswith("then press Hand off to engineering there") and "partnerdesk tech" not in note
    assert fake_github.issues == [] and not Handoff.objects.exists()
