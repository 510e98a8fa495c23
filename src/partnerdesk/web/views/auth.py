"""Signing in: the one-time link `partnerdesk serve` prints, a throttled password form, invitations.

Every way in (the form, the admin's sign-in, which leads to the form, one-time links and
invitation links) goes through one throttle (web/throttle.py) and answers the same "try again in
N minutes" page when it refuses.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from partnerdesk.pipeline.services import ServiceError
from partnerdesk.web import throttle
from partnerdesk.web.access import actor_of
from partnerdesk.web.forms import ThrottledAuthenticationForm
from partnerdesk.web.invitations import invitation_send, invitation_tokens, invitation_use
from partnerdesk.web.login_links import login_token_redeem


def throttled_page(request: HttpRequest, block: throttle.Block) -> HttpResponse:
    """What every way in answers while the throttle refuses it."""
    response = render(request, "partnerdesk/throttled.html", {"minutes": block.minutes}, status=429)
    response["Retry-After"] = str(block.retry_after)
    return response


@never_cache
@require_GET
def login_with_token(request: HttpRequest, token: str) -> HttpResponse:
    address = throttle.client_address(request)
    block = throttle.sign_in_blocked(address=address)
    if block is not None:
        return throttled_page(request, block)
    user = login_token_redeem(token)
    if user is None:
        throttle.sign_in_failed(address=address)
        messages.error(request, "That sign-in link is not valid: it was used already or has expired.")
        return redirect("login")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("home")


class SignInView(auth_views.LoginView):
    template_name = "partnerdesk/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # A paused client is told so before typing a password, not after.
        block = throttle.sign_in_blocked(address=throttle.client_address(request))
        if block is not None:
            return throttled_page(request, block)
        return super().get(request, *args, **kwargs)

    def form_invalid(self, form: ThrottledAuthenticationForm) -> HttpResponse:  # type: ignore[override]
        if form.throttled is not None:
            return throttled_page(self.request, form.throttled)
        return super().form_invalid(form)


@never_cache
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's sign-in page: it sends people to ours, so the admin has no password form of its own."""
    admin_home = reverse("admin:index")
    next_url = request.GET.get("next") or admin_home
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = admin_home
    if request.user.is_authenticated:
        if getattr(request.user, "is_staff", False):
            return redirect(next_url)
        # Back to the admin would send them here again: a loop.
        messages.error(request, "Your account cannot use the admin. A staff member can change that.")
        return redirect("home")
    return redirect(f"{reverse('login')}?{urlencode({'next': next_url})}")


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
    form = InvitationForm(request.POST or None, initial={"email": request.GET.get("email", "")[:254]})
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
    token_generator = invitation_tokens

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        address = throttle.client_address(request)
        block = throttle.sign_in_blocked(address=address)
        if block is not None:
            return throttled_page(request, block)
        response = super().dispatch(request, *args, **kwargs)
        if not self.validlink and not isinstance(response, HttpResponseRedirect):
            throttle.sign_in_failed(address=address)  # a link that does not work, made up or stale
        return response

    @transaction.atomic
    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        token = self.request.session.get(auth_views.INTERNAL_RESET_SESSION_TOKEN, "")
        if self.user is None or not invitation_use(user=self.user, token=token):
            self.validlink = False  # another request used it meanwhile: nothing is set twice
            return self.render_to_response(self.get_context_data(form=form))
        response = super().form_valid(form)
        messages.success(self.request, "Welcome: your password is set.")
        return response
