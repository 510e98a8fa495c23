"""The agreement's way to a signature: ready to sign, out for signature, or withdrawn."""

from __future__ import annotations

from django.db import transaction

from partnerdesk.agreements.models import Agreement
from partnerdesk.agreements.selectors import agreement_missing
from partnerdesk.agreements.services import (
    AgreementNotReady,
    agreement_locked,
    agreement_record,
    agreement_refuse_unless_editable,
    agreement_save,
)
from partnerdesk.pipeline.services import Actor, ServiceError

Status = Agreement.Status


def agreement_mark_ready(*, agreement: Agreement, actor: Actor) -> Agreement:
    """Ready to sign, or AgreementNotReady naming everything missing."""
    with transaction.atomic():
        locked = agreement_locked(agreement)
        if locked.status == Status.READY_TO_SIGN:
            return locked
        agreement_refuse_unless_editable(locked)
        missing = agreement_missing(locked)
        if missing:
            raise AgreementNotReady(locked, missing)
        locked.status = Status.READY_TO_SIGN
        agreement_save(locked, ["status"])
        agreement_record(locked, actor, f"Agreement ready to sign: {locked.title}")
    agreement.refresh_from_db()
    return agreement


def agreement_mark_out_for_signature(*, agreement: Agreement, actor: Actor, via: str) -> Agreement:
    """The executable agreement went out for signature (`via`: the fiscal sponsor, DocuSign...)."""
    with transaction.atomic():
        locked = agreement_locked(agreement)
        if locked.status == Status.OUT_FOR_SIGNATURE:
            return locked
        if locked.status != Status.READY_TO_SIGN:
            missing = agreement_missing(locked)
            if missing:
                raise AgreementNotReady(locked, missing)
            raise ServiceError(f"{locked.title} is {locked.get_status_display().lower()}, not ready to sign")
        locked.status = Status.OUT_FOR_SIGNATURE
        agreement_save(locked, ["status"])
        agreement_record(locked, actor, f"Agreement out for signature ({via}): {locked.title}", via=via)
    agreement.refresh_from_db()
    return agreement


def agreement_withdraw(*, agreement: Agreement, actor: Actor, reason: str) -> Agreement:
    reason = " ".join(reason.split())
    if not reason:
        raise ServiceError("give a reason for withdrawing the agreement")
    with transaction.atomic():
        locked = agreement_locked(agreement)
        if not locked.is_open:
            raise ServiceError(f"{locked.title} is {locked.get_status_display().lower()}")
        locked.status = Status.WITHDRAWN
        agreement_save(locked, ["status"])
        agreement_record(locked, actor, f"Agreement withdrawn: {reason}", reason=reason)
    agreement.refresh_from_db()
    return agreement
