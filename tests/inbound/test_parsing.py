"""Reading messages (pure): whatever the bytes, the parser answers and never raises."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnerdesk.inbound.parsing import parse_message
from partnerdesk.inbound.reading import automatic_reason, mentioned_people, named_phrase, sender_verdict
from partnerdesk.integrations.calendly.notification import booking_from_message
from tests.inbound.conftest import FIXTURES, eml

CORPUS = sorted(path.name for path in Path(FIXTURES).glob("*.eml"))


@pytest.mark.parametrize("name", CORPUS)
def test_every_message_of_the_corpus_parses_with_a_sender(name):
    parsed = parse_message(eml(name))
    assert parsed.unparseable == ""
    assert "@" in parsed.from_addr


def test_broken_mime_and_unknown_charsets_are_read_with_replacements():
    parsed = parse_message(eml("broken_mime.eml"))
    assert parsed.message_id == "broken-1@delta.example.edu"
    assert parsed.date is None
    assert parsed.text.startswith("Hello with broken")
    assert [a.content_type for a in parsed.attachments] == ["application/pdf"]


def test_a_message_without_a_message_id_is_identified_by_its_content():
    parsed = parse_message(eml("no_message_id.eml"))
    assert parsed.dedupe_key == f"sha256:{parsed.content_hash}"


def test_people_are_found_in_every_usual_form():
    text = (
        'Lee Park <lee@harbor.example.edu>, "Doe, Jane" <Jane@Harbor.example.edu>; kim@river.example.org\n'
        "> From: Maria Lopez <maria@uni-sur.example.ar>\n"
        "On Tue, Bo Chen <bo@x.example.com> wrote:\n"
    )
    assert [(m.name, m.email) for m in mentioned_people(text)] == [
        ("Lee Park", "lee@harbor.example.edu"),
        ("Doe, Jane", "jane@harbor.example.edu"),
        ("Maria Lopez", "maria@uni-sur.example.ar"),
        ("Bo Chen", "bo@x.example.com"),
        ("", "kim@river.example.org"),
    ]


def test_an_sop_is_named_as_words_without_regard_to_case():
    phrases = ["Hail the Lead", "Create running notes"]
    assert named_phrase(phrases, "FW: hail THE lead") == "Hail the Lead"
    assert named_phrase(phrases, "hail the leader") == ""


def test_auto_submitted_no_is_a_persons_message():
    parsed = parse_message(b"Auto-Submitted: no\n" + eml("latin1.eml"))
    assert automatic_reason(parsed, own_address="partnerships@2i2c.org") == ""


def test_dkim_counts_only_when_aligned_with_the_senders_domain_and_the_profile_accepts_it():
    base = eml("command_hail_the_lead.eml").split(b"\nFrom:", 1)[1]  # without its own results
    base = b"From:" + base
    other = parse_message(b"Authentication-Results: mx.2i2c.org; dkim=pass header.d=evil.example\n" + base)
    assert not sender_verdict(other, authserv_id="mx.2i2c.org", accept_dkim=True).authenticated
    aligned = parse_message(b"Authentication-Results: mx.2i2c.org; dkim=pass header.d=2i2c.org\n" + base)
    assert sender_verdict(aligned, authserv_id="mx.2i2c.org", accept_dkim=True).authenticated
    assert not sender_verdict(aligned, authserv_id="mx.2i2c.org").authenticated


def test_a_team_members_own_address_is_never_the_invitee():
    parsed = parse_message(eml("calendly_forward_ics.eml"))
    booking = booking_from_message(parsed, is_ours=lambda address: address.endswith("@2i2c.org"))
    assert booking is not None and booking.invitee_email == "ana@delta.example.edu"
    assert booking.event_name == "2i2c 30 Minute Zoom Meeting between Alice Ng and Ana Silva"


HEADERS = st.sampled_from(
    [
        b"From: ",
        b"To: ",
        b"Subject: =?utf-8?q?",
        b"Content-Type: multipart/mixed; boundary=",
        b"Message-ID: <",
        b"In-Reply-To: ",
        b"Content-Transfer-Encoding: base64",
        b"Content-Type: text/calendar",
        b"\r\n",
        b"\n--",
        b"Content-Disposition: attachment; filename*=",
        b"Auto-Submitted: ",
        b"=?x-bad?B?",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.binary(max_size=200), HEADERS), max_size=30))
def test_no_exception_escapes_the_parser_whatever_the_bytes(chunks):
    raw = b"".join(chunks)
    parsed = parse_message(raw)
    assert parsed.size == len(raw)
    automatic_reason(parsed, own_address="partnerships@2i2c.org")
    booking_from_message(parsed, is_ours=lambda address: False)
    mentioned_people(parsed.text)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_no_exception_escapes_the_parser_on_mutated_corpus_messages(noise):
    raw = eml("calendly_forward_ics.eml")
    cut = len(noise) % len(raw)
    parse_message(raw[:cut] + noise + raw[cut:])
