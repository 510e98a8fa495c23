"""htmx requests: a view answers one with a fragment of the page and everyone else in full.

Every htmx-enhanced form and link is an ordinary form or link first, so pages work without
JavaScript; htmx only adds `HX-Request: true` and swaps the fragment in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def fragment(response: HttpResponse) -> HttpResponse:
    """A response that differs by `HX-Request`, so no cache hands a fragment to a full load."""
    patch_vary_headers(response, ["HX-Request"])
    return response


# Answers in place ---------------------------------------------------------------------------
# A form answers where the user acted: a message said while handling a POST that goes back to
# `page#place` is shown at `place` on that page ({% answers "place" %} in the template, see
# templatetags/answers.py), and the browser lands on `#place`, so the answer is in view. An htmx
# view that renders a fragment says its message with `say(..., at=place)` and the fragment holds
# `{% answers place %}`. A message whose place is not on the page shows at the top of the page
# (base.html), where a page without an anchor opens. One way for every page; no JavaScript needed.

PLACE_TAG = "at:"
_PLACE = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,99}$")


def message_place(message: Message) -> str:
    """The id of the element a message is shown next to, or "" for the top of the page."""
    for tag in (message.extra_tags or "").split():
        if tag.startswith(PLACE_TAG):
            return tag[len(PLACE_TAG) :]
    return ""


def message_place_set(message: Message, place: str) -> None:
    if _PLACE.match(place) and not message_place(message):
        message.extra_tags = f"{message.extra_tags or ''} {PLACE_TAG}{place}".strip()


def say(request: HttpRequest, level: int, text: str, *, at: str) -> None:
    """A message shown next to the element with id `at` (in this response or the next page)."""
    messages.add_message(request, level, text, extra_tags=f"{PLACE_TAG}{at}" if _PLACE.match(at) else "")


class AnswersInPlaceMiddleware:
    """A POST answered by a redirect to `page#place`: the messages it said are shown at `place`.

    Sits after MessageMiddleware, so it runs before the messages are stored for the next page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method == "POST" and response.status_code in (301, 302, 303, 307, 308):
            place = urlsplit(response.get("Location", "")).fragment
            if place:
                # Django's storage keeps what this request said in `_queued_messages` until the
                # response; there is no public way to reach them without marking them shown.
                for message in getattr(getattr(request, "_messages", None), "_queued_messages", []):
                    message_place_set(message, place)
        return response
