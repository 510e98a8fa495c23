"""send_email and check: the canned response, rendered, checked, and queued in the outbox."""

from __future__ import annotations

from typing import Any

from partnerdesk.mail.outbox import message_preview, message_queue
from partnerdesk.playbooks.context import RunContext, StepFailed
from partnerdesk.playbooks.specs import CheckStep, SendEmailStep, render
from partnerdesk.playbooks.steps import StepOutcome


def rendered_email(step: SendEmailStep, ctx: RunContext) -> dict[str, Any]:
    variables = ctx.variables
    if step.to == "contacts":
        to = [person.email for person in ctx.contacts]
    else:
        to = [render(address, variables) for address in step.to]
    if not to:
        raise StepFailed("no recipient: the engagement has no contacts")
    return {
        "to": to,
        "from_addr": render(step.from_, variables),
        "cc": [render(address, variables) for address in step.cc],
        "bcc": [render(address, variables) for address in step.bcc],
        "subject": render(step.subject, variables).strip(),
        "body": render(step.body, variables).strip() + "\n",
    }


def preview_send_email(step: SendEmailStep, ctx: RunContext) -> list[str]:
    message = message_preview(**rendered_email(step, ctx), engagement=ctx.engagement)
    lines = ["Queue this email in the outbox:", *("    " + line for line in message.rstrip().splitlines())]
    if step.attach_agreement:
        from partnerdesk.playbooks.steps.agreements import agreement_attachment_names

        lines += [f"    attached: {name}" for name in agreement_attachment_names(ctx)]
    return lines


def execute_send_email(step: SendEmailStep, ctx: RunContext, key: str) -> StepOutcome:
    from partnerdesk.playbooks.steps.agreements import agreement_attachments
    from partnerdesk.playbooks.steps.documents import attachments_of

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
    return StepOutcome(
        detail=f"queued {message.subject!r} to {', '.join(message.to)}",
        result={"outbox": message.pk, "message_id": message.message_id},
    )


def _missing(step: CheckStep, ctx: RunContext) -> list[str]:
    """What the checked message's body lacks of what the step says it must include."""
    body = rendered_email(ctx.spec.step(step.message), ctx)["body"]
    wanted = [render(text, ctx.variables) for text in step.includes]
    return [text for text in wanted if text not in body]


def preview_check(step: CheckStep, ctx: RunContext) -> list[str]:
    missing = _missing(step, ctx)
    if missing:
        return [f"FAILS: the message of step {step.message!r} lacks: {', '.join(missing)}"]
    wanted = ", ".join(render(text, ctx.variables) for text in step.includes)
    return [f"passes: the message of step {step.message!r} includes {wanted}"]


def execute_check(step: CheckStep, ctx: RunContext, key: str) -> StepOutcome:
    missing = _missing(step, ctx)
    if missing:
        raise StepFailed(f"the message of step {step.message!r} does not include {', '.join(missing)}")
    return StepOutcome(detail=f"the message of step {step.message!r} includes what it must")
