"""hail-the-lead's confirmation checks the message as queued, and a message it refuses is never sent."""

from __future__ import annotations

import pytest

from partnerdesk.mail.models import OutboxMessage
from partnerdesk.playbooks.models import PlaybookRun
from partnerdesk.playbooks.specs import DEFAULTS_DIR
from partnerdesk.profile import DEFAULT_PROFILE_PATH

pytestmark = pytest.mark.django_db

HAIL = DEFAULTS_DIR / "hail-the-lead.toml"
LINK_MARKDOWN = "[schedule a virtual meeting by clicking here]({scheduling_link})"


@pytest.fixture
def team_folder(profile_file):
    def write(profile_text: str = DEFAULT_PROFILE_PATH.read_text()):
        path = profile_file(profile_text.replace('folder = ""', 'folder = "team"'))
        folder = path.parent / "team"
        folder.mkdir(exist_ok=True)
        return folder

    return write


def _hail(cli, *extra: str):
    lead = ("--organization", "Harbor University", "--contact", "lee@harbor.edu")
    return cli("playbook", "run", "hail-the-lead", *lead, *extra)


def test_an_override_without_the_link_stops_the_run_and_nothing_reaches_the_server(
    cli, smtp_server, team_folder
):
    folder = team_folder()
    (folder / "hail-the-lead.toml").write_text(
        HAIL.read_text().replace(LINK_MARKDOWN, "reply to this message to find a time"), encoding="utf-8"
    )

    result = _hail(cli)
    assert result.code == 1
    assert "[FAILED] Send the canned response" in result.out
    assert (
        "not sent: step 2 (Confirm canned response links to "
        "https://calendly.com/colliand/2i2c-30-minute-zoom-meeting and says the meeting's length, as queued "
        "(a response that does not is never sent)) refuses the message: its HTML part has no link to "
        "calendly.com/colliand/2i2c-30-minute-zoom-meeting" in result.err
    )
    run = PlaybookRun.objects.get()
    assert run.status == "failed" and "its HTML part has no link" in run.error

    assert cli("worker", "--once").code == 0
    assert OutboxMessage.objects.count() == 0
    assert smtp_server.handler.delivered == []


def test_the_link_written_as_code_is_not_a_link_and_is_refused(cli, smtp_server, team_folder):
    folder = team_folder()
    (folder / "hail-the-lead.toml").write_text(
        HAIL.read_text().replace(LINK_MARKDOWN, "copy `{scheduling_link}` into your browser"),
        encoding="utf-8",
    )
    result = _hail(cli)
    assert result.code == 1
    assert "its HTML part has no link to calendly.com/colliand/2i2c-30-minute-zoom-meeting" in result.err
    assert cli("worker", "--once").code == 0
    assert smtp_server.handler.delivered == []


def test_a_link_to_a_meeting_of_another_length_is_refused(cli, smtp_server, team_folder):
    sixty = "https://calendly.com/colliand/2i2c-60-minute-zoom-meeting"
    team_folder(
        DEFAULT_PROFILE_PATH.read_text().replace(
            "https://calendly.com/colliand/2i2c-30-minute-zoom-meeting", sixty
        )
    )
    result = _hail(cli)
    assert result.code == 1
    assert "neither its link nor its text says 30 minutes" in result.err
    assert cli("worker", "--once").code == 0
    assert smtp_server.handler.delivered == []


def test_fixing_the_override_lets_the_same_command_finish_and_send(cli, smtp_server, team_folder):
    folder = team_folder()
    override = folder / "hail-the-lead.toml"
    override.write_text(HAIL.read_text().replace(LINK_MARKDOWN, "reply to find a time"), encoding="utf-8")
    assert _hail(cli).code == 1

    override.write_text(
        HAIL.read_text().replace(LINK_MARKDOWN, "[book 30 minutes with us]({scheduling_link})"),
        encoding="utf-8",
    )
    resumed = _hail(cli)
    assert resumed.code == 0, resumed.err
    assert "resuming the unfinished run" in resumed.out
    assert PlaybookRun.objects.get().status == "succeeded"
    assert cli("worker", "--once").code == 0
    [received] = smtp_server.handler.delivered
    html = received.message.get_body(preferencelist=("html",)).get_content()
    assert '<a href="https://calendly.com/colliand/2i2c-30-minute-zoom-meeting"' in html
    assert ">book 30 minutes with us</a>" in html


def test_a_dry_run_says_the_check_would_refuse_the_message(cli, team_folder):
    folder = team_folder()
    (folder / "hail-the-lead.toml").write_text(
        HAIL.read_text().replace(LINK_MARKDOWN, "reply to find a time"), encoding="utf-8"
    )
    result = _hail(cli, "--dry-run")
    assert result.code == 0, result.err
    assert (
        "FAILS: the message of step 'canned-response': its HTML part has no link to "
        "calendly.com/colliand/2i2c-30-minute-zoom-meeting" in result.out
    )
    assert "it would not be sent" in result.out
