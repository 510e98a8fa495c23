"""EMAIL_URL: each scheme, and a clear error naming EMAIL_URL for a malformed one."""

from __future__ import annotations

import pytest

from partnerdesk.mail.backends import EmailUrlError, SmtpConfig, parse_email_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:2525", SmtpConfig("smtp", "127.0.0.1", 2525)),
        ("smtp://mail.example.org", SmtpConfig("smtp", "mail.example.org", 25)),
        ("smtp+tls://mail.example.org", SmtpConfig("smtp+tls", "mail.example.org", 587)),
        ("smtps://mail.example.org", SmtpConfig("smtps", "mail.example.org", 465)),
        ("SMTPS://Mail.Example.org:1465", SmtpConfig("smtps", "mail.example.org", 1465)),
        (
            "smtp://user:pass@127.0.0.1:2525",
            SmtpConfig("smtp", "127.0.0.1", 2525, username="user", password="pass"),
        ),
        (
            "smtp+tls://me%40example.org:p%40ss%2Fw0rd@smtp.example.org?timeout=10",
            SmtpConfig("smtp+tls", "smtp.example.org", 587, "me@example.org", "p@ss/w0rd", 10.0),
        ),
        ("smtp://[::1]:2525", SmtpConfig("smtp", "::1", 2525)),
    ],
)
def test_each_scheme_parses_with_its_default_port_and_decoded_credentials(url, expected):
    assert parse_email_url(url) == expected


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://mail.example.org", "EMAIL_URL: the scheme is 'http'; use smtp://, smtp+tls://, smtps://"),
        ("mail.example.org:25", "EMAIL_URL: the scheme is 'mail.example.org'"),
        ("smtp://", "EMAIL_URL: no host"),
        ("smtp://user:pw@:25", "EMAIL_URL: no host"),
        ("smtp://mail.example.org:smtp", "EMAIL_URL: bad port"),
        ("smtp://mail.example.org:99999", "EMAIL_URL: bad port"),
        ("smtp://mail.example.org:0", "EMAIL_URL: port 0 is not a port"),
        ("smtp://mail.example.org/inbox", "EMAIL_URL: unexpected path"),
        ("smtp://mail.example.org?tls=yes", "EMAIL_URL: unknown option 'tls'"),
        ("smtp://mail.example.org?timeout=soon", "EMAIL_URL: timeout='soon' is not a number of seconds"),
    ],
)
def test_a_malformed_url_is_refused_naming_email_url_and_the_problem(url, problem):
    with pytest.raises(EmailUrlError) as caught:
        parse_email_url(url)
    assert str(caught.value).startswith(problem)


def test_the_password_never_appears_in_an_error_or_a_repr():
    with pytest.raises(EmailUrlError) as caught:
        parse_email_url("smtp://user:hunter2@mail.example.org:port")
    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in repr(parse_email_url("smtp://user:hunter2@mail.example.org"))
