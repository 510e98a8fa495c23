"""Playbooks: the handbook list, and for an engagement a dry-run preview, then Run (or Resume),
which queues the run for the worker, and the run's page, which follows it step by step."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from partnerdesk.lib import clock
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement
from partnerdesk.playbooks.docs import render_playbook
from partnerdesk.playbooks.engine import PlaybookRefused, playbook_ask, playbook_preview
from partnerdesk.playbooks.library import get_library
from partnerdesk.playbooks.models import PlaybookRun, StepRun
from partnerdesk.playbooks.specs import PHASES, PlaybookSpec
from partnerdesk.profile import get_profile
from partnerdesk.web.access import actor_of, engagement_or_404
from partnerdesk.web.htmx import fragment, is_htmx
from partnerdesk.web.markdown import render_markdown

TRIGGER_KINDS = {
    "manual": "run by hand",
    "email_command": "a team member's email command",
    "calendly_booking": "a Calendly booking",
}


def _spec_or_404(name: str) -> PlaybookSpec:
    try:
        return get_library().get(name)
    except LookupError:
        raise Http404("no such playbook") from None


@login_required
@require_GET
def playbook_list(request: HttpRequest) -> HttpResponse:
    library = get_library()
    playbooks = [
        {
            "spec": spec,
            "phase": PHASES[spec.phase],
            "trigger": TRIGGER_KINDS.get(spec.trigger.kind, spec.trigger.kind),
            "source": library.sources[spec.name],
            "handbook": render_markdown(render_playbook(spec)),
        }
        for spec in library.in_order()
    ]
    return render(
        request,
        "partnerdesk/playbooks.html",
        {"profile": get_profile(), "playbooks": playbooks, "errors": library.errors},
    )


@login_required
@require_GET
def playbook_preview_page(request: HttpRequest, reference: str, name: str) -> HttpResponse:
    """The dry-run: exactly what Run would do. Writes nothing."""
    engagement = engagement_or_404(reference)
    spec = _spec_or_404(name)
    report, refusal, steps = None, "", []
    try:
        report = playbook_preview(spec=spec, actor=actor_of(request), engagement=engagement)
    except services.ServiceError as exc:  # PlaybookRefused, or a message that cannot be built
        refusal = str(exc)
    else:
        steps = [
            {"title": step.title, "status": step.status, "text": "\n".join(step.lines)}
            for step in report.steps
        ]
    completed = (
        PlaybookRun.objects.filter(
            engagement=engagement, playbook=spec.name, status=PlaybookRun.Status.SUCCEEDED
        )
        .order_by("-finished_at")
        .first()
    )
    return render(
        request,
        "partnerdesk/playbook_preview.html",
        {
            "profile": get_profile(),
            "engagement": engagement,
            "spec": spec,
            "report": report,
            "steps": steps,
            "refusal": refusal,
            "completed": completed if report is not None and report.run is None else None,
        },
    )


@login_required
@require_POST
def playbook_run_view(request: HttpRequest, reference: str, name: str) -> HttpResponse:
    """Queue the playbook (or its stopped run, to resume) and show the run's page. Nothing runs in
    this request: the worker does the steps, and a slow remote never holds up the page."""
    engagement = engagement_or_404(reference)
    spec = _spec_or_404(name)
    try:
        asked = playbook_ask(
            spec=spec, actor=actor_of(request), engagement=engagement, again=request.POST.get("again") == "1"
        )
    except PlaybookRefused as exc:
        messages.error(request, str(exc))
        return redirect(reverse("playbook-preview", args=[engagement.reference, spec.name]))
    run = asked.run
    # Info, not success: nothing is done yet (a success reads "Done:").
    if asked.resumed:
        messages.info(
            request, f"Queued: {run.title} resumes in a moment; the steps already done are not repeated."
        )
    elif asked.queued:
        messages.info(
            request, f"Queued: {run.title} runs for {engagement.reference} in a moment; each step shows here."
        )
    else:
        messages.info(
            request,
            f"{run.title} is already {run.get_status_display().lower()} for {engagement.reference}: "
            "it was not queued again.",
        )
    return redirect(reverse("playbook-run-page", args=[engagement.reference, run.pk]))


# Long enough for a worker that is busy or sleeping between passes (the one in `partnerdesk serve`
# looks every 2 s), short enough that a person waiting learns there is no worker running.
WORKER_EXPECTED_WITHIN = dt.timedelta(minutes=2)

STEP_STATE_LABELS = {
    "queued": "queued",
    "running": "running",
    "done": "done",
    "failed": "failed",
    "not-run": "not run",
}


@dataclass(frozen=True)
class StepShown:
    index: int
    title: str
    state: str  # a key of STEP_STATE_LABELS
    detail: str = ""  # what the step did, or why it failed
    failed_before: str = ""  # the error of an earlier attempt, on a step queued to run again

    @property
    def label(self) -> str:
        return STEP_STATE_LABELS[self.state]


def steps_shown(run: PlaybookRun, steps: list[StepRun]) -> list[StepShown]:
    """Each step's state as the person waiting sees it: the step a running run is at is running;
    the steps after a failed one were not run; a step that failed before and is queued again
    says how it failed."""
    current = next((step for step in steps if step.status != StepRun.Status.DONE), None)
    shown = []
    for step in steps:
        if step.status == StepRun.Status.DONE:
            shown.append(StepShown(step.index, step.title, "done", step.detail))
        elif run.status == PlaybookRun.Status.FAILED:
            if step.status == StepRun.Status.FAILED:
                shown.append(StepShown(step.index, step.title, "failed", step.error))
            else:
                shown.append(StepShown(step.index, step.title, "not-run"))
        else:
            state = "running" if run.status == PlaybookRun.Status.RUNNING and step is current else "queued"
            before = step.error if step.status == StepRun.Status.FAILED else ""
            shown.append(StepShown(step.index, step.title, state, failed_before=before))
    return shown


def waiting_for_worker(run: PlaybookRun, now: dt.datetime) -> bool:
    """The run should have started by now: queued for long, or its worker's claim ran out."""
    if run.status == PlaybookRun.Status.QUEUED:
        return now - run.started_at > WORKER_EXPECTED_WITHIN
    if run.status == PlaybookRun.Status.RUNNING and run.claimed_until is not None:
        return run.claimed_until < now
    return False


def progress_mark(run: PlaybookRun, steps: list[StepShown], waiting: bool) -> str:
    """What the progress fragment shows, in short. The page asks again with the mark it has, and
    an unchanged run is answered with no content: htmx swaps nothing, and a screen reader does not
    read the same steps out again every 2 s."""
    done = sum(step.state == "done" for step in steps)
    return f"{run.status}.{done}.{'waiting' if waiting else 'on-time'}"


def _run_or_404(engagement: Engagement, run_id: int) -> PlaybookRun:
    run = PlaybookRun.objects.filter(pk=run_id, engagement=engagement).first()
    if run is None:
        raise Http404("no such run")
    return run


@login_required
@require_GET
def playbook_run_page(request: HttpRequest, reference: str, run_id: int) -> HttpResponse:
    """A run's steps and their state; while it is unfinished, htmx asks again every 2 s for the
    progress fragment (this view, answered in part, or with nothing when nothing changed), and
    stops once an answer says it finished."""
    engagement = engagement_or_404(reference)
    run = _run_or_404(engagement, run_id)
    steps = steps_shown(run, list(run.steps.order_by("index")))
    finished = run.status in (PlaybookRun.Status.SUCCEEDED, PlaybookRun.Status.FAILED)
    waiting = waiting_for_worker(run, clock.now())
    mark = progress_mark(run, steps, waiting)
    if is_htmx(request) and request.GET.get("seen") == mark:
        return fragment(HttpResponse(status=204))
    context = {
        "profile": get_profile(),
        "engagement": engagement,
        "run": run,
        "steps": steps,
        "finished": finished,
        "failed_step": next((step for step in steps if step.state == "failed"), None),
        "running_step": next((step for step in steps if step.state == "running"), None),
        "waiting": waiting,
        "mark": mark,
    }
    if is_htmx(request):
        return fragment(render(request, "partnerdesk/partials/playbook_run_progress.html", context))
    return render(request, "partnerdesk/playbook_run.html", context)
