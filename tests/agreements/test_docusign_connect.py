"""The DocuSign Connect webhook: verified on the raw body, recorded once, applied once by the worker
(the executed close on completion)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.test import Client

from partnerdesk.agreements import services, signature_events, status
from partnerdesk.agreements.models import Agreement, SignatureEnvelope, SignatureEvent
from partnerdesk.integrations.docusign.connect import signature, signature_valid
from partnerdesk.lib import clock
from partnerdesk.mail.worker import run_due_work
from tests.agreements.conftest import docx_bytes

KEY = "docusign-test-hmac-key"
# INTEGRATIONS.md's test vector (the Calendly vector's body).
VECTOR_BODY = b'{"event":"invitee.created","payload":{"email":"bob@acme.example"}}'
VECTOR_SIGNATURE = "byqE1o4+e2Gr7DrCJXLUCHR4dZP0NrVKP36AuRZR1XI="


def test_the_signature_matches_the_documented_test_vector():
    assert signature(KEY, VECTOR_BODY) == VECTOR_SIGNATURE
    headers = {"X-DocuSign-Signature-2": VECTOR_SIGNATURE}
    assert signature_valid(body=VECTOR_BODY, headers=headers, keys=["old-key", KEY])
    assert not signature_valid(body=VECTOR_BODY + b" ", headers=headers, keys=[KEY])
    assert not signature_valid(body=VECTOR_BODY, headers={}, keys=[KEY])


@pytest.fixture
def out_for_signature(prospect, alice_actor):
    agreement = services.agreement_create(engagement=prospect, actor=alice_actor)
    services.agreement_attach(
        agreement=agreement, content=docx_bytes("Agreement"), filename="a.docx", actor=alice_actor
    )
    services.agreement_set_terms(
        agreement=agreement,
        actor=alice_actor,
        value=Decimal("12000"),
        currency="USD",
        term_start=dt.date(2027, 1, 1),
        term_end=dt.date(2027, 12, 31),
    )
    services.agreement_signatory_add(
        agreement=agreement, person="Lee Park <lee@harbor.example.edu>", actor=alice_actor
    )
    services.agreement_addendum_add(
        agreement=agreement, kind="statement-of-work", title="SOW", actor=alice_actor
    )
    status.agreement_mark_ready(agreement=agreement, actor=alice_actor)
    status.agreement_mark_out_for_signature(agreement=agreement, actor=alice_actor, via="DocuSign")
    SignatureEnvelope.objects.create(
        agreement=agreement, provider="docusign", envelope_id="ENV-1", status="sent", created_at=clock.now()
    )
    return agreement


def _post(body: bytes, signature_header: str):
    """Through the URL, with no session and no CSRF token, as DocuSign posts it."""
    return Client(enforce_csrf_checks=True).post(
        "/hooks/docusign/connect",
        data=body,
        content_type="application/json",
        headers={"X-DocuSign-Signature-1": signature_header},
    )


COMPLETED = json.dumps(
    {
        "event": "envelope-completed",
        "generatedDateTime": "2027-01-05T10:00:00.000Z",
        "data": {
            "envelopeId": "ENV-1",
            "envelopeSummary": {
                "status": "completed",
                "recipients": {"signers": [{"email": "lee@harbor.example.edu", "status": "completed"}]},
            },
        },
    }
).encode()


@pytest.mark.django_db
def test_a_wrong_signature_changes_nothing(out_for_signature, monkeypatch):
    monkeypatch.setenv("DOCUSIGN_CONNECT_HMAC_KEYS", KEY)
    response = _post(COMPLETED, signature("another-key", COMPLETED))
    assert response.status_code == 401
    assert SignatureEvent.objects.count() == 0
    out_for_signature.refresh_from_db()
    assert out_for_signature.status == Agreement.Status.OUT_FOR_SIGNATURE


@pytest.mark.django_db
def test_envelope_completed_is_the_executed_close_once(out_for_signature, prospect, monkeypatch):
    monkeypatch.setenv("DOCUSIGN_CONNECT_HMAC_KEYS", f"old-key,{KEY}")
    response = _post(COMPLETED, signature(KEY, COMPLETED))
    assert response.status_code == 200 and response.content == b"ok\n"
    out_for_signature.refresh_from_db()
    assert out_for_signature.status == Agreement.Status.OUT_FOR_SIGNATURE, "the webhook only records it"

    run_due_work(raise_errors=True)

    out_for_signature.refresh_from_db()
    assert out_for_signature.status == Agreement.Status.EXECUTED
    assert out_for_signature.signatories.get().signed_at is not None
    prospect.refresh_from_db()
    assert prospect.stage == "partner"
    repeat = _post(COMPLETED, signature(KEY, COMPLETED))
    assert repeat.content == b"already received\n"
    assert SignatureEvent.objects.count() == 1
    run_due_work(raise_errors=True)
    assert prospect.timeline.filter(summary__startswith="Agreement executed").count() == 1


@pytest.mark.django_db
def test_a_completion_that_fails_to_apply_is_kept_and_applied_on_a_later_pass(
    out_for_signature, prospect, monkeypatch, frozen_clock
):
    monkeypatch.setenv("DOCUSIGN_CONNECT_HMAC_KEYS", KEY)
    real_close = signature_events.agreement_executed

    def store_down(**kwargs):
        raise OSError("the document store is unreachable")

    monkeypatch.setattr(signature_events, "agreement_executed", store_down)
    assert _post(COMPLETED, signature(KEY, COMPLETED)).status_code == 200
    run_due_work()
    event = SignatureEvent.objects.get()
    assert (event.applied_at, event.attempts, event.error) == (None, 1, "the document store is unreachable")
    out_for_signature.refresh_from_db()
    assert out_for_signature.status == Agreement.Status.OUT_FOR_SIGNATURE
    assert out_for_signature.signatories.get().signed_at is None, "nothing of it was applied"
    # DocuSign retries: the repeat is known, and the event it repeats is still there to apply.
    assert _post(COMPLETED, signature(KEY, COMPLETED)).content == b"already received\n"

    monkeypatch.setattr(signature_events, "agreement_executed", real_close)
    run_due_work(raise_errors=True)
    assert SignatureEvent.objects.get().applied_at is None, "not before its next attempt is due"
    frozen_clock.set(event.next_attempt_at + dt.timedelta(seconds=1))
    run_due_work(raise_errors=True)

    event.refresh_from_db()
    assert event.applied_at is not None and event.error == ""
    out_for_signature.refresh_from_db()
    prospect.refresh_from_db()
    assert (out_for_signature.status, prospect.stage) == (Agreement.Status.EXECUTED, "partner")


@pytest.mark.django_db
def test_the_webhook_is_off_without_keys(monkeypatch):
    monkeypatch.delenv("DOCUSIGN_CONNECT_HMAC_KEYS", raising=False)
    assert _post(COMPLETED, "x").status_code == 404


@pytest.mark.django_db
def test_the_admin_lists_the_events_not_applied_yet_with_their_attempts(
    out_for_signature, admin_client, monkeypatch
):
    monkeypatch.setenv("DOCUSIGN_CONNECT_HMAC_KEYS", KEY)
    monkeypatch.setattr(signature_events, "agreement_executed", lambda **kwargs: 1 / 0)
    _post(COMPLETED, signature(KEY, COMPLETED))
    run_due_work()

    listing = admin_client.get("/admin/agreements/signatureevent/?applied_at__isempty=1").content.decode()

    assert "ENV-1" in listing and "envelope-completed" in listing
    assert '<td class="field-attempts">1</td>' in listing
