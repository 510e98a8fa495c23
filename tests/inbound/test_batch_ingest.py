"""Mail ingested a chunk at a time ends exactly as the same mail taken one message at a time.

The corpus mixes what the shared mailbox gets: partners writing for the first time and again,
replies threading onto earlier messages (some in an earlier chunk, some in the same one), a
sender over the hourly cap, team commands with and without proof of their sender, a forgery,
automatic mail and bounces, a broken MIME message, an unparseable one, a message without a
Message-ID and a repeat. Each way runs in a fresh database (rolled back after), and the two are
compared: engagements, their timelines, what became of each message, and the outbox.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from partnerdesk.inbound import ingest
from partnerdesk.inbound.ingest import chunk_ingest, folder_ingest
from partnerdesk.inbound.models import InboundMessage
from partnerdesk.inbound.processing import message_process
from partnerdesk.inbound.store import message_store
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from tests.inbound.conftest import eml

pytestmark = pytest.mark.django_db

Status = InboundMessage.Status
FIRST = ["Ana", "Bea", "Chen", "Dara", "Émile", "Farid", "Greta", "Hiro", "Inès", "José", "Mei", "Søren"]
LAST = ["Silva", "Okafor", "Müller", "Tanaka", "García", "Berg", "Haddad", "Ng"]
SCHOOLS = ["delta.example.edu", "wien.example.at", "ocean.example.org", "uni-sur.example.ar",
           "north.example.ac.uk"]  # fmt: skip
TOPICS = ["A hub for our courses", "Pricing for 300 students", "Réunion la semaine prochaine",
          "Anfrage für einen Hub", "Our data science program", "Workshop in March"]  # fmt: skip


def partner_mail(rng: random.Random, count: int) -> list[bytes]:
    """`count` messages from ~40 partners, a third of them replies to an earlier one."""
    people = [
        (f"{rng.choice(FIRST)} {rng.choice(LAST)}", f"p{n}@{rng.choice(SCHOOLS)}") for n in range(40)
    ]
    sent: list[EmailMessage] = []
    for number in range(count):
        message = EmailMessage()
        name, address = people[rng.randrange(len(people))]
        if number % 4 == 1:  # one eager sender, past the hourly cap of 30 before the end
            name, address = "Eager Person", "eager@busy.example.com"
        message["From"] = formataddr((name, address))
        message["To"] = "partnerships@2i2c.org"
        message["Date"] = format_datetime(dt.datetime(2026, 3, 1, 9, number % 60))
        message["Message-ID"] = f"<m{number}@{address.split('@')[1]}>"
        parent = sent[rng.randrange(len(sent))] if sent and rng.random() < 0.35 else None
        if parent is not None:
            message["Subject"] = f"Re: {parent['Subject']}"
            message["In-Reply-To"] = parent["Message-ID"]
            message["References"] = parent["Message-ID"]
        else:
            message["Subject"] = rng.choice(TOPICS)
        body = f"Hello,\n\nmessage {number}: we would like to know more. Grüße.\n\n{name}\n"
        message.set_content(body)
        if number % 5 == 0:
            html = f"<p>message {number}: <b>we would like</b> to know more</p>"
            message.add_alternative(html, subtype="html")
        if number % 7 == 0:
            message.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="numbers.csv")
        sent.append(message)
    return [bytes(message) for message in sent]


def without_proof(raw: bytes, message_id: bytes) -> bytes:
    """The same command, as a forger (or a host that checks nothing) would deliver it."""
    raw = re.sub(rb"(?im)^Authentication-Results:.*\n(?:[ \t].*\n)*", b"", raw)
    return re.sub(rb"(?im)^Message-ID:.*$", b"Message-ID: <" + message_id + b">", raw, count=1)


def forged(raw: bytes, message_id: bytes) -> bytes:
    """A team member's command whose From domain failed DMARC at our receiving host."""
    verdict = b"Authentication-Results: mx.2i2c.org; dmarc=fail (p=reject) header.from=2i2c.org\n"
    return verdict + without_proof(raw, message_id)


def corpus() -> list[bytes]:
    mail = partner_mail(random.Random(19), 140)
    answered = re.search(rb"(?m)^Message-ID: (<m3@[^>]+>)", mail[3])
    assert answered is not None
    team_reply = (
        b"From: Alice Ng <alice@2i2c.org>\nTo: partnerships@2i2c.org\nSubject: Re: thread\n"
        b"Message-ID: <team-reply-1@mail.2i2c.org>\nIn-Reply-To: " + answered.group(1)
        + b"\n\nThanks, I will call them tomorrow.\n"
    )  # fmt: skip
    extras = [
        eml("command_hail_the_lead.eml"),
        without_proof(eml("command_no_address.eml"), b"unproven-1@mail.2i2c.org"),
        eml("command_forwarded_inquiry.eml"),
        eml("forged_command.eml"),
        forged(eml("command_hail_the_lead.eml"), b"forged-2@mail.2i2c.org"),
        eml("auto_reply.eml"),
        eml("bounce.eml"),
        eml("bulk_list.eml"),
        eml("broken_mime.eml"),
        eml("latin1.eml"),
        eml("html_only.eml"),
        eml("no_message_id.eml"),
        eml("calendly_forward.eml"),
        b"\x00\x01 not an email at all",
        team_reply,
        mail[10],  # a repeat
    ]
    for position, extra in enumerate(extras):  # spread over the chunks
        mail.insert(7 + position * 9, extra)
    return mail


def snapshot() -> dict:
    """Everything a user can see of the ingest, with row ids replaced by their order of creation."""
    messages = list(InboundMessage.objects.order_by("id"))
    engagements = list(Engagement.objects.select_related("organization").order_by("id"))
    message_no = {m.pk: f"M{n}" for n, m in enumerate(messages)}
    engagement_no = {e.pk: f"E{n}" for n, e in enumerate(engagements)}

    def plain(text: str) -> str:
        text = re.sub(r"PD-(\d+)", lambda m: engagement_no.get(int(m.group(1)), "E?"), text)
        text = re.sub(r"#(\d+)", lambda m: message_no.get(int(m.group(1)), "M?"), text)
        text = re.sub(r"run-\d+-", "run-N-", text)  # playbook run ids come from a sequence per database
        return re.sub(r"inbound-(\d+)", lambda m: "inbound-" + message_no.get(int(m.group(1)), "M?"), text)

    return {
        "engagements": [
            (e.organization.name, e.organization.name_provisional, e.stage, e.source,
             sorted(e.contacts.values_list("email", flat=True)),
             [(kind, plain(summary)) for kind, summary in
              TimelineEntry.objects.filter(engagement=e).order_by("at", "id").values_list("kind", "summary")])
            for e in engagements
        ],  # fmt: skip
        "messages": [
            (m.dedupe_key, m.channel, m.status, m.route, plain(m.outcome), engagement_no.get(m.engagement_id),
             m.attempts, bool(m.hold_code_hash), m.raw is not None)
            for m in messages
        ],  # fmt: skip
        "outbox": [
            (o.to, o.cc, plain(o.subject), plain(o.idempotency_key or ""), engagement_no.get(o.engagement_id))
            for o in OutboxMessage.objects.order_by("id")
        ],
    }


def fresh(tmp_path, name: str):
    """A fresh data folder: each way starts from nothing, files included."""
    home = tmp_path / name
    home.mkdir()
    settings.PARTNERDESK_HOME = home


def one_at_a_time(raws: list[bytes]) -> dict:
    with transaction.atomic():
        for raw in raws:
            stored = message_store(raw=raw, channel=InboundMessage.Channel.FOLDER)
            if stored.created and stored.message.status == Status.RECEIVED:
                message_process(stored.message)
        seen = snapshot()
        transaction.set_rollback(True)
    return seen


def test_a_corpus_ingested_in_chunks_ends_as_it_does_one_message_at_a_time(
    mailbox_checks_senders, tmp_path
):
    raws = corpus()
    fresh(tmp_path, "one-at-a-time")
    expected = one_at_a_time(raws)
    fresh(tmp_path, "chunks")
    with transaction.atomic():
        reports = [
            chunk_ingest(raws[start : start + 40], channel=InboundMessage.Channel.FOLDER)
            for start in range(0, len(raws), 40)
        ]
        got = snapshot()
        again = chunk_ingest(raws, channel=InboundMessage.Channel.FOLDER)
        after_again = snapshot()
        transaction.set_rollback(True)

    # The corpus covers what it claims to.
    routes = {row[3] for row in expected["messages"]}
    assert {"new_lead", "contact", "reply", "capped", "held", "forged", "automatic", "quarantine",
            "team_reply"} <= routes, routes  # fmt: skip
    assert {"command"} & routes or {"action"} & routes
    assert any(row[3] == "held" and row[7] for row in expected["messages"])  # its sender asked to confirm
    assert expected["outbox"], "the proven command is acknowledged and the unproven one asks to confirm"

    assert got["engagements"] == expected["engagements"]
    assert got["messages"] == expected["messages"]
    assert got["outbox"] == expected["outbox"]
    assert sum(r.new for r in reports) == len(expected["messages"])
    assert sum(r.repeated for r in reports) == 1
    # Ingesting it all again stores nothing and does nothing.
    assert (again.new, again.repeated, again.processed) == (0, len(raws), 0)
    assert after_again == got


def test_a_message_whose_routing_raises_is_rolled_back_alone_and_its_chunk_is_kept(monkeypatch):
    route = ingest.message_route

    def breaks_on_pricing(message, parsed):
        handled = route(message, parsed)  # its writes happen, then it fails: they must go
        if "pricing" in parsed.subject.lower():
            # A read of the timeline first: what the chunk held back is written, inside the
            # savepoint about to be rolled back. It must be written again after.
            assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.EMAIL_IN).count() == 2
            raise RuntimeError("the routing broke")
        return handled

    monkeypatch.setattr(ingest, "message_route", breaks_on_pricing)
    raws = [eml("latin1.eml"), eml("html_only.eml"), eml("bounce.eml")]
    report = chunk_ingest(raws, channel=InboundMessage.Channel.FOLDER)

    assert (report.new, report.processed, report.failed) == (3, 2, 1)
    broken = InboundMessage.objects.get(message_id="html-1@ocean.example.org")
    assert (broken.status, broken.attempts, broken.engagement) == (Status.RECEIVED, 1, None)
    assert broken.outcome == "try 1 failed: RuntimeError: the routing broke"
    # The new lead it opened is gone with it; the message before it kept its own.
    assert not Engagement.objects.filter(contacts__email="kai@ocean.example.org").exists()
    renee = InboundMessage.objects.get(message_id="latin1-1@wien.example.at")
    assert renee.status == Status.PROCESSED and renee.route == "new_lead"
    assert [kind for kind in renee.engagement.timeline.values_list("kind", flat=True)] == [
        "created", "note", "email_in"
    ]  # fmt: skip
    assert InboundMessage.objects.get(message_id="bounce-1@mx.example.net").route == "automatic"

    # The worker tries it again later, and then it goes through.
    monkeypatch.setattr(ingest, "message_route", route)
    assert message_process(broken)
    broken.refresh_from_db()
    assert (broken.status, broken.route, broken.attempts) == (Status.PROCESSED, "new_lead", 2)


def test_ingest_reads_a_folder_in_chunks_and_a_second_run_finds_everything_stored(tmp_path, cli):
    folder = tmp_path / "mail"
    folder.mkdir()
    for number, raw in enumerate(partner_mail(random.Random(7), 25)):
        (folder / f"{number:03}.eml").write_bytes(raw)
    first = folder_ingest(sorted(folder.glob("*.eml")), chunk=10)
    assert (first.new, first.repeated, first.processed) == (25, 0, 25)
    again = cli("inbound", "ingest", str(folder))
    assert again.code == 0
    assert "25 file(s): 0 new, 25 already stored, 0 processed" in again.out
    assert InboundMessage.objects.filter(status=Status.PROCESSED).count() == 25


def test_an_oversized_message_in_a_chunk_is_kept_as_a_file_and_quarantined_and_the_others_go_on():
    big = eml("no_message_id.eml") + b"x" * (30 * 2**20)
    report = chunk_ingest([big, eml("latin1.eml")], channel=InboundMessage.Channel.MAILGATE)

    assert (report.new, report.processed) == (2, 1)
    kept, renee = report.messages
    kept.refresh_from_db()
    assert kept.status == Status.QUARANTINED and kept.outcome.startswith("oversized: 31,457,")
    assert kept.raw is None and Path(kept.raw_path).read_bytes() == big
    renee.refresh_from_db()
    assert renee.status == Status.PROCESSED and renee.route == "new_lead"
