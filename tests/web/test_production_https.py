"""The production set-up of docs/production.md, end to end: `check --deploy`, and the real server
(waitress, started by `partnerdesk serve`) spoken to the way a TLS proxy on loopback speaks to it."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.smtp_server import free_port

DOCS = Path(__file__).resolve().parents[2] / "docs" / "production.md"
PARTNERDESK = Path(sys.executable).with_name("partnerdesk")  # the console script in .venv/bin
HOST = "desk.example.org"


def documented_environment(folder: Path) -> dict[str, str]:
    """The ```env block of docs/production.md, its /etc/partnerdesk/ files written into `folder`."""
    block = re.search(r"^```env\n(.*?)^```", DOCS.read_text(encoding="utf-8"), re.S | re.M)
    assert block, "docs/production.md has no ```env block"
    documented = dict(line.split("=", 1) for line in block.group(1).splitlines() if line.strip())
    etc = folder / "etc"
    etc.mkdir()
    (etc / "secret_key").write_text(secrets.token_urlsafe(50))
    (etc / "database_url").write_text(f"sqlite:///{folder / 'db' / 'partnerdesk.sqlite3'}")
    (etc / "email_url").write_text(f"smtp://127.0.0.1:{free_port()}")
    (folder / "db").mkdir()
    return {name: value.replace("/etc/partnerdesk/", f"{etc}/") for name, value in documented.items()}


@pytest.fixture(scope="module")
def production_env(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("production")
    # Only what the page documents: nothing of the test run's own settings leaks in.
    ours = ("PARTNERDESK_", "DATABASE_URL", "EMAIL_URL", "DJANGO_SETTINGS_MODULE")
    env = {name: value for name, value in os.environ.items() if not name.startswith(ours)}
    return env | documented_environment(folder) | {"PARTNERDESK_HOME": str(folder / "home")}


def test_the_documented_environment_is_the_one_for_a_tls_proxy(production_env):
    assert production_env["PARTNERDESK_BEHIND_PROXY"] == "true"
    assert production_env["PARTNERDESK_SSL_REDIRECT"] == "true"
    assert int(production_env["PARTNERDESK_HSTS_SECONDS"]) >= 31536000


def test_check_deploy_reports_nothing_with_the_documented_production_environment(production_env):
    result = subprocess.run(
        [str(PARTNERDESK), "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.findall(r"\((\w+\.[WE]\d+)\)", output) == [], output
    assert "System check identified no issues (0 silenced)." in output


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


@dataclass
class Proxy:
    """Speaks to the app as the TLS proxy does: the browser's Host, its scheme and its address."""

    port: int
    source: str = "127.0.0.1"
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        *,
        scheme: str | None = "https",
        client: str = "198.51.100.7",
        form: dict[str, str] | None = None,
    ) -> Answer:
        headers = {"Host": HOST, "X-Forwarded-For": client}
        if scheme:
            headers["X-Forwarded-Proto"] = scheme
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"https://{HOST}",
                "Referer": f"https://{HOST}{path}",
            }
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=30, source_address=(self.source, 0)
        )
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            answer = Answer(response.status, response.headers, response.read().decode())
        finally:
            connection.close()
        for cookie in answer.headers.get_all("Set-Cookie") or []:
            name, value = cookie.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        return answer

    def csrf_token(self, path: str, **kwargs) -> str:
        page = self.request("GET", path, **kwargs)
        assert page.status == 200, page.status
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)


@pytest.fixture(scope="module")
def server(production_env) -> Iterator[tuple[int, str]]:
    """`partnerdesk serve` with the production environment; yields its port and sign-in link."""
    port = free_port()
    process = subprocess.Popen(
        [str(PARTNERDESK), "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)],
        env=production_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        output, link = [], ""
        while not link:
            line = process.stdout.readline()
            assert line, "serve exited early:\n" + "".join(output)
            output.append(line)
            if "/login/token/" in line:
                link = line.strip()
        assert any("taken from 127.0.0.1 only" in line for line in output), output
        _wait_until_listening(port)
        yield port, link
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_until_listening(port: int) -> None:
    for _ in range(200):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=5).connect()
            return
        except ConnectionRefusedError:
            time.sleep(0.05)
    raise AssertionError("the server never listened")


def test_behind_the_proxy_https_pages_answer_and_plain_http_is_redirected_once(server):
    port, link = server
    proxy = Proxy(port)

    page = proxy.request("GET", "/login/")
    assert page.status == 200 and "Sign in" in page.body
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"

    plain = proxy.request("GET", "/login/?next=/dashboard/", scheme=None)
    assert plain.status == 301 and plain.location == f"https://{HOST}/login/?next=/dashboard/"
    assert "Strict-Transport-Security" not in plain.headers
    followed = proxy.request("GET", plain.location.removeprefix(f"https://{HOST}"))
    assert followed.status == 200

    # The browser signs in with the printed link and lands on the pipeline, with secure cookies.
    assert link.startswith(f"https://{HOST}/login/token/")
    signed_in = proxy.request("GET", link.removeprefix(f"https://{HOST}"))
    assert signed_in.status == 302 and signed_in.location == "/"
    assert all("Secure" in cookie for cookie in signed_in.headers.get_all("Set-Cookie"))
    home = proxy.request("GET", "/")
    assert home.status == 200 and "partnerships pipeline" in home.body


def test_the_forwarded_headers_count_only_from_the_trusted_proxy(server):
    port, _ = server
    # 127.0.0.2 is loopback too, but it is not the proxy: its X-Forwarded-Proto is dropped.
    stranger = Proxy(port, source="127.0.0.2")
    answer = stranger.request("GET", "/login/")
    assert answer.status == 301 and answer.location == f"https://{HOST}/login/"


def test_behind_the_proxy_the_sign_in_throttle_tells_browsers_apart(server):
    port, _ = server
    proxy = Proxy(port)
    for _ in range(5):
        token = proxy.csrf_token("/login/", client="203.0.113.1")
        wrong = {"username": "admin", "password": "guess", "csrfmiddlewaretoken": token}
        answer = proxy.request("POST", "/login/", client="203.0.113.1", form=wrong)
        assert answer.status == 200 and "Please enter a correct username" in answer.body

    paused = proxy.request("POST", "/login/", client="203.0.113.1", form=wrong)
    assert paused.status == 429 and "Try again in" in paused.body
    assert 0 < int(paused.headers["Retry-After"]) <= 900
    # Another browser behind the same proxy is not paused.
    token = proxy.csrf_token("/login/", client="198.51.100.7")
    other = {"username": "admin", "password": "guess", "csrfmiddlewaretoken": token}
    assert proxy.request("POST", "/login/", client="198.51.100.7", form=other).status == 200


@pytest.mark.parametrize(
    "setting,message",
    [
        ({"PARTNERDESK_TRUSTED_PROXY": "proxy.local"}, "TRUSTED_PROXY='proxy.local' is not an IP address"),
        (
            {"PARTNERDESK_BEHIND_PROXY": "false"},
            "PARTNERDESK_TRUSTED_PROXY is set but PARTNERDESK_BEHIND_PROXY is not true",
        ),
    ],
)
def test_a_trusted_proxy_setting_that_cannot_work_stops_partnerdesk_with_one_line(
    production_env, setting, message
):
    result = subprocess.run(
        [str(PARTNERDESK), "check"], env=production_env | setting, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
