"""Sending the agreement for signature through DocuSign, as a row first and a call after.

The SignatureEnvelope row (status "sending") is committed before DocuSign is called, outside any
transaction; the answer fills in the envelope id, or marks the row failed with the error. The
same idempotency key (a playbook step's) gives back the envelope already sent. An attempt whose
outcome is unknown (the process died during the call) is not repeated blindly: DocuSign has no
idempotency key, and a second envelope would ask everyone to sign twice.
"""

from __future__ import annotations

from django.db import transaction

from partnerdesk.agreements.models import Agreement, SignatureEnvelope
from partnerdesk.agreements.selectors import agreement_missing
from partnerdesk.agreements.services import AgreementNotReady, agreement_record
from partnerdesk.agreements.storage import read_file
from partnerdesk.integrations.docusign.envelopes import (
    PROVIDER,
    DocuSignConfig,
    DocuSignError,
    Signer,
    envelope_create,
    envelope_definition,
)
from partnerdesk.lib import clock
from partnerdesk.pipeline.services import Actor, ServiceError

Status = Agreement.Status


def envelope_send(
    *, agreement: Agreement, config: DocuSignConfig, actor: Actor, subject: str, idempotency_key: str
) -> SignatureEnvelope:
    """Send the agreement's current version to its signatories, in their signing order."""
    done = SignatureEnvelope.objects.filter(idempotency_key=idempotency_key).first()
    if done is not None and done.envelope_id:
        return done
    if done is not None and done.status == SignatureEnvelope.SENDING:
        raise DocuSignError(
            f"an earlier attempt to send {agreement.title} to DocuSign has no known outcome: look for the "
            f"envelope in DocuSign, then mark the row {done.pk} failed in the admin to send again",
            permanent=True,
        )
    if agreement.status not in (Status.READY_TO_SIGN, Status.OUT_FOR_SIGNATURE):
        missing = agreement_missing(agreement)
        if missing:
            raise AgreementNotReady(agreement, missing)
        raise ServiceError(
            f"{agreement.title} is {agreement.get_status_display().lower()}, not ready to sign"
        )
    version = agreement.versions.filter(signed=False).order_by("-number").first()
    if version is None:
        raise ServiceError(f"{agreement.title} has no version to send")
    signers = [Signer(s.name, s.email, s.position) for s in agreement.signatories.all()]
    definition = envelope_definition(
        subject=subject,
        document=read_file(version.store_id),
        name=agreement.title,
        filename=version.filename,
        signers=signers,
    )
    if done is None:
        done = SignatureEnvelope.objects.create(
            agreement=agreement,
            version=version,
            provider=PROVIDER,
            status=SignatureEnvelope.SENDING,
            created_at=clock.now(),
            idempotency_key=idempotency_key,
        )
    else:  # a failed attempt, tried again
        SignatureEnvelope.objects.filter(pk=done.pk).update(status=SignatureEnvelope.SENDING, error="")
    try:
        envelope_id, status = envelope_create(config, definition)
    except DocuSignError as exc:
        SignatureEnvelope.objects.filter(pk=done.pk).update(
            status=SignatureEnvelope.FAILED, error=str(exc)[:2000]
        )
        raise
    with transaction.atomic():
        SignatureEnvelope.objects.filter(pk=done.pk).update(
            envelope_id=envelope_id, status=status[:20], error=""
        )
        names = ", ".join(f"{s.routing_order}. {s.name} <{s.email}>" for s in signers)
        agreement_record(
            agreement,
            actor,
            f"DocuSign envelope {envelope_id} sent ({status}) with version {version.number}: {names}",
            envelope=envelope_id,
            version=version.number,
        )
    done.refresh_from_db()
    return done
