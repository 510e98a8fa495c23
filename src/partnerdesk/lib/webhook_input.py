"""A webhook's body, read within a size cap and parsed into a JSON object with bounded nesting.

Anything a sender can get wrong (too big, not UTF-8, not JSON, nested past MAX_DEPTH or past
Python's recursion limit, a NUL character that PostgreSQL cannot store) raises one of the two
errors below, which a view answers with 413 or 400; never a 500.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest

# A vendor's delivery is a handful of levels deep; 32 leaves room and stops a "[[[[...]]]]" bomb.
MAX_DEPTH = 32


class BodyTooLarge(Exception):
    """The body is over the cap (answer 413)."""


class MalformedBody(ValueError):
    """The body is not a JSON object we accept (answer 400); the message says why."""


def read_body(request: HttpRequest, *, limit: int) -> bytes:
    """The raw body; BodyTooLarge when its declared or actual length is over `limit` bytes.

    The declared Content-Length is checked before anything is read, so a huge body costs nothing.
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0  # Django reads no body for a Content-Length that is not a number
    if declared > limit:
        raise BodyTooLarge(f"the body is {declared:,} bytes (at most {limit:,})")
    try:
        body = request.body
    except RequestDataTooBig:
        raise BodyTooLarge(f"the body is over {limit:,} bytes") from None
    if len(body) > limit:
        raise BodyTooLarge(f"the body is {len(body):,} bytes (at most {limit:,})")
    return body


def _check_shape(data: Any, max_depth: int) -> None:
    """Depth at most `max_depth`, no NUL in any key or string; iterative, so no recursion limit."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise MalformedBody("the JSON holds a NUL character")
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth > max_depth:
            raise MalformedBody(f"the JSON is nested more than {max_depth} levels deep")
        if isinstance(value, dict):
            stack.extend((key, depth) for key in value)
            stack.extend((item, depth + 1) for item in value.values())
        else:
            stack.extend((item, depth + 1) for item in value)


def json_object(body: bytes, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """The body as a JSON object, or MalformedBody saying what is wrong with it."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise MalformedBody("the body is not UTF-8 text") from None
    except RecursionError:
        raise MalformedBody(f"the JSON is nested more than {max_depth} levels deep") from None
    except ValueError as exc:  # JSONDecodeError, and an integer too long to convert
        raise MalformedBody(f"the body is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise MalformedBody("the body is not a JSON object")
    _check_shape(data, max_depth)
    return data
