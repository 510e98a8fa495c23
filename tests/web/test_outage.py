"""The web app while its database is unreachable: a branded 503 with Retry-After, then back by itself.

The real server (`partnerdesk serve`) on a SQLite database whose folder is moved away: every new
connection then fails the way a stopped database server makes it fail (OperationalError).
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.smtp_server import free_port


@dataclass
class Served:
    base: str
    link: str
    db_folder: Path
    process: subprocess.Popen

    def stop(self) -> str:
        """Stops the server; returns everything it wrote."""
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.communicate(timeout=20)[0] or ""

    def database_away(self) -> None:
        self.db_folder.rename(self.db_folder.with_name("db-away"))

    def database_back(self) -> None:
        self.db_folder.with_name("db-away").rename(self.db_folder)


@pytest.fixture
def served(tmp_path):
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("PARTNERDESK_")}
    env |= {
        "PARTNERDESK_HOME": str(tmp_path / "home"),
        "PARTNERDESK_BASE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db' / 'partnerdesk.sqlite3'}",
    }
    (tmp_path / "db").mkdir()
    server = subprocess.Popen(
        [sys.executable, "-m", "partnerdesk.cli", "serve", "--no-worker", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert server.stdout is not None
    link = ""
    while not link:
        line = server.stdout.readline()
        assert line, "serve exited before printing a sign-in link"
        if "/login/token/" in line:
            link = line.strip()
    served = Served(f"http://127.0.0.1:{port}", link, tmp_path / "db", server)
    try:
        yield served
    finally:
        served.stop()


def _open(browser, url: str, data: dict[str, str] | None = None):
    """The response, whatever its status."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    for _ in range(100):
        try:
            return browser.open(url, data=body, timeout=30)
        except urllib.error.HTTPError as error:
            return error
        except urllib.error.URLError as error:
            if not isinstance(error.reason, ConnectionRefusedError):
                raise
            time.sleep(0.05)  # the server is still starting
    raise AssertionError("the server never answered")


def _browser():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def test_with_the_database_unreachable_pages_answer_a_branded_503_and_come_back_with_it(served):
    browser = _browser()
    assert _open(browser, served.link).url == f"{served.base}/"
    form = _open(browser, f"{served.base}/leads/new/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)

    served.database_away()
    page = _open(browser, f"{served.base}/")
    assert page.status == 503
    assert page.headers["Retry-After"] == "30"
    assert page.headers["Content-Type"].startswith("text/html")
    text = page.read().decode()
    assert "partnerdesk is unavailable for a moment" in text and "Try again in 30 seconds" in text
    assert "/static/partnerdesk/app.css" in text  # the app's own look
    assert "Traceback" not in text and "OperationalError" not in text and "sqlite" not in text.lower()
    assert "may not have been saved" not in text
    assert _open(browser, f"{served.base}/static/partnerdesk/app.css").status == 200

    lead = {"csrfmiddlewaretoken": token, "organization": "Harbor University", "contacts": "", "note": ""}
    posted = _open(browser, f"{served.base}/leads/new/", lead)
    assert posted.status == 503
    assert "may not have been saved" in posted.read().decode()

    served.database_back()
    back = _open(browser, f"{served.base}/")
    assert back.status == 200 and "partnerships pipeline" in back.read().decode()


def test_the_server_logs_one_line_per_refused_request_and_no_traceback(served):
    browser = _browser()
    _open(browser, served.link)
    served.database_away()
    for path in ("/", "/dashboard/"):
        assert _open(browser, f"{served.base}{path}").status == 503
    served.database_back()
    assert _open(browser, f"{served.base}/dashboard/").status == 200

    output = served.stop()
    refused = [line for line in output.splitlines() if "database unavailable" in line]
    assert len(refused) == 2, output
    assert "GET / answered 503 (unable to open database file)" in refused[0]
    assert "Traceback" not in output


def test_serve_with_the_database_unreachable_says_so_in_one_line(tmp_path):
    env = {name: value for name, value in os.environ.items() if not name.startswith("PARTNERDESK_")}
    env |= {
        "PARTNERDESK_HOME": str(tmp_path / "home"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'partnerdesk.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "partnerdesk.cli", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr == "partnerdesk serve: the database is unavailable: unable to open database file\n"
