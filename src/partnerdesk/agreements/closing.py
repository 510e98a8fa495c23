"""The executed close: the fully signed agreement came back.

Whatever brings it (a team member's upload, the fiscal sponsor's reply with the signed file,
an e-signature provider's webhook) calls `agreement_executed`: the agreement becomes executed,
the engagement's executed close is recorded with the agreement's name (which satisfies the
Prospect -> Partner guard), the stage moves to Partner, and the follow-ups registered with
`partner_follow_up_register` queue their work for the worker: the partner phase's first playbook
(`launch-meeting`) and the hand-off to engineering.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from django.db import transaction

from partnerdesk.agreements import storage
from partnerdesk.agreements.models import Agreement
from partnerdesk.agreements.selectors import agreement_for, agreement_missing
from partnerdesk.agreements.services import (
    AgreementNotReady,
    agreement_file_check,
    agreement_locked,
    agreement_record,
    agreement_save,
    agreement_version_add,
)
from partnerdesk.documents.base import DOCX_MIMETYPE
from partnerdesk.lib import clock
from partnerdesk.lib import text as limits
from partnerdesk.pipeline import services as pipeline
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.services import Actor, ServiceError
from partnerdesk.pipeline.stages import Stage

Status = Agreement.Status
SIGNED_SUFFIXES = {".docx": DOCX_MIMETYPE, ".pdf": "application/pdf"}


@dataclass
class ExecutedClose:
    agreement: Agreement
    already: bool = False
    moved_to_partner: bool = False
    notes: list[str] = field(default_factory=list)
    queued: list[Any] = field(default_factory=list)  # what the follow-ups queued for the worker


# What starts once the close made the engagement a Partner: each queues its work for the worker in
# the close's own transaction and says in `notes` what it did or what stopped it (returning what it
# queued, or None). The apps that own the work register it (playbooks: the partner phase's first
# playbook; technical: the hand-off to engineering), because they sit above agreements.
PartnerFollowUp = Callable[[Engagement, Actor, list[str]], Any]
_partner_follow_ups: list[PartnerFollowUp] = []


def partner_follow_up_register(follow_up: PartnerFollowUp) -> None:
    if follow_up not in _partner_follow_ups:
        _partner_follow_ups.append(follow_up)


def _signed_file(agreement: Agreement, content: bytes, filename: str) -> tuple[str, str, str, str]:
    """Store the signed copy; returns (store, store_id, title, text)."""
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix not in SIGNED_SUFFIXES:
        raise ServiceError(f"{filename}: the signed agreement must be a .pdf or a .docx file")
    text = ""
    if suffix == ".docx":
        text = agreement_file_check(content, filename)
    elif not content.startswith(b"%PDF"):
        raise ServiceError(f"{filename} is not a PDF file")
    title = f"{agreement.title} - signed"
    store, item = storage.put_file(
        folder_path=agreement.folder_path, name=title, content=content, suffix=suffix
    )
    return store, item.store_id, title, text


def agreement_executed(
    *,
    engagement: Engagement,
    signed_file: bytes | None,
    filename: str,
    actor: Actor,
    on: dt.date | None = None,
) -> ExecutedClose:
    """Mark the engagement's agreement executed, record the executed close, move to Partner.

    `signed_file` (with its `filename`, .pdf or .docx) is kept as the agreement's signed
    version; None when the signed copy is kept elsewhere. Calling it again for an agreement
    already executed changes nothing. The agreement must be ready to sign or out for signature.
    """
    agreement = agreement_for(engagement)
    if agreement is None:
        raise ServiceError(f"{engagement.reference} has no agreement to mark executed")
    if agreement.status == Status.EXECUTED:
        return ExecutedClose(agreement, already=True, notes=[f"{agreement.title} was already executed"])
    if agreement.status not in (Status.READY_TO_SIGN, Status.OUT_FOR_SIGNATURE):
        missing = agreement_missing(agreement)
        if missing:
            raise AgreementNotReady(agreement, missing)
        raise ServiceError(
            f"{agreement.title} is {agreement.get_status_display().lower()}: mark it ready to sign first"
        )
    stored = _signed_file(agreement, signed_file, filename) if signed_file is not None else None
    on = on or clock.today()
    report = ExecutedClose(agreement)
    with transaction.atomic():
        locked = agreement_locked(agreement)
        if locked.status == Status.EXECUTED:
            return ExecutedClose(locked, already=True, notes=[f"{locked.title} was already executed"])
        if stored is not None:
            store, store_id, title, text = stored
            agreement_version_add(
                locked,
                title=title,
                store=store,
                store_id=store_id,
                filename=filename,
                content=signed_file or b"",
                actor=actor,
                signed=True,
                text=text,
            )
        locked.status = Status.EXECUTED
        locked.executed_on = on
        agreement_save(locked, ["status", "executed_on"])
        locked.signatories.filter(signed_at__isnull=True).update(signed_at=clock.now())
        how = f"signed copy {filename}" if stored else "no signed copy attached"
        agreement_record(
            locked,
            actor,
            f"Agreement executed on {on.isoformat()} ({how}): {locked.title}",
            executed_on=on.isoformat(),
            filename=filename if stored else "",
        )
        pipeline.engagement_record_executed_close(  # a title can be longer than a reference may be
            engagement=engagement, agreement=locked.title[: limits.AGREEMENT_REFERENCE], actor=actor, on=on
        )
        if engagement.stage == Stage.PROSPECT.value:
            pipeline.engagement_move(engagement=engagement, to=Stage.PARTNER, actor=actor)
            report.moved_to_partner = True
            for follow_up in _partner_follow_ups:
                with transaction.atomic():  # a follow-up that fails to queue leaves the close whole
                    queued = follow_up(engagement, actor, report.notes)
                if queued is not None:
                    report.queued.append(queued)
        else:
            report.notes.append(
                f"{engagement.reference} is at {Stage(engagement.stage).label}, not Prospect:"
                " the stage is unchanged"
            )
    report.agreement = locked
    return report
