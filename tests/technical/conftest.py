from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from partnerdesk.profile import DEFAULT_PROFILE_PATH
from tests.smtp_server import smtp_server, smtp_sink  # noqa: F401 - fixtures


class FakeGitHub(ThreadingHTTPServer):
    """The two calls of GitHub's REST API the hand-off makes, in GitHub's JSON."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.issues: list[dict] = []
        self.requests: list[tuple[str, str, dict]] = []
        self.fail_next: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeGitHub

    def log_message(self, *args) -> None:
        pass

    def _answer(self, status: int, data) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.requests.append(("GET", self.path, dict(self.headers)))
        if self.path.startswith("/repos/2i2c-org/infrastructure/issues"):
            self._answer(200, self.server.issues)
        else:
            self._answer(404, {"message": "Not Found"})

    def do_POST(self) -> None:
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(("POST", self.path, dict(self.headers)))
        if self.server.fail_next is not None:
            status, self.server.fail_next = self.server.fail_next, None
            self._answer(status, {"message": "Server Error"})
            return
        if self.path != "/repos/2i2c-org/infrastructure/issues":
            self._answer(404, {"message": "Not Found"})
            return
        number = len(self.server.issues) + 1
        issue = {
            "number": number,
            "title": payload["title"],
            "body": payload["body"],
            "html_url": f"https://github.com/2i2c-org/infrastructure/issues/{number}",
        }
        self.server.issues.append(issue)
        self._answer(201, issue)


@pytest.fixture
def fake_github():
    server = FakeGitHub()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def handoff_profile(profile_file, fake_github, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-test-token")
    text = DEFAULT_PROFILE_PATH.read_text(encoding="utf-8")
    text = text.replace('engineering_email = ""', 'engineering_email = "engineering@2i2c.org"')
    text = text.replace('github_repository = ""', 'github_repository = "2i2c-org/infrastructure"')
    text = text.replace('github_api_url = "https://api.github.com"', f'github_api_url = "{fake_github.url}"')
    profile_file(text)
