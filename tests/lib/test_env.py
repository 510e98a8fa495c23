from __future__ import annotations

import pytest

from partnerdesk.lib.env import EnvError, env_bool, env_list, env_secret


def test_a_secret_is_read_from_the_file_named_by_the_file_variable(tmp_path):
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    assert env_secret("DATABASE_URL", environ={"DATABASE_URL_FILE": str(secret)}) == "s3cret"


def test_a_secret_given_twice_is_refused():
    with pytest.raises(EnvError, match="DATABASE_URL and DATABASE_URL_FILE are both set"):
        env_secret("DATABASE_URL", environ={"DATABASE_URL": "a", "DATABASE_URL_FILE": "b"})


def test_an_unreadable_secret_file_is_named(tmp_path):
    with pytest.raises(EnvError, match="EMAIL_URL_FILE: cannot read"):
        env_secret("EMAIL_URL", environ={"EMAIL_URL_FILE": str(tmp_path / "missing")})


def test_booleans_are_strict():
    assert env_bool("X", False, environ={"X": "yes"}) is True
    assert env_bool("X", True, environ={}) is True
    with pytest.raises(EnvError, match="X='maybe' is not a boolean"):
        env_bool("X", False, environ={"X": "maybe"})


def test_lists_are_comma_separated():
    assert env_list("HOSTS", ["a"], environ={"HOSTS": "x.org, y.org,"}) == ["x.org", "y.org"]
    assert env_list("HOSTS", ["a"], environ={}) == ["a"]


def test_whole_numbers_are_strict():
    from partnerdesk.lib.env import env_int

    assert env_int("HSTS", 0, environ={"HSTS": "31536000"}) == 31536000
    assert env_int("HSTS", 7, environ={}) == 7
    with pytest.raises(EnvError, match="HSTS='a year' is not a whole number"):
        env_int("HSTS", 0, environ={"HSTS": "a year"})
