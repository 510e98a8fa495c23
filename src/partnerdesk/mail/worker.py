"""The background worker: every kind of queued work, run when it is due.

`partnerdesk worker` runs `run_forever` in its own process (as many processes as needed);
`partnerdesk serve` runs the same loop in a thread. Other apps plug their due work in with
`register_work`, e.g. from their AppConfig.ready().

While the database is unreachable the loop waits 1 s, then 2, 4... up to 60 s between tries, and
says so twice: one line when it goes down, one when it is back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, close_old_connections, connection

from partnerdesk.mail.outbox import outbox_deliver_due

log = logging.getLogger("partnerdesk.worker")

# What the database driver raises while the server is down, restarting or refusing connections.
DATABASE_ERRORS = (OperationalError, InterfaceError)
FIRST_PAUSE = 1.0
LONGEST_PAUSE = 60.0

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

    Mail goes first (what waits is oldest), and once more at the end when the other jobs did
    something, so the mail they queued (a reply, a playbook's email) leaves in the same pass.
    A job that fails is logged and the others still run; with `raise_errors` (`worker --once`)
    its error is raised once they have.
    """
    handled = {name: 0 for name in _jobs}
    first_error: Exception | None = None

    def run(name: str, job: Job) -> None:
        nonlocal first_error
        if stop is not None and stop.is_set():
            return
        try:
            handled[name] += job(stop)
        except DATABASE_ERRORS:
            raise  # the other jobs would fail the same way; run_forever waits for the database
        except Exception as exc:
            if not raise_errors:
                log.exception("worker: the %s job failed; it runs again next pass", name)
            first_error = first_error or exc

    for name, job in list(_jobs.items()):
        run(name, job)
    if any(count for name, count in handled.items() if name != "mail"):
        run("mail", _jobs["mail"])
    if raise_errors and first_error is not None:
        raise first_error
    return sum(handled.values())


def error_line(exc: BaseException) -> str:
    """A driver's message (psycopg's spans lines) as one line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return "; ".join(lines) or type(exc).__name__


class DatabaseOutage:
    """The pauses while the database is down (doubling, capped) and the two lines that tell of it."""

    def __init__(self, first: float = FIRST_PAUSE, longest: float = LONGEST_PAUSE) -> None:
        self.first = first
        self.longest = longest
        self.failures = 0

    def failed(self, exc: BaseException) -> float:
        """Note one more failed try; returns the pause before the next."""
        if not self.failures:
            log.warning(
                "worker: the database is unavailable (%s); trying again after 1, 2, 4... up to %g s",
                error_line(exc),
                self.longest,
            )
        self.failures += 1
        return min(self.first * 2 ** (self.failures - 1), self.longest)

    def succeeded(self) -> None:
        if self.failures:
            log.warning("worker: the database is back after %d failed tries; work resumes", self.failures)
        self.failures = 0


def run_forever(
    stop: threading.Event,
    interval: float = 5.0,
    *,
    wait: Callable[[float], object] | None = None,
    outage: DatabaseOutage | None = None,
) -> None:
    """Run passes until `stop` is set, sleeping `interval` seconds after a pass with nothing to do.

    `wait(seconds)` pauses (default: `stop.wait`, which a stop interrupts); tests pass their own.
    """
    wait = wait or stop.wait
    outage = outage or DatabaseOutage()
    try:
        while not stop.is_set():
            # A long-lived process must not keep a connection the database has dropped.
            close_old_connections()
            try:
                connection.ensure_connection()
                handled = run_due_work(stop)
            except DATABASE_ERRORS as exc:
                connection.close()  # a connection that failed is not reused
                wait(outage.failed(exc))
                continue
            except Exception:
                log.exception("worker: pass failed")
                handled = 0
            outage.succeeded()
            if not handled:
                wait(interval)
    finally:
        connection.close()
