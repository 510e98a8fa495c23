"""Signing in: the one-time link `partnerdesk serve` prints, a throttled password form, invitations."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from partnerdesk.pipeline.services import ServiceError
from partnerdesk.web.access import actor_of
from partnerdesk.web.forms import ThrottledAuthenticationForm
from partnerdesk.web.invitations import invitation_send
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


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    staff = forms.BooleanField(
        label="Staff (may use the admin and invite others)", required=False, initial=False
    )


@login_required
@require_http_methods(["GET", "POST"])
def invitation_create(request: HttpRequest) -> HttpResponse:
    """Staff invite a team member: an email with a link that sets their password."""
    if not request.user.is_staff:
        raise PermissionDenied("only staff invite team members")
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation_send(
                email=form.cleaned_data["email"], actor=actor_of(request), staff=form.cleaned_data["staff"]
            )
        except ServiceError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, f"Invitation queued for {form.cleaned_data['email']}.")
            return redirect("invitation-create")
    return render(request, "partnerdesk/invitation_create.html", {"form": form})


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The invitation's link: choose a password, then you are signed in."""

    template_name = "partnerdesk/invitation_accept.html"
    reset_url_token = "set-password"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("home")

    def form_valid(self, form: Form) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Welcome: your password is set.")
        return response
