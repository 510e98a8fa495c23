"""The organization profile: the default is the handbook, and a bad one stops start-up clearly."""

from __future__ import annotations

import os
import subprocess
import sys
import typing

import pytest

from partnerdesk.pipeline.stages import OPEN_STAGE_VALUES
from partnerdesk.profile import DEFAULT_PROFILE_PATH, OpenStageName, ProfileError, load_profile

HANDBOOK_LINK = "https://calendly.com/colliand/2i2c-30-minute-zoom-meeting"


def test_the_shipped_profile_reproduces_the_handbook():
    profile = load_profile(DEFAULT_PROFILE_PATH)
    assert profile.organization.name == "2i2c"
    assert profile.mailbox.address == "partnerships@2i2c.org"
    assert profile.team.domains == ["2i2c.org"]
    assert profile.scheduling.link == HANDBOOK_LINK
    assert profile.organization.fiscal_sponsor_email == "fsp@codeforscience.org"
    assert profile.partner_folder("Harbor University") == "Partnerships/Agreements/Harbor University"


def test_team_mail_is_recognized_by_domain_and_by_member_address(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(
        DEFAULT_PROFILE_PATH.read_text().replace("members = []", 'members = ["Chris@Consultant.example"]')
    )
    profile = load_profile(path)
    assert profile.is_team_address("jane@2i2c.org")
    assert profile.is_team_address("chris@consultant.example")
    assert not profile.is_team_address("jane@2i2c.org.evil.example")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("fsp@codeforscience.org", "not-an-address"),
            "organization.fiscal_sponsor_email: 'not-an-address' is not",
        ),
        (('address = "partnerships@2i2c.org"\n', ""), "mailbox.address: missing (required)"),
        (("[scheduling]", "[scheduling]\nlinke = 1"), "scheduling.linke: unknown key"),
        (
            ('domains = ["2i2c.org"]', 'domains = ["not a domain"]'),
            "team.domains: 'not a domain' is not a domain",
        ),
        (
            ("require_complete_scorecard = false", 'require_complete_scorecard = "sometimes"'),
            "qualification.require_complete_scorecard:",
        ),
        (('name = "2i2c"', "name = "), "not valid TOML"),
    ],
)
def test_a_malformed_profile_names_the_file_the_key_and_what_is_wrong(tmp_path, edit, message):
    path = tmp_path / "partnerdesk.toml"
    path.write_text(DEFAULT_PROFILE_PATH.read_text().replace(*edit, 1))
    with pytest.raises(ProfileError) as error:
        load_profile(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_a_missing_profile_file_is_named(tmp_path):
    with pytest.raises(ProfileError, match="the profile file does not exist"):
        load_profile(tmp_path / "nowhere.toml")


def test_the_partnerdesk_command_refuses_to_start_with_a_malformed_profile(tmp_path):
    path = tmp_path / "partnerdesk.toml"
    path.write_text(DEFAULT_PROFILE_PATH.read_text().replace('link = "https', 'link = "ftp'))
    env = {**os.environ, "PARTNERDESK_CONFIG": str(path), "PARTNERDESK_HOME": str(tmp_path / "home")}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "partnerdesk.cli", "lead", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"partnerdesk: configuration error: {path}: scheduling.link:")
    assert "Traceback" not in result.stderr


def test_a_profile_with_the_retired_require_authenticated_commands_still_loads_and_says_what_changed(
    tmp_path,
):
    path = tmp_path / "p.toml"
    path.write_text(
        DEFAULT_PROFILE_PATH.read_text().replace(
            "[inbound]\n", "[inbound]\nrequire_authenticated_commands = false\n"
        )
    )
    env = {**os.environ, "PARTNERDESK_CONFIG": str(path), "PARTNERDESK_HOME": str(tmp_path / "home")}
    checked = subprocess.run(
        [sys.executable, "-c", "from partnerdesk.cli import main; main(['partnerdesk', 'check'])"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "require_authenticated_commands is no longer read" in checked.stderr + checked.stdout
    assert "held for confirmation while authserv_id is empty" in checked.stderr + checked.stdout


def test_authserv_id_must_be_a_host_name(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(
        DEFAULT_PROFILE_PATH.read_text().replace('authserv_id = ""', 'authserv_id = "mx; dmarc=pass"')
    )
    with pytest.raises(ProfileError, match="authserv_id"):
        load_profile(path)


def test_the_profiles_open_stage_names_are_the_pipelines_open_stages():
    assert typing.get_args(OpenStageName) == OPEN_STAGE_VALUES
