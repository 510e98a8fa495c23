"""smtps:// (TLS from the first byte) and smtp+tls:// (STARTTLS) against a loopback server whose
certificate the client is told to trust; an untrusted certificate sends nothing."""

from __future__ import annotations

import ssl

import pytest

from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import message_queue, outbox_deliver_due

from .conftest import RecordingHandler, start_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def server_context(tls_certificate) -> ssl.SSLContext:
    cert, key = tls_certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture
def trust_test_certificate(tls_certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_certificate[0]))


@pytest.mark.parametrize("scheme", ["smtps", "smtp+tls"])
def test_a_message_goes_through_tls_when_the_certificate_is_trusted(
    scheme, server_context, trust_test_certificate, settings
):
    handler = RecordingHandler()
    options = {"ssl_context": server_context} if scheme == "smtps" else {"tls_context": server_context}
    controller, port = start_server(handler, require_starttls=scheme == "smtp+tls", **options)
    try:
        settings.EMAIL_URL = f"{scheme}://127.0.0.1:{port}?timeout=5"
        message_queue(to=["lee@harbor.example.edu"], subject="Over TLS", body="b")
        assert outbox_deliver_due().sent == 1
    finally:
        controller.stop()
    [received] = handler.delivered
    assert received.message["Subject"] == "Over TLS"


def test_an_untrusted_certificate_sends_nothing_and_spends_no_try(server_context, settings):
    handler = RecordingHandler()
    controller, port = start_server(handler, ssl_context=server_context)
    try:
        settings.EMAIL_URL = f"smtps://127.0.0.1:{port}?timeout=5"
        queued = message_queue(to=["lee@harbor.example.edu"], subject="Over TLS", body="b")
        report = outbox_deliver_due()
    finally:
        controller.stop()
    assert report.handled == 0
    assert "CERTIFICATE_VERIFY_FAILED" in report.error
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (OutboxMessage.Status.READY, 0)
    assert handler.attempts == []
