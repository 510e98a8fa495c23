"""Every webhook answers 4xx, never 5xx, to what a sender can get wrong: a malformed signature or
timestamp, a body that is not JSON or is nested without end, and a body over the documented cap.
Nothing is stored or changed by a refused delivery."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from partnerdesk.agreements.models import SignatureEvent
from partnerdesk.inbound.calendly_hook import MAX_BODY
from partnerdesk.inbound.models import Booking, WebhookDelivery
from partnerdesk.integrations.calendly.webhook import SignatureError, signature_for, signature_verify
from partnerdesk.integrations.docusign.connect import signature
from partnerdesk.integrations.docusign.views import MAX_BODY_BYTES
from partnerdesk.lib.webhook_input import MAX_DEPTH, MalformedBody, json_object
from partnerdesk.mail.worker import run_due_work
from partnerdesk.pipeline.models import Contact, Engagement

pytestmark = pytest.mark.django_db

CALENDLY_KEY = "calendly-test-signing-key"
DOCUSIGN_KEY = "docusign-test-hmac-key"
NOW = dt.datetime(2026, 11, 20, 17, 2, 30, tzinfo=dt.UTC)
DEEP = b'{"event":"invitee.created","payload":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
JUST_TOO_DEEP = b'{"a":' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}"  # MAX_DEPTH + 1 levels
MALFORMED_BODIES = [
    pytest.param(DEEP, "nested more than 32 levels", id="nested past the recursion limit"),
    pytest.param(JUST_TOO_DEEP, "nested more than 32 levels", id="one level too deep"),
    pytest.param(b"\xff\xfe{}", "not UTF-8", id="not utf-8"),
    pytest.param(b"{not json", "not JSON", id="not json"),
    pytest.param(b'["a list"]', "not a JSON object", id="a list"),
    pytest.param(b'{"n": ' + b"9" * 5000 + b"}", "not JSON", id="an integer of 5000 digits"),
    pytest.param(b'{"event": "invitee.created\\u0000"}', "NUL character", id="a NUL"),
]


@pytest.fixture
def calendly(monkeypatch, frozen_clock):
    monkeypatch.setenv("CALENDLY_WEBHOOK_SIGNING_KEY", CALENDLY_KEY)
    frozen_clock.set(NOW)
    client = Client(enforce_csrf_checks=True)

    def post(body: bytes, header: str | None = None, **extra):
        if header is None:
            timestamp = int(NOW.timestamp())
            header = f"t={timestamp},v1={signature_for(body=body, key=CALENDLY_KEY, timestamp=timestamp)}"
        return client.post(
            "/hooks/calendly",
            body,
            content_type="application/json",
            headers={"Calendly-Webhook-Signature": header},
            **extra,
        )

    return post


@pytest.fixture
def docusign(monkeypatch):
    monkeypatch.setenv("DOCUSIGN_CONNECT_HMAC_KEYS", DOCUSIGN_KEY)
    client = Client(enforce_csrf_checks=True)

    def post(body: bytes, header: str | None = None, **extra):
        return client.post(
            "/hooks/docusign/connect",
            body,
            content_type="application/json",
            headers={"X-DocuSign-Signature-1": signature(DOCUSIGN_KEY, body) if header is None else header},
            **extra,
        )

    return post


def _nothing_stored() -> bool:
    return not (
        WebhookDelivery.objects.exists()
        or Booking.objects.exists()
        or SignatureEvent.objects.exists()
        or Engagement.objects.exists()
    )


# Calendly: the signature header


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("t=" + "9" * 5000 + ",v1=" + "a" * 64, id="a 5000-digit t"),
        pytest.param("t=" + "9" * 20 + ",v1=" + "a" * 64, id="a t past any float"),
        pytest.param("t=\u00b2\u00b3,v1=" + "a" * 64, id="a t of superscript digits"),
        pytest.param("t=-5,v1=" + "a" * 64, id="a negative t"),
        pytest.param("t=1.5e9,v1=" + "a" * 64, id="a t in scientific notation"),
        pytest.param("t=1795194150,v1=" + "\u00e9" * 64, id="a non-ASCII v1"),
        pytest.param("t=1795194150,v1=xyz", id="a v1 that is not hex"),
        pytest.param("t=1795194150", id="no v1"),
        pytest.param(",,,=,=", id="commas and equals signs"),
    ],
)
def test_a_malformed_calendly_signature_is_a_403_saying_so(calendly, header):
    answer = calendly(b'{"event":"invitee.created"}', header)
    assert answer.status_code == 403
    assert answer.json()["error"] == "signature refused: the signature header is malformed"
    assert _nothing_stored()


def test_a_huge_timestamp_is_malformed_not_an_overflow():
    with pytest.raises(SignatureError, match="malformed"):
        signature_verify(header="t=" + "1" * 400 + ",v1=" + "0" * 64, body=b"{}", key="k", now=1e9)


# Calendly and DocuSign: the body


@pytest.mark.parametrize(("body", "reason"), MALFORMED_BODIES)
def test_a_signed_calendly_body_that_is_not_a_delivery_is_a_400(calendly, body, reason):
    answer = calendly(body)
    assert answer.status_code == 400
    assert reason in answer.json()["error"]
    assert _nothing_stored()


@pytest.mark.parametrize(("body", "reason"), MALFORMED_BODIES)
def test_a_signed_docusign_body_that_is_not_a_notification_is_a_400(docusign, body, reason):
    answer = docusign(body)
    assert answer.status_code == 400
    assert reason in answer.content.decode()
    assert _nothing_stored()


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"event": "envelope-sent", "data": {"envelopeId": "E" * 101}}, "data.envelopeId is longer than 100"),
        ({"event": "e" * 101, "data": {"envelopeId": "ENV-1"}}, "event is longer than 100"),
        (
            {"event": "envelope-sent", "generatedDateTime": "2" * 61, "data": {"envelopeId": "ENV-1"}},
            "generatedDateTime is longer than 60",
        ),
        ({"event": ["envelope-sent"], "data": {"envelopeId": "ENV-1"}}, "event is not a string"),
        (
            {"event": "envelope-sent", "data": {"envelopeId": "ENV-1", "envelopeSummary": ["x"]}},
            "data.envelopeSummary is not an object",
        ),
        (
            {
                "event": "envelope-sent",
                "data": {"envelopeId": "ENV-1", "envelopeSummary": {"recipients": {"signers": "lee"}}},
            },
            "signers is not a list",
        ),
        (
            {
                "event": "envelope-sent",
                "data": {"envelopeId": "ENV-1", "envelopeSummary": {"recipients": {"signers": [7]}}},
            },
            "a signer is not an object",
        ),
        (
            {
                "event": "envelope-sent",
                "data": {
                    "envelopeId": "ENV-1",
                    "envelopeSummary": {"recipients": {"signers": [{"status": "signed", "email": 7.5}]}},
                },
            },
            "a signer's email is not a string",
        ),
    ],
)
def test_a_docusign_notification_with_fields_of_the_wrong_type_or_length_is_a_400(docusign, payload, reason):
    answer = docusign(json.dumps(payload).encode())
    assert answer.status_code == 400
    assert reason in answer.content.decode()
    assert _nothing_stored()


def test_a_docusign_signature_that_is_not_base64_is_a_401(docusign):
    for header in ("\u00e9t\u00e9", "", "=" * 500):
        assert docusign(b'{"event":"envelope-sent","data":{"envelopeId":"ENV-1"}}', header).status_code == 401
    assert _nothing_stored()


# The size cap


def test_a_body_over_the_cap_is_a_413(calendly, docusign):
    over = b'{"pad":"' + b"x" * MAX_BODY + b'"}'
    answer = calendly(over)
    assert answer.status_code == 413 and "at most 1,048,576 bytes" in answer.json()["error"]
    over = b'{"pad":"' + b"x" * MAX_BODY_BYTES + b'"}'
    answer = docusign(over)
    assert answer.status_code == 413 and b"at most 2,097,152 bytes" in answer.content
    assert _nothing_stored()


def test_a_declared_length_over_the_cap_is_a_413_without_reading_the_body(calendly, docusign):
    # Past Django's own DATA_UPLOAD_MAX_MEMORY_SIZE too, which would otherwise answer 400.
    assert calendly(b"{}", CONTENT_LENGTH=str(10**12)).status_code == 413
    assert docusign(b"{}", CONTENT_LENGTH=str(10**12)).status_code == 413
    assert _nothing_stored()


# What passes the checks is still handled without a 5xx


def test_a_calendly_delivery_with_odd_field_types_is_accepted_and_handled(calendly):
    body = json.dumps(
        {
            "event": "invitee.created",
            "payload": {
                "email": "lee@harbor.example.edu",
                "name": "Lee\x07 Park " + "x" * 300,
                "questions_and_answers": 7,
                "scheduled_event": ["not", "an", "object"],
            },
        }
    ).encode()
    answer = calendly(body)
    assert answer.status_code == 200 and answer.json()["status"] == "accepted"
    run_due_work(raise_errors=True)  # the worker acts on the stored delivery
    contact = Contact.objects.get(email="lee@harbor.example.edu")
    assert contact.name.startswith("Lee Park xxx") and len(contact.name) == 200


def test_json_object_checks_depth_without_recursion():
    assert json_object(b'{"a": [[{"b": "c"}]]}') == {"a": [[{"b": "c"}]]}
    with pytest.raises(MalformedBody, match="nested more than 3 levels"):
        json_object(b'{"a": [[{"b": "c"}]]}', max_depth=3)
    with pytest.raises(MalformedBody, match="NUL"):
        json_object(b'{"a\\u0000": 1}')
