"""`partnerdesk backup`: one consistent archive of an installation while the app and workers run.

What goes in: the database snapshot, the data folder's `drive/` (the local document store),
`spool/` (messages mailgate stored that no worker took yet), `quarantine/` (oversized messages,
kept as files), `outbox/` (mail written to files when EMAIL_URL is unset) and `secret_key`, the
profile file in use, and the manifest (version, engine, rows per table, every file's SHA-256).

The order makes the archive hang together without stopping anything:
1. the spool first: a message a worker takes from it afterwards has its row committed before the
   file is removed, so it is in the database snapshot taken next if it is not in the archive;
2. the database snapshot;
3. then the files rows point to: a document or a quarantined message is written before its row,
   so every row in the snapshot finds its file. The drive is read under the local store's lock
   (document writes wait meanwhile), so its name index and its files agree.
Anything committed before the backup started is in it; what happens during it may or may not be.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

import partnerdesk
from partnerdesk.lib import clock
from partnerdesk.ops import databases
from partnerdesk.ops.archive import (
    FORMAT,
    FORMAT_VERSION,
    ArchiveWriter,
    BackupError,
    archive_read,
    human_size,
)
from partnerdesk.profile import DEFAULT_PROFILE_PATH, profile_path

Progress = Callable[[str], None]

SPOOL, DRIVE, QUARANTINE, OUTBOX = "spool", "drive", "quarantine", "outbox"
HOME_FOLDERS = (DRIVE, SPOOL, QUARANTINE, OUTBOX)
SECRET_KEY_FILE = "secret_key"
# Never archived: the local store's lock file.
SKIPPED_NAMES = frozenset({".partnerdesk.lock"})
PROGRESS_EVERY_FILES = 1000


@dataclass(frozen=True)
class BackupDone:
    path: Path
    size: int
    files: int
    rows: int


def _silent(line: str) -> None:
    pass


def archive_path(destination: Path) -> Path:
    """FILE as given, or a dated name inside it when it is a folder (what the timer uses)."""
    if destination.is_dir():
        destination = destination / f"partnerdesk-{clock.now():%Y%m%d-%H%M%S}.tar.gz"
    if destination.exists():
        raise BackupError(f"{destination} exists already; give a new file name (or a folder)")
    if not destination.parent.is_dir():
        raise BackupError(f"{destination.parent} is not a folder")
    return destination


def _files_under(folder: Path) -> Iterator[Path]:
    for directory, subfolders, names in os.walk(folder):
        subfolders.sort()
        for name in sorted(names):
            if name not in SKIPPED_NAMES:
                yield Path(directory) / name


def _add_folder(archive: ArchiveWriter, home: Path, name: str, progress: Progress) -> int:
    folder = home / name
    count = size = 0
    for path in _files_under(folder):
        member = f"home/{name}/{path.relative_to(folder).as_posix()}"
        if archive.add_file(member, path):
            count += 1
            size += archive.files[member]["size"]
            if count % PROGRESS_EVERY_FILES == 0:
                progress(f"  {name}: {count:,} files so far ({human_size(size)})")
    progress(f"{name}: {count:,} files, {human_size(size)}" if count else f"{name}: empty")
    return count


@contextlib.contextmanager
def _drive_locked(home: Path) -> Iterator[None]:
    """The local store's own write lock (documents/local.py), when there is a drive."""
    drive = home / DRIVE
    if not drive.is_dir():
        yield
        return
    with open(drive / ".partnerdesk.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _profile_entry(archive: ArchiveWriter) -> dict[str, Any]:
    path = profile_path().resolve()
    member = f"profile/{path.name}"
    if not archive.add_file(member, path):
        raise BackupError(f"cannot read the profile {path}")
    return {"path": str(path), "shipped": path == DEFAULT_PROFILE_PATH.resolve(), "file": member}


def backup_create(*, destination: Path, progress: Progress = _silent) -> BackupDone:
    home = Path(settings.PARTNERDESK_HOME)
    settings_dict = connections["default"].settings_dict
    engine = databases.engine_of(settings_dict)
    path = archive_path(destination)
    progress(f"backing up {home} and the {engine} database into {path}")
    try:
        with (
            ArchiveWriter(path) as archive,
            tempfile.TemporaryDirectory(dir=path.parent, prefix=".partnerdesk-backup-") as scratch,
        ):
            _add_folder(archive, home, SPOOL, progress)
            snapshot = databases.snapshot_take(settings_dict, Path(scratch))
            database_member = f"database/{snapshot.file.name}"
            archive.add_file(database_member, snapshot.file)
            snapshot.file.unlink()
            rows = sum(snapshot.tables.values())
            progress(
                f"database: {len(snapshot.tables)} tables, {rows:,} rows, "
                f"{human_size(archive.files[database_member]['size'])}"
            )
            with _drive_locked(home):
                _add_folder(archive, home, DRIVE, progress)
            _add_folder(archive, home, QUARANTINE, progress)
            _add_folder(archive, home, OUTBOX, progress)
            secret = archive.add_file(f"home/{SECRET_KEY_FILE}", home / SECRET_KEY_FILE)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "partnerdesk_version": partnerdesk.__version__,
                "created_at": clock.now().isoformat(),
                "hostname": socket.gethostname(),
                "home": str(home),
                "database": {
                    "engine": snapshot.engine,
                    "file": database_member,
                    "tables": snapshot.tables,
                    "migrations": snapshot.migrations,
                },
                "profile": _profile_entry(archive),
                "secret_key": f"home/{SECRET_KEY_FILE}" if secret else None,
            }
            files = len(archive.files) + 1
            size = archive.finish(manifest)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise BackupError(f"the backup failed{where}: {exc.strerror or exc}") from None
    progress(f"wrote {path}: {files:,} files, {human_size(size)}")
    return BackupDone(path=path, size=size, files=files, rows=rows)


@dataclass(frozen=True)
class Verified:
    manifest: dict[str, Any]
    notes: list[str]


def backup_verify(*, archive: Path, progress: Progress = _silent) -> Verified:
    """Check an archive without restoring it: every checksum against the manifest, and the
    database inside (SQLite: integrity check and rows per table; PostgreSQL: pg_restore reads it)."""
    progress(f"checking {archive}")
    notes = []
    with tempfile.TemporaryDirectory(prefix="partnerdesk-verify-") as scratch:
        folder = Path(scratch)
        manifest = archive_read(
            archive, extract_to=folder, extract=lambda name: name.startswith("database/"), progress=progress
        )
        files = manifest["files"]
        total = sum(entry["size"] for entry in files.values())
        progress(f"checksums: all {len(files) + 1:,} files match the manifest ({human_size(total)})")
        database = manifest.get("database") or {}
        dump = folder / str(database.get("file", ""))
        if not dump.is_file():
            raise BackupError(f"{archive}: the manifest names no database file; the archive is damaged")
        expected = database.get("tables") or {}
        if database.get("engine") == databases.SQLITE:
            result, counts = databases.sqlite_file_check(dump)
            if result != "ok":
                raise BackupError(
                    f"{archive}: the SQLite database inside fails its integrity check: {result}"
                )
            if counts != expected:
                raise BackupError(f"{archive}: the database's rows per table differ from the manifest's")
            progress(f"database: SQLite, integrity ok, {sum(counts.values()):,} rows as the manifest says")
        else:
            problem = databases.pg_dump_check(dump)
            if problem.startswith("pg_restore cannot"):
                raise BackupError(f"{archive}: {problem}")
            if problem:
                notes.append(problem)
            progress(f"database: PostgreSQL dump, {sum(expected.values()):,} rows by the manifest")
    return Verified(manifest=manifest, notes=notes)
