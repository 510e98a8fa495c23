"""Agreement files that come back by mail, in an engagement's thread.

- The fiscal sponsor's reply with a signed file (.pdf or .docx) while the agreement is ready to
  sign or out for signature: the executed close (`agreement_executed`), which moves the
  engagement to Partner.
- A partner's reply with a .docx while the agreement is still being negotiated (draft,
  negotiating, ready to sign): a new version (`agreement_attach`) with what changed in the text.
  A "partner" is one of the engagement's contacts, or someone at a contact's (non free-mail)
  domain: their counsel writing from the same university, say.

A file we sent ourselves (a version of the agreement, or an attachment of one of our messages on
the engagement) coming back quoted in a reply is not a new version and not a signed copy.
Refusals (the agreement cannot change any more, the file is not a .docx) are kept as the
message's outcome and on the timeline; they are not errors, so the message is not retried.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
from dataclasses import dataclass

from partnerdesk.agreements.closing import agreement_executed
from partnerdesk.agreements.models import Agreement, AgreementVersion
from partnerdesk.agreements.selectors import agreement_for
from partnerdesk.agreements.services import EDITABLE, MAX_FILE_BYTES, agreement_attach
from partnerdesk.documents.base import DocumentStoreError
from partnerdesk.inbound.parsing import AttachmentFile, ParsedMessage, attachment_files
from partnerdesk.inbound.reading import organization_from_domain
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.services import Actor, ServiceError
from partnerdesk.profile import get_profile

Status = Agreement.Status
SIGNED_SUFFIXES = (".pdf", ".docx")
SIGNATURE_STATUSES = (Status.READY_TO_SIGN, Status.OUT_FOR_SIGNATURE)
# How many of our own messages on the engagement to look through for files we sent.
OWN_MESSAGES_CHECKED = 50


@dataclass(frozen=True)
class AgreementMail:
    route: str  # agreement_version, agreement_executed, agreement_refused, held
    outcome: str


def _names_a_file(parsed: ParsedMessage, suffixes: tuple[str, ...]) -> bool:
    return any(a.filename.lower().endswith(suffixes) for a in parsed.attachments)


def is_fiscal_sponsor(parsed: ParsedMessage) -> bool:
    """From the profile's fiscal sponsor address (as claimed: the caller checks the proof)."""
    return parsed.from_addr == get_profile().organization.fiscal_sponsor_email


def is_partner(parsed: ParsedMessage, engagement: Engagement) -> bool:
    sender = parsed.from_addr
    emails = list(engagement.contacts.values_list("email", flat=True))
    if sender in emails:
        return True
    domain = organization_from_domain(sender)
    return bool(domain) and any(organization_from_domain(e) == domain for e in emails)


def _sent_by_us(engagement: Engagement, agreement: Agreement) -> set[str]:
    """SHA-256 of every file we hold or sent for this agreement: versions, and our messages' attachments."""
    hashes = set(AgreementVersion.objects.filter(agreement=agreement).values_list("sha256", flat=True))
    outgoing = OutboxMessage.objects.filter(engagement=engagement).order_by("-id")[:OWN_MESSAGES_CHECKED]
    for raw in outgoing.values_list("raw", flat=True):
        if not raw:
            continue
        message = email.message_from_bytes(bytes(raw), policy=email.policy.compat32)
        for part in message.walk():
            if part.get_filename():
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    hashes.add(hashlib.sha256(payload).hexdigest())
    return hashes


def _new_files(
    raw: bytes, suffixes: tuple[str, ...], engagement: Engagement, agreement: Agreement
) -> list[AttachmentFile]:
    files = attachment_files(raw, suffixes=suffixes, max_bytes=MAX_FILE_BYTES)
    if not files:
        return []
    ours = _sent_by_us(engagement, agreement)
    return [f for f in files if hashlib.sha256(f.content).hexdigest() not in ours]


def _signed_copy(files: list[AttachmentFile]) -> AttachmentFile:
    """The likeliest signed copy: a file named "signed"/"executed"/"completed", then a PDF."""

    def rank(file: AttachmentFile) -> tuple[int, int]:
        name = file.filename.lower()
        named = any(word in name for word in ("signed", "executed", "completed"))
        return (0 if named else 1, 0 if name.endswith(".pdf") else 1)

    return sorted(files, key=rank)[0]


def agreement_mail_apply(
    *,
    parsed: ParsedMessage,
    raw: bytes,
    engagement: Engagement,
    sender_proven: bool,
    signed_only: bool = False,
) -> AgreementMail | None:
    """Act on an agreement file in a reply threaded onto `engagement`; None when there is none.

    The fiscal sponsor's signed copy counts only when `sender_proven`: otherwise the answer is
    the route "held" and nothing changes. With `signed_only`, only that signed copy counts (the
    routing asks that before it looks at team members' messages). Safe to call again for the
    same message: the same file is the same version, and an executed agreement stays executed.
    """
    if not _names_a_file(parsed, SIGNED_SUFFIXES):
        return None
    agreement = agreement_for(engagement)
    if agreement is None or not agreement.is_open:
        return None
    actor = Actor(label=f"mail:{parsed.from_addr}")
    if is_fiscal_sponsor(parsed) and agreement.status in SIGNATURE_STATUSES:
        files = _new_files(raw, SIGNED_SUFFIXES, engagement, agreement)
        if not files:
            return None
        signed = _signed_copy(files)
        if not sender_proven:
            return AgreementMail(
                "held", f"the fiscal sponsor's signed copy {signed.filename} of {agreement.title}"
            )
        try:
            close = agreement_executed(
                engagement=engagement, signed_file=signed.content, filename=signed.filename, actor=actor
            )
        except (ServiceError, DocumentStoreError) as exc:
            return AgreementMail(
                "agreement_refused", f"{signed.filename} not taken as the signed copy: {exc}"
            )
        text = f"{agreement.title} executed with the signed copy {signed.filename}"
        if close.moved_to_partner:
            text += f"; {engagement.reference} moved to Partner"
        return AgreementMail("agreement_executed", "; ".join([text, *close.notes]))
    if signed_only or not (is_partner(parsed, engagement) or is_fiscal_sponsor(parsed)):
        return None
    if not _names_a_file(parsed, (".docx",)):
        return None
    files = _new_files(raw, (".docx",), engagement, agreement)
    if not files:
        return None
    if agreement.status not in EDITABLE:
        names = ", ".join(f.filename for f in files)
        return AgreementMail(
            "agreement_refused",
            f"{names} not attached: {agreement.title} is {agreement.get_status_display().lower()}",
        )
    done = []
    for file in files:
        try:
            version = agreement_attach(
                agreement=agreement, content=file.content, filename=file.filename, actor=actor
            )
        except (ServiceError, DocumentStoreError) as exc:
            done.append(f"{file.filename} not attached: {exc}")
            continue
        done.append(f"{file.filename} is version {version.number} of {agreement.title}")
        agreement.refresh_from_db()
    return AgreementMail("agreement_version", "; ".join(done))
