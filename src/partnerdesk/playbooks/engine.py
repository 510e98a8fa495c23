"""Running a playbook: guards, then each step in order, durably.

Each step's effects and its "done" mark are written in one transaction, and every side effect
carries the step's idempotency key, so a run that stopped (a failed step, a killed process)
resumes from where it stopped and does nothing twice. A dry-run writes nothing at all.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from partnerdesk.agreements.models import Agreement
from partnerdesk.agreements.selectors import agreement_for, agreement_missing
from partnerdesk.lib import clock
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement, Source, TimelineEntry
from partnerdesk.pipeline.services import Actor
from partnerdesk.pipeline.stages import OPEN_STAGES, Stage
from partnerdesk.playbooks.context import (
    EVERY_CONTACT,
    Person,
    RunContext,
    RunRequest,
    StepFailed,
    context_for,
    template_variables,
)
from partnerdesk.playbooks.models import UNFINISHED, PlaybookRun, StepRun
from partnerdesk.playbooks.specs import PlaybookSpec, render
from partnerdesk.playbooks.steps import StepOutcome, step_kinds

log = logging.getLogger("partnerdesk.playbooks")

# How long a worker keeps a queued run it claimed before another may take it over: longer than a
# playbook takes (a few emails and document calls), short enough that a dead worker's run goes on.
RUN_CLAIM = dt.timedelta(minutes=10)


class PlaybookRefused(services.ServiceError):
    """The playbook may not run now (a guard, or it already ran); nothing was done."""


class AlreadyRan(PlaybookRefused):
    """The playbook completed for this engagement before: each channel says how to repeat it on
    purpose (a flag, a button, an email action)."""


@dataclass(frozen=True)
class NewLead:
    """Who a playbook that opens the engagement (hail-the-lead) is about."""

    organization: str
    contacts: Sequence[tuple[str, str]]


@dataclass
class StepReport:
    index: int
    step_id: str
    title: str
    status: str  # done, failed, pending, skipped (already done), preview
    lines: list[str] = field(default_factory=list)


@dataclass
class RunReport:
    playbook: str
    engagement: Engagement | None
    run: PlaybookRun | None
    steps: list[StepReport]
    dry_run: bool = False
    resumed: bool = False
    created_engagement: bool = False

    @property
    def succeeded(self) -> bool:
        return self.run is not None and self.run.status == PlaybookRun.Status.SUCCEEDED

    @property
    def failed_step(self) -> StepReport | None:
        return next((step for step in self.steps if step.status == "failed"), None)


def _agreement_problems(engagement: Engagement | None) -> list[str]:
    """Why the engagement's agreement is not ready to sign, naming everything missing."""
    agreement = agreement_for(engagement) if engagement is not None else None
    if agreement is None:
        return ["the engagement has no services agreement yet (run send-draft-contract)"]
    if agreement.status == Agreement.Status.READY_TO_SIGN:
        missing = agreement_missing(agreement)
        return [f"the agreement lacks {'; '.join(missing)}"] if missing else []
    status = agreement.get_status_display().lower()
    if not agreement.is_open or agreement.status == Agreement.Status.OUT_FOR_SIGNATURE:
        return [f"the agreement is {status}"]
    missing = agreement_missing(agreement)
    if missing:
        return [f"the agreement is not ready to sign: missing {'; '.join(missing)}"]
    reference = agreement.engagement.reference
    return [f"the agreement of {reference} is {status}, not marked ready to sign yet"]


def _guard_problems(
    spec: PlaybookSpec, stage: Stage, contacts: Sequence[object], engagement: Engagement | None = None
) -> list[str]:
    problems = []
    allowed = spec.guards.stages or list(OPEN_STAGES)
    if stage not in allowed:
        names = " or ".join(s.label for s in allowed)
        problems.append(f"the engagement is at {stage.label}; {spec.title!r} runs at {names}")
    if "contacts" in spec.guards.requires and not contacts:
        problems.append("the engagement has no contacts with email addresses")
    if "agreement_ready" in spec.guards.requires:
        problems += _agreement_problems(engagement)
    return problems


def _refuse_unless_allowed(
    spec: PlaybookSpec,
    stage: Stage,
    contacts: Sequence[object],
    label: str,
    engagement: Engagement | None = None,
) -> None:
    problems = _guard_problems(spec, stage, contacts, engagement)
    if problems:
        raise PlaybookRefused(f"{spec.name} cannot run for {label}: " + "; ".join(problems))


def open_engagement_for(new_lead: NewLead) -> Engagement | None:
    """An open engagement with this organization that already has one of these contacts."""
    emails = [email for _, email in new_lead.contacts]
    return (
        Engagement.objects.filter(
            organization__name__iexact=new_lead.organization.strip(),
            stage__in=[stage.value for stage in OPEN_STAGES],
            contacts__email__in=emails,
        )
        .select_related("organization", "owner")
        .order_by("id")
        .first()
    )


def step_title(step: Any, ctx: RunContext) -> str:
    """The step's title with this engagement's values in it (its placeholders filled)."""
    return render(step.title, ctx.variables)


def _preview(spec: PlaybookSpec, ctx: RunContext, done: set[str]) -> list[StepReport]:
    kinds = step_kinds()
    reports = []
    for index, step in enumerate(spec.steps, start=1):
        if step.id in done:
            reports.append(
                StepReport(index, step.id, step_title(step, ctx), "skipped", ["already done in this run"])
            )
            continue
        try:
            lines = kinds[step.kind].preview(step, ctx)
        except StepFailed as exc:
            lines = [f"FAILS: {exc}"]
        reports.append(StepReport(index, step.id, step_title(step, ctx), "preview", lines))
    return reports


def playbook_preview(
    *,
    spec: PlaybookSpec,
    actor: Actor,
    engagement: Engagement | None = None,
    new_lead: NewLead | None = None,
    request: RunRequest = EVERY_CONTACT,
) -> RunReport:
    """Exactly what a run would do: every email, folder, document and share. Writes nothing."""
    if engagement is None and new_lead is not None:
        engagement = open_engagement_for(new_lead)
    if engagement is None:
        if new_lead is None or not spec.creates_engagement:
            raise PlaybookRefused(f"{spec.name} needs an engagement reference")
        contacts = [Person(name, email) for name, email in new_lead.contacts]
        _refuse_unless_allowed(spec, Stage.LEAD, contacts, new_lead.organization)
        variables = template_variables(partner=new_lead.organization, reference="(new)", contacts=contacts)
        ctx = RunContext(spec, None, contacts, variables, actor, dry_run=True)
        report = RunReport(spec.name, None, None, _preview(spec, ctx, set()), dry_run=True)
        people = ", ".join(map(str, contacts)) or "no contacts"
        report.steps.insert(
            0,
            StepReport(
                0,
                "open-lead",
                "Open the engagement",
                "preview",
                [f"Open a Lead for {new_lead.organization} with {people}"],
            ),
        )
        return report
    unfinished = _unfinished_run(engagement, spec.name)
    if unfinished is not None:
        request = RunRequest.from_json(unfinished.request)
    ctx = context_for(spec=spec, engagement=engagement, actor=actor, dry_run=True, request=request)
    if unfinished is None:
        _refuse_unless_allowed(spec, Stage(engagement.stage), ctx.contacts, engagement.reference, engagement)
    done = (
        set(unfinished.steps.filter(status=StepRun.Status.DONE).values_list("step_id", flat=True))
        if unfinished
        else set()
    )
    return RunReport(
        spec.name, engagement, unfinished, _preview(spec, ctx, done), dry_run=True, resumed=bool(done)
    )


def _unfinished_run(engagement: Engagement, playbook: str) -> PlaybookRun | None:
    return (
        PlaybookRun.objects.filter(
            engagement=engagement,
            playbook=playbook,
            status__in=UNFINISHED,
        )
        .order_by("-id")
        .first()
    )


@transaction.atomic
def _start_run(
    *,
    spec: PlaybookSpec,
    engagement: Engagement,
    actor: Actor,
    again: bool,
    ctx: RunContext,
    request: RunRequest = EVERY_CONTACT,
) -> tuple[PlaybookRun, bool]:
    """The run to carry on (an unfinished one) or a new one; refuses a repeat unless `again`."""
    Engagement.objects.select_for_update().filter(pk=engagement.pk).first()
    unfinished = _unfinished_run(engagement, spec.name)
    if unfinished is not None and unfinished.status == PlaybookRun.Status.QUEUED:
        # Run now by whoever asks first: the worker's claim and a person's Run both go through here.
        taken = PlaybookRun.objects.filter(pk=unfinished.pk, status=PlaybookRun.Status.QUEUED).update(
            status=PlaybookRun.Status.RUNNING
        )
        if not taken:
            raise PlaybookRefused(f"{spec.name} is already running for {engagement.reference}")
        unfinished.status = PlaybookRun.Status.RUNNING
    if unfinished is not None:
        if not unfinished.steps.filter(status=StepRun.Status.DONE).exists():
            # Nothing was done yet (e.g. a check refused the first email): carry on with the
            # playbook as it is now, so fixing the file is enough.
            unfinished.spec = spec.model_dump(mode="json", by_alias=True)
            unfinished.save(update_fields=["spec"])
            unfinished.steps.all().delete()
            _create_step_runs(unfinished, spec, ctx)
        return unfinished, True
    ctx_contacts = list(engagement.contacts.all())
    _refuse_unless_allowed(spec, Stage(engagement.stage), ctx_contacts, engagement.reference, engagement)
    completed = PlaybookRun.objects.filter(
        engagement=engagement, playbook=spec.name, status=PlaybookRun.Status.SUCCEEDED
    ).first()
    if completed is not None and not again:
        raise AlreadyRan(
            f"{spec.name} already ran for {engagement.reference} on {completed.finished_at:%Y-%m-%d %H:%M}"
        )
    try:
        with transaction.atomic():
            run = PlaybookRun.objects.create(
                engagement=engagement,
                playbook=spec.name,
                title=spec.title,
                actor=actor.label,
                spec=spec.model_dump(mode="json", by_alias=True),
                request=request.as_json(),
                started_at=clock.now(),
            )
    except IntegrityError:
        raise PlaybookRefused(f"{spec.name} is already running for {engagement.reference}") from None
    _create_step_runs(run, spec, ctx)
    return run, False


def _create_step_runs(run: PlaybookRun, spec: PlaybookSpec, ctx: RunContext) -> None:
    StepRun.objects.bulk_create(
        StepRun(run=run, index=index, step_id=step.id, kind=step.kind, title=step_title(step, ctx))
        for index, step in enumerate(spec.steps, start=1)
    )


def _finish(run: PlaybookRun, *, status: str, error: str, actor: Actor) -> None:
    run.status = status
    run.error = error
    run.finished_at = clock.now()
    run.save(update_fields=["status", "error", "finished_at"])
    steps = list(run.steps.order_by("index"))
    if status == PlaybookRun.Status.SUCCEEDED:
        summary = f"Playbook {run.title}: done ({len(steps)} steps)"
    else:
        failed = next((s for s in steps if s.status == StepRun.Status.FAILED), None)
        where = f" at step {failed.index} ({failed.title})" if failed else ""
        summary = f"Playbook {run.title}: failed{where}: {error}"
    services.timeline_record(
        engagement=run.engagement,
        kind=TimelineEntry.Kind.PLAYBOOK_RUN,
        actor=actor,
        summary=summary,
        data={
            "run": run.pk,
            "playbook": run.playbook,
            "status": status,
            "steps": [
                {
                    "index": s.index,
                    "id": s.step_id,
                    "title": s.title,
                    "status": s.status,
                    "detail": s.detail,
                    "error": s.error,
                }
                for s in steps
            ],
        },
    )


def _step_done(step_run: StepRun, outcome: StepOutcome) -> None:
    step_run.status = StepRun.Status.DONE
    step_run.detail = outcome.detail
    step_run.result = outcome.result
    step_run.error = ""
    step_run.attempts += 1
    step_run.finished_at = clock.now()
    step_run.save(update_fields=["status", "detail", "result", "error", "attempts", "finished_at"])


def playbook_run(
    *,
    spec: PlaybookSpec,
    actor: Actor,
    engagement: Engagement | None = None,
    new_lead: NewLead | None = None,
    again: bool = False,
    source: str = Source.MANUAL,
    request: RunRequest = EVERY_CONTACT,
) -> RunReport:
    """Run (or resume) a playbook for an engagement; opens the engagement first for a new lead.
    `request` narrows it to the contacts the request names (a resumed run keeps its own)."""
    created = False
    if engagement is None:
        if new_lead is None or not spec.creates_engagement:
            raise PlaybookRefused(f"{spec.name} needs an engagement reference")
        engagement = open_engagement_for(new_lead)
        if engagement is None:
            if not new_lead.contacts:
                raise PlaybookRefused(
                    f"{spec.name} cannot run for {new_lead.organization}: no contact email address"
                )
            engagement = services.engagement_create(
                organization_name=new_lead.organization,
                contacts=new_lead.contacts,
                actor=actor,
                source=source,
            )
            created = True
        else:
            services.engagement_add_contacts(engagement=engagement, contacts=new_lead.contacts, actor=actor)

    run, resumed = _start_run(
        spec=spec,
        engagement=engagement,
        actor=actor,
        again=again,
        ctx=context_for(spec=spec, engagement=engagement, actor=actor, request=request),
        request=request,
    )
    # A resumed run follows the steps it started with, even if the file changed since.
    spec = PlaybookSpec.model_validate(run.spec)
    ctx = context_for(
        spec=spec, engagement=engagement, actor=actor, request=RunRequest.from_json(run.request)
    )
    kinds = step_kinds()
    reports: list[StepReport] = []
    step_runs = {s.step_id: s for s in run.steps.all()}
    for index, step in enumerate(spec.steps, start=1):
        step_run = step_runs[step.id]
        if step_run.status == StepRun.Status.DONE:
            ctx.results[step.id] = step_run.result
            reports.append(StepReport(index, step.id, step_run.title, "skipped", [step_run.detail]))
            continue
        kind = kinds[step.kind]
        try:
            # A step that calls out keeps its own rows (the attempt committed before the call, its
            # outcome after); any other step's work and its record are one transaction.
            with nullcontext() if kind.calls_out else transaction.atomic():
                outcome = kind.execute(step, ctx, step_run.idempotency_key)
                with transaction.atomic():
                    _step_done(step_run, outcome)
        except Exception as exc:  # noqa: BLE001 - any failure stops the run where it can resume
            if isinstance(exc, StepFailed | services.ServiceError):
                error = str(exc)
            else:  # a bug: its class and traceback go to the log, the page says what happened
                log.exception("playbook %s, step %s failed", spec.name, step.id)
                error = f"unexpected error: {exc}" if str(exc) else "unexpected error (see the log)"
            with transaction.atomic():
                step_run.status = StepRun.Status.FAILED
                step_run.error = error
                step_run.attempts += 1
                step_run.save(update_fields=["status", "error", "attempts"])
                _finish(run, status=PlaybookRun.Status.FAILED, error=error, actor=actor)
            reports.append(StepReport(index, step.id, step_run.title, "failed", [error]))
            reports += [
                StepReport(i, s.id, step_runs[s.id].title, "pending")
                for i, s in enumerate(spec.steps[index:], start=index + 1)
            ]
            return RunReport(spec.name, engagement, run, reports, resumed=resumed, created_engagement=created)
        ctx.results[step.id] = outcome.result
        reports.append(StepReport(index, step.id, step_run.title, "done", [outcome.detail]))
    with transaction.atomic():
        _finish(run, status=PlaybookRun.Status.SUCCEEDED, error="", actor=actor)
    return RunReport(spec.name, engagement, run, reports, resumed=resumed, created_engagement=created)


def playbook_queue(*, spec: PlaybookSpec, engagement: Engagement, actor: Actor) -> PlaybookRun:
    """Queue a run for the worker, in the caller's transaction: it is there once the caller's
    work commits, and not at all if that work rolls back. Refuses as `playbook_run` would;
    an unfinished run of the playbook is returned as it is (it is the one to carry on)."""
    unfinished = _unfinished_run(engagement, spec.name)
    if unfinished is not None:
        return unfinished
    ctx = context_for(spec=spec, engagement=engagement, actor=actor)
    run, _ = _start_run(spec=spec, engagement=engagement, actor=actor, again=False, ctx=ctx)
    PlaybookRun.objects.filter(pk=run.pk).update(status=PlaybookRun.Status.QUEUED)
    run.status = PlaybookRun.Status.QUEUED
    return run


def _claimable() -> Q:
    expired = Q(status=PlaybookRun.Status.RUNNING, claimed_until__lt=clock.now())
    return Q(status=PlaybookRun.Status.QUEUED) | expired


def playbook_runs_due(stop: threading.Event | None = None) -> int:
    """The worker's job: run each queued run (and carry on any whose worker died), each claimed
    by a conditional update so two workers never run the same one; returns how many ran."""
    ran = 0
    for run_id in PlaybookRun.objects.filter(_claimable()).order_by("id").values_list("pk", flat=True)[:20]:
        if stop is not None and stop.is_set():
            break
        claimed = PlaybookRun.objects.filter(_claimable(), pk=run_id).update(
            status=PlaybookRun.Status.RUNNING, claimed_until=clock.now() + RUN_CLAIM
        )
        if not claimed:
            continue
        run = PlaybookRun.objects.select_related("engagement").get(pk=run_id)
        report = playbook_run(
            spec=PlaybookSpec.model_validate(run.spec),
            actor=Actor(label=run.actor),
            engagement=run.engagement,
            request=RunRequest.from_json(run.request),
        )
        if report.failed_step is not None:
            stopped = report.failed_step.lines
            log.warning("playbook %s on %s stopped: %s", run.playbook, run.engagement, stopped)
        ran += 1
    return ran


@dataclass(frozen=True)
class RunAsked:
    """What asking for a run did: `queued` is False when the run was already queued or running."""

    run: PlaybookRun
    queued: bool
    resumed: bool = False


def playbook_ask(
    *, spec: PlaybookSpec, engagement: Engagement, actor: Actor, again: bool = False
) -> RunAsked:
    """A person's Run or Resume: the run is queued for the worker, never run by the caller.

    The guards are checked now, so a refused playbook raises PlaybookRefused at once and nothing
    is written. A run already queued or running is left as it is (a second click queues nothing);
    a run stopped at a failed step is queued again, under this actor, to resume where it stopped.
    """
    with transaction.atomic():
        Engagement.objects.select_for_update().filter(pk=engagement.pk).first()
        unfinished = _unfinished_run(engagement, spec.name)
        if unfinished is None:
            ctx = context_for(spec=spec, engagement=engagement, actor=actor)
            run, _ = _start_run(spec=spec, engagement=engagement, actor=actor, again=again, ctx=ctx)
            PlaybookRun.objects.filter(pk=run.pk).update(status=PlaybookRun.Status.QUEUED)
            run.status = PlaybookRun.Status.QUEUED
            return RunAsked(run, queued=True)
        if unfinished.status != PlaybookRun.Status.FAILED:
            return RunAsked(unfinished, queued=False)
        # Its clock starts again: how long it has waited for the worker counts from this request.
        requeued = PlaybookRun.objects.filter(pk=unfinished.pk, status=PlaybookRun.Status.FAILED).update(
            status=PlaybookRun.Status.QUEUED,
            actor=actor.label,
            error="",
            started_at=clock.now(),
            finished_at=None,
            claimed_until=None,
        )
        unfinished.refresh_from_db()
        return RunAsked(unfinished, queued=bool(requeued), resumed=bool(requeued))
