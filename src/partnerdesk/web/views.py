from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from partnerdesk.pipeline import selectors
from partnerdesk.pipeline.stages import Stage
from partnerdesk.profile import get_profile
from partnerdesk.web.login_links import login_token_redeem


@require_GET
def login_with_token(request: HttpRequest, token: str) -> HttpResponse:
    user = login_token_redeem(token)
    if user is None:
        messages.error(request, "That sign-in link is not valid: it was used already or has expired.")
        return redirect("login")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("home")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    queryset = selectors.engagement_queryset()[:500]
    engagements = list(queryset)
    contacts = selectors.contacts_by_engagement(
        selectors.engagement_queryset().filter(pk__in=[e.pk for e in engagements])
    )
    columns = []
    for stage in Stage:
        rows = [
            selectors.engagement_summary(e, contacts.get(e.pk, []))
            for e in engagements
            if e.stage == stage.value
        ]
        columns.append({"stage": stage, "engagements": rows})
    return render(request, "partnerdesk/home.html", {"columns": columns, "profile": get_profile()})
