"""A booking names the engagement (the forward's `Partner:` line), makes every participant a
contact who gets the running notes, and dates the running-notes entry at the meeting's start."""

from __future__ import annotations

import json

import pytest

from partnerdesk.documents.models import Document, Share
from partnerdesk.documents.services import running_notes_document
from partnerdesk.inbound.bookings import booking_apply
from partnerdesk.integrations.calendly.webhook import delivery_booking
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from partnerdesk.pipeline.services import Actor
from tests.inbound.conftest import eml, receive

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mailbox_checks_senders")]


def forwarded(extra_body: str = "", guests: str = "") -> bytes:
    raw = eml("calendly_forward.eml")
    head, _, body = raw.partition(b"\n\n")
    guest_lines = f"> Guest Email(s):\n> {guests}\n".encode() if guests else b""
    return head + b"\n\n" + extra_body.encode() + body.rstrip(b"\n") + b"\n" + guest_lines


def test_a_forward_with_a_partner_line_and_a_guest_names_the_folder_and_shares_with_everyone(settings):
    settings.TIME_ZONE = "America/Chicago"
    message = receive(forwarded("Partner: Ridge College\n\n", guests="Bo Diaz <bo@ridge.example.edu>"))
    engagement = message.engagement
    assert message.route == "booking", message.outcome
    assert engagement.organization.name == "Ridge College"
    assert not engagement.organization.name_provisional
    emails = set(engagement.contacts.values_list("email", flat=True))
    assert emails == {"lee@harbor.example.edu", "bo@ridge.example.edu"}
    notes = running_notes_document(engagement=engagement)
    assert notes.folder_path.endswith("/Ridge College")
    assert notes.title == "Running notes -- Ridge College + 2i2c"
    shared = set(Share.objects.filter(document=notes, role="editor").values_list("contact__email", flat=True))
    assert shared == emails
    # Dated at the meeting (10:00 Central on December 1), not the day the forward arrived.
    entry = engagement.timeline.filter(summary__contains="Meeting with").get()
    assert "2026-12-01 10:00 Meeting with Lee Park, bo@ridge.example.edu" in entry.summary


def test_the_entry_is_dated_in_the_configured_time_zone(settings):
    settings.TIME_ZONE = "UTC"
    engagement = receive(forwarded()).engagement
    assert engagement.timeline.filter(summary__contains="2026-12-01 16:00 Meeting with Lee Park").exists()


def test_without_a_partner_line_the_folder_is_named_provisionally_and_a_later_name_is_kept():
    engagement = receive(forwarded()).engagement
    assert engagement.organization.name == "harbor.example.edu" and engagement.organization.name_provisional


def test_the_webhooks_additional_guests_become_contacts_and_get_the_notes():
    body = json.dumps({
        "event": "invitee.created",
        "payload": {
            "email": "lee@harbor.example.edu", "name": "Lee Park", "uri": "https://api.calendly.com/x/INV",
            "questions_and_answers": [{"question": "Organization", "answer": "Harbor University"}],
            "scheduled_event": {
                "name": "2i2c 30 Minute Zoom Meeting", "start_time": "2026-12-01T16:00:00.000000Z",
                "event_guests": [{"email": "ana@harbor.example.edu"}, {"email": "lee@harbor.example.edu"}],
            },
        },
    }).encode()  # fmt: skip
    _, booking = delivery_booking(body)
    result = booking_apply(booking=booking, source="webhook", actor=Actor(label="calendly"))
    engagement = Engagement.objects.get(pk=result.engagement.pk)
    assert set(engagement.contacts.values_list("email", flat=True)) == {
        "lee@harbor.example.edu",
        "ana@harbor.example.edu",
    }
    notes = Document.objects.get(engagement=engagement, kind="running_notes")
    assert Share.objects.filter(document=notes).count() == 2
    entry = engagement.timeline.get(kind=TimelineEntry.Kind.RUNNING_NOTE)
    assert entry.summary == "Running notes: 2026-12-01 16:00 Meeting with Lee Park, ana@harbor.example.edu"
