from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass

import pytest

from partnerdesk.cli import main
from partnerdesk.pipeline import services
from partnerdesk.profile import get_profile


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
