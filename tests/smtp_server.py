"""A real SMTP server on loopback (aiosmtpd) that records what it is given and can refuse on demand.

Shared by every test that sends mail; import the fixtures into a conftest to use them."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    """One message as the server got it: envelope, bytes and the answer it gave."""

    peer: Any
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    answer: str

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.content, policy=email.policy.default)  # type: ignore[return-value]

    @property
    def accepted(self) -> bool:
        return self.answer.startswith("250")


@dataclass
class RecordingHandler:
    """Answers 250 unless told otherwise: set `data_answer` ("451 ...", "550 ...") to refuse the
    message after its DATA, or `rcpt_answers[address]` to refuse one recipient."""

    data_answer: str | None = None
    rcpt_answers: dict[str, str] = field(default_factory=dict)
    attempts: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def delivered(self) -> list[Received]:
        with self.lock:
            return [received for received in self.attempts if received.accepted]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.rcpt_answers.get(address)
        if answer is not None:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        answer = self.data_answer or "250 Message accepted for delivery"
        with self.lock:
            self.attempts.append(
                Received(session.peer, envelope.mail_from, list(envelope.rcpt_tos), envelope.content, answer)
            )
        return answer


@dataclass
class SmtpServer:
    handler: RecordingHandler
    port: int

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


def start_server(handler: RecordingHandler, **kwargs: Any) -> tuple[Controller, int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller, port


@pytest.fixture
def smtp_sink():
    """A recording SMTP server on a free loopback port (EMAIL_URL is not touched)."""
    handler = RecordingHandler()
    controller, port = start_server(handler)
    yield SmtpServer(handler, port)
    controller.stop()


@pytest.fixture
def smtp_server(smtp_sink, settings):
    """The recording server, with EMAIL_URL pointing at it."""
    settings.EMAIL_URL = smtp_sink.url
    return smtp_sink
