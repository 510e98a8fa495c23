"""send_technical_form: each contact gets their own link to the technical form, and a reminder is
planned for when the record is still incomplete (technical/links.py, technical/reminders.py).
Registered with the playbooks' step kinds by TechnicalConfig.ready."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import message_preview, message_queue
from partnerdesk.pipeline.models import Contact
from partnerdesk.playbooks.context import RunContext, StepFailed
from partnerdesk.playbooks.specs import StepSpecBase, Text, check_template, render, template_fields
from partnerdesk.playbooks.steps import StepKind, StepOutcome
from partnerdesk.technical.links import technical_form_link_create
from partnerdesk.technical.reminders import reminder_after_days, technical_reminder_plan

# Variables of a send_technical_form body only, rendered for each contact.
FORM_VARIABLES = {
    "form_link": "the contact's own link to the technical form (partner link, expiring)",
    "contact_name": "the name (or address) of the contact the email goes to",
}


def _check_form_body(value: str) -> str:
    names = template_fields(value)
    if "form_link" not in names:
        raise ValueError("the body must include {form_link}, the contact's link to the form")
    check_template("".join(f"{{{name}}}" for name in names if name not in FORM_VARIABLES))
    return value


class SendTechnicalFormStep(StepSpecBase):
    """One email to each of the engagement's contacts with their own link to the technical form
    (steps/technical.py), and the reminder if the record is still incomplete later."""

    kind: Literal["send_technical_form"]
    from_: Text = Field("{mailbox_name} <{mailbox}>", alias="from")
    cc: list[Text] = Field(default_factory=list)
    subject: Text
    body: Text

    model_config = ConfigDict(populate_by_name=True)
    _more_templates = field_validator("from_", "cc", "subject")(check_template)
    _body_template = field_validator("body")(_check_form_body)


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


SEND_TECHNICAL_FORM = StepKind(
    SendTechnicalFormStep, preview_send_technical_form, execute_send_technical_form
)
