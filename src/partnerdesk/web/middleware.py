"""The web app's own middleware: a branded 503 while the database is unreachable."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

log = logging.getLogger("partnerdesk.web")

# What a view meets when the database is down, restarting or refusing connections.
DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def first_line(exc: BaseException) -> str:
    """A driver's message, which may span lines (psycopg adds hints), as one log line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return "; ".join(lines) or type(exc).__name__


class DatabaseUnavailableMiddleware:
    """A view that cannot reach the database answers 503 with Retry-After, never a bare 500.

    The page is rendered without the request: its context processors (the signed-in user, the
    messages) would go to the database again.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        log.warning(
            "database unavailable: %s %s answered 503 (%s)",
            request.method,
            request.path,
            first_line(exception),
        )
        page = render_to_string(
            "partnerdesk/503.html", {"retry_after": RETRY_AFTER_SECONDS, "posted": request.method == "POST"}
        )
        response = HttpResponse(page, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        add_never_cache_headers(response)
        return response
