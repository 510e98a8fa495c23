"""send_email and check: the canned response, rendered, queued in the outbox, and checked.

A check inspects the message as queued: its text part and its HTML part's anchors, after the
Markdown is rendered. It runs twice. The send step runs every check on its message right after
queueing it, in the same transaction: a message a check refuses is rolled back with the step,
so it never becomes deliverable and the run stops with the reason. The check step itself, where
the handbook lists it (after the send), confirms the queued message again and records it.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, field_validator, model_validator

from partnerdesk.mail.composing import body_parts, parse_message
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import message_compose, message_preview, message_queue
from partnerdesk.pipeline.models import TimelineEntry
from partnerdesk.playbooks.context import RunContext, StepFailed
from partnerdesk.playbooks.specs import Name, StepReference, StepSpecBase, Text, check_template, render
from partnerdesk.playbooks.steps import StepOutcome
from partnerdesk.playbooks.steps.agreements import agreement_attachment_names, agreement_attachments
from partnerdesk.playbooks.steps.documents import attachments_of
from partnerdesk.profile import get_profile


class SendEmailStep(StepSpecBase):
    kind: Literal["send_email"]
    to: Literal["contacts"] | list[Text] = "contacts"
    from_: Text = Field("{mailbox_name} <{mailbox}>", alias="from")
    cc: list[Text] = Field(default_factory=list)
    bcc: list[Text] = Field(default_factory=list)
    subject: Text
    body: Text
    attachments: list[Name] = Field(default_factory=list)
    # The agreement's current version (.docx, and a PDF when the profile names a converter).
    attach_agreement: bool = False

    model_config = ConfigDict(populate_by_name=True)
    references = (StepReference("attachments", "copy_template"),)
    _more_templates = field_validator("from_", "cc", "bcc", "subject", "body", "to")(check_template)


class CheckStep(StepSpecBase):
    """A rule on an email of the playbook, checked on the message as queued (its text and HTML
    parts after rendering) before it can be delivered: a message that breaks it is never sent."""

    kind: Literal["check"]
    references = (StepReference("message", "send_email", earlier=False),)
    message: Name
    # Texts the message must show (in its text part).
    includes: list[Text] = Field(default_factory=list)
    # Addresses the HTML part must link to (an anchor to the same host and path).
    links_to: list[Text] = Field(default_factory=list)
    # When the profile names `scheduling.meeting_minutes`: the link or the text says that length.
    meeting_length: bool = False

    _more_templates = field_validator("includes", "links_to")(check_template)

    @model_validator(mode="after")
    def _has_a_rule(self) -> CheckStep:
        if not (self.includes or self.links_to or self.meeting_length):
            raise ValueError("a check needs a rule: includes, links_to or meeting_length")
        return self


def rendered_email(step: SendEmailStep, ctx: RunContext) -> dict[str, Any]:
    variables = ctx.variables
    if step.to == "contacts":
        to = [person.email for person in ctx.contacts]
    else:
        to = [render(address, variables) for address in step.to]
    if not to:
        raise StepFailed("no recipient: the engagement has no contacts")
    email: dict[str, Any] = {
        "to": to,
        "from_addr": render(step.from_, variables),
        "cc": [render(address, variables) for address in step.cc],
        "bcc": [render(address, variables) for address in step.bcc],
        "subject": render(step.subject, variables).strip(),
        "body": render(step.body, variables).strip() + "\n",
    }
    answered = _latest_message_from(ctx, to)
    if answered:
        email["extra_headers"] = {"In-Reply-To": f"<{answered}>", "References": f"<{answered}>"}
    return email


# How far back in an engagement's timeline to look for the message a canned response answers.
ANSWERED_LOOKBACK = 50


def _latest_message_from(ctx: RunContext, recipients: list[str]) -> str:
    """The Message-ID of the latest email a recipient wrote to us on this engagement (their
    inquiry, say), which the message answers in its thread; "" when there is none."""
    if ctx.engagement is None:
        return ""
    wanted = {address.lower() for address in recipients}
    received = TimelineEntry.objects.filter(engagement=ctx.engagement, kind=TimelineEntry.Kind.EMAIL_IN)
    for data in received.order_by("-id").values_list("data", flat=True)[:ANSWERED_LOOKBACK]:
        if isinstance(data, dict) and data.get("from") in wanted and data.get("message_id"):
            return str(data["message_id"])
    return ""


def preview_send_email(step: SendEmailStep, ctx: RunContext) -> list[str]:
    message = message_preview(**rendered_email(step, ctx), engagement=ctx.engagement)
    lines = ["Queue this email in the outbox:", *("    " + line for line in message.rstrip().splitlines())]
    if step.attach_agreement:
        lines += [f"    attached: {name}" for name in agreement_attachment_names(ctx)]
    return lines


def execute_send_email(step: SendEmailStep, ctx: RunContext, key: str) -> StepOutcome:
    attachments = attachments_of(step.attachments, ctx)
    if step.attach_agreement:
        attachments += agreement_attachments(ctx)
    message = message_queue(
        **rendered_email(step, ctx),
        attachments=attachments,
        engagement=ctx.engagement,
        idempotency_key=key,
        actor=ctx.actor,
    )
    # Before the step's transaction commits: a refused message is rolled back, never sent.
    refuse_unless_checks_pass(step, ctx, parse_message(bytes(message.raw)))
    return StepOutcome(
        detail=f"queued {message.subject!r} to {', '.join(message.to)}",
        result={"outbox": message.pk, "message_id": message.message_id},
    )


def _same_target(href: str, wanted: str) -> bool:
    got, want = urlsplit(href.strip()), urlsplit(wanted.strip())
    return (
        got.scheme.lower() in ("http", "https")
        and got.netloc.lower() == want.netloc.lower()
        and got.path.rstrip("/") == want.path.rstrip("/")
    )


def _says_minutes(text: str, minutes: int) -> bool:
    return bool(re.search(rf"(?<!\d){minutes}\s*-?\s*min(ute)?s?\b", text, re.IGNORECASE))


def check_problems(step: CheckStep, ctx: RunContext, message: EmailMessage) -> list[str]:
    """What the message breaks of the check's rules, said for the person who runs the playbook."""
    parts = body_parts(message)
    problems = []
    for text in (render(text, ctx.variables) for text in step.includes):
        if text not in parts.text:
            problems.append(f"its text does not include {text!r}")
    links = []
    for wanted in (render(link, ctx.variables) for link in step.links_to):
        matching = [href for href in parts.hrefs if _same_target(href, wanted)]
        if not matching:
            target = urlsplit(wanted)
            problems.append(f"its HTML part has no link to {target.netloc}{target.path}")
        links += matching
    minutes = get_profile().scheduling.meeting_minutes
    if step.meeting_length and minutes:
        said = [*(links or parts.hrefs), parts.text, parts.html_text]
        if not any(_says_minutes(text, minutes) for text in said):
            problems.append(f"neither its link nor its text says {minutes} minutes (the profile's length)")
    return problems


def refuse_unless_checks_pass(step: SendEmailStep, ctx: RunContext, message: EmailMessage) -> None:
    """Raise StepFailed, naming the check and what fails, when a check of `step` refuses it."""
    for index, check in enumerate(ctx.spec.steps, start=1):
        if isinstance(check, CheckStep) and check.message == step.id:
            problems = check_problems(check, ctx, message)
            if problems:
                title = render(check.title, ctx.variables)
                raise StepFailed(
                    f"not sent: step {index} ({title}) refuses the message: {'; '.join(problems)}"
                )


def _checked_message(step: CheckStep, ctx: RunContext) -> tuple[EmailMessage, str]:
    """The message the check is about: as queued, or (before it is, or in a dry-run) as composed."""
    queued = ctx.results.get(step.message, {}).get("outbox")
    if queued is not None:
        row = OutboxMessage.objects.filter(pk=queued).first()
        if row is None:
            raise StepFailed(f"the message of step {step.message!r} is no longer in the outbox")
        return parse_message(bytes(row.raw)), "queued"
    if step.message in ctx.results:
        raise StepFailed(f"step {step.message!r} queued no email to check")
    email = rendered_email(ctx.spec.step(step.message), ctx)
    return message_compose(**email, engagement=ctx.engagement), "to be queued"


def preview_check(step: CheckStep, ctx: RunContext) -> list[str]:
    message, _ = _checked_message(step, ctx)
    problems = check_problems(step, ctx, message)
    if problems:
        return [f"FAILS: the message of step {step.message!r}: {'; '.join(problems)}; it would not be sent"]
    return [f"passes: the message of step {step.message!r} holds to the rule"]


def execute_check(step: CheckStep, ctx: RunContext, key: str) -> StepOutcome:
    message, state = _checked_message(step, ctx)
    problems = check_problems(step, ctx, message)
    if problems:
        raise StepFailed(f"the message of step {step.message!r} ({state}): {'; '.join(problems)}")
    return StepOutcome(detail=f"the message of step {step.message!r} ({state}) holds to the rule")
