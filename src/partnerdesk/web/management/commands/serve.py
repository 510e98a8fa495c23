"""`partnerdesk serve`: prepare the database and serve the web app (what `make run` starts)."""

from __future__ import annotations

import argparse
import ipaddress
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from partnerdesk.lib.commands import PartnerdeskCommand
from partnerdesk.lib.env import env_str
from partnerdesk.mail.worker import DATABASE_ERRORS, error_line, run_forever
from partnerdesk.profile import get_profile, profile_path
from partnerdesk.web.login_links import first_user_ensure, login_link_create

WILDCARD_HOSTS = {"", "0.0.0.0", "::"}


def served_base_url(host: str, port: int) -> str:
    """The address the printed and emailed links use when PARTNERDESK_BASE_URL is not set."""
    if host in WILDCARD_HOSTS:
        host = "127.0.0.1"  # listening everywhere: this machine, at least, reaches it there
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass  # a host name
    return f"http://{host}:{port}"


def links_follow_the_server(host: str, port: int) -> bool:
    """Point this process's links (the sign-in link, the embedded worker's mail) at --host/--port,
    unless PARTNERDESK_BASE_URL says where people reach the app. Returns whether it did."""
    if env_str("PARTNERDESK_BASE_URL") is not None:
        return False
    settings.PARTNERDESK_BASE_URL = served_base_url(host, port)
    return True


class Command(PartnerdeskCommand):
    help = "Apply migrations, print a one-time sign-in link, and serve the web app."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        parser.add_argument("--threads", type=int, default=8, help="request threads (default 8)")
        parser.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not run the background worker in this process (run `partnerdesk worker` instead)",
        )

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        threads: int,
        no_migrate: bool,
        no_worker: bool,
        **options: Any,
    ) -> None:
        import threading

        import waitress

        from partnerdesk.wsgi import application  # builds the WSGI app: only when serving

        # Behind a TLS proxy, waitress must pass the proxy's X-Forwarded-Proto on (else every
        # https request looks like http and SECURE_SSL_REDIRECT loops) and its X-Forwarded-For
        # (the client's address, for the sign-in throttle); from any other peer it drops both.
        proxy: dict[str, Any] = {}
        if settings.PARTNERDESK_BEHIND_PROXY:
            proxy = {
                "trusted_proxy": settings.PARTNERDESK_TRUSTED_PROXY,
                "trusted_proxy_count": 1,
                "trusted_proxy_headers": {"x-forwarded-proto", "x-forwarded-for"},
                "clear_untrusted_proxy_headers": True,
            }
        followed = links_follow_the_server(host, port)
        try:
            if not no_migrate:
                call_command("migrate", interactive=False, verbosity=0)
            link = login_link_create(user=first_user_ensure())
        except DATABASE_ERRORS as exc:
            raise CommandError(f"the database is unavailable: {error_line(exc)}") from exc
        profile = get_profile()
        self.stdout.write(
            f"partnerdesk for {profile.organization.name} (profile: {profile_path()})\n"
            f"Serving on {served_base_url(host, port)}/\n"
        )
        if followed and host in WILDCARD_HOSTS:
            self.stdout.write(
                "Links in pages and emails point at this machine (127.0.0.1): set PARTNERDESK_BASE_URL to "
                "the address people reach partnerdesk at.\n"
            )
        elif not followed:
            base = settings.PARTNERDESK_BASE_URL
            self.stdout.write(f"Links in pages and emails use PARTNERDESK_BASE_URL ({base})\n")
        if proxy:
            self.stdout.write(
                f"Behind a TLS proxy: X-Forwarded-Proto and X-Forwarded-For are taken from "
                f"{proxy['trusted_proxy']} only\n"
            )
        self.stdout.write(
            f"Sign in as the first user with this one-time link (valid 24 hours):\n\n    {link}\n"
        )
        self.stdout.flush()
        stop = threading.Event()
        worker = None
        if not no_worker:
            # The embedded set-up: queued mail goes out from this process, as `partnerdesk worker` would.
            worker = threading.Thread(target=run_forever, args=(stop, 2.0), name="worker", daemon=True)
            worker.start()
        try:
            waitress.serve(application, host=host, port=port, threads=threads, ident="partnerdesk", **proxy)
        finally:
            stop.set()
            if worker is not None:
                worker.join(timeout=10)
