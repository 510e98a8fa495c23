"""Reads of agreements: the one an engagement works on, what it lacks, and its JSON shape."""

from __future__ import annotations

from typing import Any

from partnerdesk.agreements.models import Agreement
from partnerdesk.agreements.readiness import AgreementFacts, missing_for_signature
from partnerdesk.pipeline.models import Engagement
from partnerdesk.profile import get_profile


def required_addenda() -> list[str]:
    """The addenda the profile requires before signing (`[agreements] required_addenda`)."""
    return list(get_profile().agreements.required_addenda)


def agreement_for(engagement: Engagement) -> Agreement | None:
    """The agreement in the works, else the latest one (executed or withdrawn)."""
    agreements = Agreement.objects.filter(engagement=engagement).select_related("engagement__organization")
    open_one = agreements.exclude(status__in=[Agreement.Status.EXECUTED, Agreement.Status.WITHDRAWN]).first()
    return open_one or agreements.order_by("-id").first()


def agreement_facts(agreement: Agreement) -> AgreementFacts:
    return AgreementFacts(
        signatories=agreement.signatories.count(),
        value=agreement.value,
        currency=agreement.currency,
        term_start=agreement.term_start,
        term_end=agreement.term_end,
        addenda=list(agreement.addenda.values_list("kind", "due_on")),
        versions=agreement.versions.count(),
    )


def agreement_missing(agreement: Agreement) -> list[str]:
    return missing_for_signature(agreement_facts(agreement), required_addenda=required_addenda())


def signatories_text(agreement: Agreement) -> str:
    """One line per signatory, in signing order, for emails and previews."""
    lines = []
    for number, person in enumerate(agreement.signatories.all(), start=1):
        extra = ", ".join(part for part in (person.role, person.organization) if part)
        lines.append(f"{number}. {person.name} <{person.email}>" + (f" ({extra})" if extra else ""))
    return "\n".join(lines) or "(no signatories yet)"


def agreement_as_dict(agreement: Agreement) -> dict[str, Any]:
    return {
        "engagement": agreement.engagement.reference,
        "title": agreement.title,
        "status": agreement.status,
        "value": str(agreement.value) if agreement.value is not None else None,
        "currency": agreement.currency or None,
        "term_start": agreement.term_start.isoformat() if agreement.term_start else None,
        "term_end": agreement.term_end.isoformat() if agreement.term_end else None,
        "executed_on": agreement.executed_on.isoformat() if agreement.executed_on else None,
        "folder": agreement.folder_path,
        "signatories": [
            {
                "name": s.name,
                "email": s.email,
                "organization": s.organization,
                "role": s.role,
                "signed_at": s.signed_at.isoformat() if s.signed_at else None,
            }
            for s in agreement.signatories.all()
        ],
        "addenda": [
            {
                "id": a.pk,
                "kind": a.kind.replace("_", "-"),
                "title": a.title,
                "description": a.description,
                "due_on": a.due_on.isoformat() if a.due_on else None,
            }
            for a in agreement.addenda.all()
        ],
        "versions": [
            {
                "number": v.number,
                "title": v.title,
                "filename": v.filename,
                "signed": v.signed,
                "sha256": v.sha256,
                "actor": v.actor,
                "created_at": v.created_at.isoformat(),
                "changes": v.changes,
            }
            for v in agreement.versions.all()
        ],
        "open_points": [
            {
                "id": p.pk,
                "text": p.task.title.removeprefix("Open point: "),
                "done": p.task.done_at is not None,
                "task": p.task_id,
            }
            for p in agreement.open_points.select_related("task")
        ],
        "missing_for_signature": agreement_missing(agreement) if agreement.is_open else [],
    }
