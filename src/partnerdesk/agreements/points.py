"""Open points of a negotiation: each a task on the engagement (its checklist, its timeline),
tied to the agreement so `agreement show` lists them."""

from __future__ import annotations

from django.db import transaction

from partnerdesk.agreements.models import Agreement, OpenPoint
from partnerdesk.agreements.services import agreement_refuse_unless_editable
from partnerdesk.lib import clock
from partnerdesk.pipeline.services import Actor, ServiceError, task_create, task_set_done

PREFIX = "Open point: "


def agreement_point_add(*, agreement: Agreement, text: str, actor: Actor) -> OpenPoint:
    """A point to settle before the agreement is ready to sign (while it can still change)."""
    text = " ".join(text.split())
    if not text:
        raise ServiceError("the open point is empty")
    agreement_refuse_unless_editable(agreement)
    with transaction.atomic():
        task = task_create(engagement=agreement.engagement, title=f"{PREFIX}{text}"[:300], actor=actor)
        return OpenPoint.objects.create(agreement=agreement, task=task, created_at=clock.now())


def agreement_point_set_done(*, agreement: Agreement, point_id: int, done: bool, actor: Actor) -> OpenPoint:
    """Settle (or reopen) an open point: its task is marked done (or not)."""
    point = (
        OpenPoint.objects.select_related("task__engagement").filter(agreement=agreement, pk=point_id).first()
    )
    if point is None:
        raise ServiceError(f"{agreement.title} has no open point {point_id}")
    task_set_done(task=point.task, done=done, actor=actor)
    return point


def point_text(point: OpenPoint) -> str:
    return point.task.title.removeprefix(PREFIX)
