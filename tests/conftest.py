from __future__ import annotations

import datetime as dt
import io
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import timezone

from partnerdesk.cli import main
from partnerdesk.lib import clock
from partnerdesk.pipeline import services
from partnerdesk.profile import get_profile


@pytest.fixture(autouse=True)
def data_folder(settings, tmp_path, monkeypatch) -> Path:
    """Each test's own data folder (`tmp_path / "home"`, created): its drive, spool, quarantine and
    outbox files. Settings and the PARTNERDESK_HOME variable (which the console script and mailgate
    read) both point at it, and mail goes to files there unless a test sets EMAIL_URL."""
    settings.PARTNERDESK_HOME = tmp_path / "home"
    settings.PARTNERDESK_HOME.mkdir()
    settings.EMAIL_URL = None
    monkeypatch.setenv("PARTNERDESK_HOME", str(settings.PARTNERDESK_HOME))
    return settings.PARTNERDESK_HOME


class Clock:
    """partnerdesk's clock (`partnerdesk.lib.clock`) stopped at one moment until a test moves it.

    `today()` is the date of `now()` in the project's time zone, as lib/clock.py computes it."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = start

    def now(self) -> dt.datetime:
        return self._now

    def today(self) -> dt.date:
        return timezone.localdate(self._now)

    def set(self, moment: dt.datetime | dt.date) -> None:
        """Stop at an aware datetime, or at 09:00 of a date (a working morning) in the project's
        time zone, so that `today()` is that date."""
        if not isinstance(moment, dt.datetime):
            moment = timezone.make_aware(dt.datetime.combine(moment, dt.time(9)))
        elif timezone.is_naive(moment):
            raise ValueError(f"the test clock takes an aware datetime, not {moment!r}")
        self._now = moment

    def advance(self, **delta: float) -> dt.datetime:
        """Move forward by `dt.timedelta(**delta)` (days=, hours=, minutes=, seconds=); returns now."""
        self._now += dt.timedelta(**delta)
        return self._now


@pytest.fixture
def frozen_clock(monkeypatch) -> Clock:
    """partnerdesk's clock stopped at 2026-12-01 09:00 UTC; `set(day or moment)` and
    `advance(days=1)` move it. Only code that reads the time through lib/clock sees it."""
    frozen = Clock(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))
    monkeypatch.setattr(clock, "now", frozen.now)
    monkeypatch.setattr(clock, "today", frozen.today)
    return frozen


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*args: str) -> CliResult:
    """Run the `partnerdesk` console script in this process, as a user would type it."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(["partnerdesk", *args])
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(db):  # noqa: ARG001 - the console script needs the test database
    return run_cli


@pytest.fixture
def alice_actor() -> services.Actor:
    return services.Actor(label="alice")


@pytest.fixture
def profile_file(tmp_path, monkeypatch):
    """Write a profile file and make it the active one; returns the writer."""

    def write(text: str):
        path = tmp_path / "partnerdesk.toml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setenv("PARTNERDESK_CONFIG", str(path))
        get_profile.cache_clear()
        return path

    yield write
    get_profile.cache_clear()


# What our receiving host writes on top of a team member's genuine message (fixtures/mail's team
# commands carry it): the mailbox takes it as proof only when its profile names that host.
RECEIVING_HOST = "mx.2i2c.org"
PROVEN_BY_DMARC = b"Authentication-Results: mx.2i2c.org; dmarc=pass (p=quarantine) header.from=2i2c.org\n"


def profile_text_checking_senders(authserv_id: str = RECEIVING_HOST) -> str:
    from partnerdesk.profile import DEFAULT_PROFILE_PATH

    text = DEFAULT_PROFILE_PATH.read_text(encoding="utf-8")
    assert '\nauthserv_id = ""\n' in text
    return text.replace('\nauthserv_id = ""\n', f'\nauthserv_id = "{authserv_id}"\n')


@pytest.fixture
def mailbox_checks_senders(profile_file):
    """The default profile, with the receiving host's authserv-id set, as a production mailbox has it."""
    return profile_file(profile_text_checking_senders())
