"""ensure_folder, copy_template, share and append_running_note: the document workspace."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from partnerdesk.documents.base import DOCX_MIMETYPE, DocumentStoreError, file_name_for, get_store
from partnerdesk.documents.models import Document
from partnerdesk.documents.services import document_from_template, document_share, running_notes_append
from partnerdesk.lib import clock
from partnerdesk.mail.composing import Attachment
from partnerdesk.pipeline.models import Contact
from partnerdesk.playbooks.context import RunContext, StepFailed
from partnerdesk.playbooks.specs import Name, StepReference, StepSpecBase, Text, check_template, render
from partnerdesk.playbooks.steps import StepOutcome


class EnsureFolderStep(StepSpecBase):
    kind: Literal["ensure_folder"]
    path: Text = "{partner_folder}"

    _more_templates = field_validator("path")(check_template)


class CopyTemplateStep(StepSpecBase):
    kind: Literal["copy_template"]
    template: Text
    folder: Text = "{partner_folder}"
    name: Text
    document_kind: Literal["running_notes", "agreement", "other"] = "other"
    replace: dict[Text, str] = Field(default_factory=dict)

    _more_templates = field_validator("template", "folder", "name", "replace")(check_template)


class ShareStep(StepSpecBase):
    kind: Literal["share"]
    document: Name
    with_: Literal["contacts"] = Field("contacts", alias="with")
    role: Literal["editor", "viewer"] = "editor"
    notify: bool = True
    message: str = ""

    model_config = ConfigDict(populate_by_name=True)
    references = (StepReference("document", "copy_template"),)
    _more_templates = field_validator("message")(check_template)


class AppendRunningNoteStep(StepSpecBase):
    kind: Literal["append_running_note"]
    text: Text

    _more_templates = field_validator("text")(check_template)


def _store_failure(exc: DocumentStoreError) -> StepFailed:
    return StepFailed(f"document store: {exc}")


def preview_ensure_folder(step: EnsureFolderStep, ctx: RunContext) -> list[str]:
    return [f"Find or create the folder {render(step.path, ctx.variables)}"]


def execute_ensure_folder(step: EnsureFolderStep, ctx: RunContext, key: str) -> StepOutcome:
    try:
        folder = get_store().ensure_folder(render(step.path, ctx.variables))
    except DocumentStoreError as exc:
        raise _store_failure(exc) from exc
    return StepOutcome(detail=f"folder {folder.path}", result={"path": folder.path})


def _copy(step: CopyTemplateStep, ctx: RunContext) -> tuple[str, str, str, dict[str, str]]:
    variables = ctx.variables
    replacements = {placeholder: render(value, variables) for placeholder, value in step.replace.items()}
    return (
        render(step.template, variables),
        render(step.folder, variables),
        render(step.name, variables),
        replacements,
    )


def preview_copy_template(step: CopyTemplateStep, ctx: RunContext) -> list[str]:
    template, folder, name, replacements = _copy(step, ctx)
    lines = [f"Copy the template {template}", f"    to {folder}/{name}"]
    lines += [f"    replacing {placeholder!r} with {value!r}" for placeholder, value in replacements.items()]
    return lines


def execute_copy_template(step: CopyTemplateStep, ctx: RunContext, key: str) -> StepOutcome:
    assert ctx.engagement is not None
    template, folder, name, replacements = _copy(step, ctx)
    try:
        document = document_from_template(
            engagement=ctx.engagement,
            kind=step.document_kind,
            template=template,
            folder_path=folder,
            title=name,
            replacements=replacements,
            actor=ctx.actor,
            idempotency_key=key,
        )
    except DocumentStoreError as exc:
        raise _store_failure(exc) from exc
    return StepOutcome(
        detail=f"document {document.folder_path}/{document.title}",
        result={"document": document.pk, "title": document.title},
    )


def document_title(step_id: str, ctx: RunContext) -> str:
    """The title the copy_template step `step_id` makes (known before it runs, for previews)."""
    return _copy(ctx.spec.step(step_id), ctx)[2]


def preview_share(step: ShareStep, ctx: RunContext) -> list[str]:
    people = ", ".join(str(person) for person in ctx.contacts) or "(no contacts)"
    notify = "and notify them by email" if step.notify else "without a notification"
    return [f"Share {document_title(step.document, ctx)!r} with {people} as {step.role}s, {notify}"]


def execute_share(step: ShareStep, ctx: RunContext, key: str) -> StepOutcome:
    assert ctx.engagement is not None
    document = Document.objects.get(pk=ctx.results[step.document]["document"])
    contacts = list(Contact.objects.filter(email__in=[person.email for person in ctx.contacts]))
    if not contacts:
        raise StepFailed("no one to share with: the engagement has no contacts")
    shares = document_share(
        document=document,
        contacts=contacts,
        role=step.role,
        actor=ctx.actor,
        notify=step.notify,
        message=render(step.message, ctx.variables),
        idempotency_key=key,
    )
    with_whom = ", ".join(share.contact.email for share in shares) or "no one new"
    return StepOutcome(detail=f"shared {document.title!r} with {with_whom}", result={"shares": len(shares)})


def preview_running_note(step: AppendRunningNoteStep, ctx: RunContext) -> list[str]:
    text = render(step.text, ctx.variables)
    return [f"Add the dated entry {clock.today().isoformat()} {text!r} to the running notes"]


def execute_running_note(step: AppendRunningNoteStep, ctx: RunContext, key: str) -> StepOutcome:
    assert ctx.engagement is not None
    text = render(step.text, ctx.variables)
    try:
        document = running_notes_append(
            engagement=ctx.engagement, text=text, actor=ctx.actor, idempotency_key=key
        )
    except DocumentStoreError as exc:
        raise _store_failure(exc) from exc
    return StepOutcome(detail=f"entry added to {document.title!r}", result={"document": document.pk})


def attachments_of(step_ids: Sequence[str], ctx: RunContext) -> list[Attachment]:
    attachments = []
    store = get_store()
    for step_id in step_ids:
        document = Document.objects.get(pk=ctx.results[step_id]["document"])
        content = store.read_bytes(document.store_id)
        filename = file_name_for(document.title) + ".docx"
        attachments.append(Attachment(filename=filename, content=content, mimetype=DOCX_MIMETYPE))
    return attachments
