"""`partnerdesk backup` and `partnerdesk restore` as a sysadmin runs them: real processes, each
installation its own data folder and database (a SQLite file, or a PostgreSQL database of its
own when the suite runs with DATABASE_URL set), a worker writing while the backup runs."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import secrets
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db.migrations.loader import MigrationLoader

from partnerdesk.ops.databases import pg_tool
from partnerdesk.profile import DEFAULT_PROFILE_PATH

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mail"
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
MAX_MESSAGE_BYTES = 2048

if ON_POSTGRES and pg_tool("pg_dump") is None:
    pytestmark = pytest.mark.skip(
        reason="pg_dump is not installed, so a PostgreSQL backup cannot be made here"
    )

SEED = """
import sys
import django
django.setup()
from partnerdesk.inbound.store import message_store
from partnerdesk.pipeline import services
actor = services.Actor(label="cli:seed")
for name, email in [("Harbor University", "lee@harbor.example.edu"),
                    ("Delta College", "kim@delta.example.org")]:
    services.engagement_create(organization_name=name, contacts=[("", email)], actor=actor)
for path in sys.argv[1:]:
    message_store(raw=open(path, "rb").read(), channel="folder")
"""

# A worker's writes: one engagement per transaction until told to stop, each printed once committed.
WRITER = """
import pathlib
import sys
import django
django.setup()
from partnerdesk.pipeline import services
stop = pathlib.Path(sys.argv[1])
actor = services.Actor(label="partnerdesk:writer")
number = 0
while not stop.exists():
    engagement = services.engagement_create(
        organization_name=f"Written during the backup {number}", contacts=[], actor=actor
    )
    print(engagement.reference, flush=True)
    number += 1
"""

# What an installation holds, read through partnerdesk itself (documents through the store,
# messages through message_raw, which follows a quarantined message's file path).
STATE = """
import hashlib
import json
import django
django.setup()
from django.conf import settings
from partnerdesk.agreements.models import AgreementVersion
from partnerdesk.documents.base import get_store
from partnerdesk.documents.models import Document
from partnerdesk.inbound.models import InboundMessage
from partnerdesk.inbound.store import message_raw
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline.models import Engagement
sha = lambda data: hashlib.sha256(data).hexdigest()
store = get_store()
spool = settings.PARTNERDESK_HOME / "spool"
print(json.dumps({
    "engagements": {e.reference: [e.organization.name, e.stage] for e in Engagement.objects.all()},
    "documents": sorted(
        [d.title, d.store_id, sha(store.read_bytes(d.store_id))] for d in Document.objects.all()
    ) + sorted(
        [v.filename, v.store_id, sha(store.read_bytes(v.store_id))] for v in AgreementVersion.objects.all()
    ),
    "outbox": sorted([m.message_id, m.status, m.to, sha(bytes(m.raw))] for m in OutboxMessage.objects.all()),
    "inbox": sorted([m.dedupe_key, m.status, sha(message_raw(m))] for m in InboundMessage.objects.all()),
    "quarantine_paths": [m.raw_path for m in InboundMessage.objects.exclude(raw_path="")],
    "spool": sorted(sha(p.read_bytes()) for p in spool.glob("*.eml")) if spool.is_dir() else [],
}))
"""


@dataclass
class Installation:
    home: Path
    env: dict[str, str]

    def run(self, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "partnerdesk.cli", *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            timeout=300,
        )
        return subprocess.CompletedProcess(
            result.args, result.returncode, result.stdout.decode(), result.stderr.decode()
        )

    def ok(self, *args: str, stdin: bytes | None = None) -> str:
        result = self.run(*args, stdin=stdin)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def python(self, script: str, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", script, *args], env=self.env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def state(self) -> dict:
        return json.loads(self.python(STATE))


def _postgres_params() -> dict[str, str]:
    db = settings.DATABASES["default"]
    return {
        "host": db["HOST"],
        "port": str(db["PORT"] or 5432),
        "user": db["USER"],
        "password": db["PASSWORD"],
    }


@pytest.fixture(scope="module")
def new_database() -> Iterator[Callable[[Path], str]]:
    """A new, empty database for one installation: its DATABASE_URL."""
    created: list[str] = []

    def make(home: Path) -> str:
        if not ON_POSTGRES:
            return f"sqlite:///{home / 'partnerdesk.sqlite3'}"
        import psycopg

        name = f"pd_backup_{secrets.token_hex(4)}"
        with psycopg.connect(dbname="postgres", autocommit=True, **_postgres_params()) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        p = _postgres_params()
        return f"postgres://{p['user']}:{p['password']}@{p['host']}:{p['port']}/{name}"

    yield make
    if created:
        import psycopg

        with psycopg.connect(dbname="postgres", autocommit=True, **_postgres_params()) as db:
            for name in created:
                db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def installation(tmp_path_factory, new_database) -> Callable[..., Installation]:
    profile = tmp_path_factory.mktemp("profile") / "partnerdesk.toml"
    text = DEFAULT_PROFILE_PATH.read_text(encoding="utf-8")
    assert "max_message_bytes = 26214400" in text
    profile.write_text(
        text.replace("max_message_bytes = 26214400", f"max_message_bytes = {MAX_MESSAGE_BYTES}")
    )

    def make(name: str, *, migrated: bool = True) -> Installation:
        home = tmp_path_factory.mktemp(name)
        env = {**os.environ, "PARTNERDESK_HOME": str(home), "PARTNERDESK_CONFIG": str(profile)}
        env["DATABASE_URL"] = new_database(home)
        env["DJANGO_SETTINGS_MODULE"] = "partnerdesk.settings"
        env.pop("EMAIL_URL", None)
        found = Installation(home, env)
        if migrated:
            found.ok("migrate", "--verbosity", "0")
        return found

    return make


def _docx(path: Path, text: str) -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    document.save(str(path))
    return path


@pytest.fixture(scope="module")
def source(installation, tmp_path_factory) -> Installation:
    """An installation in use: engagements, an agreement's document in the drive, an invitation in
    the outbox, a message in the inbox, an oversized one in the quarantine, one in the spool."""
    source = installation("source")
    files = tmp_path_factory.mktemp("files")
    latin1 = (FIXTURES / "latin1.eml").read_bytes()
    oversized = files / "oversized.eml"
    oversized.write_bytes(
        latin1.replace(b"<latin1-1@", b"<oversized-1@") + b"Anhang\n" * (MAX_MESSAGE_BYTES // 4)
    )
    source.python(SEED, str(FIXTURES / "latin1.eml"), str(oversized))
    source.ok("agreement", "attach", "PD-1", str(_docx(files / "Services Agreement.docx", "Draft 1")))
    source.ok("playbook", "run", "create-running-notes", "PD-1")
    source.ok("invite", "bob@example.org")
    source.ok("mailgate", stdin=(FIXTURES / "bulk_list.eml").read_bytes())
    return source


@pytest.fixture(scope="module")
def backed_up_while_writing(
    source, tmp_path_factory
) -> tuple[Path, set[str], subprocess.CompletedProcess[str]]:
    """The source backed up while a worker process writes: (archive, references committed before
    the backup started, the backup's run)."""
    folder = tmp_path_factory.mktemp("backups")
    stop = folder / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(stop)],
        env=source.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        before = {writer.stdout.readline().strip() for _ in range(20)}
        assert "" not in before, writer.stderr.read() if writer.stderr else ""
        if not ON_POSTGRES:
            # What a file copy would lose: committed rows still in the write-ahead log.
            assert (source.home / "partnerdesk.sqlite3-wal").stat().st_size > 0
        backup = source.run("backup", str(folder / "partnerdesk.tar.gz"))
    finally:
        stop.touch()
        writer.communicate(timeout=120)
    assert writer.returncode == 0
    return folder / "partnerdesk.tar.gz", before, backup


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        return json.load(member)


def test_a_backup_made_while_a_worker_writes_restores_into_a_new_folder_whole(
    source, installation, backed_up_while_writing
):
    archive, written_before, backup = backed_up_while_writing
    assert backup.returncode == 0, backup.stderr
    assert "database:" in backup.stdout and f"wrote {archive}" in backup.stdout
    target = installation("restored", migrated=False)

    restored = target.run("restore", str(archive))

    assert restored.returncode == 0, restored.stderr
    assert "checksums: all" in restored.stdout
    now, after = source.state(), target.state()
    # Every engagement committed before the backup started, each as it is in the source...
    assert written_before <= set(after["engagements"])
    assert all(after["engagements"][ref] == now["engagements"][ref] for ref in after["engagements"])
    assert {"PD-1", "PD-2"} <= set(after["engagements"])
    # ...and exactly the snapshot the manifest counted.
    assert len(after["engagements"]) == _manifest(archive)["database"]["tables"]["pipeline_engagement"]
    for part in ("documents", "outbox", "inbox", "spool"):
        assert after[part] == now[part], part
    assert len(after["documents"]) == 2 and len(after["inbox"]) == 2 and after["outbox"]
    assert len(after["spool"]) == 1
    assert [Path(path).parent for path in after["quarantine_paths"]] == [target.home / "quarantine"]
    # The restored installation goes on after the archive's last engagement (on PostgreSQL perhaps
    # with a gap: pg_dump reads a sequence as it is at the time, outside the snapshot).
    last = max(int(ref.split("-")[1]) for ref in after["engagements"])
    assert int(target.ok("lead", "add", "Ocean Institute").strip().split("-")[1]) > last


def test_the_archive_holds_a_manifest_of_version_engine_rows_and_every_checksum(backed_up_while_writing):
    archive, _, _ = backed_up_while_writing

    manifest = _manifest(archive)

    assert manifest["partnerdesk_version"] == "0.1.0"
    assert manifest["database"]["engine"] == ("postgresql" if ON_POSTGRES else "sqlite")
    assert manifest["database"]["tables"]["agreements_agreementversion"] == 1
    with tarfile.open(archive, "r:gz") as tar:
        names = [name for name in tar.getnames() if name != "manifest.json"]
        assert sorted(names) == sorted(manifest["files"])
        for name in names:
            member = tar.extractfile(name)
            assert member is not None
            assert hashlib.sha256(member.read()).hexdigest() == manifest["files"][name]["sha256"]
    assert any(name.startswith("home/drive/") and name.endswith(".docx") for name in names)
    assert any(name.startswith("home/quarantine/") for name in names)
    assert any(name.startswith("home/spool/") for name in names)
    assert "profile/partnerdesk.toml" in names and "home/secret_key" in names


def test_verify_checks_an_archive_without_restoring_it(source, backed_up_while_writing):
    archive, _, _ = backed_up_while_writing

    result = source.run("backup", "--verify", str(archive))

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"{archive}: ok"
    assert "checksums: all" in result.stdout


def test_restore_refuses_an_installation_that_holds_data_and_changes_nothing(source, backed_up_while_writing):
    archive, _, _ = backed_up_while_writing
    before = source.state()

    result = source.run("restore", str(archive))

    assert result.returncode == 1
    assert result.stderr.startswith("partnerdesk restore: restore goes into an empty installation")
    assert "--force" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert source.state() == before


def test_restore_with_force_replaces_an_installation_and_sets_its_files_aside(
    installation, backed_up_while_writing
):
    archive, _, _ = backed_up_while_writing
    target = installation("replaced")
    target.ok("lead", "add", "Someone Else")
    target.ok("invite", "carol@example.org")
    (target.home / "drive").mkdir()
    (target.home / "drive" / "notes.txt").write_text("theirs")

    result = target.run("restore", "--force", str(archive))

    assert result.returncode == 0, result.stderr
    engagements = target.state()["engagements"]
    assert engagements["PD-1"] == ["Harbor University", "lead"]
    assert "Someone Else" not in {organization for organization, _ in engagements.values()}
    (aside,) = target.home.glob("before-restore-*")
    assert (aside / "drive" / "notes.txt").read_text() == "theirs"


@pytest.fixture(scope="module")
def empty_target(installation) -> Installation:
    """One migrated, unused installation for every damaged archive: none may change it."""
    return installation("empty")


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _flipped(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 64]) + data[middle + 64 :]


def _document_replaced(data: bytes) -> bytes:
    """A well-formed archive whose document is not the one its manifest describes."""
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as old,
        tarfile.open(fileobj=out, mode="w:gz") as new,
    ):
        for member in old.getmembers():
            content = old.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.endswith(".docx") and member.name.startswith("home/drive/Partnerships/Agreements"):
                content = content[:-1] + bytes([content[-1] ^ 1])
            new.addfile(member, io.BytesIO(content))
    return out.getvalue()


def _not_an_archive(data: bytes) -> bytes:
    return gzip.compress(b"just some text, not a tar archive\n" * 100)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_truncated, "is damaged or truncated"),
        (_flipped, "is damaged"),
        (_document_replaced, "does not match its checksum"),
        (_not_an_archive, "is not a partnerdesk backup"),
    ],
)
def test_a_damaged_archive_is_refused_with_one_clear_line_and_nothing_is_restored(
    empty_target, backed_up_while_writing, tmp_path, damage, message
):
    archive, _, _ = backed_up_while_writing
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(damage(archive.read_bytes()))
    target = empty_target

    checked = target.run("backup", "--verify", str(damaged))
    restored = target.run("restore", str(damaged))

    for result in (checked, restored):
        assert result.returncode == 1
        assert message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert target.state()["engagements"] == {}
    assert not [name for name in ("drive", "spool", "quarantine", "outbox") if (target.home / name).exists()]
    assert not list(target.home.glob(".restore-*"))


def test_an_archive_from_before_a_migration_is_migrated_when_restored(installation, tmp_path):
    older = installation("older")
    older.ok("lead", "add", "Harbor University")
    older.ok("migrate", "technical", "0001", "--verbosity", "0")
    older.ok("backup", str(tmp_path / "older.tar.gz"))
    target = installation("newer", migrated=False)

    result = target.run("restore", str(tmp_path / "older.tar.gz"))

    assert result.returncode == 0, result.stderr
    # Going back to technical 0001 took back its later migrations and every one that depends on them.
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    later = len(graph.backwards_plan(("technical", "0002_form_links_reminders")))
    plural = "migration" if later == 1 else "migrations"
    assert f"database: applied {later} {plural} the archive did not have" in result.stdout
    assert "[ ]" not in target.ok("showmigrations", "technical")
    assert target.state()["engagements"] == {"PD-1": ["Harbor University", "lead"]}


@pytest.mark.django_db
def test_a_backup_never_overwrites_a_file(cli, tmp_path):
    existing = tmp_path / "last-night.tar.gz"
    existing.write_bytes(b"an earlier backup")

    result = cli("backup", str(existing))

    assert result.code == 1
    expected = f"partnerdesk backup: {existing} exists already; give a new file name (or a folder)\n"
    assert result.err == expected
    assert existing.read_bytes() == b"an earlier backup"
