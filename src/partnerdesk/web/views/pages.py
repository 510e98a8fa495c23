"""The pages around the app: signed out, the error pages, the brand's stylesheet and the favicon.

The error pages are rendered without the request, as the 503 page is: the signed-in user and the
messages would need the database, which may be why the page failed.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from partnerdesk.web.branding import brand_stylesheet, current_brand


@require_GET
def signed_out(request: HttpRequest) -> HttpResponse:
    return render(request, "partnerdesk/signed_out.html")


@require_GET
@cache_control(public=True, max_age=86400)
def brand_css(request: HttpRequest) -> HttpResponse:
    """The header's colour from the profile; base.html links it with the colour's hash in the URL."""
    return HttpResponse(brand_stylesheet(current_brand()), content_type="text/css; charset=utf-8")


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """For the browsers and tools that ask for /favicon.ico without reading the page's link."""
    return HttpResponsePermanentRedirect(static("partnerdesk/favicon.svg"))


def _error_page(request: HttpRequest, template: str, status: int) -> HttpResponse:
    # A partner reached the page through a link we sent (p/...): the team's pipeline is not for them.
    context = {"partner": request.path.startswith("/p/")}
    return HttpResponse(render_to_string(template, context), status=status)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, "partnerdesk/403.html", 403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, "partnerdesk/404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django has logged the exception (django.request); the page says only what the user can do.
    return _error_page(request, "partnerdesk/500.html", 500)
