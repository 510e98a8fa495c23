"""The whole handbook through the shared mailbox alone: no command line, no web page.

Every message is piped into `partnerdesk mailgate` as an MTA would, the worker runs as it does in
production, and every message partnerdesk sends is taken from a real SMTP server on loopback:
its recipients, its threading and its parts are what a person would get.
"""

from __future__ import annotations

import itertools
from email.message import EmailMessage
from email.utils import getaddresses

import pytest

from partnerdesk.agreements.models import Agreement
from partnerdesk.documents.models import Document, Share
from partnerdesk.inbound.models import InboundMessage
from partnerdesk.pipeline.models import Engagement
from tests.inbound.conftest import eml, mailgate

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mailbox_checks_senders")]

TEAM_PROOF = "mx.2i2c.org; dmarc=pass (p=quarantine) header.from=2i2c.org"
SPONSOR_PROOF = "mx.2i2c.org; dmarc=pass (p=reject) header.from=codeforscience.org"
_ids = itertools.count(1)


class Mailbox:
    """The shared mailbox as the team and partners use it, and what partnerdesk sent out."""

    def __init__(self, cli, smtp_server, data_folder) -> None:
        self.cli, self.smtp, self.home = cli, smtp_server, data_folder
        self.seen = 0

    def deliver(self, message: EmailMessage) -> InboundMessage:
        piped = mailgate(message.as_bytes(), home=self.home)
        assert (piped.returncode, piped.stderr) == (0, b"")
        self.work()
        return InboundMessage.objects.get(message_id=message["Message-ID"].strip("<>"))

    def work(self) -> None:
        """One pass of the worker, as it runs every few seconds in production."""
        assert self.cli("worker", "--once").code == 0

    def sent(self) -> list[EmailMessage]:
        """The messages that reached the SMTP server since the last call."""
        messages = [received.message for received in self.smtp.handler.delivered[self.seen :]]
        self.seen = len(self.smtp.handler.delivered)
        return messages


def mail(sender: str, subject: str, body: str, *, proof: str = "", answering: EmailMessage | None = None,
         attachment: tuple[str, bytes] | None = None) -> EmailMessage:  # fmt: skip
    message = EmailMessage()
    if proof:
        message["Authentication-Results"] = proof
    message["From"] = sender
    message["To"] = "partnerships@2i2c.org"
    message["Subject"] = subject
    message["Message-ID"] = f"<handbook-{next(_ids)}@example.net>"
    if answering is not None:
        message["In-Reply-To"] = answering["Message-ID"]
        message["References"] = answering["Message-ID"]
    message.set_content(body)
    if attachment is not None:
        message.add_attachment(attachment[1], maintype="application", subtype="pdf", filename=attachment[0])
    return message


def team(subject: str, body: str = "", **kwargs) -> EmailMessage:
    return mail("Alice Ng <alice@2i2c.org>", subject, body, proof=TEAM_PROOF, **kwargs)


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def by_recipient(messages: list[EmailMessage]) -> dict[str, EmailMessage]:
    return {message["To"]: message for message in messages}


def assert_answer(answer: EmailMessage, request: EmailMessage, *, says: str) -> None:
    """The assistant's answer to a team member: in the thread, automatic, plain and HTML."""
    assert answer["To"] == "alice@2i2c.org"
    assert answer["In-Reply-To"] == request["Message-ID"]
    assert request["Message-ID"] in answer["References"]
    assert answer["Auto-Submitted"] == "auto-replied"
    assert answer.get_content_type() == "multipart/alternative"
    assert says in text_of(answer), text_of(answer)
    assert "partnerdesk " not in text_of(answer).replace("partnerdesk, for", "")


def test_the_handbook_from_first_inquiry_to_renewal_by_email_alone(cli, smtp_server, data_folder):
    box = Mailbox(cli, smtp_server, data_folder)

    # A lead writes in: a Lead for triage, named after the domain for now.
    inquiry = mail("Jo Kim <jo@uni.example>", "A hub for our course?", "How much would a hub cost?")
    engagement = box.deliver(inquiry).engagement
    ref = engagement.reference
    assert engagement.organization.name_provisional and box.sent() == []

    # SOP: Hail the Lead, for the sender of the inquiry: the same engagement, named now.
    hail = team("Hail the Lead", "Partner: Uni College\nJo Kim <jo@uni.example>\n")
    assert box.deliver(hail).engagement == engagement
    sent = by_recipient(box.sent())
    canned = sent["jo@uni.example"]
    assert canned["From"] == "2i2c's Partnerships Team <partnerships@2i2c.org>"
    assert canned["Cc"] == "partnerships@2i2c.org"
    assert canned["In-Reply-To"] == inquiry["Message-ID"]  # it answers Jo's inquiry
    assert canned.get_content_type() == "multipart/alternative"
    assert "schedule a virtual meeting by clicking here (https://calendly.com/colliand/" in text_of(canned)
    assert '<a href="https://calendly.com/colliand/2i2c-30-minute-zoom-meeting"' in html_of(canned)
    assert "[schedule" not in text_of(canned) + html_of(canned)
    assert_answer(sent["alice@2i2c.org"], hail, says=f"Done: Hail the Lead for Uni College ({ref})")

    # SOP: Create running notes, from the forwarded Calendly notice with a guest.
    notice = eml("calendly_forward.eml").split(b"\n\n", 1)[1].decode()
    notice = notice.replace("lee@harbor.example.edu", "jo@uni.example").replace("Lee Park", "Jo Kim")
    forward = team(
        "Fwd: New Event: Jo Kim",
        "Partner: Uni College\n\n" + notice + "> Guest Email(s):\n> bo@uni.example\n",
    )
    assert box.deliver(forward).route == "booking"
    notes = Document.objects.get(engagement=engagement, kind="running_notes")
    assert (notes.folder_path, notes.title) == (
        "Partnerships/Agreements/Uni College", "Running notes -- Uni College + 2i2c"
    )  # fmt: skip
    assert set(Share.objects.filter(document=notes).values_list("contact__email", flat=True)) == {
        "jo@uni.example", "bo@uni.example"
    }  # fmt: skip
    sent = by_recipient(box.sent())
    assert {"jo@uni.example", "bo@uni.example", "alice@2i2c.org"} <= set(sent)
    assert "Running notes -- Uni College + 2i2c" in text_of(sent["bo@uni.example"])
    assert engagement.timeline.filter(
        summary__contains="2026-12-01 16:00 Meeting with Jo Kim, bo@uni.example"
    ).exists()

    # The two questions, then the verbal yes.
    qualify = team(f"Qualify {ref}", "Good candidate: yes\nQualified: yes\nMoney: yes - $40k\n")
    box.deliver(qualify)
    assert_answer(box.sent()[0], qualify, says=f"{ref} moved to Qualified Lead.")
    verbal = team(f"Verbal yes [{ref}]", "By: Jo Kim\n")
    box.deliver(verbal)
    assert_answer(box.sent()[0], verbal, says=f"{ref} moved to Prospect.")

    # SOP: Send Draft Contract, to the one contact named.
    draft = team(f"Send Draft Contract {ref}", "to jo@uni.example\n")
    box.deliver(draft)
    sent = by_recipient(box.sent())
    assert set(sent) == {"jo@uni.example", "alice@2i2c.org"}  # Bo is not sent the draft
    assert "Services Agreement" in text_of(sent["jo@uni.example"])
    assert_answer(sent["alice@2i2c.org"], draft, says="For the contacts you named: jo@uni.example.")
    agreement = Agreement.objects.get(engagement=engagement)
    assert agreement.title.startswith("Uni College + 2i2c/CS&S - Services Agreement ")

    # Negotiation done: the terms, then ready to sign, then the circulation to the fiscal sponsor.
    terms = team(
        f"Agreement terms {ref}",
        "Value: 40000\nCurrency: USD\nTerm start: 2027-01-01\nTerm end: 2027-12-31\nPayment terms: net 45\n"
        "Signatory: Jo Kim <jo@uni.example>\nAddendum: statement-of-work: A hub for 300 students\n",
    )
    box.deliver(terms)
    assert_answer(box.sent()[0], terms, says="payment terms")
    ready = team(f"Ready to sign {ref}")
    box.deliver(ready)
    assert_answer(box.sent()[0], ready, says="is ready to sign")
    circulate = team(f"DocuSign Agreement {ref}")
    box.deliver(circulate)
    sent = by_recipient(box.sent())
    request = sent["fsp@codeforscience.org"]
    assert [part.get_filename() for part in request.iter_attachments()][0].endswith(".docx")

    # The executed close: the fiscal sponsor's reply with the signed copy, in the thread.
    signed = mail(
        "CS&S <fsp@codeforscience.org>",
        f"Re: {request['Subject']}",
        "All signatures are in.",
        proof=SPONSOR_PROOF,
        answering=request,
        attachment=("signed.pdf", b"%PDF-1.4 signed"),
    )
    assert box.deliver(signed).route == "agreement_executed"
    engagement.refresh_from_db()
    assert engagement.stage == "partner"
    box.sent()

    # Launch Meeting: queued by the close, run by the worker's next pass, its invitation to the
    # partner's contacts with the team in copy.
    box.work()
    [kickoff] = [message for message in box.sent() if "launch meeting" in message["Subject"]]
    assert {address for _, address in getaddresses([kickoff["To"]])} == {"jo@uni.example", "bo@uni.example"}
    assert kickoff["Cc"] == "partnerships@2i2c.org"

    # Renewal: the next term.
    renewal = team(f"Renewal {ref} renewed")
    box.deliver(renewal)
    assert_answer(box.sent()[-1], renewal, says=f"Renewal of {ref} (Uni College) recorded: renewed.")

    # One engagement for the relationship throughout (the renewal's own is linked to it), and
    # the team member who acted first owns it.
    assert Engagement.objects.filter(organization__name="Uni College").exclude(pk=engagement.pk).count() <= 1
    engagement.refresh_from_db()
    assert (engagement.owner, engagement.owner_email) == (None, "alice@2i2c.org")
    assert not InboundMessage.objects.exclude(status__in=["processed", "ignored"]).exists()
