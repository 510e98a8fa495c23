"""A real SMTP server on loopback (aiosmtpd) that records what it is given and can refuse on demand."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from partnerdesk.pipeline import services
from tests.smtp_server import (  # noqa: F401 - fixtures used by the tests here
    Received,
    RecordingHandler,
    SmtpServer,
    free_port,
    smtp_server,
    smtp_sink,
    start_server,
)


@pytest.fixture
def smtp_server_with_login(settings):
    """A server that wants AUTH LOGIN/PLAIN as `partnerdesk` / `s3cret pass`."""

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"partnerdesk",
            b"s3cret pass",
        )
        return AuthResult(success=ok, handled=False)

    handler = RecordingHandler()
    controller, port = start_server(
        handler, authenticator=authenticate, auth_required=True, auth_require_tls=False
    )
    yield SmtpServer(handler, port)
    controller.stop()


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the client trusts it through SSL_CERT_FILE)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def engagement(db):  # noqa: ARG001
    return services.engagement_create(
        organization_name="Harbor University",
        contacts=[("Lee Park", "lee@harbor.example.edu")],
        actor=services.Actor(label="alice"),
    )
