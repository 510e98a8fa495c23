"""The background worker: every kind of queued work, run when it is due.

`partnerdesk worker` runs `run_forever` in its own process (as many processes as needed);
`partnerdesk serve` runs the same loop in a thread. Other apps plug their due work in with
`register_work`, e.g. from their AppConfig.ready().
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import close_old_connections, connection

from partnerdesk.mail.outbox import outbox_deliver_due

log = logging.getLogger("partnerdesk.worker")

# One job: do what is due now and return how many items it handled. A job must be safe to run
# in several processes at once (claim rows with a conditional update).
Job = Callable[[threading.Event | None], int]


def _deliver_mail(stop: threading.Event | None) -> int:
    report = outbox_deliver_due(stop=stop)
    if report.handled or report.reclaimed or report.error:
        log.info("outbox: %s", report)
    return report.handled


_jobs: dict[str, Job] = {"mail": _deliver_mail}


def register_work(name: str, job: Job) -> None:
    """Add a job to every pass (registering a name again replaces its job)."""
    _jobs[name] = job


def run_due_work(stop: threading.Event | None = None, *, raise_errors: bool = False) -> int:
    """One pass over every job; returns the number of items handled.

    A job that fails is logged and the others still run; with `raise_errors` (`worker --once`)
    its error is raised once they have.
    """
    handled = 0
    first_error: Exception | None = None
    for name, job in list(_jobs.items()):
        if stop is not None and stop.is_set():
            break
        try:
            handled += job(stop)
        except Exception as exc:
            if not raise_errors:
                log.exception("worker: the %s job failed; it runs again next pass", name)
            first_error = first_error or exc
    if raise_errors and first_error is not None:
        raise first_error
    return handled


def run_forever(stop: threading.Event, interval: float = 5.0) -> None:
    """Run passes until `stop` is set, sleeping `interval` seconds after a pass with nothing to do."""
    try:
        while not stop.is_set():
            # A long-lived process must not keep a connection the database has dropped.
            close_old_connections()
            try:
                handled = run_due_work(stop)
            except Exception:  # the database is down, say: wait and try again
                log.exception("worker: pass failed")
                handled = 0
            if not handled:
                stop.wait(interval)
    finally:
        connection.close()
