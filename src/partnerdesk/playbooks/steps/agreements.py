"""create_agreement and set_agreement_status, and the agreement as an email attachment
(circulate_for_signature is integrations/docusign/playbook_step.py: by email, or in an envelope)."""

from __future__ import annotations

import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import field_validator

from partnerdesk.agreements import services as agreements
from partnerdesk.agreements import status
from partnerdesk.agreements.models import Agreement, AgreementVersion
from partnerdesk.agreements.selectors import agreement_for
from partnerdesk.agreements.storage import read_file
from partnerdesk.documents.base import DOCX_MIMETYPE, DocumentStoreError, file_name_for
from partnerdesk.documents.models import Document
from partnerdesk.mail.composing import Attachment
from partnerdesk.playbooks.context import RunContext, StepFailed
from partnerdesk.playbooks.specs import Name, StepReference, StepSpecBase, check_template, render
from partnerdesk.playbooks.steps import StepOutcome
from partnerdesk.playbooks.steps.documents import document_title
from partnerdesk.profile import get_profile


class CreateAgreementStep(StepSpecBase):
    kind: Literal["create_agreement"]
    # The copy_template step that made the draft: it becomes the agreement's version 1.
    document: Name
    references = (StepReference("document", "copy_template"),)


class SetAgreementStatusStep(StepSpecBase):
    kind: Literal["set_agreement_status"]
    to: Literal["ready_to_sign", "out_for_signature"]
    # How it went out, for the timeline ("the fiscal sponsor, for DocuSign").
    via: str = ""

    _more_templates = field_validator("via")(check_template)


CONVERTER_TIMEOUT_SECONDS = 180


def preview_create_agreement(step: CreateAgreementStep, ctx: RunContext) -> list[str]:
    title = document_title(step.document, ctx)
    current = agreement_for(ctx.engagement) if ctx.engagement is not None else None
    if (
        current is not None
        and current.is_open
        and (current.document is None or current.document.title != title)
    ):
        return [f"FAILS: {ctx.variables['reference']} already has an agreement in the works: {current.title}"]
    return [f"Track {title!r} as the engagement's services agreement (draft, version 1)"]


def execute_create_agreement(step: CreateAgreementStep, ctx: RunContext, key: str) -> StepOutcome:
    assert ctx.engagement is not None
    document = Document.objects.get(pk=ctx.results[step.document]["document"])
    try:
        agreement = agreements.agreement_create(
            engagement=ctx.engagement, actor=ctx.actor, document=document, idempotency_key=key
        )
    except DocumentStoreError as exc:
        raise StepFailed(f"document store: {exc}") from exc
    return StepOutcome(
        detail=f"agreement {agreement.title!r} ({agreement.get_status_display().lower()})",
        result={"agreement": agreement.pk},
    )


STATUS_LABELS = {"ready_to_sign": "ready to sign", "out_for_signature": "out for signature"}


def _envelope_via(ctx: RunContext) -> str:
    """ "DocuSign envelope ID" when an earlier step of the run sent the agreement through DocuSign."""
    for result in ctx.results.values():
        if result.get("envelope"):
            return f"DocuSign envelope {result['envelope']}"
    return ""


def preview_set_agreement_status(step: SetAgreementStatusStep, ctx: RunContext) -> list[str]:
    via = f" ({render(step.via, ctx.variables)})" if step.via else ""
    return [f"Mark the agreement {ctx.variables['agreement']!r} {STATUS_LABELS[step.to]}{via}"]


def execute_set_agreement_status(step: SetAgreementStatusStep, ctx: RunContext, key: str) -> StepOutcome:
    assert ctx.engagement is not None
    agreement = agreement_for(ctx.engagement)
    if agreement is None:
        raise StepFailed("the engagement has no services agreement")
    if step.to == "ready_to_sign":
        agreement = status.agreement_mark_ready(agreement=agreement, actor=ctx.actor)
    else:
        via = _envelope_via(ctx) or render(step.via, ctx.variables) or "by email"
        agreement = status.agreement_mark_out_for_signature(agreement=agreement, actor=ctx.actor, via=via)
    return StepOutcome(detail=f"{agreement.title!r} is {agreement.get_status_display().lower()}")


def current_version(agreement: Agreement) -> AgreementVersion:
    version = agreement.versions.filter(signed=False).order_by("-number").first()
    if version is None:
        raise StepFailed(f"{agreement.title} has no version to attach")
    return version


def pdf_converter() -> str:
    """The profile's PDF converter command (`[agreements] pdf_converter`), empty when none."""
    return get_profile().agreements.pdf_converter


def convert_to_pdf(content: bytes, command: str) -> bytes:
    """Run the converter on the .docx: `{input}` is the file, `{outdir}` the folder for the PDF
    (e.g. `libreoffice --headless --convert-to pdf --outdir {outdir} {input}`)."""
    with tempfile.TemporaryDirectory(prefix="partnerdesk-pdf-") as folder:
        source = Path(folder) / "in" / "agreement.docx"
        outdir = Path(folder) / "out"
        source.parent.mkdir()
        outdir.mkdir()
        source.write_bytes(content)
        argv = [
            part.replace("{input}", str(source)).replace("{outdir}", str(outdir))
            for part in shlex.split(command)
        ]
        try:
            done = subprocess.run(
                argv, cwd=outdir, capture_output=True, timeout=CONVERTER_TIMEOUT_SECONDS, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise StepFailed(f"the PDF converter {argv[0]!r} did not run: {exc}") from exc
        pdfs = sorted(outdir.glob("*.pdf"))
        if done.returncode != 0 or not pdfs:
            said = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise StepFailed(f"the PDF converter failed (exit {done.returncode}): {said[0][:200]}")
        return pdfs[0].read_bytes()


def _filename(version: AgreementVersion) -> str:
    return file_name_for(version.agreement.title)


def agreement_attachment_names(ctx: RunContext) -> list[str]:
    agreement = agreement_for(ctx.engagement) if ctx.engagement is not None else None
    if agreement is None:
        return ["FAILS: the engagement has no services agreement"]
    version = current_version(agreement)
    names = [f"{_filename(version)}.docx (version {version.number})"]
    if pdf_converter():
        names.append(f"{_filename(version)}.pdf (converted)")
    return names


def agreement_attachments(ctx: RunContext) -> list[Attachment]:
    assert ctx.engagement is not None
    agreement = agreement_for(ctx.engagement)
    if agreement is None:
        raise StepFailed("the engagement has no services agreement to attach")
    version = current_version(agreement)
    try:
        content = read_file(version.store_id)
    except DocumentStoreError as exc:
        raise StepFailed(f"document store: {exc}") from exc
    name = _filename(version)
    attachments = [Attachment(filename=f"{name}.docx", content=content, mimetype=DOCX_MIMETYPE)]
    command = pdf_converter()
    if command:
        attachments.append(
            Attachment(
                filename=f"{name}.pdf", content=convert_to_pdf(content, command), mimetype="application/pdf"
            )
        )
    return attachments
