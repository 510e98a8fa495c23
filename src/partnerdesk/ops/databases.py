"""The database part of a backup: a consistent snapshot while the app and workers write, and its
restore. SQLite through its online backup API (never a file copy: committed rows still in the
write-ahead log are in the snapshot); PostgreSQL through `pg_dump` in its custom format, run
inside an exported snapshot so the row counts in the manifest describe exactly what was dumped.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from partnerdesk.ops.archive import BackupError

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
# Filled by `migrate` itself, so a migrated database that nobody used still counts as empty.
BOOKKEEPING_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})
# The libpq connection parameters a DATABASE_URL may carry as ?key=value (dj-database-url OPTIONS).
_LIBPQ_OPTIONS = frozenset(
    {"sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "connect_timeout", "application_name",
     "target_session_attrs", "options", "gssencmode", "channel_binding", "passfile", "service"}
)  # fmt: skip


@dataclass
class Snapshot:
    engine: str
    file: Path
    tables: dict[str, int]
    migrations: list[list[str]] = field(default_factory=list)


def engine_of(settings_dict: Mapping[str, Any]) -> str:
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return SQLITE
    if engine.endswith("postgresql"):
        return POSTGRESQL
    raise BackupError(f"partnerdesk backs up SQLite and PostgreSQL databases, not {engine}")


def snapshot_take(settings_dict: Mapping[str, Any], scratch: Path) -> Snapshot:
    """The database as one consistent snapshot in a file under `scratch`."""
    if engine_of(settings_dict) == SQLITE:
        return _sqlite_snapshot(Path(settings_dict["NAME"]), scratch / "partnerdesk.sqlite3")
    return _postgres_snapshot(settings_dict, scratch / "partnerdesk.pgdump")


# SQLite.


def _sqlite_tables(db: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {name: db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}


def _sqlite_migrations(db: sqlite3.Connection) -> list[list[str]]:
    try:
        rows = db.execute("SELECT app, name FROM django_migrations ORDER BY app, name").fetchall()
    except sqlite3.OperationalError:
        return []
    return [[app, name] for app, name in rows]


def _sqlite_snapshot(source_path: Path, target: Path) -> Snapshot:
    if not source_path.is_file():
        raise BackupError(f"there is no database at {source_path} (nothing to back up yet?)")
    try:
        # A connection of its own: it reads the write-ahead log like the app does, and the
        # backup below copies every page under one read transaction, so writers are not blocked.
        source = sqlite3.connect(source_path, timeout=30)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            # One self-contained file: the copy keeps no write-ahead log of its own.
            copy.execute("PRAGMA journal_mode=DELETE")
            tables, migrations = _sqlite_tables(copy), _sqlite_migrations(copy)
        finally:
            copy.close()
            source.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot back up the SQLite database {source_path}: {exc}") from None
    return Snapshot(SQLITE, target, tables, migrations)


def sqlite_file_check(path: Path) -> tuple[str, dict[str, int]]:
    """An archived SQLite file's integrity check result ("ok") and its row counts."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = db.execute("PRAGMA integrity_check").fetchone()[0]
            return result, _sqlite_tables(db)
        finally:
            db.close()
    except sqlite3.Error as exc:
        return str(exc), {}


def sqlite_restore(dump: Path, target_path: Path) -> None:
    """Replace the database at `target_path` by the archived one, through the backup API (which
    rewrites every page, whatever the target held and whatever its journal mode)."""
    target_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
        target = sqlite3.connect(target_path, timeout=30)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot restore the SQLite database into {target_path}: {exc}") from None


# PostgreSQL.


def pg_tool(name: str) -> str | None:
    """`pg_dump` or `pg_restore`: the one on PATH, else the newest in /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> tuple[int, ...]:
        match = re.search(r"/postgresql/([0-9.]+)/bin/", path)
        return tuple(int(part) for part in match.group(1).split(".") if part) if match else (0,)

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version)
    return candidates[-1] if candidates else None


def _require_tool(name: str) -> str:
    tool = pg_tool(name)
    if tool is None:
        raise BackupError(
            f"{name} is needed for a PostgreSQL database and was found neither on PATH nor in "
            "/usr/lib/postgresql/*/bin (Debian: apt install postgresql-client)"
        )
    return tool


def _conninfo(settings_dict: Mapping[str, Any]) -> dict[str, str]:
    """libpq parameters without the password (that goes through PGPASSWORD, never argv)."""
    params = {
        "dbname": settings_dict.get("NAME") or "",
        "host": settings_dict.get("HOST") or "",
        "port": str(settings_dict.get("PORT") or ""),
        "user": settings_dict.get("USER") or "",
    }
    for key, value in (settings_dict.get("OPTIONS") or {}).items():
        if key in _LIBPQ_OPTIONS and value is not None:
            params[key] = str(value)
    return {key: value for key, value in params.items() if value}


def _tool_env(settings_dict: Mapping[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return env


def _run_tool(argv: list[str], settings_dict: Mapping[str, Any], what: str) -> None:
    result = subprocess.run(argv, env=_tool_env(settings_dict), capture_output=True, text=True)
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        detail = lines[-1] if lines else f"exit status {result.returncode}"
        raise BackupError(f"{what} failed: {detail}")


def _psycopg_connect(settings_dict: Mapping[str, Any]) -> Any:
    import psycopg
    from psycopg.conninfo import make_conninfo

    password = {"password": str(settings_dict["PASSWORD"])} if settings_dict.get("PASSWORD") else {}
    try:
        return psycopg.connect(make_conninfo(**_conninfo(settings_dict), **password), autocommit=True)
    except psycopg.Error as exc:
        raise BackupError(f"cannot connect to PostgreSQL: {str(exc).strip().splitlines()[0]}") from None


def _postgres_snapshot(settings_dict: Mapping[str, Any], target: Path) -> Snapshot:
    from psycopg.conninfo import make_conninfo

    pg_dump = _require_tool("pg_dump")
    with _psycopg_connect(settings_dict) as db:
        db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = db.execute("SELECT pg_export_snapshot()").fetchone()[0]
        names = [
            row[0]
            for row in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
            )
        ]
        tables = {name: db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}
        migrations = (
            [list(row) for row in db.execute("SELECT app, name FROM django_migrations ORDER BY app, name")]
            if "django_migrations" in tables
            else []
        )
        # pg_dump reads the very snapshot counted above: the transaction stays open meanwhile.
        _run_tool(
            [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
             f"--file={target}", f"--dbname={make_conninfo(**_conninfo(settings_dict))}"],
            settings_dict,
            "pg_dump",
        )  # fmt: skip
        db.execute("ROLLBACK")
    return Snapshot(POSTGRESQL, target, tables, migrations)


def pg_dump_check(dump: Path) -> str:
    """What `pg_restore --list` says of an archived dump: "" when it reads it, else why not."""
    pg_restore = pg_tool("pg_restore")
    if pg_restore is None:
        return "pg_restore not found: the dump's contents were not read (its checksum is correct)"
    result = subprocess.run([pg_restore, "--list", str(dump)], capture_output=True, text=True)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        return f"pg_restore cannot read the dump: {lines[-1] if lines else result.returncode}"
    return ""


def postgres_restore(settings_dict: Mapping[str, Any], dump: Path) -> None:
    """Load the dump into the (emptied) database, in one transaction."""
    from psycopg.conninfo import make_conninfo

    pg_restore = _require_tool("pg_restore")
    _run_tool(
        [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
         f"--dbname={make_conninfo(**_conninfo(settings_dict))}", str(dump)],
        settings_dict,
        "pg_restore",
    )  # fmt: skip


# Either engine, through Django's connection.


def table_counts(connection: Any) -> dict[str, int]:
    """Rows per table in the database Django is connected to."""
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
        counts = {}
        for name in sorted(names):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(name)}")
            counts[name] = cursor.fetchone()[0]
    return counts


def tables_drop(connection: Any) -> None:
    """Every table of the database Django is connected to (restore --force on PostgreSQL)."""
    with connection.cursor() as cursor:
        for name in connection.introspection.table_names(cursor):
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(name)} CASCADE")
