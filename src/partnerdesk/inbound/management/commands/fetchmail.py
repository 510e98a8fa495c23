"""`partnerdesk fetchmail [--watch]`: read new messages from the IMAP mailbox at IMAP_URL."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

from django.core.management.base import CommandError
from django.db import close_old_connections

from partnerdesk.inbound.imap import ImapError, fetch_once, imap_config
from partnerdesk.lib.commands import PartnerdeskCommand, seconds_argument
from partnerdesk.lib.env import env_secret


class Command(PartnerdeskCommand):
    help = "Fetch, store and process new messages from IMAP_URL; each is flagged (or moved) once read."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--watch", action="store_true", help="keep polling until stopped")
        parser.add_argument("--interval", type=seconds_argument, default=60.0, metavar="SECONDS",
                            help="pause between polls with --watch (default 60)")  # fmt: skip

    def handle(self, *args: Any, watch: bool, interval: float, **options: Any) -> None:
        url = env_secret("IMAP_URL")
        if not url:
            raise CommandError("set IMAP_URL (e.g. imaps://user:password@host/INBOX)", returncode=2)
        config = imap_config(url)
        if not watch:
            try:
                report = fetch_once(config)
            except ImapError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"fetchmail: {report}")
            return
        stop = threading.Event()
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
        self.stdout.write(f"fetchmail: polling {config} every {interval:g} s")
        self.stdout.flush()
        try:
            while not stop.is_set():
                close_old_connections()
                try:
                    report = fetch_once(config, stop=stop)
                    if report.fetched:
                        self.stdout.write(f"fetchmail: {report}")
                        self.stdout.flush()
                except ImapError as exc:  # the server is away: say so and try again later
                    self.stderr.write(f"fetchmail: {exc}")
                stop.wait(interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("fetchmail: stopped")
