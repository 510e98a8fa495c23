"""send_technical_form: each contact gets their own link to the technical form, and a reminder is
planned for when the record is still incomplete (technical/links.py, technical/reminders.py).
Registered with the playbooks' step kinds by TechnicalConfig.ready."""

from __future__ import annotations

from typing import Any

from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import message_preview, message_queue
from partnerdesk.pipeline.models import Contact
from partnerdesk.playbooks.context import RunContext, StepFailed
from partnerdesk.playbooks.specs import SendTechnicalFormStep, render
from partnerdesk.playbooks.steps import StepKind, StepOutcome
from partnerdesk.technical.links import technical_form_link_create
from partnerdesk.technical.reminders import reminder_after_days, technical_reminder_plan

PLACEHOLDER_LINK = "(a link of their own to the form, made when the email is queued)"


def _contacts(ctx: RunContext) -> list[Contact]:
    assert ctx.engagement is not None
    contacts = list(ctx.engagement.contacts.exclude(email="").order_by("engagement_links__id"))
    if not contacts:
        raise StepFailed("no recipient: the engagement has no contacts")
    return contacts


def _email(step: SendTechnicalFormStep, ctx: RunContext, contact: Contact, link: str) -> dict[str, Any]:
    variables = ctx.variables | {"form_link": link, "contact_name": contact.name or contact.email}
    return {
        "to": [contact.email],
        "from_addr": render(step.from_, variables),
        "cc": [render(address, variables) for address in step.cc],
        "subject": render(step.subject, variables).strip(),
        "body": render(step.body, variables).strip() + "\n",
    }


def preview_send_technical_form(step: SendTechnicalFormStep, ctx: RunContext) -> list[str]:
    lines = []
    for contact in _contacts(ctx):
        message = message_preview(**_email(step, ctx, contact, PLACEHOLDER_LINK), engagement=ctx.engagement)
        lines += [
            f"Make a form link for {contact} and queue this email in the outbox:",
            *("    " + line for line in message.rstrip().splitlines()),
        ]
    days = reminder_after_days()
    if days > 0:
        lines.append(f"Plan a reminder in {days} days, sent if the technical record is still incomplete")
    return lines


def execute_send_technical_form(step: SendTechnicalFormStep, ctx: RunContext, key: str) -> StepOutcome:
    assert ctx.engagement is not None
    messages = []
    for contact in _contacts(ctx):
        message_key = f"{key}-{contact.pk}"
        # A resumed step sends no second link to a contact who already has one.
        message = OutboxMessage.objects.filter(idempotency_key=message_key).first()
        if message is None:
            link = technical_form_link_create(engagement=ctx.engagement, contact=contact, actor=ctx.actor)
            message = message_queue(
                **_email(step, ctx, contact, link),
                engagement=ctx.engagement,
                idempotency_key=message_key,
                actor=ctx.actor,
            )
        messages.append(message)
    reminder = technical_reminder_plan(engagement=ctx.engagement, key=key)
    when = f"; reminder on {reminder.due_on.isoformat()} if still incomplete" if reminder else ""
    return StepOutcome(
        detail=f"queued the technical form link to {', '.join(m.to[0] for m in messages)}{when}",
        result={"outbox": [m.pk for m in messages], "reminder": reminder.pk if reminder else None},
    )


SEND_TECHNICAL_FORM = StepKind(preview_send_technical_form, execute_send_technical_form)
