"""The technical needs in the web: answer the questions, and queue the hand-off to engineering.

The hand-off calls GitHub and the document store, so the button only queues it
(`technical/handoffs.py`); the worker runs it and the page shows where it went, or what stopped it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from partnerdesk.pipeline.services import ServiceError
from partnerdesk.technical.handoffs import HandoffAlready, technical_handoff_queue
from partnerdesk.technical.models import TechnicalAnswer
from partnerdesk.technical.services import questionnaire_current, technical_answer_set, technical_missing
from partnerdesk.web.access import actor_of, engagement_or_404, safe_next
from partnerdesk.web.partnership_forms import TechnicalAnswersForm
from partnerdesk.web.views.partnership import form_refused, go_back, refused

Status = TechnicalAnswer.Status


@login_required
@require_POST
def technical_answers(request: HttpRequest, reference: str) -> HttpResponse:
    """Save the answers that changed (an emptied answer goes back to "to ask")."""
    engagement = engagement_or_404(reference)
    back = safe_next(request, reverse("engagement", args=[engagement.reference]) + "#technical")
    questions = questionnaire_current().questions
    form = TechnicalAnswersForm(request.POST, questions=questions)
    if not form.is_valid():
        form_refused(
            request, "Saving the technical answers failed", form, "Correct it, then press Save again."
        )
        return go_back(request, back)
    known = {answer.key: answer for answer in TechnicalAnswer.objects.filter(engagement=engagement)}
    changed = 0
    for question in questions:
        value = form.cleaned_data[f"q-{question.key}"].strip()
        if form.cleaned_data[f"na-{question.key}"]:
            status, value = Status.NOT_APPLICABLE, ""
        else:
            status = Status.ANSWERED if value else Status.TO_ASK
        before = known.get(question.key)
        if (before.status, before.value) == (status, value) if before else status == Status.TO_ASK:
            continue
        technical_answer_set(
            engagement=engagement,
            key=question.key,
            value=value,
            status=status,
            source=form.cleaned_data["source"],
            actor=actor_of(request),
        )
        changed += 1
    missing = technical_missing(engagement)
    said = f"{changed} answer{'s' if changed != 1 else ''} saved."
    said += (
        f" Still to answer before the hand-off: {len(missing)}." if missing else " Ready for the hand-off."
    )
    messages.success(request, said)
    return go_back(request, back)


@login_required
@require_POST
def handoff_queue(request: HttpRequest, reference: str) -> HttpResponse:
    """Queue the hand-off (or its retry) for the worker."""
    engagement = engagement_or_404(reference)
    back = safe_next(request, reverse("engagement", args=[engagement.reference]) + "#technical")
    try:
        technical_handoff_queue(engagement=engagement, actor=actor_of(request))
    except HandoffAlready as exc:
        refused(
            request, "The hand-off to engineering was not queued", exc, "Its state shows in Technical needs."
        )
    except ServiceError as exc:
        if technical_missing(engagement):
            todo = "Answer them under Answer the questions below, then press Hand off to engineering again."
        else:
            todo = (
                "An administrator sets where hand-offs go (technical.engineering_email or"
                " technical.github_repository in the profile); then press Hand off to engineering again."
            )
        refused(request, "The hand-off to engineering did not start", exc, todo)
    else:
        messages.success(
            request,
            "The hand-off to engineering is queued: the worker files the request in a moment."
            " Reload this page to see where it went.",
        )
    return go_back(request, back)
