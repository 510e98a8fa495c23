"""set_stage and create_task: changes to the engagement itself, through the pipeline services."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator

from partnerdesk.lib import clock
from partnerdesk.pipeline import services
from partnerdesk.pipeline.stages import Stage
from partnerdesk.playbooks.context import RunContext, StepFailed
from partnerdesk.playbooks.specs import StepSpecBase, Text, check_template, render
from partnerdesk.playbooks.steps import StepOutcome


class SetStageStep(StepSpecBase):
    kind: Literal["set_stage"]
    to: Stage
    reason: str = ""


class CreateTaskStep(StepSpecBase):
    kind: Literal["create_task"]
    task: Text
    assignee: str = "{owner}"
    due_in_days: int | None = Field(default=None, ge=0, le=3650)

    _more_templates = field_validator("task", "assignee")(check_template)


def preview_set_stage(step: SetStageStep, ctx: RunContext) -> list[str]:
    reason = f" ({step.reason})" if step.reason else ""
    return [f"Move the engagement to {step.to.label}{reason}, if its guard allows"]


def execute_set_stage(step: SetStageStep, ctx: RunContext, key: str) -> StepOutcome:
    assert ctx.engagement is not None
    if ctx.engagement.stage == step.to.value:
        return StepOutcome(detail=f"already at {step.to.label}")
    try:
        services.engagement_move(engagement=ctx.engagement, to=step.to, actor=ctx.actor, reason=step.reason)
    except services.MoveRefused as refused:
        raise StepFailed(str(refused)) from None
    return StepOutcome(detail=f"moved to {step.to.label}")


def _task(step: CreateTaskStep, ctx: RunContext) -> tuple[str, str, dt.date | None]:
    due = clock.today() + dt.timedelta(days=step.due_in_days) if step.due_in_days is not None else None
    return render(step.task, ctx.variables), render(step.assignee, ctx.variables), due


def preview_create_task(step: CreateTaskStep, ctx: RunContext) -> list[str]:
    title, assignee, due = _task(step, ctx)
    who = f" for {assignee}" if assignee else ""
    when = f", due {due.isoformat()}" if due else ""
    return [f"Add the task{who}: {title}{when}"]


def execute_create_task(step: CreateTaskStep, ctx: RunContext, key: str) -> StepOutcome:
    assert ctx.engagement is not None
    title, assignee, due = _task(step, ctx)
    task = services.task_create(
        engagement=ctx.engagement,
        title=title,
        assignee=assignee,
        due_on=due,
        actor=ctx.actor,
        idempotency_key=key,
    )
    return StepOutcome(detail=f"task: {task.title}", result={"task": task.pk})
