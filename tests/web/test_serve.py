"""`partnerdesk serve` (what `make run` starts): a fresh data folder, a sign-in link, the app."""

from __future__ import annotations

import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.request


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_prepares_an_empty_data_folder_prints_a_link_and_serves_the_pipeline(tmp_path):
    port = _free_port()
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
    finally:
        server.terminate()
        server.wait(timeout=10)
