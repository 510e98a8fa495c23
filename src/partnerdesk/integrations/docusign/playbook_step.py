"""circulate_for_signature: the draft agreement goes to the signatories, in a DocuSign envelope when
the profile configures DocuSign, else as the step's email to the fiscal sponsor (the handbook's
way). Registered with the playbooks' step kinds by DocuSignConfig.ready."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from partnerdesk.agreements.selectors import agreement_for
from partnerdesk.documents.base import DocumentStoreError
from partnerdesk.integrations.docusign.envelopes import DocuSignConfig, DocuSignError, docusign_config
from partnerdesk.integrations.docusign.sending import envelope_send
from partnerdesk.playbooks.context import RunContext, StepFailed
from partnerdesk.playbooks.specs import Text, check_template, render
from partnerdesk.playbooks.steps import StepKind, StepOutcome
from partnerdesk.playbooks.steps.agreements import current_version
from partnerdesk.playbooks.steps.email import SendEmailStep, execute_send_email, preview_send_email


class CirculateForSignatureStep(SendEmailStep):
    """The signature request: this email (to the fiscal sponsor), or, when the profile turns
    DocuSign on, a DocuSign envelope to the agreement's signatories instead."""

    kind: Literal["circulate_for_signature"]  # type: ignore[assignment]
    attach_agreement: bool = True
    docusign_subject: Text = "Please sign: {agreement}"

    _docusign_templates = field_validator("docusign_subject")(check_template)


def _docusign() -> DocuSignConfig | None:
    try:
        return docusign_config()
    except DocuSignError as exc:
        raise StepFailed(str(exc)) from exc


def preview_circulate_for_signature(step: CirculateForSignatureStep, ctx: RunContext) -> list[str]:
    config = _docusign()
    if config is None:
        return preview_send_email(step, ctx)
    agreement = agreement_for(ctx.engagement) if ctx.engagement is not None else None
    if agreement is None:
        return ["FAILS: the engagement has no services agreement"]
    version = current_version(agreement)
    lines = [
        f"Send a DocuSign envelope (account {config.account_id}, {config.base_url}) instead of the email:",
        f"    subject: {render(step.docusign_subject, ctx.variables)}",
        f"    document: {version.filename} (version {version.number})",
        "    signers, in routing order:",
    ]
    return lines + [f"      {s.position}. {s.name} <{s.email}>" for s in agreement.signatories.all()]


def execute_circulate_for_signature(
    step: CirculateForSignatureStep, ctx: RunContext, key: str
) -> StepOutcome:
    config = _docusign()
    if config is None:
        return execute_send_email(step, ctx, key)
    assert ctx.engagement is not None
    agreement = agreement_for(ctx.engagement)
    if agreement is None:
        raise StepFailed("the engagement has no services agreement")
    try:
        envelope = envelope_send(
            agreement=agreement,
            config=config,
            actor=ctx.actor,
            subject=render(step.docusign_subject, ctx.variables),
            idempotency_key=key,
        )
    except DocuSignError as exc:
        again = "" if exc.permanent else " (a passing failure: run the playbook again to retry)"
        raise StepFailed(f"{exc}{again}") from exc
    except DocumentStoreError as exc:
        raise StepFailed(f"document store: {exc}") from exc
    count = agreement.signatories.count()
    return StepOutcome(
        detail=f"DocuSign envelope {envelope.envelope_id} sent to the {count} signatories",
        result={"envelope": envelope.envelope_id},
    )


CIRCULATE_FOR_SIGNATURE = StepKind(
    CirculateForSignatureStep,
    preview_circulate_for_signature,
    execute_circulate_for_signature,
    calls_out=True,
)
