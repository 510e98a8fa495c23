"""The DocuSign REST adapter against a local HTTP server speaking DocuSign's documented JSON:
the envelope made from the agreement, the errors it can meet, and the playbook that chooses it."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import docx
import pytest

from partnerdesk.agreements import services, status
from partnerdesk.agreements.models import Agreement, SignatureEnvelope
from partnerdesk.integrations.docusign import envelopes
from partnerdesk.integrations.docusign.connect import connect_event_record
from partnerdesk.integrations.docusign.envelopes import DocuSignConfig, DocuSignError
from partnerdesk.integrations.docusign.sending import envelope_send
from partnerdesk.lib.http import HttpError, request_json
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.worker import run_due_work
from partnerdesk.pipeline.services import Actor
from partnerdesk.profile import DEFAULT_PROFILE_PATH
from tests.agreements.conftest import docx_bytes

pytestmark = pytest.mark.django_db

ACCOUNT = "8d2e6f0a-1111-2222-3333-444455556666"
TOKEN = "test-access-token"


@dataclass
class FakeDocuSign:
    """Answers `POST /restapi/v2.1/accounts/{accountId}/envelopes` as DocuSign does; `answers`
    holds (status, JSON) to give instead, in order, and `delay` makes it slow."""

    port: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    delay: float = 0.0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self, timeout: float = 5.0) -> DocuSignConfig:
        return DocuSignConfig(base_url=self.base_url, account_id=ACCOUNT, token=TOKEN, timeout=timeout)


@pytest.fixture
def fake_docusign():
    fake = FakeDocuSign()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            fake.requests.append(
                {"path": self.path, "headers": dict(self.headers.items()), "json": json.loads(body or b"{}")}
            )
            time.sleep(fake.delay)
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                code, answer = 401, {"errorCode": "USER_AUTHENTICATION_FAILED", "message": "bad token"}
            elif self.path != f"/restapi/v2.1/accounts/{ACCOUNT}/envelopes":
                code, answer = 404, {"errorCode": "ACCOUNT_LACKS_PERMISSIONS", "message": "no such account"}
            elif fake.answers:
                code, answer = fake.answers.pop(0)
            else:
                number = len(fake.requests)
                code, answer = (
                    201,
                    {
                        "envelopeId": f"4b728be4-0000-0000-0000-00000000000{number}",
                        "uri": f"/envelopes/4b728be4-0000-0000-0000-00000000000{number}",
                        "statusDateTime": "2027-01-02T10:00:00.0000000Z",
                        "status": "sent",
                    },
                )
            data = json.dumps(answer).encode()
            try:
                self.send_response(code)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def ready(prospect, alice_actor) -> Agreement:
    agreement = services.agreement_create(engagement=prospect, actor=alice_actor)
    services.agreement_attach(
        agreement=agreement,
        content=docx_bytes("Agreement", "Version one."),
        filename="v1.docx",
        actor=alice_actor,
    )
    services.agreement_attach(
        agreement=agreement,
        content=docx_bytes("Agreement", "Version two."),
        filename="v2.docx",
        actor=alice_actor,
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
        agreement=agreement, person="Lee Park <lee@harbor.example.edu>", role="CIO", actor=alice_actor
    )
    services.agreement_signatory_add(
        agreement=agreement,
        person="Sam Chen <sam@codeforscience.org>",
        organization="CS&S",
        actor=alice_actor,
    )
    services.agreement_addendum_add(
        agreement=agreement, kind="statement-of-work", title="SOW", actor=alice_actor
    )
    return status.agreement_mark_ready(agreement=agreement, actor=alice_actor)


def send(agreement: Agreement, fake: FakeDocuSign, key: str = "run-1-step-1", **config: Any):
    return envelope_send(
        agreement=agreement,
        config=fake.config(**config),
        actor=Actor(label="alice"),
        subject=f"Please sign: {agreement.title}",
        idempotency_key=key,
    )


def test_the_envelope_carries_the_current_version_and_the_signers_in_routing_order(ready, fake_docusign):
    envelope = send(ready, fake_docusign)
    assert (envelope.envelope_id, envelope.status) == ("4b728be4-0000-0000-0000-000000000001", "sent")
    assert envelope.version == ready.versions.get(number=2)
    [request] = fake_docusign.requests
    assert request["path"] == f"/restapi/v2.1/accounts/{ACCOUNT}/envelopes"
    assert request["headers"]["Content-Type"] == "application/json"
    body = request["json"]
    assert body["status"] == "sent" and body["emailSubject"] == f"Please sign: {ready.title}"[:100]
    [document] = body["documents"]
    assert (document["documentId"], document["fileExtension"], document["name"]) == ("1", "docx", ready.title)
    texts = [
        p.text for p in docx.Document(io.BytesIO(base64.b64decode(document["documentBase64"]))).paragraphs
    ]
    assert texts == ["Agreement", "Version two."]
    assert body["recipients"]["signers"] == [
        {"email": "lee@harbor.example.edu", "name": "Lee Park", "recipientId": "1", "routingOrder": "1"},
        {"email": "sam@codeforscience.org", "name": "Sam Chen", "recipientId": "2", "routingOrder": "2"},
    ]
    entry = ready.engagement.timeline.filter(summary__startswith="DocuSign envelope").get()
    assert "1. Lee Park <lee@harbor.example.edu>, 2. Sam Chen <sam@codeforscience.org>" in entry.summary


def test_the_same_step_sends_one_envelope_however_often_it_runs(ready, fake_docusign):
    first = send(ready, fake_docusign)
    again = send(ready, fake_docusign)
    assert again.pk == first.pk
    assert len(fake_docusign.requests) == 1


def test_a_refused_request_is_a_permanent_error_recorded_on_the_envelope_row(ready, fake_docusign):
    fake_docusign.answers.append(
        (400, {"errorCode": "INVALID_EMAIL_ADDRESS_FOR_RECIPIENT", "message": "bad"})
    )
    with pytest.raises(DocuSignError) as raised:
        send(ready, fake_docusign)
    assert raised.value.permanent and raised.value.status == 400
    assert "INVALID_EMAIL_ADDRESS_FOR_RECIPIENT" in str(raised.value)
    row = SignatureEnvelope.objects.get()
    assert (row.status, row.envelope_id) == ("failed", None) and "INVALID_EMAIL" in row.error
    ready.refresh_from_db()
    assert ready.status == "ready_to_sign"


@pytest.mark.parametrize("code", [429, 503])
def test_rate_limits_and_server_errors_are_transient_and_a_retry_sends_the_envelope(
    ready, fake_docusign, code
):
    fake_docusign.answers.append(
        (code, {"errorCode": "HOURLY_APIINVOCATION_LIMIT_EXCEEDED", "message": "later"})
    )
    with pytest.raises(DocuSignError) as raised:
        send(ready, fake_docusign)
    assert not raised.value.permanent
    envelope = send(ready, fake_docusign)
    assert envelope.status == "sent" and SignatureEnvelope.objects.count() == 1


def test_a_wrong_token_is_permanent(ready, fake_docusign):
    config = fake_docusign.config()
    wrong = DocuSignConfig(base_url=config.base_url, account_id=ACCOUNT, token="expired")
    with pytest.raises(DocuSignError) as raised:
        envelope_send(agreement=ready, config=wrong, actor=Actor(label="a"), subject="s", idempotency_key="k")
    assert raised.value.permanent and raised.value.status == 401


def test_no_answer_in_time_is_a_transient_error(fake_docusign):
    fake_docusign.delay = 1.0
    with pytest.raises(HttpError) as raised:
        request_json("POST", f"{fake_docusign.base_url}/restapi/v2.1/accounts/{ACCOUNT}/envelopes", body={},
                     headers={"Authorization": f"Bearer {TOKEN}"}, timeout=0.2)  # fmt: skip
    assert not raised.value.permanent and raised.value.status is None


def test_an_agreement_not_ready_to_sign_is_not_sent(prospect, alice_actor, fake_docusign):
    agreement = services.agreement_create(engagement=prospect, actor=alice_actor)
    with pytest.raises(services.AgreementNotReady):
        send(agreement, fake_docusign)
    assert fake_docusign.requests == []


@pytest.fixture
def docusign_on(fake_docusign, monkeypatch, profile_file):
    """The profile's `[docusign]` section turned on, and the token in the environment."""
    text = DEFAULT_PROFILE_PATH.read_text(encoding="utf-8").split("[docusign]")[0]
    profile_file(
        text + f'[docusign]\nenabled = true\nbase_url = "{fake_docusign.base_url}"\n'
        f'account_id = "{ACCOUNT}"\ntimeout_seconds = 5\n'
    )
    monkeypatch.setenv("DOCUSIGN_ACCESS_TOKEN", TOKEN)
    return fake_docusign


def test_docusign_turned_on_without_a_token_names_what_is_missing(docusign_on, monkeypatch):
    monkeypatch.delenv("DOCUSIGN_ACCESS_TOKEN")
    with pytest.raises(DocuSignError, match="lacks DOCUSIGN_ACCESS_TOKEN"):
        envelopes.docusign_config()


def test_docusign_is_off_unless_the_profile_turns_it_on():
    assert envelopes.docusign_config() is None


def test_with_docusign_on_the_playbook_sends_an_envelope_instead_of_the_email_and_connect_closes_it(
    cli, ready, docusign_on
):
    reference = ready.engagement.reference
    preview = cli("playbook", "run", "docusign-agreement", reference, "--dry-run")
    assert preview.code == 0, preview.err
    assert f"Send a DocuSign envelope (account {ACCOUNT}" in preview.out
    assert "1. Lee Park <lee@harbor.example.edu>" in preview.out
    assert docusign_on.requests == []

    done = cli("playbook", "run", "docusign-agreement", reference)
    assert done.code == 0, done.err
    assert not [m for m in OutboxMessage.objects.all() if "fsp@codeforscience.org" in m.to]
    envelope = SignatureEnvelope.objects.get()
    ready.refresh_from_db()
    assert ready.status == "out_for_signature"
    assert ready.engagement.timeline.filter(
        summary__startswith=f"Agreement out for signature (DocuSign envelope {envelope.envelope_id})"
    ).exists()

    connect_event_record(
        {
            "event": "envelope-completed",
            "generatedDateTime": "2027-01-05T10:00:00.000Z",
            "data": {
                "envelopeId": envelope.envelope_id,
                "envelopeSummary": {"status": "completed", "recipients": {"signers": []}},
            },
        }
    )
    run_due_work(raise_errors=True)
    ready.refresh_from_db()
    ready.engagement.refresh_from_db()
    assert (ready.status, ready.engagement.stage) == ("executed", "partner")


def test_with_docusign_failing_the_run_stops_and_resumes_without_a_second_envelope(cli, ready, docusign_on):
    reference = ready.engagement.reference
    docusign_on.answers.append((503, {"errorCode": "SERVICE_UNAVAILABLE", "message": "try later"}))
    failed = cli("playbook", "run", "docusign-agreement", reference)
    assert failed.code == 1 and "a passing failure" in failed.err
    ready.refresh_from_db()
    assert ready.status == "ready_to_sign"
    assert cli("playbook", "run", "docusign-agreement", reference).code == 0
    assert cli("playbook", "run", "docusign-agreement", reference).code == 1  # already ran
    assert SignatureEnvelope.objects.get().status == "sent"
    assert len(docusign_on.requests) == 2


def test_a_refused_envelope_stays_recorded_with_its_error_after_the_run_stops(cli, ready, docusign_on):
    """The call happened: its record is not rolled back with the failed step."""
    docusign_on.answers.append((400, {"errorCode": "INVALID_EMAIL_ADDRESS_FOR_RECIPIENT", "message": "bad"}))
    failed = cli("playbook", "run", "docusign-agreement", ready.engagement.reference)
    assert failed.code == 1
    row = SignatureEnvelope.objects.get()
    assert (row.status, row.envelope_id) == ("failed", None)
    assert "INVALID_EMAIL_ADDRESS_FOR_RECIPIENT" in row.error
