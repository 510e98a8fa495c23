"""The agreement on the engagement page: each POST parses, calls one agreements service, redirects.

The services (partnerdesk/agreements/) are the same the `partnerdesk agreement` command calls;
a refusal comes back as a message naming what is wrong or missing.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_GET, require_POST

from partnerdesk.agreements import services as agreements
from partnerdesk.agreements import storage
from partnerdesk.agreements.closing import agreement_executed
from partnerdesk.agreements.models import Addendum, Agreement, AgreementVersion
from partnerdesk.agreements.selectors import agreement_for
from partnerdesk.agreements.status import agreement_mark_ready
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.services import ServiceError
from partnerdesk.web.access import actor_of, engagement_or_404
from partnerdesk.web.forms import (
    AddendumForm,
    AgreementExecutedForm,
    AgreementTermsForm,
    AgreementUploadForm,
    SignatoryForm,
)

Action = Callable[[HttpRequest, Engagement, Agreement, Form], str]


def _back(engagement: Engagement) -> HttpResponse:
    return redirect(reverse("engagement", args=[engagement.reference]) + "#agreement")


def _missing_message(title: str, missing: list[str]) -> str:
    return format_html(
        '{} is not ready to sign. Missing:<ul class="missing">{}</ul>',
        title,
        format_html_join("", "<li>{}</li>", ((item,) for item in missing)),
    )


def _agreement_post(form_class: type[Form], action: Action) -> Callable[[HttpRequest, str], HttpResponse]:
    """A POST on the engagement's agreement: validate, run the service, say what happened."""

    @login_required
    @require_POST
    def view(request: HttpRequest, reference: str) -> HttpResponse:
        engagement = engagement_or_404(reference)
        agreement = agreement_for(engagement)
        form = form_class(request.POST, request.FILES)
        if agreement is None:
            messages.error(request, f"{engagement.reference} has no agreement yet: upload a .docx first.")
        elif not form.is_valid():
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                for error in errors:
                    messages.error(request, f"{label}: {error}" if label else str(error))
        else:
            try:
                done = action(request, engagement, agreement, form)
            except agreements.AgreementNotReady as refusal:
                messages.error(
                    request, _missing_message(agreement.title, refusal.missing), extra_tags="refusal"
                )
            except ServiceError as exc:
                messages.error(request, str(exc))
            else:
                if done:
                    messages.success(request, done)
        return _back(engagement)

    view.__name__ = action.__name__
    return view


def _terms(request: HttpRequest, engagement: Engagement, agreement: Agreement, form: Form) -> str:
    data = form.cleaned_data
    changes = agreements.agreement_set_terms(
        agreement=agreement,
        actor=actor_of(request),
        value=data["value"],
        currency=data["currency"] or None,
        term_start=data["term_start"],
        term_end=data["term_end"],
    )
    return "Terms saved: " + "; ".join(changes) if changes else "Nothing changed in the terms."


def _signatory_add(request: HttpRequest, engagement: Engagement, agreement: Agreement, form: Form) -> str:
    assert isinstance(form, SignatoryForm)
    signatory = agreements.agreement_signatory_add(
        agreement=agreement,
        person=form.person(),
        organization=form.cleaned_data["organization"],
        role=form.cleaned_data["role"],
        actor=actor_of(request),
    )
    return f"Signatory added: {signatory}"


def _addendum_add(request: HttpRequest, engagement: Engagement, agreement: Agreement, form: Form) -> str:
    addendum = agreements.agreement_addendum_add(
        agreement=agreement,
        kind=form.cleaned_data["kind"],
        title=form.cleaned_data["title"],
        description=form.cleaned_data["description"],
        due_on=form.cleaned_data["due_on"],
        actor=actor_of(request),
    )
    return f"Addendum added: {addendum.title}"


def _ready(request: HttpRequest, engagement: Engagement, agreement: Agreement, form: Form) -> str:
    agreement_mark_ready(agreement=agreement, actor=actor_of(request))
    return f"{agreement.title} is ready to sign."


def _executed(request: HttpRequest, engagement: Engagement, agreement: Agreement, form: Form) -> str:
    signed = form.cleaned_data["signed"]
    report = agreement_executed(
        engagement=engagement,
        signed_file=signed.read(),
        filename=signed.name,
        on=form.cleaned_data["on"],
        actor=actor_of(request),
    )
    if report.already:
        return f"{report.agreement.title} was already executed."
    said = [f"{report.agreement.title} is executed."]
    if report.moved_to_partner:
        said.append(f"{engagement.reference} moved to Partner.")
    said.extend(report.notes)
    return " ".join(part for part in said if part)


agreement_terms = _agreement_post(AgreementTermsForm, _terms)
agreement_signatory_add = _agreement_post(SignatoryForm, _signatory_add)
agreement_addendum_add = _agreement_post(AddendumForm, _addendum_add)
agreement_ready = _agreement_post(Form, _ready)
agreement_executed_upload = _agreement_post(AgreementExecutedForm, _executed)


@login_required
@require_POST
def agreement_upload(request: HttpRequest, reference: str) -> HttpResponse:
    """A new negotiated version; the engagement's first upload starts its agreement."""
    engagement = engagement_or_404(reference)
    form = AgreementUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.get("file", []):
            messages.error(request, f"New version (.docx): {error}")
        return _back(engagement)
    upload = form.cleaned_data["file"]
    actor = actor_of(request)
    try:
        agreement = agreement_for(engagement)
        if agreement is not None and agreement.status == Agreement.Status.EXECUTED:
            raise ServiceError(f"{agreement.title} is executed: it can no longer change")
        if agreement is None or agreement.status == Agreement.Status.WITHDRAWN:
            agreement = agreements.agreement_create(engagement=engagement, actor=actor)
        latest = (
            AgreementVersion.objects.filter(agreement=agreement)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        version = agreements.agreement_attach(
            agreement=agreement, content=upload.read(), filename=upload.name, actor=actor
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
        return _back(engagement)
    if version.number == latest:
        messages.info(request, f"{upload.name} is the same file as version {version.number}: nothing added.")
    elif version.changes:
        messages.success(
            request,
            format_html(
                'Version {} attached. What changed:<pre class="changes">{}</pre>',
                version.number,
                version.changes,
            ),
        )
    else:
        messages.success(request, f"Version {version.number} attached.")
    return _back(engagement)


@login_required
@require_POST
def agreement_signatory_remove(request: HttpRequest, reference: str) -> HttpResponse:
    engagement = engagement_or_404(reference)
    agreement = agreement_for(engagement)
    email = request.POST.get("email", "")
    if agreement is None:
        raise Http404("no agreement")
    try:
        agreements.agreement_signatory_remove(agreement=agreement, email=email, actor=actor_of(request))
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Signatory removed: {email}")
    return _back(engagement)


@login_required
@require_POST
def agreement_addendum_remove(request: HttpRequest, reference: str, addendum_id: int) -> HttpResponse:
    engagement = engagement_or_404(reference)
    agreement = agreement_for(engagement)
    if agreement is None or not Addendum.objects.filter(agreement=agreement, pk=addendum_id).exists():
        raise Http404("no such addendum")
    try:
        agreements.agreement_addendum_remove(
            agreement=agreement, addendum_id=addendum_id, actor=actor_of(request)
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Addendum removed.")
    return _back(engagement)


@login_required
@require_GET
def agreement_version_download(request: HttpRequest, reference: str, version_id: int) -> FileResponse:
    """One version's file as the store keeps it; only a version of this engagement's agreements."""
    engagement = engagement_or_404(reference)
    version = AgreementVersion.objects.filter(pk=version_id, agreement__engagement=engagement).first()
    if version is None:
        raise Http404("no such version")
    content = storage.read_file(version.store_id)
    return FileResponse(
        io.BytesIO(content), as_attachment=True, filename=version.filename, content_type=version.content_type
    )
