"""A local Freshdesk API v2 server: tickets (with `include=requester`), conversations, companies
and canned responses (folders, and the responses of a folder), paged with a `link: <...>; rel="next"`
header, Basic auth with the API key, and 429s with Retry-After."""

from __future__ import annotations

import base64
import json
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from tests.fake_http import LoopbackFake

API_KEY = "fd-test-key"


class FakeFreshdesk(LoopbackFake):
    fake_name = "freshdesk"

    def __init__(self, *, page_size: int | None = None) -> None:
        self.tickets: list[dict[str, Any]] = []
        self.conversations: dict[int, list[dict[str, Any]]] = {}
        self.companies: dict[int, dict[str, Any]] = {}
        self.canned_folders: list[dict[str, Any]] = []
        self.canned_responses: dict[int, list[dict[str, Any]]] = {}
        self.page_size = page_size  # None: the per_page asked for
        self.rate_limited: list[str] = []  # paths that answer one 429 each, in order
        self.requests: list[str] = []

    def add_ticket(
        self, ticket_id: int, requester: tuple[str, str], *, conversations=(), **fields: Any
    ) -> None:
        name, email = requester
        self.tickets.append(
            {
                "id": ticket_id,
                "subject": fields.pop("subject", f"Ticket {ticket_id}"),
                "description_text": fields.pop("description_text", f"Question {ticket_id}"),
                "status": fields.pop("status", 2),
                "priority": 1,
                "source": 1,
                "requester_id": 1000 + ticket_id,
                "requester": {"id": 1000 + ticket_id, "name": name, "email": email},
                "cc_emails": fields.pop("cc_emails", []),
                "tags": fields.pop("tags", []),
                "company_id": fields.pop("company_id", None),
                "spam": fields.pop("spam", False),
                "created_at": fields.pop("created_at", "2026-10-01T09:00:00Z"),
                "updated_at": "2026-10-02T09:00:00Z",
                **fields,
            }
        )
        self.conversations[ticket_id] = [
            {
                "ticket_id": ticket_id,
                "created_at": "2026-10-01T10:00:00Z",
                "private": False,
                "to_emails": [],
                "cc_emails": [],
                **conversation,
            }
            for conversation in conversations
        ]

    def add_canned_response(
        self, folder: str, title: str, content_html: str, *, content: str | None = None
    ) -> int:
        """A canned response in the folder named `folder` (made if new), as Freshdesk lists it."""
        found = next((f for f in self.canned_folders if f["name"] == folder), None)
        if found is None:
            found = {"id": 500 + len(self.canned_folders), "name": folder, "personal": False}
            self.canned_folders.append(found)
        responses = self.canned_responses.setdefault(found["id"], [])
        response_id = 7000 + sum(len(items) for items in self.canned_responses.values())
        responses.append(
            {
                "id": response_id,
                "title": title,
                "folder_id": found["id"],
                "content_html": content_html,
                "content": content if content is not None else content_html,
                "attachments": [],
                "created_at": "2026-09-01T09:00:00Z",
                "updated_at": "2026-09-01T09:00:00Z",
            }
        )
        found["responses_count"] = len(responses)
        return response_id

    def answer(
        self, path: str, params: dict[str, str], authorization: str
    ) -> tuple[int, dict[str, str], Any]:
        self.requests.append(path)
        expected = "Basic " + base64.b64encode(f"{API_KEY}:X".encode()).decode()
        if authorization != expected:
            return (
                401,
                {},
                {
                    "code": "invalid_credentials",
                    "message": "You have to be logged in to perform this action.",
                },
            )
        if path in self.rate_limited:
            self.rate_limited.remove(path)
            return (
                429,
                {"Retry-After": "2"},
                {"message": "You have exceeded the limit of requests per minute"},
            )
        parts = path.strip("/").split("/")[2:]  # after api/v2
        if parts == ["tickets"]:
            if params.get("include") != "requester" or not params.get("updated_since"):
                return 400, {}, {"description": "Validation failed", "errors": []}
            return self._page(path, params, self.tickets)
        if len(parts) == 3 and parts[0] == "tickets" and parts[2] == "conversations":
            if int(parts[1]) not in self.conversations:
                return 404, {}, {"code": "not_found"}
            return self._page(path, params, self.conversations[int(parts[1])])
        if parts == ["canned_response_folders"]:
            return self._page(path, params, self.canned_folders)
        if len(parts) == 3 and parts[0] == "canned_response_folders" and parts[2] == "responses":
            if int(parts[1]) not in self.canned_responses:
                return 404, {}, {"code": "not_found"}
            return self._page(path, params, self.canned_responses[int(parts[1])])
        if len(parts) == 2 and parts[0] == "companies":
            company = self.companies.get(int(parts[1]))
            return (200, {}, company) if company else (404, {}, {"code": "not_found"})
        return 404, {}, {"code": "not_found"}

    def _page(self, path: str, params: dict[str, str], items: list[dict[str, Any]]):
        size = self.page_size or int(params.get("per_page", 30))
        page = int(params.get("page", 1))
        chosen = items[(page - 1) * size : page * size]
        headers = {"X-RateLimit-Remaining": "100"}
        if page * size < len(items):
            headers["Link"] = f'<{self.url}{path}?{urlencode({**params, "page": page + 1})}>; rel="next"'
        return 200, headers, chosen


class _Handler(BaseHTTPRequestHandler):
    freshdesk: FakeFreshdesk

    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        parsed = urlparse(self.path)
        params = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        status, headers, body = self.freshdesk.answer(
            parsed.path, params, self.headers.get("Authorization", "")
        )
        raw = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


FakeFreshdesk.handler = _Handler
