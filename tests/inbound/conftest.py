from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from partnerdesk.inbound.models import InboundMessage
from partnerdesk.inbound.processing import message_process
from partnerdesk.inbound.store import message_store
from tests.smtp_server import free_port, smtp_server, smtp_sink  # noqa: F401 - fixtures

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mail"


def eml(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def receive(raw: bytes, channel: str = InboundMessage.Channel.MAILGATE) -> InboundMessage:
    """Store one message and process it, as the worker does; returns the row as it ends up."""
    stored = message_store(raw=raw, channel=channel)
    message_process(stored.message)
    stored.message.refresh_from_db()
    return stored.message


def mailgate(raw: bytes, *, home: Path | None = None, env: dict[str, str] | None = None):
    """Pipe a message into `partnerdesk mailgate` (the console script's code) in its own process,
    as an MTA does."""
    environ = {**os.environ, **(env or {})}
    if home is not None:
        environ["PARTNERDESK_HOME"] = str(home)
    code = "from partnerdesk.cli import main; main(['partnerdesk', 'mailgate'])"
    return subprocess.run(
        [sys.executable, "-c", code], input=raw, capture_output=True, env=environ, timeout=30
    )


class Dovecot:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.user = "partnerdesk"
        self.password = "s3cret pass"

    def url(self, mailbox: str = "INBOX", query: str = "") -> str:
        return f"imap://{self.user}:s3cret%20pass@127.0.0.1:{self.port}/{mailbox}" + (
            f"?{query}" if query else ""
        )

    def client(self):
        import imaplib

        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(self.user, self.password)
        return client


DOVECOT_CONFIG = """
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{folder}/mail/%u
{users}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={folder}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@pytest.fixture(scope="session")
def dovecot():
    """A real IMAP server (Debian's dovecot-imapd) on a free loopback port, for this test session."""
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if binary is None:
        pytest.skip(
            "dovecot is not installed: `apt-get install dovecot-imapd` (bash .ci/start-dovecot does it)"
        )
    # Its auth process runs as the `dovecot` user: the folder must be reachable by it, unlike
    # pytest's own (mode 0700) temporary folders.
    folder = Path(tempfile.mkdtemp(prefix="partnerdesk-dovecot-"))
    folder.chmod(0o755)
    port = free_port()
    users = ""
    uid, gid = os.getuid(), os.getgid()
    mail = folder / "mail"
    mail.mkdir()
    if uid == 0:  # dovecot refuses to keep mail as root: the mail belongs to `nobody`
        nobody = pwd.getpwnam("nobody")
        uid, gid = nobody.pw_uid, nobody.pw_gid
        os.chown(mail, uid, gid)
    else:  # not root: every dovecot process runs as us
        me = pwd.getpwuid(uid).pw_name
        users = f"default_internal_user = {me}\ndefault_login_user = {me}"
    config = folder / "dovecot.conf"
    config.write_text(DOVECOT_CONFIG.format(folder=folder, port=port, uid=uid, gid=gid, users=users))
    (folder / "passwd").write_text("partnerdesk:{PLAIN}s3cret pass::::::\n")
    (folder / "passwd").chmod(0o644)
    # dovecot forks into the background: its output goes to a file, or run() would wait for it.
    with open(folder / "start.log", "w+") as log:
        started = subprocess.run(
            [binary, "-c", str(config)], stdout=log, stderr=log, stdin=subprocess.DEVNULL
        )
        if started.returncode != 0:
            log.seek(0)
            pytest.fail(f"dovecot did not start: {log.read().strip()}")
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail("dovecot did not open its port in 10 s")
            time.sleep(0.05)
    yield Dovecot(folder, port)
    subprocess.run([binary, "-c", str(config), "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(folder, ignore_errors=True)
