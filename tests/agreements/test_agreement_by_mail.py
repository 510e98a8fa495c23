"""Agreement files arriving by mail in the engagement's thread: a partner's redline becomes a
version, the fiscal sponsor's signed copy is the executed close; nothing else changes the agreement."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

import pytest

from partnerdesk.agreements import services, status
from partnerdesk.agreements.models import Agreement
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from tests.agreements.conftest import docx_bytes, edited
from tests.inbound.conftest import receive

pytestmark = pytest.mark.django_db
SPONSOR_PROVEN = {"Authentication-Results": "mx.2i2c.org; dmarc=pass header.from=codeforscience.org"}

DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
FIRST = docx_bytes("Services Agreement", "The term is twelve (12) months.", "Fees: USD 10,000.")


def mail(
    engagement: Engagement,
    *,
    sender: str,
    files: dict[str, bytes],
    message_id: str,
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "partnerships@2i2c.org"
    message["Subject"] = f"Re: [{engagement.reference}] Services Agreement"
    message["Message-ID"] = f"<{message_id}>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content("Please find our version attached.\n")
    for filename, content in files.items():
        maintype, subtype = ("application", "pdf") if filename.endswith(".pdf") else DOCX
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


@pytest.fixture
def agreement(prospect, alice_actor) -> Agreement:
    made = services.agreement_create(engagement=prospect, actor=alice_actor)
    services.agreement_attach(agreement=made, content=FIRST, filename="draft.docx", actor=alice_actor)
    made.refresh_from_db()
    return made


def out_for_signature(agreement: Agreement, actor) -> None:
    services.agreement_set_terms(
        agreement=agreement,
        actor=actor,
        value=services.parse_value("12000"),
        currency="USD",
        term_start=dt.date(2027, 1, 1),
        term_end=dt.date(2027, 12, 31),
    )
    services.agreement_signatory_add(
        agreement=agreement, person="Lee Park <lee@harbor.example.edu>", actor=actor
    )
    services.agreement_addendum_add(agreement=agreement, kind="statement-of-work", title="A hub", actor=actor)
    status.agreement_mark_ready(agreement=agreement, actor=actor)
    status.agreement_mark_out_for_signature(agreement=agreement, actor=actor, via="the fiscal sponsor")


def test_a_partners_reply_with_a_docx_becomes_a_new_version_with_what_changed(prospect, agreement):
    redline = edited(FIRST, {"twelve (12) months": "twenty-four (24) months"})
    raw = mail(prospect, sender="Lee Park <lee@harbor.example.edu>", files={"Harbor redline.docx": redline},
               message_id="redline-1@harbor.example.edu")  # fmt: skip
    message = receive(raw)
    assert (message.status, message.route, message.engagement) == ("processed", "agreement_version", prospect)
    agreement.refresh_from_db()
    assert agreement.status == "negotiating"
    version = agreement.versions.get(number=2)
    assert (version.filename, version.actor) == ("Harbor redline.docx", "mail:lee@harbor.example.edu")
    assert "[-twelve (12)-] {+twenty-four (24)+}" in version.changes
    [entry] = prospect.timeline.filter(summary__startswith="Agreement version 2 attached")
    assert (
        entry.summary
        == "Agreement version 2 attached (Harbor redline.docx): 1 paragraph(s) changed, 0 added, 0 removed"
    )
    assert "[-twelve (12)-] {+twenty-four (24)+}" in entry.data["changes"]
    email_entry = prospect.timeline.get(kind=TimelineEntry.Kind.EMAIL_IN)
    assert "Harbor redline.docx is version 2" in email_entry.summary

    again = mail(prospect, sender="Lee Park <lee@harbor.example.edu>", files={"Harbor redline.docx": redline},
                 message_id="redline-2@harbor.example.edu")  # fmt: skip
    assert receive(again).route == "reply"  # the same file sent again is no new version
    assert agreement.versions.count() == 2


def test_someone_at_the_partners_domain_counts_but_a_stranger_in_the_thread_does_not(prospect, agreement):
    counsel = mail(prospect, sender="counsel@harbor.example.edu",
                   files={"v2.docx": edited(FIRST, {}, append="Governing law: California.")},
                   message_id="counsel@harbor.example.edu")  # fmt: skip
    assert receive(counsel).route == "agreement_version"
    stranger = mail(prospect, sender="eve@elsewhere.example.com",
                    files={"v3.docx": edited(FIRST, {}, append="Eve gets everything.")},
                    message_id="eve@elsewhere.example.com")  # fmt: skip
    message = receive(stranger)
    assert (message.route, message.engagement) == ("reply", prospect)
    assert agreement.versions.count() == 2


def test_a_redline_after_the_agreement_went_out_for_signature_is_kept_on_the_timeline_not_attached(
    prospect, agreement, alice_actor
):
    out_for_signature(agreement, alice_actor)
    late = edited(FIRST, {"Fees": "Costs"})
    raw = mail(prospect, sender="lee@harbor.example.edu", files={"late.docx": late},
               message_id="late@harbor.example.edu")  # fmt: skip
    message = receive(raw)
    assert (message.status, message.route) == ("processed", "agreement_refused")
    assert "late.docx not attached" in message.outcome and "is out for signature" in message.outcome
    agreement.refresh_from_db()
    assert (agreement.status, agreement.versions.count()) == ("out_for_signature", 1)


def test_the_fiscal_sponsors_reply_with_the_signed_pdf_is_the_executed_close(
    prospect, agreement, alice_actor, mailbox_checks_senders
):
    out_for_signature(agreement, alice_actor)
    raw = mail(prospect, sender="CS&S <fsp@codeforscience.org>",
               files={"Harbor - signed.pdf": b"%PDF-1.4 all signatures in"},
               message_id="signed@codeforscience.org", headers=SPONSOR_PROVEN)  # fmt: skip
    message = receive(raw)
    assert (message.status, message.route) == ("processed", "agreement_executed")
    assert "moved to Partner" in message.outcome
    agreement.refresh_from_db()
    assert agreement.status == "executed"
    signed = agreement.versions.get(signed=True)
    assert (signed.filename, signed.content_type) == ("Harbor - signed.pdf", "application/pdf")
    prospect.refresh_from_db()
    assert (prospect.stage, prospect.executed_agreement) == ("partner", agreement.title)
    assert receive(raw.replace(b"signed@", b"signed-again@")).route == "reply"  # executed already: nothing


def test_our_own_file_coming_back_from_the_fiscal_sponsor_is_not_a_signed_copy(
    prospect, agreement, alice_actor
):
    out_for_signature(agreement, alice_actor)
    raw = mail(prospect, sender="fsp@codeforscience.org", files={"agreement.docx": FIRST},
               message_id="will-do@codeforscience.org")  # fmt: skip
    assert receive(raw).route == "reply"
    agreement.refresh_from_db()
    assert agreement.status == "out_for_signature"


def test_the_signed_copy_before_the_agreement_is_ready_changes_nothing(prospect, agreement):
    raw = mail(prospect, sender="fsp@codeforscience.org", files={"signed.pdf": b"%PDF-1.4 too early"},
               message_id="early@codeforscience.org")  # fmt: skip
    assert receive(raw).route == "reply"
    prospect.refresh_from_db()
    assert prospect.stage == "prospect"


def test_an_unproven_fiscal_sponsor_reply_is_held_and_closes_nothing(
    prospect, agreement, alice_actor, mailbox_checks_senders
):
    out_for_signature(agreement, alice_actor)
    forged = mail(prospect, sender="fsp@codeforscience.org", files={"signed.pdf": b"%PDF-1.4 forged"},
                  message_id="forged@codeforscience.org")  # fmt: skip
    held = receive(forged)
    assert (held.status, held.route) == ("held", "held")
    assert "signed copy signed.pdf" in held.outcome and "not proven" in held.outcome
    agreement.refresh_from_db()
    assert agreement.status == "out_for_signature"
    genuine = mail(prospect, sender="fsp@codeforscience.org", files={"signed.pdf": b"%PDF-1.4 genuine"},
                   message_id="genuine@codeforscience.org", headers=SPONSOR_PROVEN)  # fmt: skip
    assert receive(genuine).route == "agreement_executed"
