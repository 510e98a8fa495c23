"""`partnerdesk serve` (what `make run` starts): a fresh data folder, a sign-in link, the app."""

from __future__ import annotations

import http.cookiejar
import os
import subprocess
import sys
import time
import urllib.request

from tests.smtp_server import free_port


def test_serve_prepares_an_empty_data_folder_prints_a_link_and_serves_the_pipeline(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "PARTNERDESK_HOME": str(tmp_path / "home"),
        "PARTNERDESK_BASE_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("DATABASE_URL", None)
    env.pop("PARTNERDESK_CONFIG", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "partnerdesk.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        link = ""
        deadline = time.monotonic() + 60
        assert server.stdout is not None
        while not link and time.monotonic() < deadline:
            line = server.stdout.readline()
            assert line, "serve exited before printing a sign-in link"
            if "/login/token/" in line:
                link = line.strip()
        assert link.startswith(f"http://127.0.0.1:{port}/login/token/")
        assert (tmp_path / "home" / "partnerdesk.sqlite3").exists()
        assert (tmp_path / "home" / "secret_key").stat().st_mode & 0o077 == 0

        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        for _ in range(50):
            try:
                page = browser.open(link, timeout=10)
                break
            except ConnectionRefusedError:
                time.sleep(0.1)
            except urllib.error.URLError as exc:
                if not isinstance(exc.reason, ConnectionRefusedError):
                    raise
                time.sleep(0.1)
        body = page.read().decode()
        assert page.url == f"http://127.0.0.1:{port}/"
        assert "2i2c partnerships pipeline" in body
        static = browser.open(f"http://127.0.0.1:{port}/static/admin/css/base.css", timeout=10)
        assert static.status == 200

        # The seed workflow is there, and the worker started with the server delivers its mail.
        hail = subprocess.run(
            [
                sys.executable,
                "-m",
                "partnerdesk.cli",
                "playbook",
                "run",
                "hail-the-lead",
                "--organization",
                "Harbor University",
                "--contact",
                "Lee Park <lee@harbor.example.edu>",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert hail.returncode == 0, hail.stderr
        outbox = tmp_path / "home" / "outbox"
        deadline = time.monotonic() + 30
        while not list(outbox.glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.2)
        [delivered] = outbox.glob("*.eml")
        assert b"Thank you for your interest in learning more about 2i2c." in delivered.read_bytes()
    finally:
        server.terminate()
        server.wait(timeout=10)
