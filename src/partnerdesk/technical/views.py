"""The technical form's pages: a click to open it (GET writes nothing), then the form.

Every view starts from the token: an unknown, expired or revoked link, a link to documents only,
or one whose contact left the engagement is a 404; a link already used to submit is a 410.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from partnerdesk.documents.partner_links import partner_link_confirm, partner_link_confirmed
from partnerdesk.pipeline.services import ServiceError
from partnerdesk.technical.links import (
    LinkUsed,
    technical_form_link_find,
    technical_form_questions,
    technical_form_submit,
)
from partnerdesk.technical.models import TechnicalFormLink


def _form_link_or_404(token: str) -> TechnicalFormLink:
    form_link = technical_form_link_find(token)
    if form_link is None:
        raise Http404("This link is not valid: it has expired or was revoked.")
    return form_link


def _used(request: HttpRequest, form_link: TechnicalFormLink, *, thanks: bool = False) -> HttpResponse:
    return render(
        request,
        "technical/form_used.html",
        {"engagement": form_link.engagement, "thanks": thanks},
        status=200 if thanks else 410,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def form_open(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for the click and reveals nothing; POST remembers the link in this browser."""
    form_link = _form_link_or_404(token)
    if request.method == "POST":
        partner_link_confirm(request, form_link.link)
        return redirect("technical:form", token=token)
    return render(request, "technical/form_open.html", {"token": token})


@never_cache
@require_http_methods(["GET", "POST"])
def form_page(request: HttpRequest, token: str) -> HttpResponse:
    form_link = _form_link_or_404(token)
    if not partner_link_confirmed(request, form_link.link):
        return redirect("technical:form-open", token=token)
    if form_link.submitted_at is not None:
        return _used(request, form_link, thanks=request.GET.get("sent") == "1")
    questions = technical_form_questions(form_link.engagement)
    error = ""
    if request.method == "POST":
        values = {q.key: request.POST.get(f"q-{q.key}", "") for q in questions}
        try:
            technical_form_submit(form_link=form_link, values=values)
        except LinkUsed:
            return _used(request, form_link)
        except ServiceError as exc:
            error = str(exc)
            for question in questions:
                question.value = values[question.key][:10_000]
        else:
            return redirect(request.path + "?sent=1")
    return render(
        request,
        "technical/form.html",
        {
            "token": token,
            "engagement": form_link.engagement,
            "contact": form_link.link.contact,
            "questions": questions,
            "expires_at": form_link.link.expires_at,
            "error": error,
        },
        status=400 if error else 200,
    )
