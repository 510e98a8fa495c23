"""Every stage action by email: a proven team member writes the action and the engagement, and
the answer in the thread says what was done, or exactly what is missing and how to write it."""

from __future__ import annotations

import email
import email.policy
import re

import pytest
from django.contrib.auth import get_user_model

from partnerdesk.agreements.models import Agreement
from partnerdesk.inbound.models import InboundMessage
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from partnerdesk.pipeline.selectors import scorecard_of
from partnerdesk.playbooks.models import PlaybookRun
from tests.conftest import PROVEN_BY_DMARC
from tests.inbound.conftest import receive

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mailbox_checks_senders")]

_numbers = iter(range(1, 10_000))


def send(subject: str, body: str = "", *, sender: str = "Alice Ng <alice@2i2c.org>", headers: str = ""):
    raw = (
        f"From: {sender}\nTo: partnerships@2i2c.org\nSubject: {subject}\n"
        f"Message-ID: <action-{next(_numbers)}@2i2c.org>\n{headers}\n{body}"
    ).encode()
    return receive(PROVEN_BY_DMARC + raw)


def answer_to(message: InboundMessage) -> str:
    row = OutboxMessage.objects.get(idempotency_key=f"inbound-{message.pk}-answer")
    parsed = email.message_from_bytes(bytes(row.raw), policy=email.policy.default)
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert parsed["In-Reply-To"] == f"<{message.message_id}>"
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    assert "partnerdesk " not in text.replace("partnerdesk, for", "")  # never a command to type
    assert not re.search(r"\s--[a-z]", text)  # nor a flag
    return text


@pytest.fixture
def harbor(db, alice_actor) -> Engagement:
    return services.engagement_create(
        organization_name="Harbor University",
        contacts=[("Lee Park", "lee@harbor.example.edu")],
        actor=alice_actor,
    )


def test_qualify_records_the_answers_moves_to_qualified_lead_and_lists_the_questions_left(harbor):
    message = send(
        f"Qualify {harbor.reference}",
        "Good candidate: yes\nQualified: yes\nMoney: yes - $40k set aside\n"
        "Need: yes, their lab hub is failing\n"
        "Authority: unknown\n\n-- \nAlice\n",
    )
    assert (message.status, message.route) == ("processed", "action")
    harbor.refresh_from_db()
    assert (harbor.stage, harbor.good_candidate, harbor.qualified) == ("qualified-lead", "yes", "yes")
    card = scorecard_of(harbor)
    assert (
        card.answer("money") == "yes"
        and card.answer("need") == "yes"
        and card.answer("authority") == "unknown"
    )
    assert harbor.assessments.get(criterion="money").notes == "$40k set aside"
    text = answer_to(message)
    assert f"{harbor.reference} moved to Qualified Lead." in text
    assert "Still unknown, the questions for the next meeting:" in text
    assert "Does the contact have the authority to make a buying decision?" in text


def test_a_malformed_qualify_line_is_named_and_nothing_changes(harbor):
    message = send(f"Qualify [{harbor.reference}]", "Money: maybe\nGood candidate: yes\n")
    text = answer_to(message)
    assert 'the line "Money: maybe" does not start with yes, no or unknown' in text
    assert "Write it like this" in text and "Good candidate: yes" in text
    harbor.refresh_from_db()
    assert (harbor.stage, harbor.good_candidate) == ("lead", "unknown")


def test_a_guard_that_refuses_names_what_is_missing(harbor):
    message = send(f"Qualify {harbor.reference}", "Good candidate: yes\n")
    harbor.refresh_from_db()
    assert harbor.stage == "lead"
    text = answer_to(message)
    assert "It stays at Lead: to move to Qualified Lead, this is missing:" in text
    assert "Are they qualified to set up partnership with 2i2c?" in text


def test_verbal_yes_then_move_and_the_first_team_member_to_act_becomes_the_owner(harbor):
    send(f"Qualify {harbor.reference}", "Good candidate: yes\nQualified: yes\n")
    message = send(f"Verbal yes {harbor.reference}", "By: Lee Park\nOn: 2026-12-01\n", sender="bob@2i2c.org")
    harbor.refresh_from_db()
    assert (harbor.stage, harbor.verbal_yes_by, str(harbor.verbal_yes_on)) == (
        "prospect",
        "Lee Park",
        "2026-12-01",
    )
    assert "moved to Prospect" in answer_to(message)
    assert (harbor.owner, harbor.owner_email) == (None, "alice@2i2c.org")  # alice acted first


def test_the_owner_is_the_team_members_account_when_they_have_one(harbor):
    carol = get_user_model().objects.create_user(username="carol", email="Carol@2i2c.org", password="x" * 20)
    send(f"Note {harbor.reference}", "They want GPUs.", sender="carol@2i2c.org")
    harbor.refresh_from_db()
    assert (harbor.owner, harbor.owner_email) == (carol, "")


def test_an_engagement_is_named_by_its_organization_and_two_matches_are_listed(harbor, alice_actor):
    services.engagement_create(
        organization_name="Harbor College",
        contacts=[("Kim", "kim@harbor-college.example.edu")],
        actor=alice_actor,
    )
    ambiguous = send("Note Harbor", "Met at the conference.")
    text = answer_to(ambiguous)
    assert 'several engagements match "Harbor"' in text
    assert f"{harbor.reference}  Harbor University (Lead)" in text
    exact = send("Note harbor university", "Met at the conference.")
    assert exact.engagement == harbor
    assert harbor.timeline.filter(kind=TimelineEntry.Kind.NOTE, summary="Met at the conference.").exists()


def test_an_unknown_reference_gets_a_clear_answer():
    message = send("Close PD-999", "Reason: gone\n")
    assert "there is no engagement PD-999" in answer_to(message)


def test_close_needs_a_reason_and_reopen_brings_it_back_as_a_lead(harbor):
    refused = send(f"Close {harbor.reference}")
    assert 'closing needs a reason: add a line "Reason: why"' in answer_to(refused)
    send(f"Close {harbor.reference}", "Reason: chose another provider\n")
    harbor.refresh_from_db()
    assert (harbor.stage, harbor.closed_reason) == ("closed", "chose another provider")
    send(f"Reopen {harbor.reference}", "Reason: they came back\n")
    harbor.refresh_from_db()
    assert harbor.stage == "lead"


def test_move_names_the_stage_and_replies_in_the_thread_of_the_engagement(harbor):
    send(f"Qualify {harbor.reference}", "Good candidate: yes\nQualified: yes\n")
    message = send(f"Move {harbor.reference} to Lead")
    assert "Qualified Lead can move only to" in answer_to(message)


def test_agreement_terms_and_ready_to_sign_by_email(harbor, alice_actor):
    Engagement.objects.filter(pk=harbor.pk).update(stage="prospect")
    message = send(
        f"Agreement terms {harbor.reference}",
        "Value: 12,000\nCurrency: USD\nTerm start: 2027-01-01\nTerm end: 2027-12-31\n"
        "Payment terms: net 45\nPO number: 4500012\nSignatory: Lee Park <lee@harbor.example.edu>\n",
    )
    agreement = Agreement.objects.get()
    assert (agreement.payment_terms_days, agreement.po_number) == (45, "4500012")
    assert (str(agreement.value), agreement.currency, str(agreement.term_end)) == (
        "12000.00",
        "USD",
        "2027-12-31",
    )
    assert agreement.signatories.get().email == "lee@harbor.example.edu"
    assert "signatory: Lee Park <lee@harbor.example.edu>" in answer_to(message)
    unclear = send(f"Agreement terms {harbor.reference}", "Payment terms: whenever\n")
    assert 'the line "Payment terms: whenever" is neither a number of days' in answer_to(unclear)
    bad = send(f"Agreement terms {harbor.reference}", "Term end: next year\n")
    assert 'the line "Term end: next year" is not a date like 2026-12-01' in answer_to(bad)
    not_ready = send(f"Ready to sign {harbor.reference}")
    assert "I could not do" in answer_to(not_ready)  # the agreement still lacks its draft and addendum


def test_an_sop_runs_again_only_when_asked(harbor):
    first = send("Hail the Lead", "Partner: Harbor University\nlee@harbor.example.edu\n")
    assert first.route == "command"
    refused = send("Hail the Lead", "Partner: Harbor University\nlee@harbor.example.edu\n")
    assert "already ran" in refused.outcome
    again = send(f"Hail the Lead again {harbor.reference}")
    assert again.route == "action"
    assert (
        PlaybookRun.objects.filter(engagement=harbor, playbook="hail-the-lead", status="succeeded").count()
        == 2
    )
    assert "Hail the Lead ran again for" in answer_to(again)


def test_an_unproven_action_is_held():
    raw = b"From: alice@2i2c.org\nTo: partnerships@2i2c.org\nSubject: Close PD-1\n\nReason: x\n"
    assert receive(raw).status == "held"
