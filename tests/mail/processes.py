"""`partnerdesk` processes in tests: their environment, a command's output, and seeded mail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

SEED = """
import sys
import django
django.setup()
from django.db import transaction
from partnerdesk.mail.outbox import message_queue
with transaction.atomic():
    for number in range(int(sys.argv[1])):
        message_queue(to=[f"partner{number}@example.org"], subject=f"Message {number}", body="Hello\\n")
"""


def shared_database_url(tmp_path: Path) -> str:
    """A DATABASE_URL for processes that share this test's database.

    PostgreSQL: the test database itself (the test must commit). SQLite: the tests' database is
    in memory, so a file database in tmp_path, migrated here."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    url = f"sqlite:///{tmp_path / 'workers.sqlite3'}"
    partnerdesk(process_env(url, home=tmp_path / "migrate-home"), "migrate", "--verbosity", "0")
    return url


def process_env(database_url: str, *, home: Path, email_url: str | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "PARTNERDESK_HOME": str(home),
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "partnerdesk.settings",
    }
    env.pop("PARTNERDESK_CONFIG", None)
    env.pop("EMAIL_URL", None)
    if email_url is not None:
        env["EMAIL_URL"] = email_url
    return env


def partnerdesk(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "partnerdesk.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def seed(env: dict[str, str], count: int) -> None:
    """Queue `count` messages, to partner0@example.org and on, in one transaction."""
    subprocess.run([sys.executable, "-c", SEED, str(count)], env=env, check=True, timeout=120)
