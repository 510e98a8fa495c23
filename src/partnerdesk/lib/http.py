"""The one HTTP client every adapter uses: JSON in and out, timeouts, and one error type.

Adapters (DocuSign, GitHub, ...) call `request_json`; a fake server in tests speaks the vendor's
documented JSON to the same code. Standard library only.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_TIMEOUT = 20.0


class HttpError(Exception):
    """A call failed. `permanent` is false for what a retry may fix (429, 5xx, network)."""

    def __init__(
        self, message: str, *, status: int | None, permanent: bool, retry_after: float | None = None
    ):
        super().__init__(message)
        self.status = status
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    data: Any


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def request_json(
    method: str,
    url: str,
    *,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Response:
    """Send `body` as JSON (if any) and parse the JSON answer; raise HttpError for 4xx/5xx."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method.upper())
    request.add_header("Accept", "application/json")
    request.add_header("User-Agent", "partnerdesk")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - URLs come from settings
            raw = answer.read()
            return Response(answer.status, dict(answer.headers), json.loads(raw) if raw.strip() else None)
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:500].decode("utf-8", "replace").strip()
        transient = exc.code == 429 or exc.code >= 500
        raise HttpError(
            f"{method.upper()} {url}: HTTP {exc.code} {detail}".strip(),
            status=exc.code,
            permanent=not transient,
            retry_after=_retry_after(exc.headers.get("Retry-After")),
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise HttpError(f"{method.upper()} {url}: {reason}", status=None, permanent=False) from None
    except json.JSONDecodeError:
        raise HttpError(
            f"{method.upper()} {url}: the answer is not JSON", status=None, permanent=True
        ) from None
