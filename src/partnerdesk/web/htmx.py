"""htmx requests: a view answers one with a fragment of the page and everyone else in full.

Every htmx-enhanced form and link is an ordinary form or link first, so pages work without
JavaScript; htmx only adds `HX-Request: true` and swaps the fragment in.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def fragment(response: HttpResponse) -> HttpResponse:
    """A response that differs by `HX-Request`, so no cache hands a fragment to a full load."""
    patch_vary_headers(response, ["HX-Request"])
    return response
