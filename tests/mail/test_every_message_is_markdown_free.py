"""Every kind of message partnerdesk sends reaches the server as text and HTML, and neither part
shows Markdown syntax: a link is "text (url)" in the text part and an anchor in the HTML part."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from partnerdesk.documents.models import Share
from partnerdesk.documents.partner_links import partner_link_send
from partnerdesk.mail.composing import body_parts
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.worker import run_due_work
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.qualification import Answer
from partnerdesk.pipeline.stages import Stage
from partnerdesk.technical.services import technical_answer_set, technical_handoff
from partnerdesk.web.invitations import invitation_send
from tests.conftest import profile_text_checking_senders
from tests.inbound.conftest import eml, receive
from tests.partnership.conftest import make_partner

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[2] / "src" / "partnerdesk"
# Every module that queues mail, and the subject of one message of each kind it sends below.
SENDERS = {
    "playbooks/steps/email.py": ["Thank you for your interest in 2i2c", "launch meeting"],
    "documents/services.py": ["shared"],
    # The acknowledgement to an unknown sender, and the answer to a team member's command.
    "inbound/auto_reply.py": ["Re: A hub for our course", "Re: "],
    "documents/partner_links.py": ["Your link to the shared documents"],
    "web/invitations.py": ["You are invited to partnerdesk"],
    "technical/playbook_step.py": ["A few technical questions"],
    "technical/reminders.py": ["Reminder: a few technical questions"],
    "technical/services.py": ["New service request"],
    "partnership/invoicing.py": ["Invoice 2027-", "Reminder: invoice"],
    "partnership/checkins.py": ["How"],
    "partnership/renewals.py": ["Renewal:"],
    # Two overdue reminders due on 2027-02-15: the older is missed, and the owner told.
    "partnership/ticklers.py": ["missed partner-phase"],
}
MARKDOWN_SYNTAX = {
    "a [text](url) link": re.compile(r"\[[^\]\n]*\]\([^)\s]*\)"),
    "**bold**": re.compile(r"\*\*\S[^*\n]*\*\*"),
    "__bold__": re.compile(r"(?<!\w)__\S[^_\n]*__(?!\w)"),
    "a ``` fence": re.compile(r"^\s*```", re.MULTILINE),
    "a # heading": re.compile(r"^#{1,6} ", re.MULTILINE),
}
INQUIRY = (
    b"From: Renee Muller <renee@wien.example.at>\nTo: partnerships@2i2c.org\n"
    b"Subject: A hub for our course\nMessage-ID: <inquiry-1@wien.example.at>\n\nHow much would a hub cost?\n"
)


def test_every_module_that_queues_mail_is_covered_here():
    callers = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "message_queue(" in path.read_text(encoding="utf-8") and path.name != "outbox.py"
    }
    assert callers == set(SENDERS), "add each new kind of message to this test"


def _profile(profile_file) -> None:
    text = profile_text_checking_senders()  # so the team member's command is proven and acts
    text = text.replace("auto_reply_unknown_senders = false", "auto_reply_unknown_senders = true")
    text = text.replace('engineering_email = ""', 'engineering_email = "engineering@2i2c.org"')
    profile_file(text)


def _prospect(engagement: Engagement, actor: services.Actor) -> None:
    services.engagement_qualify(
        engagement=engagement, actor=actor, good_candidate=Answer.YES, qualified=Answer.YES
    )
    services.engagement_move(engagement=engagement, to=Stage.QUALIFIED_LEAD, actor=actor)
    services.engagement_record_verbal_yes(engagement=engagement, by="Kim", actor=actor)
    services.engagement_move(engagement=engagement, to=Stage.PROSPECT, actor=actor)


def _send_one_of_each(cli, frozen_clock) -> None:
    alice = get_user_model().objects.create_user("alice", email="alice@2i2c.org")
    actor = services.Actor(label="alice")
    # A team member's command (the canned response and the reply), and an unknown sender's inquiry.
    receive(eml("command_first_line_bare_addresses.eml"))
    receive(INQUIRY)
    river = Engagement.objects.get(organization__name="river.example.org")
    # Running notes shared, a partner link to them, an invitation to the team.
    assert cli("playbook", "run", "create-running-notes", river.reference).code == 0
    contact = Share.objects.filter(document__engagement=river).first().contact
    partner_link_send(engagement=river, contact_id=contact.pk, actor=actor)
    invitation_send(email="carol@2i2c.org", actor=actor)
    # The prospect phase: the draft shared, the technical form, its reminder, the hand-off.
    _prospect(river, actor)
    assert cli("playbook", "run", "send-draft-contract", river.reference).code == 0
    assert cli("playbook", "run", "technical-exchange", river.reference).code == 0
    frozen_clock.advance(days=8)
    run_due_work()
    for key, value in {
        "community": "Hydrology students",
        "expected-users": "100",
        "peak-concurrency": "30",
        "authentication": "GitHub",
        "compute": "2 CPU",
        "cloud-region": "GCP us-central1",
        "software-environment": "Python",
        "launch-date": "2027-02-01",
        "technical-contacts": "Kim <kim@river.example.org>",
    }.items():
        technical_answer_set(engagement=river, key=key, value=value, actor=actor)
    technical_handoff(engagement=river, actor=actor)
    # The partner phase: the kickoff at the executed close, then every tickler in the term.
    _, agreement = make_partner(owner=alice, term_start=dt.date(2027, 1, 1), term_end=dt.date(2027, 12, 31))
    for day in (
        dt.date(2027, 1, 1),
        dt.date(2027, 2, 15),
        dt.date(2027, 4, 1),
        agreement.term_end - dt.timedelta(days=120),
    ):
        frozen_clock.set(day)
        run_due_work()


def test_no_part_of_any_message_shows_markdown_syntax(cli, profile_file, frozen_clock, smtp_server):
    _profile(profile_file)
    _send_one_of_each(cli, frozen_clock)
    run_due_work()  # deliver what is still queued

    queued = list(OutboxMessage.objects.all())
    assert {message.status for message in queued} == {"sent"}
    for module, subjects in SENDERS.items():
        for subject in subjects:
            assert any(subject in message.subject for message in queued), f"{module}: no {subject!r}"

    links = 0
    for received in smtp_server.handler.delivered:
        message = received.message
        subject = message["Subject"]
        assert message.get_content_type() in ("multipart/alternative", "multipart/mixed"), subject
        parts = body_parts(message)
        assert parts.text.strip() and parts.html.strip(), subject
        for name, pattern in MARKDOWN_SYNTAX.items():
            for text in (parts.text, parts.html_text):
                assert not pattern.search(text), f"{subject}: {name} in {text!r}"
        assert "**" not in parts.html, subject
        for href in parts.hrefs:
            assert href.startswith(("https://", "http://", "mailto:")), subject
            written = href.removeprefix("mailto:")
            assert written in parts.text, f"{subject}: the link {href} is not written out in the text part"
            links += 1
    assert len(smtp_server.handler.delivered) >= len(SENDERS)
    assert links >= len(SENDERS) // 2  # the canned response, the forms, the links, the invitation...
