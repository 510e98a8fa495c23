"""The local store: the team drive as a folder tree under `PARTNERDESK_HOME/drive`.

Exact names (what people read, in titles and paths) may hold anything, `/` included; on disk
each name is made safe by `disk_name`. Each folder keeps a `.partnerdesk-names.json` index from
exact name to name on disk, so a lookup by exact name finds the item again whatever was changed
on the way to the disk. A folder or document made by hand, whose name is already safe, is found
too. Writes hold one lock on the drive, and files are replaced atomically: a reader sees the old
document or the new one, never half of one. The shipped templates are copied into the
templates folder once (`.partnerdesk-seeded.json` at the drive root records which).

To create a document, its disk name is first reserved in the index and only then is the file
written. A crash in between leaves a reservation without a file; the next attempt finds no
document and writes it under the reserved name, so a retried copy never makes a second file.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import itertools
import json
import os
import re
import shutil
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Literal

import docx
from docx.document import Document as DocxDocument
from docx.opc.exceptions import PackageNotFoundError

from partnerdesk.documents import docx_text
from partnerdesk.documents.base import DocumentStoreError, Rename, StoredItem, split_path

SHIPPED_TEMPLATES = (
    Path(__file__).resolve().parent.parent / "defaults" / "drive" / "Partnerships" / "Templates"
)
INDEX_FILE = ".partnerdesk-names.json"
LOCK_FILE = ".partnerdesk.lock"
SEED_RECORD = ".partnerdesk-seeded.json"
DOCUMENT_SUFFIX = ".docx"
# Most file systems allow 255 bytes; leave room for " (99)" and the suffix.
MAX_NAME_BYTES = 200

Kind = Literal["folders", "documents"]

# Separators, control characters (NUL included) and what Windows or macOS refuse, so a drive
# copied or synced elsewhere keeps working.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{port}{n}" for port in ("COM", "LPT") for n in range(1, 10)}


def disk_name(name: str) -> str:
    """A safe file name for an exact name: one path segment, never `.`, `..` or hidden, at most
    MAX_NAME_BYTES of UTF-8. Letters in any script, accents and emoji are kept."""
    text = _UNSAFE.sub("_", unicodedata.normalize("NFC", name))
    text = text.strip(" .")
    text = text.encode("utf-8")[:MAX_NAME_BYTES].decode("utf-8", "ignore").rstrip(" .")
    if text.split(".")[0].upper() in _RESERVED:
        text = f"_{text}"
    return text or "_"


class LocalStore:
    name = "local"

    def __init__(self, *, root: Path, templates_folder: str = "Partnerships/Templates") -> None:
        self.root = Path(root)
        self.templates_folder = templates_folder
        self._ready = False

    # The interface.

    def ensure_folder(self, path: str) -> StoredItem:
        segments = split_path(path)
        with self._writing():
            return self._ensure_folder(segments)

    def find_document(self, *, folder: StoredItem, name: str) -> StoredItem | None:
        with self._reading():
            directory = self._folder_dir(folder)
            disk = self._lookup(directory, name, "documents")
            return None if disk is None else self._document_item(folder, name, disk)

    def copy_template(
        self, *, template: str, folder: StoredItem, name: str, replacements: Mapping[str, str]
    ) -> StoredItem:
        if not name:
            raise DocumentStoreError("a document needs a name", permanent=True)
        with self._writing():
            directory = self._folder_dir(folder)
            disk = self._lookup(directory, name, "documents")
            if disk is not None:
                return self._document_item(folder, name, disk)
            document = self._open(self._template_path(template), template)
            docx_text.replace_text(document, replacements)
            docx_text.set_title(document, name)
            disk = self._reserve(directory, name, "documents")
            self._save(document, directory / disk)
            return self._document_item(folder, name, disk)

    def put_document(
        self, *, folder: StoredItem, name: str, content: bytes, suffix: str = DOCUMENT_SUFFIX
    ) -> StoredItem:
        if not name:
            raise DocumentStoreError("a document needs a name", permanent=True)
        with self._writing():
            directory = self._folder_dir(folder)
            if suffix == DOCUMENT_SUFFIX:
                disk = self._lookup(directory, name, "documents")
                if disk is None:
                    disk = self._reserve(directory, name, "documents")
                    _write_atomically(directory / disk, functools.partial(Path.write_bytes, data=content))
                return self._document_item(folder, name, disk)
            # Not a document the index knows (a signed PDF): its safe name with its own suffix.
            disk = disk_name(name) + suffix
            target = directory / disk
            if not target.is_file():
                _write_atomically(target, functools.partial(Path.write_bytes, data=content))
            return self._document_item(folder, name, disk)

    def append_paragraph(self, document: StoredItem, text: str, *, marker: str | None = None) -> None:
        with self._writing():
            path = self._document_path(document)
            opened = self._open(path, document.path)
            if docx_text.append_paragraph(opened, text, marker=marker):
                self._save(opened, path)

    def read_text(self, document: StoredItem) -> str:
        with self._reading():
            return docx_text.read_text(self._open(self._document_path(document), document.path))

    def read_bytes(self, store_id: str) -> bytes:
        """The document's .docx file as it is (to attach it to an email)."""
        with self._reading():
            path = self._path(store_id)
            if not path.is_file():
                raise DocumentStoreError(f"{store_id!r} is not a document in the local drive", permanent=True)
            return path.read_bytes()

    def move_folder(
        self, *, source: str, target: str, documents: Sequence[Rename], whole: bool = True
    ) -> dict[str, StoredItem]:
        from partnerdesk.documents.local_moves import move_folder  # it builds on this module

        return move_folder(self, source=source, target=target, documents=documents, whole=whole)

    # Locking, seeding and errors.

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        with self._errors():
            self.root.mkdir(parents=True, exist_ok=True)
            with open(self.root / LOCK_FILE, "a+b") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    if not self._ready:
                        self._seed_templates()
                        self._ready = True
                    yield
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        if not self._ready:
            with self._writing():
                pass
        with self._errors():
            yield

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except PermissionError as exc:
            raise DocumentStoreError(f"local drive: {exc.filename}: {exc.strerror}", permanent=True) from exc
        except OSError as exc:
            raise DocumentStoreError(f"local drive: {exc.filename}: {exc.strerror}", permanent=False) from exc

    def _seed_templates(self) -> None:
        """Copy each shipped template into the templates folder once in the drive's life.

        Never over a template already there (the team's edits stay), and never again after it was
        copied once (a template the team removed stays removed). The drive-wide record of what was
        copied, by display path, lets a later version ship a new template.
        """
        record_path = self.root / SEED_RECORD
        try:
            seeded = set(json.loads(record_path.read_text(encoding="utf-8")).get("templates", []))
        except FileNotFoundError:
            seeded = set()
        except (UnicodeDecodeError, ValueError, AttributeError) as exc:
            raise DocumentStoreError(f"{record_path}: not valid JSON: {exc}", permanent=True) from exc
        shipped = {
            f"{'/'.join(split_path(self.templates_folder))}/{path.stem}": path
            for path in sorted(SHIPPED_TEMPLATES.glob(f"*{DOCUMENT_SUFFIX}"))
        }
        missing = [display for display in shipped if display not in seeded]
        if not missing:
            return
        directory = self._path(self._ensure_folder(split_path(self.templates_folder)).store_id)
        for display in missing:
            name = shipped[display].stem
            if self._lookup(directory, name, "documents") is None:
                disk = self._reserve(directory, name, "documents")
                _write_atomically(directory / disk, functools.partial(shutil.copyfile, shipped[display]))
        text = json.dumps({"templates": sorted(seeded | set(missing))}, ensure_ascii=False, indent=2)
        _write_atomically(record_path, functools.partial(Path.write_text, data=text, encoding="utf-8"))

    # Paths: every path used is checked to stay inside the drive.

    def _path(self, store_id: str) -> Path:
        parts = PurePosixPath(store_id).parts
        if store_id.startswith("/") or any(
            part in {".", ".."} or "\\" in part or "\0" in part for part in parts
        ):
            raise DocumentStoreError(f"{store_id!r} is not a path inside the local drive", permanent=True)
        path = self.root.joinpath(*parts)
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise DocumentStoreError(f"{store_id!r} leads outside the local drive", permanent=True)
        return path

    def _folder_dir(self, folder: StoredItem) -> Path:
        directory = self._path(folder.store_id)
        if not directory.is_dir():
            # The folder went away since it was found: finding it again (ensure_folder) heals.
            raise DocumentStoreError(
                f"the folder {folder.path!r} is no longer in the local drive", permanent=False
            )
        return directory

    def _document_path(self, document: StoredItem) -> Path:
        path = self._path(document.store_id)
        if not path.is_file():
            raise DocumentStoreError(
                f"the document {document.path!r} is not in the local drive", permanent=True
            )
        return path

    def _template_path(self, template: str) -> Path:
        """The template's file: folders then a document, found by exact names, never created."""
        segments = split_path(template)
        disks: list[str] = []
        for position, segment in enumerate(segments):
            kind: Kind = "documents" if position == len(segments) - 1 else "folders"
            disk = self._lookup(self._path("/".join(disks)), segment, kind)
            if disk is None:
                break
            disks.append(disk)
        if not segments or len(disks) < len(segments):
            raise DocumentStoreError(
                f"the template {template!r} is not in the local drive ({self.root})", permanent=True
            )
        return self._path("/".join(disks))

    def _ensure_folder(self, segments: list[str]) -> StoredItem:
        disks: list[str] = []
        for segment in segments:
            parent = self._path("/".join(disks))
            disks.append(
                self._lookup(parent, segment, "folders") or self._reserve(parent, segment, "folders")
            )
            # Checked before it is made: a symbolic link out of the drive is refused, not followed.
            self._path("/".join(disks)).mkdir(exist_ok=True)
        return StoredItem(
            store_id="/".join(disks), name=segments[-1] if segments else "", path="/".join(segments)
        )

    def _document_item(self, folder: StoredItem, name: str, disk: str) -> StoredItem:
        store_id = f"{folder.store_id}/{disk}" if folder.store_id else disk
        self._path(store_id)
        return StoredItem(store_id=store_id, name=name, path=f"{folder.path}/{name}" if folder.path else name)

    # The name index of a folder.

    def _lookup(self, directory: Path, name: str, kind: Kind) -> str | None:
        """The disk name of `name` in `directory`, if that folder or document is there."""
        index = _read_index(directory)
        exists = Path.is_dir if kind == "folders" else Path.is_file
        disk = index[kind].get(name)
        if disk is not None:
            return disk if exists(directory / disk) else None
        # Made by hand (or seeded before the index existed): its safe name is its exact name.
        suffix = "" if kind == "folders" else DOCUMENT_SUFFIX
        candidate = name + suffix
        claimed = {value for entries in index.values() for value in entries.values()}
        if disk_name(name) == name and candidate not in claimed and exists(directory / candidate):
            return candidate
        return None

    def _reserve(self, directory: Path, name: str, kind: Kind) -> str:
        """Choose a free disk name for `name` and record it in the index (before anything is written)."""
        index = _read_index(directory)
        if name in index[kind]:
            return index[kind][name]
        suffix = "" if kind == "folders" else DOCUMENT_SUFFIX
        # Compared without case, so the drive stays whole on a case-insensitive file system.
        taken = {entry.casefold() for entry in os.listdir(directory)}
        taken |= {value.casefold() for entries in index.values() for value in entries.values()}
        base = disk_name(name)
        for number in itertools.count(1):
            disk = f"{base}{suffix}" if number == 1 else f"{base} ({number}){suffix}"
            if disk.casefold() not in taken:
                break
        index[kind][name] = disk
        text = json.dumps(index, ensure_ascii=False, indent=2, sort_keys=True)
        _write_atomically(
            directory / INDEX_FILE, functools.partial(Path.write_text, data=text, encoding="utf-8")
        )
        return disk

    # Files.

    def _open(self, path: Path, display: str) -> DocxDocument:
        try:
            return docx.Document(str(path))
        except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise DocumentStoreError(
                f"{display!r} is not a readable .docx file: {exc}", permanent=True
            ) from exc

    def _save(self, document: DocxDocument, target: Path) -> None:
        _write_atomically(target, lambda temporary: document.save(str(temporary)))


def _write_atomically(target: Path, write: Callable[[Path], object]) -> None:
    """Write through a hidden temporary file in the same folder, then rename it over `target`."""
    temporary = target.with_name(f".partnerdesk-tmp-{uuid.uuid4().hex}")
    try:
        write(temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _read_index(directory: Path) -> dict[Kind, dict[str, str]]:
    path = directory / INDEX_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"folders": {}, "documents": {}}
    except (UnicodeDecodeError, ValueError) as exc:
        raise DocumentStoreError(f"{path}: the name index is not valid JSON: {exc}", permanent=True) from exc
    index: dict[Kind, dict[str, str]] = {"folders": {}, "documents": {}}
    for kind in index:
        entries = data.get(kind, {}) if isinstance(data, dict) else None
        if not isinstance(entries, dict) or not all(_is_safe_segment(value) for value in entries.values()):
            raise DocumentStoreError(f"{path}: the name index has a malformed {kind!r} entry", permanent=True)
        index[kind] = dict(entries)
    return index


def _is_safe_segment(value: object) -> bool:
    """What `_reserve` writes: one visible name, nothing that could lead out of its folder."""
    return (
        isinstance(value, str)
        and value != ""
        and not value.startswith(".")
        and _UNSAFE.search(value) is None
        and len(value.encode("utf-8")) <= 255
    )
