"""The technical needs record and the hand-off to engineering."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from partnerdesk.agreements.selectors import agreement_for
from partnerdesk.documents.base import get_store
from partnerdesk.lib import clock
from partnerdesk.lib.http import HttpError
from partnerdesk.mail.outbox import message_queue
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from partnerdesk.pipeline.services import Actor, ServiceError, timeline_record
from partnerdesk.profile import get_profile, profile_path
from partnerdesk.technical import github
from partnerdesk.technical.models import Handoff, TechnicalAnswer
from partnerdesk.technical.questionnaire import DEFAULT_QUESTIONNAIRE, Questionnaire, load_questionnaire

REQUEST_TEMPLATE = Path(__file__).parent / "defaults" / "service-request.md"


def questionnaire_current() -> Questionnaire:
    configured = get_profile().technical.questionnaire
    if not configured:
        return load_questionnaire(DEFAULT_QUESTIONNAIRE)
    path = Path(configured).expanduser()
    return load_questionnaire(path if path.is_absolute() else profile_path().parent / path)


def technical_answer_set(
    *,
    engagement: Engagement,
    key: str,
    value: str,
    actor: Actor,
    status: str = "answered",
    source: str = "cli",
) -> TechnicalAnswer:
    question = questionnaire_current().get(key)
    value = value.strip()
    if status == TechnicalAnswer.Status.ANSWERED and not value:
        raise ServiceError(f"{key}: an answer cannot be empty (use --status to-ask or not-applicable)")
    with transaction.atomic():
        answer, _ = TechnicalAnswer.objects.update_or_create(
            engagement=engagement,
            key=key,
            defaults={"value": value, "status": status, "source": source, "updated_at": clock.now()},
        )
        shown = value if status == TechnicalAnswer.Status.ANSWERED else status.replace("-", " ")
        timeline_record(
            engagement=engagement,
            kind=TimelineEntry.Kind.NOTE,
            actor=actor,
            summary=f"Technical needs: {question.question} {shown}",
            data={"technical": key, "status": status, "source": source},
        )
    return answer


def technical_missing(engagement: Engagement) -> list[str]:
    """The required questions without an answer (not applicable counts as one)."""
    answered = set(
        TechnicalAnswer.objects.filter(engagement=engagement)
        .exclude(status=TechnicalAnswer.Status.TO_ASK)
        .values_list("key", flat=True)
    )
    return [
        f"{q.key} ({q.question})"
        for q in questionnaire_current().questions
        if q.required and q.key not in answered
    ]


def _agreement_lines(engagement: Engagement) -> tuple[str, str, str]:
    agreement = agreement_for(engagement)
    if agreement is None:
        return "none yet", "not set", "- none yet"
    term = (
        f"{agreement.term_start.isoformat()} to {agreement.term_end.isoformat()}"
        if agreement.term_start and agreement.term_end
        else "not set"
    )
    deliverables = [
        f"- {addendum.title}" + (f" (due {addendum.due_on.isoformat()})" if addendum.due_on else "")
        for addendum in agreement.addenda.filter(kind="deliverable").order_by("due_on", "id")
    ]
    return agreement.title, term, "\n".join(deliverables) or "- none listed"


def service_request_render(engagement: Engagement) -> str:
    answers = {a.key: a for a in TechnicalAnswer.objects.filter(engagement=engagement)}
    lines = []
    for question in questionnaire_current().questions:
        answer = answers.get(question.key)
        if answer is None or answer.status == TechnicalAnswer.Status.TO_ASK:
            shown = "(still to ask)"
        elif answer.status == TechnicalAnswer.Status.NOT_APPLICABLE:
            shown = "not applicable"
        else:
            shown = answer.value.replace("\n", " ")
        lines.append(f"- **{question.question}** {shown}")
    agreement, term, deliverables = _agreement_lines(engagement)
    return REQUEST_TEMPLATE.read_text(encoding="utf-8").format(
        partner=engagement.organization.name,
        reference=engagement.reference,
        agreement=agreement,
        term=term,
        answers="\n".join(lines),
        deliverables=deliverables,
    )


@dataclass
class TechnicalRecord:
    """The technical needs as the page and `tech show` present them."""

    rows: list[dict[str, Any]]
    missing: list[str]  # the required questions' keys still unanswered
    handoff: Handoff | None

    @property
    def ready(self) -> bool:
        return not self.missing


def technical_record(engagement: Engagement) -> TechnicalRecord:
    """Every question with its answer, status and source, in two queries."""
    answers = {a.key: a for a in TechnicalAnswer.objects.filter(engagement=engagement)}
    rows = []
    missing = []
    for question in questionnaire_current().questions:
        answer = answers.get(question.key)
        status = answer.status if answer else TechnicalAnswer.Status.TO_ASK
        rows.append(
            {
                "key": question.key,
                "question": question.question,
                "required": question.required,
                "status": str(status),
                "value": answer.value if answer else "",
                "source": answer.source if answer else None,
            }
        )
        if question.required and status == TechnicalAnswer.Status.TO_ASK:
            missing.append(question.key)
    return TechnicalRecord(rows, missing, Handoff.objects.filter(engagement=engagement).first())


@dataclass
class HandoffPlan:
    request: str
    document_folder: str
    document_name: str
    email_to: str
    repository: str


def handoff_plan(engagement: Engagement) -> HandoffPlan:
    """What a hand-off would do; refuses (naming them) while required answers are missing."""
    missing = technical_missing(engagement)
    if missing:
        raise ServiceError(
            f"{engagement.reference} is not ready for the hand-off; still to answer: " + "; ".join(missing)
        )
    settings = get_profile().technical
    if not settings.engineering_email and not settings.github_repository:
        raise ServiceError(
            "nowhere to hand off to: set technical.engineering_email and/or technical.github_repository "
            "in the profile"
        )
    profile = get_profile()
    return HandoffPlan(
        request=service_request_render(engagement),
        document_folder=profile.partner_folder(engagement.organization.name),
        document_name=f"New service request -- {engagement.organization.name}",
        email_to=settings.engineering_email,
        repository=settings.github_repository,
    )


class HandoffFailed(ServiceError):
    """A call out failed; `reason` says what, `permanent` whether trying again can help."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        retry = "" if permanent else "; run the hand-off again to retry"
        super().__init__(f"{reason}{retry}")
        self.reason = reason
        self.permanent = permanent


def technical_handoff(*, engagement: Engagement, actor: Actor) -> Handoff:
    """File the request in the partner's folder, email it and/or open the issue: each once.

    It calls GitHub and the document store: the web queues it instead (`technical/handoffs.py`).
    """
    plan = handoff_plan(engagement)
    settings = get_profile().technical
    now = clock.now()
    handoff, _ = Handoff.objects.get_or_create(
        engagement=engagement, defaults={"created_at": now, "updated_at": now}
    )
    if not handoff.document_path:
        store = get_store()
        folder = store.ensure_folder(plan.document_folder)
        item = store.put_document(
            folder=folder, name=plan.document_name, content=plan.request.encode(), suffix=".md"
        )
        handoff.document_path = item.path
    if plan.email_to and handoff.outbox_message_id is None:
        handoff.outbox_message = message_queue(
            to=[plan.email_to],
            subject=f"New service request: {engagement.organization.name}",
            body=plan.request,
            engagement=engagement,
            idempotency_key=f"handoff-{engagement.pk}-email",
            actor=actor,
        )
    if plan.repository and not handoff.issue_url:
        title = f"[{engagement.reference}] New service request: {engagement.organization.name}"
        try:
            # A previous attempt may have opened it and died before saving the link.
            handoff.issue_url = github.issue_find(
                api_url=settings.github_api_url,
                repository=plan.repository,
                marker=f"[{engagement.reference}]",
            ) or github.issue_open(
                api_url=settings.github_api_url, repository=plan.repository, title=title, body=plan.request
            )
        except HttpError as exc:
            handoff.updated_at = clock.now()
            handoff.status, handoff.last_error = Handoff.Status.FAILED, f"GitHub: {exc}"
            handoff.save()
            raise HandoffFailed(f"GitHub: {exc}", permanent=exc.permanent) from None
    handoff.updated_at = clock.now()
    handoff.status, handoff.last_error, handoff.next_attempt_at = Handoff.Status.DONE, "", None
    handoff.save()
    where = ", ".join(
        part
        for part in (
            handoff.document_path,
            f"emailed to {plan.email_to}" if plan.email_to else "",
            handoff.issue_url,
        )
        if part
    )
    timeline_record(
        engagement=engagement,
        kind=TimelineEntry.Kind.DOCUMENT,
        actor=actor,
        summary=f"Handed off to engineering: {where}",
        data={"handoff": handoff.pk, "issue_url": handoff.issue_url, "document": handoff.document_path},
    )
    return handoff
