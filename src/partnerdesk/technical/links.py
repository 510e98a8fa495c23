"""The technical form a prospect's contact reaches by their partner link.

A form link is a partner link of its own purpose (documents/partner_links.py, an access link: a
hashed token, expiring, revocable, one contact; it opens no documents page) plus a row binding it
to one engagement. It opens after a click (mail scanners fetch links) and it submits once: the
link is used up (a conditional update) in the transaction that writes the answers, so a second
submission, a double click or a replayed request is refused and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from partnerdesk.documents.partner_links import (
    TECHNICAL_FORM,
    partner_actor,
    partner_link_find,
    partner_link_issue,
)
from partnerdesk.lib import clock
from partnerdesk.lib.access_links import access_link_use
from partnerdesk.pipeline.models import Contact, Engagement, TimelineEntry
from partnerdesk.pipeline.services import Actor, ServiceError, timeline_record
from partnerdesk.technical.models import TechnicalAnswer, TechnicalFormLink
from partnerdesk.technical.services import questionnaire_current, technical_answer_set

MAX_ANSWER_CHARS = 5000


def technical_form_link_create(*, engagement: Engagement, contact: Contact, actor: Actor) -> str:
    """A new form link for one of the engagement's contacts (the full URL); call it inside the
    transaction that sends it."""
    if not engagement.contacts.filter(pk=contact.pk).exists():
        raise ServiceError(f"{contact} is not a contact of {engagement.reference}")
    link, token = partner_link_issue(contact=contact, actor=actor, purpose=TECHNICAL_FORM)
    TechnicalFormLink.objects.create(link=link, engagement=engagement, created_at=clock.now())
    return settings.PARTNERDESK_BASE_URL + reverse("technical:form-open", args=[token])


def technical_form_link_find(token: str) -> TechnicalFormLink | None:
    """The form link if its partner link works (neither expired nor revoked; used or not) and its
    contact is still one of the engagement's; a link to documents only is not a form link."""
    link = partner_link_find(token, purpose=TECHNICAL_FORM)
    if link is None:
        return None
    form_link = (
        TechnicalFormLink.objects.select_related("engagement__organization")
        .filter(link=link, engagement__contact_links__contact_id=link.contact_id)
        .first()
    )
    if form_link is not None:
        form_link.link = link
    return form_link


@dataclass
class FormQuestion:
    key: str
    question: str
    help: str
    required: bool
    value: str
    open: bool


def technical_form_questions(engagement: Engagement) -> list[FormQuestion]:
    """Every question not marked not applicable, pre-filled with what is known; `open` when it
    still has no answer."""
    answers = {a.key: a for a in TechnicalAnswer.objects.filter(engagement=engagement)}
    questions = []
    for question in questionnaire_current().questions:
        answer = answers.get(question.key)
        if answer is not None and answer.status == TechnicalAnswer.Status.NOT_APPLICABLE:
            continue
        questions.append(
            FormQuestion(
                key=question.key,
                question=question.question,
                help=question.help,
                required=question.required,
                value=answer.value if answer is not None else "",
                open=answer is None or answer.status == TechnicalAnswer.Status.TO_ASK,
            )
        )
    return questions


class LinkUsed(ServiceError):
    """The form was already submitted through this link."""


def technical_form_submit(*, form_link: TechnicalFormLink, values: dict[str, str]) -> list[str]:
    """Record what the contact filled in (source "form") and use up the link; returns the keys
    answered. Only the questions the form shows count, and only new or changed answers are
    written (an unchanged one keeps its source). Raises ServiceError for nothing to record or an
    answer too long, LinkUsed when the link has been used (nothing is written then)."""
    engagement = form_link.engagement
    current = {q.key: q for q in technical_form_questions(engagement)}
    changes = {}
    for key, question in current.items():
        value = values.get(key, "").strip()
        if len(value) > MAX_ANSWER_CHARS:
            raise ServiceError(
                f"{question.question} The answer is longer than {MAX_ANSWER_CHARS} characters."
            )
        if value and (question.open or value != question.value.strip()):
            changes[key] = value
    if not changes:
        raise ServiceError("Nothing new to send: fill in at least one answer.")
    actor = partner_actor(form_link.link)
    with transaction.atomic():
        if not access_link_use(form_link.link):
            raise LinkUsed("These answers were already sent through this link.")
        for key, value in changes.items():
            technical_answer_set(engagement=engagement, key=key, value=value, actor=actor, source="form")
        contact = form_link.link.contact
        timeline_record(
            engagement=engagement,
            kind=TimelineEntry.Kind.NOTE,
            actor=actor,
            summary=f"Technical form received from {contact}: {len(changes)} answer(s)",
            data={"technical_form_link": form_link.pk, "answered": sorted(changes)},
        )
    return list(changes)
