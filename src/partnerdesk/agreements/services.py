"""Every write to an agreement: keyword-only functions named `agreement_<verb>`.

Each change writes one timeline entry (kind "agreement") in the same transaction. Store writes
(a version's file) come first, outside the transaction, and are find-or-create, so a retry
after a failure writes only what is missing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from partnerdesk.agreements import storage
from partnerdesk.agreements.billing import BILLING_FIELDS, billing_terms, check_amounts
from partnerdesk.agreements.diffing import docx_paragraphs, summarize_changes
from partnerdesk.agreements.models import Addendum, Agreement, AgreementVersion, Signatory
from partnerdesk.agreements.readiness import ADDENDUM_LABELS, addendum_kind
from partnerdesk.agreements.selectors import agreement_for
from partnerdesk.documents.base import DOCX_MIMETYPE, file_name_for
from partnerdesk.documents.models import Document
from partnerdesk.lib import clock
from partnerdesk.lib.addresses import parse_contact
from partnerdesk.lib.currencies import CurrencyError, currency_code
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from partnerdesk.pipeline.services import Actor, ServiceError, timeline_record
from partnerdesk.profile import get_profile

Status = Agreement.Status
MAX_FILE_BYTES = 25 * 1024 * 1024
# The statuses in which the text and terms may still change.
EDITABLE = (Status.DRAFT, Status.NEGOTIATING, Status.READY_TO_SIGN)


class AgreementNotReady(ServiceError):
    def __init__(self, agreement: Agreement, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(f"{agreement.title} is not ready to sign: missing " + "; ".join(missing))


def agreement_title(engagement: Engagement, on: dt.date | None = None) -> str:
    """The handbook's name: `PartnerX + 2i2c/CS&S - Services Agreement YYYY-MM-DD`."""
    organization = get_profile().organization
    return (
        f"{engagement.organization.name} + {organization.name}/{organization.fiscal_sponsor_name}"
        f" - Services Agreement {(on or clock.today()).isoformat()}"
    )


# The building blocks every writer of agreements shares (status.py, points.py, closing.py, the
# DocuSign sending): a dated timeline entry, the row locked for the change, the editable check, the
# save that stamps updated_at, a new version, a file's check. One place each, used by all.


def agreement_record(agreement: Agreement, actor: Actor, summary: str, **data: Any) -> None:
    """The agreement's change on its engagement's timeline, with its id, title and status."""
    timeline_record(
        engagement=agreement.engagement,
        kind=TimelineEntry.Kind.AGREEMENT,
        actor=actor,
        summary=summary,
        data={"agreement": agreement.pk, "title": agreement.title, "status": agreement.status, **data},
    )


def agreement_locked(agreement: Agreement) -> Agreement:
    return (
        Agreement.objects.select_for_update().select_related("engagement__organization").get(pk=agreement.pk)
    )


def agreement_refuse_unless_editable(agreement: Agreement) -> None:
    if agreement.status not in EDITABLE:
        raise ServiceError(
            f"{agreement.title} is {agreement.get_status_display().lower()}: it can no longer change"
        )


def agreement_save(agreement: Agreement, fields: list[str]) -> None:
    agreement.updated_at = clock.now()
    agreement.save(update_fields=[*fields, "updated_at"])


def _reopen_if_ready(agreement: Agreement, actor: Actor, why: str) -> None:
    """A change to an agreement marked ready to sign takes it back to negotiation."""
    if agreement.status == Status.READY_TO_SIGN:
        agreement.status = Status.NEGOTIATING
        agreement_save(agreement, ["status"])
        agreement_record(agreement, actor, f"Agreement back to negotiation: {why}")


def agreement_create(
    *,
    engagement: Engagement,
    actor: Actor,
    title: str | None = None,
    document: Document | None = None,
    idempotency_key: str | None = None,
) -> Agreement:
    """The engagement's agreement (a draft), version 1 being `document` when given.

    The same idempotency key, or the same document, gives the agreement already made; another
    agreement in the works for the engagement is refused (withdraw it first).
    """
    if idempotency_key is not None:
        found = Agreement.objects.filter(idempotency_key=idempotency_key).first()
        if found is not None:
            return found
    content = storage.read_file(document.store_id) if document is not None else None
    with transaction.atomic():
        Engagement.objects.select_for_update().filter(pk=engagement.pk).first()
        current = agreement_for(engagement)
        if current is not None and current.is_open:
            if document is not None and current.document_id == document.pk:
                return current
            raise ServiceError(
                f"{engagement.reference} already has an agreement in the works: {current.title} "
                f"({current.get_status_display().lower()}); withdraw it first"
            )
        now = clock.now()
        agreement = Agreement.objects.create(
            engagement=engagement,
            title=(document.title if document else title or agreement_title(engagement)).strip(),
            document=document,
            folder_path=document.folder_path
            if document
            else get_profile().partner_folder(engagement.organization.name),
            created_at=now,
            updated_at=now,
            idempotency_key=idempotency_key,
        )
        if document is not None and content is not None:
            agreement_version_add(
                agreement,
                title=document.title,
                store=document.store,
                store_id=document.store_id,
                filename=file_name_for(document.title) + ".docx",
                content=content,
                actor=actor,
            )
        agreement_record(
            agreement,
            actor,
            f"Agreement started (draft): {agreement.title}",
            document=getattr(document, "pk", None),
        )
    return agreement


def agreement_version_add(
    agreement: Agreement,
    *,
    title: str,
    store: str,
    store_id: str,
    filename: str,
    content: bytes,
    actor: Actor,
    signed: bool = False,
    text: str | None = None,
) -> AgreementVersion:
    previous = agreement.versions.exclude(text="").order_by("-number").first()
    if text is None:
        text = "\n".join(docx_paragraphs(content))
    changes = ""
    if previous is not None and text:
        changes = summarize_changes(previous.text.split("\n"), text.split("\n"))
    number = (agreement.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    return AgreementVersion.objects.create(
        agreement=agreement,
        number=number,
        title=title,
        store=store,
        store_id=store_id,
        filename=filename,
        content_type=DOCX_MIMETYPE if filename.lower().endswith(".docx") else "application/pdf",
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        text=text,
        changes=changes,
        signed=signed,
        actor=actor.label,
        created_at=clock.now(),
    )


def agreement_file_check(content: bytes, filename: str) -> str:
    if not content:
        raise ServiceError(f"{filename} is empty")
    if len(content) > MAX_FILE_BYTES:
        raise ServiceError(f"{filename} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        return "\n".join(docx_paragraphs(content))
    except ValueError as exc:
        raise ServiceError(f"{filename}: {exc}") from None


def agreement_attach(
    *, agreement: Agreement, content: bytes, filename: str, actor: Actor
) -> AgreementVersion:
    """A new version (a .docx) with a summary of what changed in its text since the last one.

    The same file as the latest version adds nothing and returns that version.
    """
    agreement_refuse_unless_editable(agreement)
    text = agreement_file_check(content, filename)
    latest = agreement.versions.order_by("-number").first()
    if latest is not None and latest.sha256 == hashlib.sha256(content).hexdigest():
        return latest
    number = (latest.number if latest else 0) + 1
    name = f"{agreement.title} v{number}"
    store, item = storage.put_file(folder_path=agreement.folder_path, name=name, content=content)
    with transaction.atomic():
        locked = agreement_locked(agreement)
        agreement_refuse_unless_editable(locked)
        version = agreement_version_add(
            locked,
            title=name,
            store=store,
            store_id=item.store_id,
            filename=filename,
            content=content,
            actor=actor,
            text=text,
        )
        if locked.status != Status.NEGOTIATING:
            locked.status = Status.NEGOTIATING
        agreement_save(locked, ["status"])
        summary = f"Agreement version {version.number} attached ({filename})"
        if version.changes:
            summary += ": " + version.changes.splitlines()[0]
        agreement_record(
            locked, actor, summary, version=version.number, changes=version.changes, filename=filename
        )
    agreement.refresh_from_db()
    return version


def parse_value(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        raise ServiceError(f"{text!r} is not an amount (write 12000 or 12000.50)") from None
    if not value.is_finite() or value < 0 or value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ServiceError(f"{text!r} is not an amount (a positive number, at most two decimals)")
    return value


def _shown(value: Any) -> str:
    if value in (None, "", []):
        return "-"
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def agreement_set_terms(
    *,
    agreement: Agreement,
    actor: Actor,
    value: Decimal | None = None,
    currency: str | None = None,
    term_start: dt.date | None = None,
    term_end: dt.date | None = None,
    payment_terms_days: int | None = None,
    payment_due_on: dt.date | None = None,
    invoice_schedule: str | None = None,
    invoice_amounts: list[Decimal] | None = None,
    billing_contact: str | None = None,
    po_number: str | None = None,
) -> list[str]:
    """Set the agreement's terms (None leaves a field as it is); returns the changes.

    The value, currency and term change only until the agreement is signed. The billing terms
    (payment terms in days or a fixed due date, invoice schedule and amounts per invoice, billing
    contact, purchase order number) may also be set on an executed agreement, to record what was
    signed or a new billing contact; its planned invoices follow. Left empty they are the
    profile's (`[partnership]`).
    """
    if currency is not None:
        try:
            currency = currency_code(currency)
        except CurrencyError as exc:
            raise ServiceError(str(exc)) from None
    billing = billing_terms(
        payment_terms_days=payment_terms_days,
        payment_due_on=payment_due_on,
        invoice_schedule=invoice_schedule,
        invoice_amounts=invoice_amounts,
        billing_contact=billing_contact,
        po_number=po_number,
    )
    with transaction.atomic():
        locked = agreement_locked(agreement)
        contract = {"value": value, "currency": currency, "term_start": term_start, "term_end": term_end}
        # The contract's own terms are settled once signed; billing details may still be recorded.
        changes_contract = any(new is not None and getattr(locked, f) != new for f, new in contract.items())
        if changes_contract or locked.status == Status.WITHDRAWN:
            agreement_refuse_unless_editable(locked)
        changes, fields = [], []
        for field, new in [*contract.items(), *billing.items()]:
            old = getattr(locked, field)
            if (new is None and field not in billing) or old == new:
                continue
            changes.append(f"{field.replace('_', ' ')}: {_shown(old)} -> {_shown(new)}")
            setattr(locked, field, new)
            fields.append(field)
        start, end = locked.term_start, locked.term_end
        if start and end and end <= start:
            raise ServiceError(f"the term ends ({end}) before it starts ({start})")
        if not fields:
            return []
        if {"invoice_amounts", "invoice_schedule", "value"} & set(fields):
            check_amounts(locked)
        agreement_save(locked, fields)
        agreement_record(locked, actor, "Agreement terms: " + "; ".join(changes), changes=changes)
        _reopen_if_ready(locked, actor, "the terms changed")
    agreement.refresh_from_db()
    return changes


def agreement_next_term(
    *,
    agreement: Agreement,
    engagement: Engagement,
    actor: Actor,
    term_start: dt.date,
    term_end: dt.date,
    value: Decimal | None = None,
    currency: str | None = None,
    on: dt.date | None = None,
    **billing: Any,
) -> Agreement:
    """The executed agreement of the next term, on the renewal `engagement`: `agreement`'s value,
    currency, billing terms, signatories and statement of work, with the changes given.

    Deliverables are not carried over (they are dated); `billing` takes `agreement_set_terms`'s
    billing keywords.
    """
    if term_end <= term_start:
        raise ServiceError(f"the term ends ({term_end}) before it starts ({term_start})")
    if currency is not None:
        try:
            currency = currency_code(currency)
        except CurrencyError as exc:
            raise ServiceError(str(exc)) from None
    terms = {field: getattr(agreement, field) for field in BILLING_FIELDS}
    terms.update(billing_terms(**{field: billing.get(field) for field in BILLING_FIELDS}))
    if "invoice_amounts" not in billing and (value is not None or "invoice_schedule" in billing):
        terms["invoice_amounts"] = []  # a new value or schedule: split evenly unless told
    on = on or clock.today()
    now = clock.now()
    with transaction.atomic():
        successor = Agreement.objects.create(
            engagement=engagement,
            title=agreement_title(engagement, on),
            status=Status.EXECUTED,
            folder_path=agreement.folder_path,
            value=agreement.value if value is None else value,
            currency=currency or agreement.currency,
            term_start=term_start,
            term_end=term_end,
            executed_on=on,
            renews=agreement,
            created_at=now,
            updated_at=now,
            **terms,
        )
        check_amounts(successor)
        Signatory.objects.bulk_create(
            Signatory(
                agreement=successor,
                name=person.name,
                email=person.email,
                organization=person.organization,
                role=person.role,
                position=person.position,
                signed_at=now,
            )
            for person in agreement.signatories.all()
        )
        Addendum.objects.bulk_create(
            Addendum(
                agreement=successor,
                kind=addendum.kind,
                title=addendum.title,
                description=addendum.description,
                due_on=None,
                created_at=now,
            )
            for addendum in agreement.addenda.exclude(kind=Addendum.Kind.DELIVERABLE)
        )
        amount = f"{successor.value:,.2f} {successor.currency}" if successor.value is not None else "no value"
        agreement_record(
            successor,
            actor,
            f"Agreement for the next term, {term_start.isoformat()} to {term_end.isoformat()} ({amount}),"
            f" renewing {agreement.title}",
            renews=agreement.pk,
            executed_on=on.isoformat(),
        )
    return successor


def agreement_signatory_add(
    *, agreement: Agreement, person: str, actor: Actor, organization: str = "", role: str = ""
) -> Signatory:
    """Add a signatory (`"Name <email>"`), signing after those already there."""
    name, email = parse_contact(person)
    if not name:
        raise ServiceError(f'give the signatory\'s name as well: "Name <{email}>"')
    with transaction.atomic():
        locked = agreement_locked(agreement)
        agreement_refuse_unless_editable(locked)
        if locked.signatories.filter(email__iexact=email).exists():
            raise ServiceError(f"{email} already signs {locked.title}")
        position = (
            locked.signatories.order_by("-position").values_list("position", flat=True).first() or 0
        ) + 1
        signatory = Signatory.objects.create(
            agreement=locked,
            name=" ".join(name.split()),
            email=email.lower(),
            organization=" ".join((organization or locked.engagement.organization.name).split()),
            role=" ".join(role.split()),
            position=position,
        )
        agreement_record(
            locked,
            actor,
            f"Signatory added: {signatory} ({signatory.role or 'no role'}, {signatory.organization})",
            signatory=signatory.email,
        )
        _reopen_if_ready(locked, actor, "the signatories changed")
    return signatory


def agreement_signatory_remove(*, agreement: Agreement, email: str, actor: Actor) -> None:
    with transaction.atomic():
        locked = agreement_locked(agreement)
        agreement_refuse_unless_editable(locked)
        signatory = locked.signatories.filter(email__iexact=email.strip()).first()
        if signatory is None:
            raise ServiceError(f"{email} is not a signatory of {locked.title}")
        signatory.delete()
        agreement_record(locked, actor, f"Signatory removed: {signatory}", signatory=signatory.email)
        _reopen_if_ready(locked, actor, "the signatories changed")


def agreement_addendum_add(
    *,
    agreement: Agreement,
    kind: str,
    title: str,
    actor: Actor,
    description: str = "",
    due_on: dt.date | None = None,
) -> Addendum:
    try:
        kind = addendum_kind(kind)
    except ValueError as exc:
        raise ServiceError(str(exc)) from None
    title = " ".join(title.split())
    if not title:
        raise ServiceError("the addendum needs a title")
    if kind == "deliverable" and due_on is None:
        raise ServiceError("a deliverable needs a date (--due YYYY-MM-DD)")
    with transaction.atomic():
        locked = agreement_locked(agreement)
        agreement_refuse_unless_editable(locked)
        addendum = Addendum.objects.create(
            agreement=locked,
            kind=kind,
            title=title,
            description=description.strip(),
            due_on=due_on,
            created_at=clock.now(),
        )
        due = f", due {due_on.isoformat()}" if due_on else ""
        agreement_record(
            locked,
            actor,
            f"Addendum added ({ADDENDUM_LABELS[kind].split(' ', 1)[1]}): {title}{due}",
            addendum=addendum.pk,
        )
        _reopen_if_ready(locked, actor, "the addenda changed")
    return addendum


def agreement_addendum_remove(*, agreement: Agreement, addendum_id: int, actor: Actor) -> None:
    with transaction.atomic():
        locked = agreement_locked(agreement)
        agreement_refuse_unless_editable(locked)
        addendum = locked.addenda.filter(pk=addendum_id).first()
        if addendum is None:
            raise ServiceError(f"{locked.title} has no addendum {addendum_id}")
        addendum.delete()
        agreement_record(locked, actor, f"Addendum removed: {addendum.title}", addendum=addendum_id)
        _reopen_if_ready(locked, actor, "the addenda changed")
