"""The acknowledgement to unknown senders: off unless the profile turns it on, never to automatic
mail, at most once per sender per day, and marked so nobody answers it."""

from __future__ import annotations

import email
import email.policy

import pytest

from partnerdesk.inbound import auto_reply
from partnerdesk.inbound.parsing import parse_message
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline.models import Engagement
from partnerdesk.profile import DEFAULT_PROFILE_PATH
from tests.inbound.conftest import eml, receive

pytestmark = pytest.mark.django_db


def inquiry(number: int, sender: str = "Renée Müller <renee@wien.example.at>", extra: str = "") -> bytes:
    return (
        f"From: {sender}\nTo: partnerships@2i2c.org\nSubject: A hub for our course\n"
        f"Message-ID: <inquiry-{number}@wien.example.at>\n{extra}\nHow much would a hub cost?\n"
    ).encode()


@pytest.fixture
def turned_on(profile_file):
    """The profile's `[inbound] auto_reply_unknown_senders = true`."""
    profile_file(
        DEFAULT_PROFILE_PATH.read_text(encoding="utf-8").replace(
            "auto_reply_unknown_senders = false", "auto_reply_unknown_senders = true"
        )
    )


def test_an_unknown_sender_gets_no_acknowledgement_unless_the_profile_turns_it_on():
    message = receive(inquiry(1))
    reference = Engagement.objects.get().reference
    assert (message.route, message.outcome) == ("new_lead", f"opened {reference} for triage")
    assert not OutboxMessage.objects.exists()


def test_when_turned_on_the_unknown_sender_is_acknowledged_in_the_thread_as_an_auto_reply(turned_on):
    message = receive(inquiry(1))
    assert message.outcome.endswith("; acknowledged")
    [queued] = OutboxMessage.objects.all()
    sent = email.message_from_bytes(bytes(queued.raw), policy=email.policy.default)
    reference = Engagement.objects.get().reference
    assert sent["To"] == "renee@wien.example.at"
    assert sent["Subject"] == f"[{reference}] Re: A hub for our course"
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["X-Loop"] == "partnerships@2i2c.org"
    assert sent["In-Reply-To"] == "<inquiry-1@wien.example.at>"
    body = sent.get_body(preferencelist=("plain",)).get_content()
    assert "This is an automatic acknowledgement" in body and reference in body


def test_an_unknown_sender_is_acknowledged_at_most_once_a_day(turned_on, frozen_clock):
    first = receive(inquiry(1))
    engagement = Engagement.objects.get()
    again = parse_message(inquiry(2, sender="Renée Müller <Renee@Wien.example.at>"))
    assert not auto_reply.auto_reply_queue(message=first, parsed=again, engagement=engagement)
    assert OutboxMessage.objects.count() == 1
    frozen_clock.advance(days=1)
    assert auto_reply.auto_reply_queue(message=first, parsed=again, engagement=engagement)
    assert OutboxMessage.objects.count() == 2
    # A known contact's later mail joins the Lead and is not acknowledged at all.
    assert receive(inquiry(3)).route == "contact"
    assert OutboxMessage.objects.count() == 2


@pytest.mark.parametrize(
    "extra",
    [
        "Auto-Submitted: auto-replied\n",
        "Precedence: bulk\n",
        "List-Id: <news.example.org>\n",
        "X-Autoreply: yes\n",
    ],
)
def test_automatic_mail_is_never_acknowledged(turned_on, extra):
    receive(inquiry(1, extra=extra))
    assert not OutboxMessage.objects.exists()


def test_a_bounce_and_a_no_reply_sender_are_never_acknowledged(turned_on):
    receive(eml("bounce.eml"))
    receive(inquiry(2, sender="no-reply@wien.example.at"))
    assert not OutboxMessage.objects.exists()


def test_the_switch_reads_the_profile_and_is_off_when_the_profile_lacks_the_field():
    assert auto_reply.auto_reply_enabled() is False
