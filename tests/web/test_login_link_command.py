"""`partnerdesk login-link`: the spelling people type (and the README uses) for `login_link`."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def test_login_link_with_a_hyphen_prints_a_link_that_signs_the_first_administrator_in(cli, client):
    result = cli("login-link")
    assert result.code == 0, result.err
    link = result.out.strip()
    assert link.startswith("http://127.0.0.1:8000/login/token/")

    response = client.get(_path(link))
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_both_spellings_sign_in_the_user_named(cli, client, alice):
    for spelling in ("login-link", "login_link"):
        client.logout()
        result = cli(spelling, "alice")
        assert result.code == 0, result.err
        client.get(_path(result.out.strip()))
        assert client.get(reverse("home")).wsgi_request.user == alice


def test_login_link_refuses_a_user_who_does_not_exist_in_one_line(cli):
    result = cli("login-link", "nobody")
    assert result.code == 1
    assert result.err == "partnerdesk login_link: no active user named 'nobody'\n"


def test_help_knows_the_hyphenated_spelling(cli):
    result = cli("help", "login-link")
    assert result.code == 0, result.err
    assert "Print a one-time sign-in link" in result.out


def test_only_the_command_word_is_an_alias_never_an_argument(cli):
    result = cli("lead", "add", "login-link")
    assert result.code == 0, result.err
    assert "login-link" in cli("lead", "list").out
