"""fetchmail against a real IMAP server (dovecot) on loopback: each message read and acted on once."""

from __future__ import annotations

import imaplib
import time

import pytest

from partnerdesk.inbound.imap import KEYWORD, ImapError, fetch_once, imap_config
from partnerdesk.inbound.models import InboundMessage
from partnerdesk.mail.models import OutboxMessage
from tests.inbound.conftest import eml

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mailbox_checks_senders")]


@pytest.fixture
def mailbox(dovecot):
    """A fresh mailbox on the server for each test, emptied afterwards."""
    name = f"Test{time.monotonic_ns()}"
    client = dovecot.client()
    client.create(name)
    yield name
    client.delete(name)
    client.logout()


def append(dovecot, mailbox: str, *names: str) -> None:
    client = dovecot.client()
    for name in names:
        client.append(mailbox, None, None, eml(name).replace(b"\n", b"\r\n"))
    client.logout()


def flags(dovecot, mailbox: str) -> list[bytes]:
    client = dovecot.client()
    client.select(mailbox)
    _, data = client.uid("FETCH", "1:*", "(FLAGS)")
    client.logout()
    return [item for item in data if item]


def test_fetchmail_stores_and_processes_each_message_once_and_flags_it(cli, dovecot, mailbox, monkeypatch):
    append(dovecot, mailbox, "command_hail_the_lead.eml", "latin1.eml")
    monkeypatch.setenv("IMAP_URL", dovecot.url(mailbox))
    fetched = cli("fetchmail")
    assert fetched.code == 0, fetched.err
    assert fetched.out.strip() == "fetchmail: 2 fetched, 2 new, 2 processed"
    assert all(KEYWORD.encode() in line for line in flags(dovecot, mailbox))
    assert not any(b"\\Seen" in line for line in flags(dovecot, mailbox))  # people still see it unread

    assert cli("fetchmail").out.strip() == "fetchmail: 0 fetched, 0 new, 0 processed"
    assert InboundMessage.objects.filter(status=InboundMessage.Status.PROCESSED).count() == 2
    assert OutboxMessage.objects.filter(to=["alice@2i2c.org"]).count() == 1


def test_two_fetchers_over_the_same_messages_process_nothing_twice(dovecot, mailbox):
    append(dovecot, mailbox, "command_hail_the_lead.eml")
    config = imap_config(dovecot.url(mailbox))
    # The second fetcher reads the message before the first one flags it: the store deduplicates.
    client = dovecot.client()
    client.select(mailbox)
    first = fetch_once(config)
    client.uid("STORE", "1", "-FLAGS", f"({KEYWORD})")
    client.logout()
    second = fetch_once(config)
    assert (first.new, first.processed, second.fetched, second.new, second.processed) == (1, 1, 1, 0, 0)
    assert OutboxMessage.objects.filter(to=["alice@2i2c.org"]).count() == 1


def test_fetchmail_can_move_each_message_to_a_folder_instead(dovecot, mailbox):
    append(dovecot, mailbox, "latin1.eml")
    done = f"{mailbox}Done"
    client = dovecot.client()
    client.create(done)
    client.logout()
    report = fetch_once(imap_config(dovecot.url(mailbox, f"move={done}")))
    assert report.processed == 1
    client = dovecot.client()
    assert client.select(mailbox)[1] == [b"0"]
    assert client.select(done)[1] == [b"1"]
    client.delete(done)
    client.logout()


def test_a_wrong_password_is_one_line_naming_the_server_but_not_the_password(cli, dovecot, monkeypatch):
    monkeypatch.setenv("IMAP_URL", f"imap://partnerdesk:wrong@127.0.0.1:{dovecot.port}/INBOX")
    result = cli("fetchmail")
    assert result.code == 1
    assert result.err.startswith(f"partnerdesk fetchmail: imap://partnerdesk@127.0.0.1:{dovecot.port}/INBOX:")
    assert "wrong" not in result.err


def test_imap_url_is_checked_before_connecting():
    with pytest.raises(ValueError, match="scheme"):
        imap_config("pop3://u:p@host/INBOX")
    config = imap_config("imaps://team%40x.org:p%2Fw@mail.example.org/Shared%20Box?move=Done")
    assert (config.user, config.password, config.port, config.mailbox, config.move_to) == (
        "team@x.org", "p/w", 993, "Shared Box", "Done"
    )  # fmt: skip
    assert isinstance(ImapError("x"), Exception) and imaplib.IMAP4.error
