"""`partnerdesk worker`: deliver queued mail (and any other queued work) as it falls due."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

from django.core.management.base import CommandError

from partnerdesk.lib.commands import PartnerdeskCommand, seconds_argument
from partnerdesk.mail.backends import backend_check
from partnerdesk.mail.worker import DATABASE_ERRORS, error_line, run_due_work, run_forever


class Command(PartnerdeskCommand):
    help = "Run queued work (the outbox) continuously; --once runs what is due now and exits."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="run everything due now, then exit")
        parser.add_argument(
            "--interval",
            type=seconds_argument,
            default=5.0,
            metavar="SECONDS",
            help="pause between passes when there is nothing to do (default 5)",
        )

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        destination = backend_check()  # a malformed EMAIL_URL: one line, before any work
        if once:
            try:
                handled = run_due_work(raise_errors=True)
            except DATABASE_ERRORS as exc:
                raise CommandError(f"the database is unavailable: {error_line(exc)}") from exc
            self.stdout.write(f"worker: {handled} item(s) handled")
            return
        stop = threading.Event()

        def request_stop(signum: int, frame: object) -> None:
            if stop.is_set() and signum == signal.SIGINT:
                raise KeyboardInterrupt  # a second Ctrl-C: do not wait for the current message
            stop.set()

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        self.stdout.write(f"worker: running every {interval:g} s; mail goes to {destination}")
        self.stdout.flush()
        try:
            run_forever(stop, interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("worker: stopped")
