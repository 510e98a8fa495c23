"""Reads of the pipeline, in a fixed number of queries whatever the number of rows."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet

from partnerdesk.pipeline.models import Assessment, Engagement, EngagementContact, Task, TimelineEntry
from partnerdesk.pipeline.qualification import Answer, Criterion, Scorecard
from partnerdesk.pipeline.references import EngagementNotFound, engagement_id_from_reference
from partnerdesk.pipeline.stages import EngagementFacts, Stage
from partnerdesk.profile import get_profile


def engagement_get(reference: str) -> Engagement:
    engagement_id = engagement_id_from_reference(reference)
    engagement = Engagement.objects.select_related("organization", "owner").filter(pk=engagement_id).first()
    if engagement is None:
        raise EngagementNotFound(f"no engagement {reference.strip()}")
    return engagement


def scorecard_of(engagement: Engagement) -> Scorecard:
    answers = dict(Assessment.objects.filter(engagement=engagement).values_list("criterion", "answer"))
    return Scorecard.from_mapping(answers)


def engagement_facts(engagement: Engagement) -> EngagementFacts:
    return EngagementFacts(
        stage=Stage(engagement.stage),
        good_candidate=Answer(engagement.good_candidate),
        qualified=Answer(engagement.qualified),
        scorecard=scorecard_of(engagement),
        verbal_yes_by=engagement.verbal_yes_by,
        verbal_yes_on=engagement.verbal_yes_on,
        executed_close_on=engagement.executed_close_on,
        executed_agreement=engagement.executed_agreement,
    )


def engagement_queryset(*, stage: Stage | None = None) -> QuerySet[Engagement]:
    queryset = Engagement.objects.select_related("organization", "owner").order_by("id")
    if stage is not None:
        queryset = queryset.filter(stage=stage.value)
    return queryset


def contacts_by_engagement(engagements: QuerySet[Engagement]) -> dict[int, list[dict[str, str]]]:
    """All contacts of the engagements in one query: a join on a subquery, so no IN-list limit."""
    links = (
        EngagementContact.objects.filter(engagement__in=engagements.values("pk"))
        .order_by("engagement_id", "id")
        .values_list("engagement_id", "contact__name", "contact__email")
    )
    grouped: dict[int, list[dict[str, str]]] = defaultdict(list)
    for engagement_id, name, email in links.iterator(chunk_size=5000):
        grouped[engagement_id].append({"name": name, "email": email})
    return grouped


def engagement_summary(engagement: Engagement, contacts: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "reference": engagement.reference,
        "organization": engagement.organization.name,
        "stage": engagement.stage,
        "stage_since": engagement.stage_changed_at.isoformat(),
        "contacts": contacts,
        "owner": engagement.owner.get_username() if engagement.owner else None,
        "source": engagement.source,
        "created_at": engagement.created_at.isoformat(),
    }


def engagement_list(*, stage: Stage | None = None) -> list[dict[str, Any]]:
    """Every engagement (optionally at one stage) as plain data, in two queries."""
    queryset = engagement_queryset(stage=stage)
    contacts = contacts_by_engagement(queryset)
    return [engagement_summary(e, contacts.get(e.pk, [])) for e in queryset.iterator(chunk_size=2000)]


def timeline_entry_data(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "kind": entry.kind,
        "actor": entry.actor,
        "summary": entry.summary,
        "data": entry.data,
    }


def task_data(task: Task) -> dict[str, Any]:
    return {
        "id": task.pk,
        "title": task.title,
        "assignee": task.assignee,
        "due_on": task.due_on.isoformat() if task.due_on else None,
        "done": task.is_done,
    }


def task_get(task_id: int) -> Task:
    task = Task.objects.select_related("engagement").filter(pk=task_id).first()
    if task is None:
        raise LookupError(f"no task {task_id}")
    return task


def engagement_detail(engagement: Engagement) -> dict[str, Any]:
    """One engagement with its qualification and timeline."""
    queryset = Engagement.objects.filter(pk=engagement.pk)
    detail = engagement_summary(engagement, contacts_by_engagement(queryset).get(engagement.pk, []))
    assessments = {a.criterion: a for a in Assessment.objects.filter(engagement=engagement)}
    scorecard = Scorecard.from_mapping({c: a.answer for c, a in assessments.items()})
    detail["qualification"] = {
        "good_candidate": engagement.good_candidate,
        "qualified": engagement.qualified,
        "maniac_t": {
            criterion.value: {
                "answer": scorecard.answer(criterion).value,
                "notes": assessments[criterion.value].notes if criterion.value in assessments else "",
                "question": criterion.question,
            }
            for criterion in Criterion
        },
        "questions_to_ask": scorecard.questions_to_ask,
    }
    detail["verbal_yes"] = (
        {"by": engagement.verbal_yes_by, "on": engagement.verbal_yes_on.isoformat()}
        if engagement.verbal_yes_on
        else None
    )
    detail["executed_close"] = (
        {"on": engagement.executed_close_on.isoformat(), "agreement": engagement.executed_agreement}
        if engagement.executed_close_on
        else None
    )
    detail["closed_reason"] = engagement.closed_reason or None
    detail["tasks"] = [task_data(task) for task in engagement.tasks.all()]
    detail["timeline"] = [timeline_entry_data(entry) for entry in engagement.timeline.all()]
    return detail


def owner_address(engagement: Engagement) -> str:
    """Where the owner's reminders go: the owner's address, else the shared mailbox."""
    owner: User | None = engagement.owner
    address = getattr(owner, "email", "") if owner is not None else ""
    return address or get_profile().mailbox.address
