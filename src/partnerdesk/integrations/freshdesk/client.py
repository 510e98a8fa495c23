"""A Freshdesk API v2 client: Basic auth with the API key, pages through `link: rel="next"`,
waits out 429s as `Retry-After` says, and retries a 5xx a few times."""

from __future__ import annotations

import base64
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

from partnerdesk.lib.http import HttpError, Response, request_json

PER_PAGE = 100
MAX_ATTEMPTS = 6
MAX_WAIT = 300.0
# Without `updated_since` the ticket list holds only the last 30 days.
EVERYTHING_SINCE = "2000-01-01T00:00:00Z"
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class FreshdeskError(Exception):
    """The import cannot go on: a bad key, a wrong domain, or Freshdesk failing for too long."""


def pause(seconds: float) -> None:
    time.sleep(seconds)


def base_url(domain: str) -> str:
    """`acme`, `acme.freshdesk.com` or a full URL (a proxy, a local server in tests) -> the API base."""
    domain = domain.strip().rstrip("/")
    if not domain:
        raise FreshdeskError("--domain is empty (give your Freshdesk subdomain, e.g. acme)")
    if domain.startswith(("http://", "https://")):
        return domain.removesuffix("/api/v2") + "/api/v2"
    if not re.fullmatch(r"[A-Za-z0-9-]+(\.freshdesk\.com)?", domain):
        raise FreshdeskError(f"{domain!r} is not a Freshdesk domain (expected acme or acme.freshdesk.com)")
    return f"https://{domain.removesuffix('.freshdesk.com')}.freshdesk.com/api/v2"


class FreshdeskClient:
    def __init__(
        self,
        *,
        domain: str,
        api_key: str,
        sleep: Callable[[float], None] | None = None,
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        self.base = base_url(domain)
        token = base64.b64encode(f"{api_key}:X".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}
        self.sleep = sleep or (lambda seconds: pause(seconds))
        self.on_wait = on_wait
        self.waits: list[float] = []

    def get(self, url: str) -> Response:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return request_json("GET", url, headers=self.headers)
            except HttpError as exc:
                if exc.status in (401, 403):
                    raise FreshdeskError(
                        f"Freshdesk refused the API key (HTTP {exc.status}); check FRESHDESK_API_KEY"
                    ) from None
                if exc.permanent or attempt == MAX_ATTEMPTS:
                    raise FreshdeskError(str(exc)) from None
                wait = min(exc.retry_after if exc.retry_after is not None else 2.0**attempt, MAX_WAIT)
                self.waits.append(wait)
                if self.on_wait is not None:
                    self.on_wait(wait)
                self.sleep(wait)
        raise AssertionError("unreachable")

    def pages(
        self, path: str, params: dict[str, Any] | None = None, *, per_page: bool = True
    ) -> Iterator[list[dict[str, Any]]]:
        """Each page of a list, following the `link` header until there is no next page.

        `per_page=False` for the lists Freshdesk documents without paging parameters (canned
        responses): nothing is added to the query, and a `link` header is still followed."""
        query = urllib.parse.urlencode({**(params or {}), **({"per_page": PER_PAGE} if per_page else {})})
        url: str | None = f"{self.base}/{path.lstrip('/')}" + (f"?{query}" if query else "")
        while url is not None:
            response = self.get(url)
            yield list(response.data or [])
            link = {name.lower(): value for name, value in response.headers.items()}.get("link", "")
            found = _NEXT.search(link)
            url = found.group(1) if found else None

    def tickets(self) -> Iterator[list[dict[str, Any]]]:
        params = {"include": "requester", "updated_since": EVERYTHING_SINCE, "order_by": "created_at"}
        return self.pages("tickets", {**params, "order_type": "asc"})

    def conversations(self, ticket_id: int) -> list[dict[str, Any]]:
        return [item for page in self.pages(f"tickets/{ticket_id}/conversations") for item in page]

    def canned_response_folders(self) -> list[dict[str, Any]]:
        return [item for page in self.pages("canned_response_folders", per_page=False) for item in page]

    def canned_responses(self, folder_id: int) -> list[dict[str, Any]]:
        path = f"canned_response_folders/{folder_id}/responses"
        return [item for page in self.pages(path, per_page=False) for item in page]

    def company_name(self, company_id: int) -> str | None:
        try:
            data = self.get(f"{self.base}/companies/{company_id}").data
        except FreshdeskError:
            return None
        if not isinstance(data, dict):
            return None
        return str(data.get("name") or "").strip() or None
