"""Calendly bookings: the signed webhook and the forwarded notification, each acted on once."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from partnerdesk.inbound.models import Booking, WebhookDelivery
from partnerdesk.integrations.calendly.webhook import SignatureError, signature_for, signature_verify
from partnerdesk.mail.worker import run_due_work
from partnerdesk.pipeline.models import Engagement, Source, TimelineEntry
from partnerdesk.playbooks.models import PlaybookRun
from tests.inbound.conftest import eml, receive

KEY = "calendly-test-signing-key"
VECTOR_BODY = b'{"event":"invitee.created","payload":{"email":"bob@acme.example"}}'
NOW = dt.datetime(2026, 11, 20, 17, 2, 30, tzinfo=dt.UTC)


def delivery(event: str = "invitee.created", email: str = "lee@harbor.example.edu", **payload) -> bytes:
    body = {
        "event": event,
        "created_at": "2026-11-20T17:02:11.000000Z",
        "payload": {
            "email": email,
            "name": "Lee Park",
            "status": "canceled" if event == "invitee.canceled" else "active",
            "uri": "https://api.calendly.com/scheduled_events/EVT/invitees/INV",
            "questions_and_answers": [
                {"question": "Organization", "answer": "Harbor University", "position": 0}
            ],
            "scheduled_event": {
                "name": "2i2c 30 Minute Zoom Meeting",
                "start_time": "2026-12-01T16:00:00.000000Z",
                "location": {"type": "zoom", "join_url": "https://zoom.us/j/123"},
            },
            **payload,
        },
    }
    return json.dumps(body).encode()


@pytest.fixture
def signed_post(client, monkeypatch, frozen_clock):
    monkeypatch.setenv("CALENDLY_WEBHOOK_SIGNING_KEY", KEY)
    frozen_clock.set(NOW)

    def post(body: bytes, *, at: dt.datetime = NOW, key: str = KEY, header: str | None = None):
        timestamp = int(at.timestamp())
        signature = (
            header
            if header is not None
            else f"t={timestamp},v1={signature_for(body=body, key=key, timestamp=timestamp)}"
        )
        return client.post(
            "/hooks/calendly",
            body,
            content_type="application/json",
            HTTP_CALENDLY_WEBHOOK_SIGNATURE=signature,
        )

    return post


def test_the_signature_matches_the_documented_test_vector():
    expected = "bbd3582f8a5c49708a1dbdf9ceee08003401a7f36de968d4cf3787994cc2cff0"
    assert signature_for(body=VECTOR_BODY, key=KEY, timestamp=1735689600) == expected
    signature_verify(header=f"t=1735689600,v1={expected}", body=VECTOR_BODY, key=KEY, now=1735689600 + 179)
    with pytest.raises(SignatureError, match="181 s old"):
        signature_verify(
            header=f"t=1735689600,v1={expected}", body=VECTOR_BODY, key=KEY, now=1735689600 + 181
        )
    with pytest.raises(SignatureError, match="does not match"):
        signature_verify(
            header=f"t=1735689600,v1={expected}", body=VECTOR_BODY + b" ", key=KEY, now=1735689600
        )


@pytest.mark.django_db
def test_a_signed_booking_opens_the_lead_and_runs_create_running_notes_once(signed_post, data_folder):
    answer = signed_post(delivery())
    assert answer.status_code == 200 and answer.json()["status"] == "accepted"
    # The request only stores the delivery: no lead, no playbook, no document while Calendly waits.
    assert not Engagement.objects.exists() and not PlaybookRun.objects.exists()
    assert not (data_folder / "drive" / "Partnerships" / "Agreements" / "Harbor University").exists()
    run_due_work(raise_errors=True)
    engagement = Engagement.objects.get()
    assert (engagement.organization.name, engagement.source) == ("Harbor University", Source.CALENDLY)
    run = PlaybookRun.objects.get()
    assert (run.playbook, run.status) == ("create-running-notes", PlaybookRun.Status.SUCCEEDED)
    assert engagement.timeline.filter(kind=TimelineEntry.Kind.BOOKING).count() == 1
    notes = data_folder / "drive" / "Partnerships" / "Agreements" / "Harbor University"
    assert [p.name for p in notes.iterdir() if not p.name.startswith(".")] == [
        "Running notes -- Harbor University + 2i2c.docx"
    ]

    replay = signed_post(delivery())
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    resent = signed_post(delivery(), at=NOW + dt.timedelta(seconds=5))  # a new signature, same delivery
    assert resent.json()["status"] == "duplicate"
    run_due_work(raise_errors=True)
    assert PlaybookRun.objects.count() == 1 and WebhookDelivery.objects.count() == 1


@pytest.mark.django_db
def test_a_delivery_whose_worker_stopped_mid_way_is_taken_up_again_once_its_claim_runs_out(signed_post):
    signed_post(delivery())
    stopped = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.RECEIVED)
    stopped.update(
        status=WebhookDelivery.Status.PROCESSING, claimed_at=NOW - dt.timedelta(minutes=1), attempts=1
    )
    run_due_work(raise_errors=True)
    assert not Engagement.objects.exists()  # claimed a minute ago: its worker may still be at it

    WebhookDelivery.objects.update(claimed_at=NOW - dt.timedelta(minutes=11))
    run_due_work(raise_errors=True)
    assert Engagement.objects.get().organization.name == "Harbor University"
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.PROCESSED


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"header": ""}, "no Calendly-Webhook-Signature header"),
        ({"key": "another-key"}, "does not match"),
        ({"at": NOW - dt.timedelta(seconds=181)}, "181 s old"),
        ({"header": "v1=abc"}, "malformed"),
    ],
)
def test_a_bad_missing_or_stale_signature_is_refused_and_changes_nothing(signed_post, caplog, kwargs, reason):
    answer = signed_post(delivery(), **kwargs)
    assert answer.status_code == 403
    assert reason in answer.json()["error"]
    assert reason in caplog.text
    assert not WebhookDelivery.objects.exists() and not Engagement.objects.exists()


@pytest.mark.django_db
def test_without_a_configured_key_every_delivery_is_refused(signed_post, monkeypatch):
    monkeypatch.delenv("CALENDLY_WEBHOOK_SIGNING_KEY")
    assert signed_post(delivery()).status_code == 403


@pytest.mark.django_db
def test_a_cancellation_is_noted_on_the_timeline_and_runs_nothing(signed_post):
    signed_post(delivery())
    run_due_work(raise_errors=True)
    signed_post(
        delivery("invitee.canceled", uri="https://api.calendly.com/scheduled_events/EVT/invitees/INV2")
    )
    run_due_work(raise_errors=True)
    engagement = Engagement.objects.get()
    assert engagement.timeline.filter(summary__startswith="Meeting canceled").count() == 1
    assert PlaybookRun.objects.count() == 1


@pytest.mark.django_db
def test_a_forwarded_notification_runs_create_running_notes_for_the_invitees_engagement(
    alice_actor, mailbox_checks_senders
):
    message = receive(eml("command_hail_the_lead.eml"))
    engagement = message.engagement
    booked = receive(eml("calendly_forward.eml"))
    assert (booked.route, booked.engagement) == ("booking", engagement)
    assert PlaybookRun.objects.filter(playbook="create-running-notes", engagement=engagement).count() == 1
    assert Booking.objects.get().start.startswith("10:00am - Tuesday, December 1, 2026")
    again = receive(eml("calendly_forward.eml").replace(b"booking-1@", b"booking-1b@"))
    assert "already handled" in again.outcome
    assert PlaybookRun.objects.filter(playbook="create-running-notes").count() == 1


@pytest.mark.django_db
def test_a_forwarded_invitation_with_only_an_ics_opens_the_lead_for_the_invitee(mailbox_checks_senders):
    booked = receive(eml("calendly_forward_ics.eml"))
    assert booked.route == "booking"
    engagement = Engagement.objects.get()
    assert list(engagement.contacts.values_list("name", "email")) == [("Ana Silva", "ana@delta.example.edu")]
    assert Booking.objects.get().key == "ics:calendly-evt-778@calendly.com"
    assert PlaybookRun.objects.get().playbook == "create-running-notes"
