from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from partnerdesk.cli import main
from partnerdesk.pipeline import services
from partnerdesk.profile import get_profile


@pytest.fixture(autouse=True)
def data_folder(settings, tmp_path, monkeypatch) -> Path:
    """Each test's own data folder (`tmp_path / "home"`, created): its drive, spool, quarantine and
    outbox files. Settings and the PARTNERDESK_HOME variable (which the console script and mailgate
    read) both point at it, and mail goes to files there unless a test sets EMAIL_URL."""
    home = tmp_path / "home"
    home.mkdir()
    settings.PARTNERDESK_HOME = home
    settings.EMAIL_URL = None
    monkeypatch.setenv("PARTNERDESK_HOME", str(home))
    return home


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
