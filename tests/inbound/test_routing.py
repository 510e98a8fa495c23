"""What each message becomes: commands, replies, new leads, and the messages that trigger nothing."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from partnerdesk.inbound.models import InboundMessage
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement, Source, TimelineEntry
from partnerdesk.playbooks.models import PlaybookRun
from partnerdesk.profile import DEFAULT_PROFILE_PATH
from tests.inbound.conftest import eml, receive

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mailbox_checks_senders")]
Status = InboundMessage.Status


def answer_to(address: str) -> email.message.EmailMessage:
    [message] = OutboxMessage.objects.filter(to=[address])
    return email.message_from_bytes(bytes(message.raw), policy=email.policy.default)


def use_settings(profile_file, **values) -> None:
    """The shipped profile with these [inbound] settings (and our receiving host's authserv-id)."""
    text = DEFAULT_PROFILE_PATH.read_text(encoding="utf-8").split("[inbound]")[0]
    values = {"authserv_id": "mx.2i2c.org", **values}
    lines = [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    profile_file(text + "[inbound]\n" + "\n".join(lines) + "\n")


def test_a_team_command_with_named_contacts_opens_the_lead_and_sends_the_canned_response():
    message = receive(eml("command_hail_the_lead.eml"))
    engagement = Engagement.objects.get()
    assert (message.status, message.route, message.engagement) == (Status.PROCESSED, "command", engagement)
    assert engagement.organization.name == "Harbor University"
    assert engagement.source == Source.EMAIL
    assert sorted(engagement.contacts.values_list("name", "email")) == [
        ("Doe, Jane", "jane@harbor.example.edu"),
        ("Lee Park", "lee@harbor.example.edu"),
    ]
    assert PlaybookRun.objects.get().status == PlaybookRun.Status.SUCCEEDED
    assert OutboxMessage.objects.filter(subject__endswith="Thank you for your interest in 2i2c").count() == 1


def test_a_command_on_the_first_line_with_bare_addresses_takes_the_partner_from_their_domain():
    receive(eml("command_first_line_bare_addresses.eml"))
    engagement = Engagement.objects.get()
    assert engagement.organization.name == "river.example.org"
    assert sorted(engagement.contacts.values_list("email", flat=True)) == [
        "kim@river.example.org",
        "sam@river.example.org",
    ]
    answer = answer_to("bob@2i2c.org").get_body(preferencelist=("plain",)).get_content()
    assert "Done: Hail the Lead for river.example.org" in answer


def test_a_forwarded_inquiry_gives_the_contact_of_the_original_sender():
    receive(eml("command_forwarded_inquiry.eml"))
    engagement = Engagement.objects.get()
    assert list(engagement.contacts.values_list("name", "email")) == [
        ("Maria Lopez", "maria@uni-sur.example.ar")
    ]


def test_a_command_without_an_address_gets_an_answer_saying_what_is_missing_and_how_to_ask_again():
    message = receive(eml("command_no_address.eml"))
    assert Engagement.objects.count() == 0
    assert message.outcome == "hail-the-lead not run: I found no contact email address in your message"
    answer = answer_to("alice@2i2c.org")
    assert answer["Subject"] == "Re: Hail the Lead"
    assert answer["In-Reply-To"] == "<hail-4@mail.2i2c.org>"
    assert answer["Auto-Submitted"] == "auto-replied"
    text = answer.get_body(preferencelist=("plain",)).get_content()
    assert "I found no contact email address in your message" in text
    assert "To ask again" in text and "Lee Park <lee@harbor.example.edu>" in text


def test_the_same_command_sent_again_with_a_new_message_id_runs_nothing_twice():
    receive(eml("command_hail_the_lead.eml"))
    again = eml("command_hail_the_lead.eml").replace(b"<hail-1@mail.2i2c.org>", b"<hail-1b@mail.2i2c.org>")
    message = receive(again)
    assert message.route == "command" and "already ran" in message.outcome
    assert PlaybookRun.objects.count() == 1
    assert OutboxMessage.objects.filter(subject__endswith="Thank you for your interest in 2i2c").count() == 1


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("auto_reply.eml", "Auto-Submitted: auto-replied"),
        ("bounce.eml", "a delivery or read report"),
        ("bulk_list.eml", "Precedence: bulk"),
    ],
)
def test_automatic_and_bulk_mail_is_stored_and_triggers_nothing(fixture, reason):
    message = receive(eml(fixture))
    assert message.status == Status.IGNORED
    assert message.route == "automatic" and reason in message.outcome
    assert Engagement.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_a_message_with_an_empty_return_path_or_a_no_reply_sender_triggers_nothing():
    bounce = b"Return-Path: <>\n" + eml("command_hail_the_lead.eml")
    assert receive(bounce).route == "automatic"
    no_reply = (
        eml("forged_command.eml").replace(b"mallory@evil", b"no-reply@evil").replace(b"forged-1", b"nr-1")
    )
    assert receive(no_reply).route == "automatic"
    assert OutboxMessage.objects.count() == 0


def test_our_own_canned_response_coming_back_in_cc_triggers_nothing():
    receive(eml("command_hail_the_lead.eml"))
    canned = OutboxMessage.objects.get(subject__endswith="Thank you for your interest in 2i2c")
    message = receive(bytes(canned.raw))
    assert (message.status, message.route) == (Status.IGNORED, "own")
    assert OutboxMessage.objects.count() == 2


def test_a_forged_command_from_outside_the_team_is_an_outside_message_that_opens_a_lead_for_triage():
    message = receive(eml("forged_command.eml"))
    assert message.route == "new_lead"
    engagement = Engagement.objects.get()
    assert list(engagement.contacts.values_list("email", flat=True)) == ["mallory@evil.example.com"]
    assert not PlaybookRun.objects.exists()
    assert not OutboxMessage.objects.exists()  # no auto-reply to strangers


def test_a_reply_from_a_contact_is_threaded_onto_the_engagement_by_in_reply_to():
    receive(eml("command_hail_the_lead.eml"))
    engagement = Engagement.objects.get()
    canned = OutboxMessage.objects.get(subject__endswith="Thank you for your interest in 2i2c")
    reply = (
        f"From: Lee Park <lee@harbor.example.edu>\nTo: partnerships@2i2c.org\nSubject: Re: Thanks\n"
        f"Message-ID: <reply-1@harbor.example.edu>\nIn-Reply-To: {canned.message_id}\n\nHappy to talk.\n"
    ).encode()
    message = receive(reply)
    assert (message.route, message.engagement) == ("reply", engagement)
    entry = engagement.timeline.filter(kind=TimelineEntry.Kind.EMAIL_IN).get()
    assert entry.summary == "Email from Lee Park <lee@harbor.example.edu>: Re: Thanks"
    assert entry.data["text"].strip() == "Happy to talk."


def test_a_message_with_the_reference_in_its_subject_lands_on_that_engagement(alice_actor):
    engagement = services.engagement_create(organization_name="Delta", contacts=[], actor=alice_actor)
    raw = (
        f"From: someone@else.example.com\nSubject: about [{engagement.reference}] our call\n"
        "Message-ID: <ref-1@else.example.com>\n\nNotes.\n"
    ).encode()
    assert receive(raw).engagement == engagement


def test_an_unknown_senders_message_opens_a_lead_and_later_ones_join_it():
    first = receive(eml("latin1.eml"))
    engagement = Engagement.objects.get()
    assert first.route == "new_lead"
    assert engagement.organization.name == "wien.example.at"
    assert list(engagement.contacts.values_list("name", "email")) == [
        ("Renée Müller", "renee@wien.example.at")
    ]
    entry = engagement.timeline.get(kind=TimelineEntry.Kind.EMAIL_IN)
    assert entry.data["subject"] == "Anfrage für einen Hub"
    assert "Grüße aus Wien" in entry.data["text"]
    later = receive(eml("latin1.eml").replace(b"latin1-1@", b"latin1-2@"))
    assert (later.route, later.engagement) == ("contact", engagement)


def test_html_is_shown_sanitized_and_attachments_are_listed():
    receive(eml("html_only.eml"))
    entry = TimelineEntry.objects.get(kind=TimelineEntry.Kind.EMAIL_IN)
    assert "How much is a hub?" in entry.data["text"]
    assert "<script" not in entry.data["html"] and "onerror" not in entry.data["html"]
    assert '<a href="https://ocean.example.org"' in entry.data["html"]


def test_a_sender_over_the_hourly_cap_triggers_nothing(profile_file):
    use_settings(profile_file, max_messages_per_sender_per_hour=2)
    raw = eml("command_no_address.eml")
    outcomes = [receive(raw.replace(b"hail-4@", f"loop-{n}@".encode())).route for n in range(4)]
    assert outcomes == ["command", "command", "capped", "capped"]
    assert OutboxMessage.objects.count() == 2


def test_an_oversized_message_is_quarantined_unparsed_and_kept_as_a_file(monkeypatch, cli):
    big = eml("no_message_id.eml") + b"x" * (30 * 2**20)
    message = receive(big)
    assert message.status == Status.QUARANTINED
    assert message.outcome.startswith("oversized: 31,457,")
    assert message.raw is None and Path(message.raw_path).read_bytes() == big
    listed = cli("inbox", "list", "--quarantine")
    assert "oversized" in listed.out and "A message without an id" in listed.out


def test_an_unparseable_message_is_quarantined_with_the_reason_and_listed(cli):
    message = receive(b"\x00\x01 not an email at all")
    assert message.status == Status.QUARANTINED and message.outcome == "the message has no header"
    listed = cli("inbox", "list", "--quarantine", "--json")
    assert '"the message has no header"' in listed.out


def test_a_message_whose_processing_keeps_failing_is_quarantined_after_three_tries(monkeypatch):
    from partnerdesk.inbound import processing

    def broken(message, parsed):
        raise RuntimeError("the routing broke")

    working = processing.message_route
    monkeypatch.setattr(processing, "message_route", broken)
    message = receive(eml("latin1.eml"))
    assert message.status == Status.RECEIVED and message.attempts == 1
    processing.messages_process_due()
    processing.messages_process_due()
    message.refresh_from_db()
    assert message.status == Status.QUARANTINED
    assert message.outcome == "processing failed 3 times: RuntimeError: the routing broke"
    monkeypatch.setattr(processing, "message_route", working)
    other = receive(eml("html_only.eml"))
    assert other.status == Status.PROCESSED  # the others carry on
