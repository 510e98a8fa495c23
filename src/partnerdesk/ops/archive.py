"""The backup archive: a gzip-compressed tar whose last member, `manifest.json`, lists every other
member with its size and SHA-256. File handling only; no Django.

Reading checks everything before anything is used: each member's checksum against the manifest,
that no listed file is missing and nothing unlisted is there, and that every name stays inside
the archive. A damaged or truncated archive ends in BackupError with a sentence for the user.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tarfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO, Any, BinaryIO

FORMAT = "partnerdesk-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Every member lives under one of these (the manifest aside).
TOP_FOLDERS = ("database", "home", "profile")
CHUNK = 1024 * 1024
MAX_MANIFEST_BYTES = 256 * 1024 * 1024

# What reading a damaged gzip or tar stream raises (gzip.BadGzipFile is an OSError).
_DAMAGE = (tarfile.TarError, EOFError, zlib.error, OSError)


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is meant for the user as it is."""


def human_size(size: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


class _HashingReader:
    """A file handed to tarfile: what tarfile reads is what the checksum covers."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.sha256.update(data)
        return data


class ArchiveWriter:
    """Writes `path` through a hidden `.partial` file beside it, renamed into place by `finish`:
    an archive that exists is a whole one. Use it as a context manager; an error removes the
    partial file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(f".{path.name}.partial")
        self.files: dict[str, dict[str, Any]] = {}
        self.bytes_in = 0
        self._raw = open(self.partial, "wb")  # noqa: SIM115 - closed by finish or abort
        os.chmod(self.partial, 0o600)  # the archive holds the secret key and every partner's data
        self._tar = tarfile.open(  # noqa: SIM115 - closed by finish or abort
            fileobj=self._raw, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT
        )

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is not None:
            self.abort()

    def add_file(self, name: str, source: Path) -> bool:
        """Add a regular file as `name`; False if it vanished first (a spool file the worker took)."""
        try:
            handle = open(source, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            return False
        with handle:
            status = os.fstat(handle.fileno())
            if not stat.S_ISREG(status.st_mode):
                return False
            info = tarfile.TarInfo(name)
            info.size = status.st_size
            info.mtime = int(status.st_mtime)
            info.mode = 0o600
            reader = _HashingReader(handle)
            self._tar.addfile(info, reader)
        self.files[name] = {"size": status.st_size, "sha256": reader.sha256.hexdigest()}
        self.bytes_in += status.st_size
        return True

    def finish(self, manifest: dict[str, Any]) -> int:
        """Write the manifest (with every file's checksum) last, and put the archive in place."""
        data = json.dumps({**manifest, "files": self.files}, indent=2, ensure_ascii=False).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        info.mode = 0o600
        info.mtime = int(os.path.getmtime(self.partial))
        self._tar.addfile(info, _BytesReader(data))
        self._tar.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        os.replace(self.partial, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return self.path.stat().st_size

    def abort(self) -> None:
        with contextlib.suppress(Exception):  # a half-written archive, removed anyway
            self._tar.close()
        self._raw.close()
        self.partial.unlink(missing_ok=True)


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data, self.offset = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.offset + size
        chunk, self.offset = self.data[self.offset : end], min(end, len(self.data))
        return chunk


def _check_name(archive: Path, name: str) -> None:
    parts = PurePosixPath(name).parts
    if (
        not parts
        or name.startswith("/")
        or "\\" in name
        or any(part in ("", ".", "..") for part in parts)
        or (name != MANIFEST and parts[0] not in TOP_FOLDERS)
    ):
        raise BackupError(f"{archive}: holds {name!r}, which no partnerdesk backup holds; refusing it")


def archive_read(
    archive: Path,
    *,
    extract_to: Path | None = None,
    extract: Callable[[str], bool] = lambda name: True,
    progress: Callable[[str], None] = lambda line: None,
) -> dict[str, Any]:
    """Read the whole archive, checking it against its manifest; returns the manifest.

    With `extract_to`, the members `extract` accepts are written under that folder (which must
    be empty) as they are read; the caller deletes it if this raises."""
    try:
        tar = tarfile.open(archive, "r:gz")  # noqa: SIM115 - closed by the `with tar` below
    except FileNotFoundError:
        raise BackupError(f"{archive}: no such file") from None
    except IsADirectoryError:
        raise BackupError(f"{archive} is a folder, not a backup archive") from None
    except PermissionError:
        raise BackupError(f"{archive}: permission denied") from None
    except _DAMAGE:
        raise BackupError(
            f"{archive} is not a partnerdesk backup (not a gzip-compressed tar archive)"
        ) from None
    seen: dict[str, tuple[int, str]] = {}
    manifest_bytes: bytes | None = None
    read_bytes = next_report = 0
    try:
        with tar:
            for member in tar:
                name = member.name
                if manifest_bytes is not None:
                    raise BackupError(
                        f"{archive}: {name!r} follows the manifest; this is not a partnerdesk backup"
                    )
                if member.isdir():
                    continue
                _check_name(archive, name)
                if not member.isfile():
                    raise BackupError(f"{archive}: {name!r} is not a regular file; refusing the archive")
                handle = tar.extractfile(member)
                assert handle is not None  # a regular file always has one
                if name == MANIFEST:
                    manifest_bytes = handle.read(MAX_MANIFEST_BYTES)
                    continue
                if name in seen:
                    raise BackupError(f"{archive}: {name!r} appears twice; refusing the archive")
                seen[name] = (
                    member.size,
                    _copy(handle, extract_to / name if extract_to and extract(name) else None),
                )
                read_bytes += member.size
                if read_bytes >= next_report:
                    if next_report:
                        progress(f"  read {human_size(read_bytes)}...")
                    next_report = read_bytes + 512 * 1000 * 1000
    except _DAMAGE as exc:
        raise BackupError(f"{archive} is damaged or truncated ({_reason(exc)}); it cannot be used") from None
    if manifest_bytes is None:
        raise BackupError(
            f"{archive} is damaged or truncated, or not a partnerdesk backup: it has no manifest"
        )
    manifest = _parse_manifest(archive, manifest_bytes)
    _compare(archive, manifest["files"], seen)
    return manifest


class _WriteFailed(Exception):
    pass


def _copy(handle: IO[bytes], target: Path | None) -> str:
    sha256 = hashlib.sha256()
    out = None
    if target is not None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            out = open(target, "xb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise BackupError(f"cannot write {target}: {exc.strerror}") from None
    try:
        while chunk := handle.read(CHUNK):
            sha256.update(chunk)
            if out is not None:
                try:
                    out.write(chunk)
                except OSError as exc:
                    raise BackupError(f"cannot write {target}: {exc.strerror}") from None
    finally:
        if out is not None:
            out.close()
    return sha256.hexdigest()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "it ends before its end"
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _parse_manifest(archive: Path, data: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        raise BackupError(f"{archive}: the manifest is not valid JSON; the archive is damaged") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} is not a partnerdesk backup (its manifest is not one)")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BackupError(
            f"{archive} was written by a newer partnerdesk ({manifest.get('partnerdesk_version', '?')}, "
            f"archive format {version}); this one reads format {FORMAT_VERSION}"
        )
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(entry, dict)
        and isinstance(entry.get("sha256"), str)
        and isinstance(entry.get("size"), int)
        for entry in files.values()
    ):
        raise BackupError(f"{archive}: the manifest's file list is malformed; the archive is damaged")
    return manifest


def _compare(archive: Path, listed: dict[str, dict[str, Any]], seen: dict[str, tuple[int, str]]) -> None:
    problems = []
    for name, entry in sorted(listed.items()):
        if name not in seen:
            problems.append(f"{name} is missing")
        elif seen[name] != (entry["size"], entry["sha256"]):
            problems.append(f"{name} does not match its checksum")
    problems += [f"{name} is not in the manifest" for name in sorted(set(seen) - set(listed))]
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise BackupError(f"{archive} is damaged: {'; '.join(problems[:3])}{more}; it cannot be used")
