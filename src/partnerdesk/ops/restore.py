"""`partnerdesk restore`: an archive made by `partnerdesk backup` into an empty installation.

The steps, each checked before the next:
1. the target must be empty: no data in the database (what `migrate` alone writes does not
   count), no file in the data folder's drive, spool, quarantine or outbox; `force` sets
   whatever is there aside instead (files into `before-restore-<time>/`, tables dropped);
2. the archive is read whole and every checksum compared with the manifest, into a scratch
   folder inside the data folder, before anything is touched; an archive made by a newer
   partnerdesk (database changes this version does not know) is refused;
3. the database is restored (SQLite: backup API into the configured file; PostgreSQL:
   pg_restore in one transaction) and its rows per table compared with the manifest;
4. the files are moved into place, the secret key too; the archived profile is put beside the
   data folder when it differs from the one in use;
5. migrations the archive lacks (it is older) are applied, and quarantined messages' file paths
   are pointed at the new data folder.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from partnerdesk.inbound.models import InboundMessage
from partnerdesk.lib import clock
from partnerdesk.ops import databases
from partnerdesk.ops.archive import BackupError, archive_read, human_size
from partnerdesk.ops.backup import HOME_FOLDERS, QUARANTINE, SECRET_KEY_FILE
from partnerdesk.profile import profile_path

Progress = Callable[[str], None]
RESTORED_PROFILE = "profile-from-backup.toml"


@dataclass
class Restored:
    manifest: dict[str, Any]
    migrations_applied: int = 0
    set_aside: Path | None = None
    notes: list[str] = field(default_factory=list)


def _silent(line: str) -> None:
    pass


def _folder_has_files(folder: Path) -> bool:
    return folder.is_dir() and any(path.is_file() or path.is_symlink() for path in folder.rglob("*"))


def target_contents() -> list[str]:
    """What the configured installation holds already, for people; empty when it is empty."""
    found = []
    connection = connections["default"]
    counts = databases.table_counts(connection)
    holding = {
        name: rows for name, rows in counts.items() if rows and name not in databases.BOOKKEEPING_TABLES
    }
    if holding:
        tables = ", ".join(f"{name} ({rows:,})" for name, rows in sorted(holding.items())[:4])
        more = f" and {len(holding) - 4} more tables" if len(holding) > 4 else ""
        found.append(f"the database holds data: {tables}{more}")
    home = Path(settings.PARTNERDESK_HOME)
    found += [f"{home / name} holds files" for name in HOME_FOLDERS if _folder_has_files(home / name)]
    return found


def _newer_migrations(manifest: dict[str, Any]) -> list[str]:
    """Migrations applied in the archive that this version does not have."""
    connection = connections["default"]
    known = set(MigrationExecutor(connection).loader.disk_migrations)
    archived = {tuple(item) for item in manifest["database"].get("migrations") or []}
    return sorted(f"{app}.{name}" for app, name in archived - known)


def _set_aside(home: Path, force: bool) -> Path | None:
    aside = home / f"before-restore-{clock.now():%Y%m%d-%H%M%S}"
    moved = False
    for name in HOME_FOLDERS:
        folder = home / name
        if _folder_has_files(folder) and force:
            aside.mkdir(exist_ok=True)
            folder.rename(aside / name)
            moved = True
        elif folder.is_dir():
            shutil.rmtree(folder)  # folders without a single file
    return aside if moved else None


def _check_manifest(archive: Path, manifest: dict[str, Any], engine: str) -> None:
    database = manifest.get("database")
    if not isinstance(database, dict) or not isinstance(database.get("tables"), dict):
        raise BackupError(f"{archive}: the manifest describes no database; the archive is damaged")
    if database.get("engine") != engine:
        raise BackupError(
            f"{archive} holds a {database.get('engine')} database and this installation uses {engine}: "
            f"restore it into a {database.get('engine')} database (DATABASE_URL)"
        )


def backup_restore(*, archive: Path, force: bool = False, progress: Progress = _silent) -> Restored:
    home = Path(settings.PARTNERDESK_HOME)
    connection = connections["default"]
    engine = databases.engine_of(connection.settings_dict)
    found = target_contents()
    if found and not force:
        raise BackupError(
            "restore goes into an empty installation, and this one is not: "
            + "; ".join(found)
            + ". Restore into a new data folder and database, or pass --force to replace what is there"
        )
    scratch = Path(tempfile.mkdtemp(dir=home, prefix=".restore-"))
    try:
        progress(f"reading {archive} and checking every file against its manifest")
        manifest = archive_read(archive, extract_to=scratch, progress=progress)
        _check_manifest(archive, manifest, engine)
        newer = _newer_migrations(manifest)
        if newer:
            raise BackupError(
                f"{archive} was made by partnerdesk {manifest.get('partnerdesk_version', '?')}, whose "
                f"database has changes this version does not know ({', '.join(newer[:3])}): restore it "
                "with that version or a later one"
            )
        files = manifest["files"]
        progress(
            f"checksums: all {len(files) + 1:,} files match (made {manifest.get('created_at', '?')} "
            f"on {manifest.get('hostname', '?')} by partnerdesk {manifest.get('partnerdesk_version', '?')})"
        )
        result = Restored(manifest=manifest)
        _restore_database(scratch / manifest["database"]["file"], manifest, engine, force=force)
        progress(
            f"database: restored, {sum(manifest['database']['tables'].values()):,} rows as the manifest says"
        )
        result.set_aside = _set_aside(home, force)
        if result.set_aside:
            progress(f"what the data folder held is now in {result.set_aside}")
        _restore_files(scratch, home, manifest, progress)
        result.notes += _restore_profile(scratch, home, manifest)
        result.migrations_applied = _migrate()
        if result.migrations_applied:
            count = result.migrations_applied
            plural = "s" if count > 1 else ""
            progress(f"database: applied {count} migration{plural} the archive did not have")
        moved = _repoint_quarantine(manifest, home)
        if moved:
            progress(f"quarantine: {moved} messages point at {home / QUARANTINE}")
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _restore_database(dump: Path, manifest: dict[str, Any], engine: str, *, force: bool) -> None:
    connection = connections["default"]
    expected = manifest["database"]["tables"]
    if engine == databases.SQLITE:
        connection.close()
        databases.sqlite_restore(dump, Path(connection.settings_dict["NAME"]))
    else:
        databases.tables_drop(connection)  # the tables `migrate` made, or what --force replaces
        connection.close()
        databases.postgres_restore(connection.settings_dict, dump)
    counts = databases.table_counts(connection)
    differ = sorted(name for name in set(expected) | set(counts) if expected.get(name) != counts.get(name))
    if differ:
        raise BackupError(
            f"the restored database differs from the manifest in {', '.join(differ[:3])}; "
            "the installation is incomplete: restore again with --force"
        )


def _restore_files(scratch: Path, home: Path, manifest: dict[str, Any], progress: Progress) -> None:
    for name in HOME_FOLDERS:
        source = scratch / "home" / name
        if source.is_dir():
            source.rename(home / name)
        members = [member for member in manifest["files"] if member.startswith(f"home/{name}/")]
        size = sum(manifest["files"][member]["size"] for member in members)
        missing = [member for member in members if not (home / member.removeprefix("home/")).is_file()]
        if missing:
            raise BackupError(f"{home / missing[0].removeprefix('home/')} is missing after the restore")
        progress(f"{name}: {len(members):,} files, {human_size(size)}" if members else f"{name}: empty")
    if manifest.get("secret_key"):
        target = home / SECRET_KEY_FILE
        (scratch / manifest["secret_key"]).replace(target)
        target.chmod(0o600)
        progress("secret key: restored (sign-in links and partner links made before stay valid)")


def _restore_profile(scratch: Path, home: Path, manifest: dict[str, Any]) -> list[str]:
    entry = manifest.get("profile") or {}
    archived = scratch / str(entry.get("file", ""))
    if not archived.is_file():
        return []
    in_use = profile_path()
    if in_use.is_file() and in_use.read_bytes() == archived.read_bytes():
        return []
    target = home / RESTORED_PROFILE
    archived.replace(target)
    return [
        f"the archive's profile (from {entry.get('path', '?')}) differs from the one in use ({in_use}): "
        f"it is in {target}; set PARTNERDESK_CONFIG to it to use it"
    ]


def _migrate() -> int:
    connection = connections["default"]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        call_command("migrate", interactive=False, verbosity=0)
    return len(plan)


def _repoint_quarantine(manifest: dict[str, Any], home: Path) -> int:
    """Quarantined messages keep their file's absolute path: point them at this data folder."""
    old = Path(str(manifest.get("home", ""))) / QUARANTINE
    new = home / QUARANTINE
    if old == new:
        return 0
    moved = 0
    for message in InboundMessage.objects.exclude(raw_path="").only("id", "raw_path"):
        path = Path(message.raw_path)
        if path.is_relative_to(old):
            InboundMessage.objects.filter(pk=message.pk).update(raw_path=str(new / path.relative_to(old)))
            moved += 1
    return moved
