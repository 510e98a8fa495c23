"""Signing in: the one-time link `partnerdesk serve` prints, and a throttled password form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from partnerdesk.web.forms import ThrottledAuthenticationForm
from partnerdesk.web.login_links import login_token_redeem


@never_cache
@require_GET
def login_with_token(request: HttpRequest, token: str) -> HttpResponse:
    user = login_token_redeem(token)
    if user is None:
        messages.error(request, "That sign-in link is not valid: it was used already or has expired.")
        return redirect("login")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("home")


class SignInView(auth_views.LoginView):
    template_name = "partnerdesk/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True
