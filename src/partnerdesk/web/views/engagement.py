"""The engagement page and its forms: each POST parses, calls one service, and redirects back."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.messages import get_messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_GET, require_POST

from partnerdesk.documents.partner_links import (
    engagement_partner_links,
    partner_link_revoke,
    partner_link_send,
)
from partnerdesk.lib import clock
from partnerdesk.ops.merging import engagement_merge, engagement_merged_into, merge_candidates, merge_preview
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.qualification import Answer
from partnerdesk.pipeline.selectors import EngagementNotFound, engagement_get
from partnerdesk.pipeline.stages import ALLOWED_MOVES, Stage
from partnerdesk.playbooks.library import get_library
from partnerdesk.profile import get_profile
from partnerdesk.web import queries
from partnerdesk.web.access import (
    actor_of,
    engagement_contact_or_404,
    engagement_or_404,
    safe_next,
    task_or_404,
)
from partnerdesk.web.engagement_page import (
    engagement_summary,
    open_sections,
    parse_timeline_request,
    timeline_page,
)
from partnerdesk.web.forms import (
    AddendumForm,
    AgreementExecutedForm,
    AgreementTermsForm,
    AgreementUploadForm,
    ContactEditForm,
    ContactForm,
    ExecutedCloseForm,
    MoveForm,
    NoteForm,
    OrganizationForm,
    ScorecardForm,
    SignatoryForm,
    TaskForm,
    VerbalYesForm,
)
from partnerdesk.web.htmx import fragment, is_htmx, message_place


def _page_url(engagement: Engagement, anchor: str = "") -> str:
    return reverse("engagement", args=[engagement.reference]) + (f"#{anchor}" if anchor else "")


def _form_errors(request: HttpRequest, form: Form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else str(error))


def playbooks_for(engagement: Engagement) -> list[dict[str, object]]:
    """The playbooks whose stage guard lets them run at the engagement's stage now."""
    library = get_library()
    stage = Stage(engagement.stage)
    return [
        {"spec": spec, "source": library.sources[spec.name]}
        for spec in library.in_order()
        if stage in (spec.guards.stages or [s for s in Stage if s is not Stage.CLOSED])
    ]


@login_required
@require_GET
def engagement_page(request: HttpRequest, reference: str) -> HttpResponse:
    engagement = engagement_or_404(reference)
    page = queries.engagement_page(engagement)
    group, number = parse_timeline_request(request.GET)
    paging = "timeline" in request.GET or "timeline_page" in request.GET
    # Reading the messages here leaves them for {% answers %}: the storage keeps them for the request.
    answered_at = {message_place(message) for message in get_messages(request)}
    scorecard_form = ScorecardForm(
        initial={
            "good_candidate": page.good_candidate,
            "qualified": page.qualified,
            **{item["criterion"].value: item["answer"] for item in page.criteria},
            **{f"{item['criterion'].value}-notes": item["notes"] for item in page.criteria},
        }
    )
    return render(
        request,
        "partnerdesk/engagement.html",
        {
            "profile": get_profile(),
            "page": page,
            "engagement": engagement,
            "summary": engagement_summary(page, today=clock.today()),
            "sections": open_sections(
                Stage(engagement.stage), answered_at=answered_at, also=["timeline"] if paging else []
            ),
            "timeline": timeline_page(page.timeline, group=group, number=number),
            "playbooks": playbooks_for(engagement),
            "scorecard_form": scorecard_form,
            "move_form": MoveForm(moves=ALLOWED_MOVES[Stage(engagement.stage)]),
            "contact_form": ContactForm(),
            "organization_form": OrganizationForm(
                initial={"name": engagement.organization.name, "website": engagement.organization.website},
                auto_id="organization-%s",
            ),
            "note_form": NoteForm(),
            "task_form": TaskForm(),
            # Both have an "on" field: distinct ids keep each label on its own input.
            "verbal_yes_form": VerbalYesForm(auto_id="verbal-yes-%s"),
            "executed_close_form": ExecutedCloseForm(auto_id="executed-close-%s"),
            "partner_links": engagement_partner_links(engagement),
            **_agreement_forms(page),
            "shared_contacts": list(
                {share.contact_id: share.contact for d in page.documents for share in d.shares.all()}.values()
            ),
            **_merge_context(engagement, [contact.email for contact in page.contacts]),
        },
    )


def _merge_context(engagement: Engagement, emails: list[str]) -> dict[str, object]:
    merged_into = engagement_merged_into(engagement)
    return {
        "merged_into": merged_into,
        "merge_candidates": [] if merged_into else merge_candidates(engagement, emails=emails),
    }


def _agreement_forms(page: queries.EngagementPage) -> dict[str, Form]:
    panel = page.agreement
    agreement = panel.agreement if panel else None
    terms = (
        {
            "value": agreement.value,
            "currency": agreement.currency,
            "term_start": agreement.term_start,
            "term_end": agreement.term_end,
        }
        if agreement
        else {}
    )
    return {
        "agreement_upload_form": AgreementUploadForm(),
        "agreement_terms_form": AgreementTermsForm(initial=terms, auto_id="terms-%s"),
        "signatory_form": SignatoryForm(auto_id="signatory-%s"),
        "addendum_form": AddendumForm(auto_id="addendum-%s"),
        "agreement_executed_form": AgreementExecutedForm(auto_id="executed-%s"),
    }


def refusal_message(refusal: services.MoveRefused, engagement: Engagement, to: Stage) -> str:
    return format_html(
        '{} cannot move to {}. Missing:<ul class="missing">{}</ul>',
        engagement.reference,
        to.label,
        format_html_join("", "<li>{}</li>", ((item,) for item in refusal.missing)),
    )


@login_required
@require_POST
def engagement_move(request: HttpRequest, reference: str) -> HttpResponse:
    engagement = engagement_or_404(reference)
    back = safe_next(request, _page_url(engagement, "stage"))
    form = MoveForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    to = Stage(form.cleaned_data["to"])
    try:
        check = services.engagement_move(
            engagement=engagement, to=to, actor=actor_of(request), reason=form.cleaned_data["reason"]
        )
    except services.MoveRefused as refusal:
        messages.error(request, refusal_message(refusal, engagement, to), extra_tags="refusal")
        return redirect(back)
    except services.ServiceError as exc:  # the reason refused (too long, a control character)
        messages.error(request, str(exc))
        return redirect(back)
    messages.success(request, f"{engagement.reference} moved to {to.label}.")
    if check.warnings:
        messages.warning(
            request,
            format_html(
                "Still to find out:<ul>{}</ul>",
                format_html_join("", "<li>{}</li>", ((w,) for w in check.warnings)),
            ),
        )
    return redirect(back)


def _engagement_post(
    form_class: type[Form], action: Callable[[HttpRequest, Engagement, Form], str], anchor: str
) -> Callable[[HttpRequest, str], HttpResponse]:
    """A POST view: validate the form, run the action (a service call), say what happened."""

    @login_required
    @require_POST
    def view(request: HttpRequest, reference: str) -> HttpResponse:
        engagement = engagement_or_404(reference)
        form = form_class(request.POST)
        if not form.is_valid():
            _form_errors(request, form)
        else:
            try:
                done = action(request, engagement, form)
            except services.ServiceError as exc:
                messages.error(request, str(exc))
            else:
                if done:
                    messages.success(request, done)
        return redirect(safe_next(request, _page_url(engagement, anchor)))

    view.__name__ = action.__name__
    return view


def _qualify(request: HttpRequest, engagement: Engagement, form: Form) -> str:
    assert isinstance(form, ScorecardForm)
    changes = services.engagement_qualify(
        engagement=engagement,
        actor=actor_of(request),
        answers=form.answers(),
        notes=form.notes(),
        good_candidate=Answer(form.cleaned_data["good_candidate"]),
        qualified=Answer(form.cleaned_data["qualified"]),
    )
    return "Scorecard saved." if changes else "Nothing changed in the scorecard."


def _add_contact(request: HttpRequest, engagement: Engagement, form: Form) -> str:
    added = services.engagement_add_contacts(
        engagement=engagement,
        contacts=[(form.cleaned_data["name"], form.cleaned_data["email"])],
        actor=actor_of(request),
    )
    return f"Added {added[0]}." if added else "That contact is already on this engagement."


def _add_task(request: HttpRequest, engagement: Engagement, form: Form) -> str:
    task = services.task_create(
        engagement=engagement,
        title=form.cleaned_data["title"],
        assignee=form.cleaned_data["assignee"],
        due_on=form.cleaned_data["due_on"],
        actor=actor_of(request),
    )
    return f"Task added: {task.title}"


def _verbal_yes(request: HttpRequest, engagement: Engagement, form: Form) -> str:
    services.engagement_record_verbal_yes(
        engagement=engagement, by=form.cleaned_data["by"], on=form.cleaned_data["on"], actor=actor_of(request)
    )
    return "Verbal yes recorded."


def _executed_close(request: HttpRequest, engagement: Engagement, form: Form) -> str:
    services.engagement_record_executed_close(
        engagement=engagement,
        agreement=form.cleaned_data["agreement"],
        on=form.cleaned_data["on"],
        actor=actor_of(request),
    )
    return "Executed close recorded."


def _edit_organization(request: HttpRequest, engagement: Engagement, form: Form) -> str:
    changes = services.organization_update(
        organization=engagement.organization,
        name=form.cleaned_data["name"],
        website=form.cleaned_data["website"],
        actor=actor_of(request),
        engagement=engagement,
    )
    return "Organization saved." if changes else "Nothing changed in the organization."


engagement_organization_edit = _engagement_post(OrganizationForm, _edit_organization, "contacts")
engagement_qualify = _engagement_post(ScorecardForm, _qualify, "scorecard")
engagement_contact_add = _engagement_post(ContactForm, _add_contact, "contacts")
engagement_task_add = _engagement_post(TaskForm, _add_task, "tasks")
engagement_verbal_yes = _engagement_post(VerbalYesForm, _verbal_yes, "stage")
engagement_executed_close = _engagement_post(ExecutedCloseForm, _executed_close, "stage")


@login_required
@require_POST
def engagement_note(request: HttpRequest, reference: str) -> HttpResponse:
    """Add a note; htmx gets the timeline with the note on it, everyone else a redirect."""
    engagement = engagement_or_404(reference)
    form = NoteForm(request.POST)
    added = ""
    if form.is_valid():
        try:
            services.engagement_add_note(
                engagement=engagement, text=form.cleaned_data["text"], actor=actor_of(request)
            )
        except services.ServiceError as exc:
            form.add_error("text", str(exc))
        else:
            added = "Note added."
    if is_htmx(request):
        context = {
            "engagement": engagement,
            "timeline": timeline_page(queries.engagement_timeline(engagement)),
            "note_form": NoteForm() if added else form,
            "note_status": added,
        }
        return fragment(render(request, "partnerdesk/partials/timeline.html", context))
    if added:
        messages.success(request, added)
    else:
        _form_errors(request, form)
    return redirect(safe_next(request, _page_url(engagement, "timeline")))


@login_required
@require_POST
def task_toggle(request: HttpRequest, reference: str, task_id: int) -> HttpResponse:
    """Done or undone; htmx gets the task's own line back, everyone else a redirect."""
    engagement = engagement_or_404(reference)
    task = task_or_404(engagement, task_id)
    done = request.POST.get("done") == "1"
    services.task_set_done(task=task, done=done, actor=actor_of(request))
    if is_htmx(request):
        context = {"engagement": engagement, "task": task}
        return fragment(render(request, "partnerdesk/partials/task.html", context))
    messages.success(request, f"{'Done' if done else 'Reopened'}: {task.title}")
    return redirect(safe_next(request, _page_url(engagement, "tasks")))


@login_required
@require_POST
def partner_link_revoke_view(request: HttpRequest, reference: str, link_id: int) -> HttpResponse:
    engagement = engagement_or_404(reference)
    link = partner_link_revoke(engagement=engagement, link_id=link_id, actor=actor_of(request))
    messages.success(request, f"The link sent to {link.contact} no longer works.")
    return redirect(_page_url(engagement, "partner-links"))


@login_required
@require_POST
def partner_link_send_view(request: HttpRequest, reference: str, contact_id: int) -> HttpResponse:
    engagement = engagement_or_404(reference)
    try:
        contact = partner_link_send(engagement=engagement, contact_id=contact_id, actor=actor_of(request))
    except services.ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"A new link to the shared documents is queued for {contact}.")
    return redirect(_page_url(engagement, "partner-links"))


@login_required
@require_POST
def engagement_contact_edit(request: HttpRequest, reference: str, contact_id: int) -> HttpResponse:
    engagement = engagement_or_404(reference)
    contact = engagement_contact_or_404(engagement, contact_id)
    form = ContactEditForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_page_url(engagement, "contacts"))
    try:
        changed = services.contact_update(
            contact=contact, name=form.cleaned_data["name"], actor=actor_of(request), engagement=engagement
        )
    except services.ServiceError as exc:  # the name refused (a control character)
        messages.error(request, str(exc))
    else:
        if changed:
            messages.success(request, f"Saved {contact}.")
        else:
            messages.info(request, f"Nothing changed for {contact}.")
    return redirect(_page_url(engagement, "contacts"))


@login_required
@require_POST
def engagement_merge_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Merge this engagement into another, in two steps: the first POST shows what would move,
    the second (with `confirm`) merges and opens the engagement that got everything."""
    engagement = engagement_or_404(reference)
    back = _page_url(engagement, "merge")
    try:
        # A reference typed in (any engagement) wins over the list of likely ones.
        typed = request.POST.get("into_reference", "").strip()
        target = engagement_get(typed or request.POST.get("into", "").strip())
    except EngagementNotFound:
        messages.error(request, "Choose the engagement to merge into, or type its reference (PD-12).")
        return redirect(back)
    try:
        if request.POST.get("confirm") != "yes":
            lines = merge_preview(source=engagement, target=target)
            return render(
                request,
                "partnerdesk/engagement_merge.html",
                {"engagement": engagement, "target": target, "lines": lines},
            )
        result = engagement_merge(source=engagement, target=target, actor=actor_of(request))
    except services.ServiceError as exc:
        messages.error(request, f"{engagement.reference} was not merged: {exc}")
        return redirect(back)
    messages.success(request, result.summary + ".")
    return redirect(_page_url(target))
