"""Playbooks: the handbook list, and for an engagement a dry-run preview, then Run (or Resume)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from partnerdesk.pipeline import services
from partnerdesk.playbooks.docs import render_playbook
from partnerdesk.playbooks.engine import PlaybookRefused, playbook_preview, playbook_run
from partnerdesk.playbooks.library import get_library
from partnerdesk.playbooks.models import PlaybookRun
from partnerdesk.playbooks.specs import PHASES, PlaybookSpec
from partnerdesk.profile import get_profile
from partnerdesk.web.access import actor_of, engagement_or_404
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
    """Run the playbook, or resume its unfinished run; the outcome shows on the engagement page."""
    engagement = engagement_or_404(reference)
    spec = _spec_or_404(name)
    page = reverse("engagement", args=[engagement.reference])
    try:
        report = playbook_run(
            spec=spec, actor=actor_of(request), engagement=engagement, again=request.POST.get("again") == "1"
        )
    except PlaybookRefused as exc:
        messages.error(request, str(exc))
        return redirect(reverse("playbook-preview", args=[engagement.reference, spec.name]))
    failed = report.failed_step
    if failed is not None:
        messages.error(
            request,
            f"{spec.title} stopped at step {failed.index} ({failed.title}): {failed.lines[0]}. "
            "Fix the cause, then Resume: the steps already done are not repeated.",
        )
        return redirect(page + "#runs")
    resumed = " (resumed)" if report.resumed else ""
    messages.success(request, f"{spec.title}{resumed}: done for {engagement.reference}.")
    return redirect(page + "#timeline")
