"""Moving folders in the local store: a partner folder renamed, or merged into another one.

A rename of a whole folder is one `os.rename` on disk. A merge moves each entry on its own; every
step first reserves the new name in the target's name index, then renames on disk, then drops the
old name from the source's index, so a move that stopped half-way is finished by the next attempt
and never loses a file: the file is in the source or in the target, and its name leads to it.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from partnerdesk.documents.base import DocumentStoreError, Rename, StoredItem, split_path
from partnerdesk.documents.local import (
    DOCUMENT_SUFFIX,
    INDEX_FILE,
    Kind,
    _read_index,
    _write_atomically,
    disk_name,
)

if TYPE_CHECKING:
    from partnerdesk.documents.local import LocalStore

# Where a document is now, in the target folder: its exact name (None for a file the index does
# not know, such as a signed PDF) and its name on disk.
Place = tuple[str | None, str]


def move_folder(
    store: LocalStore, *, source: str, target: str, documents: Sequence[Rename], whole: bool
) -> dict[str, StoredItem]:
    src, dst = split_path(source), split_path(target)
    if not src or not dst:
        raise DocumentStoreError("moving a folder needs a source folder and a target folder", permanent=True)
    if src != dst and (dst[: len(src)] == src or src[: len(dst)] == dst):
        raise DocumentStoreError(f"cannot move the folder {source!r} into {target!r}", permanent=True)
    with store._writing():
        src_item, dst_item = _existing(store, src), _existing(store, dst)
        placed: dict[str, Place] = {}
        if src_item is not None and src != dst:
            src_dir = store._path(src_item.store_id)
            if whole and dst_item is None:
                parent = store._ensure_folder(dst[:-1])
                parent_dir = store._path(parent.store_id)
                disk = store._reserve(parent_dir, dst[-1], "folders")
                os.rename(src_dir, parent_dir / disk)
                _forget(src_dir.parent, src[-1], "folders")
                dst_item = StoredItem(store_id=_join(parent.store_id, disk), name=dst[-1], path="/".join(dst))
            else:
                dst_item = dst_item or store._ensure_folder(dst)
                dst_dir = store._path(dst_item.store_id)
                placed = _merge(store, src_dir, dst_dir, src_item.store_id, documents, whole)
                if whole and _remove_if_empty(src_dir):
                    _forget(src_dir.parent, src[-1], "folders")
        if dst_item is None:
            return {}
        dst_dir = store._path(dst_item.store_id)
        answer = {}
        for document in documents:
            place = placed.get(document.store_id) or _locate(dst_dir, document)
            if place is not None:
                answer[document.store_id] = _rename(store, dst_dir, dst_item, place, document.new_name)
        return answer


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def _existing(store: LocalStore, segments: list[str]) -> StoredItem | None:
    """The folder if every level of it is there; nothing is made."""
    disks: list[str] = []
    for segment in segments:
        disk = store._lookup(store._path("/".join(disks)), segment, "folders")
        if disk is None:
            return None
        disks.append(disk)
    return StoredItem(store_id="/".join(disks), name=segments[-1], path="/".join(segments))


def _write_index(directory: Path, index: dict[Kind, dict[str, str]]) -> None:
    text = json.dumps(index, ensure_ascii=False, indent=2, sort_keys=True)
    _write_atomically(directory / INDEX_FILE, functools.partial(Path.write_text, data=text, encoding="utf-8"))


def _forget(directory: Path, name: str, kind: Kind) -> None:
    index = _read_index(directory)
    if index[kind].pop(name, None) is not None:
        _write_index(directory, index)


def _free_name(store: LocalStore, directory: Path, name: str, own_disk: str | None) -> str:
    """`name`, or "name (2)", "name (3)"...: the first that no other document in `directory` has."""
    for number in itertools.count(1):
        candidate = name if number == 1 else f"{name} ({number})"
        disk = store._lookup(directory, candidate, "documents")
        if disk is None or disk == own_disk:
            return candidate
    raise AssertionError("unreachable")


def _free_disk(directory: Path, wanted: str) -> str:
    """A file name not used in `directory` (compared without case), for a file the index does not know."""
    taken = {entry.casefold() for entry in os.listdir(directory)}
    stem, suffix = PurePosixPath(wanted).stem, PurePosixPath(wanted).suffix
    for number in itertools.count(1):
        disk = wanted if number == 1 else f"{stem} ({number}){suffix}"
        if disk.casefold() not in taken:
            return disk
    raise AssertionError("unreachable")


def _merge(
    store: LocalStore, src_dir: Path, dst_dir: Path, src_id: str, documents: Sequence[Rename], whole: bool
) -> dict[str, Place]:
    """Move the listed documents (with `whole`, every entry) of `src_dir` into `dst_dir`."""
    index = _read_index(src_dir)
    documents_by_disk = {disk: name for name, disk in index["documents"].items()}
    folders_by_disk = {disk: name for name, disk in index["folders"].items()}
    present = set(os.listdir(src_dir))
    if whole:
        entries = sorted(present)
    else:
        paths = [PurePosixPath(document.store_id) for document in documents]
        listed = {path.name for path in paths if str(path.parent) == src_id}
        entries = sorted(listed & present)
    placed: dict[str, Place] = {}
    for disk in entries:
        if disk.startswith("."):  # the name index, the lock, a temporary file
            continue
        path = src_dir / disk
        if path.is_dir():
            name = folders_by_disk.get(disk, disk)
            existing = store._lookup(dst_dir, name, "folders")
            if existing is not None:
                _merge(store, path, dst_dir / existing, _join(src_id, disk), [], True)
                if _remove_if_empty(path):
                    _forget(src_dir, name, "folders")
            else:
                new = store._reserve(dst_dir, name, "folders")
                os.rename(path, dst_dir / new)
                _forget(src_dir, name, "folders")
            continue
        document_name = documents_by_disk.get(disk)
        if document_name is None and disk.endswith(DOCUMENT_SUFFIX):
            stem = disk.removesuffix(DOCUMENT_SUFFIX)
            if store._lookup(src_dir, stem, "documents") == disk:
                document_name = stem  # made by hand: its file name is its exact name
        if document_name is not None:
            final = _free_name(store, dst_dir, document_name, None)
            new = store._reserve(dst_dir, final, "documents")
            os.rename(path, dst_dir / new)
            _forget(src_dir, document_name, "documents")
            placed[_join(src_id, disk)] = (final, new)
        else:
            new = _free_disk(dst_dir, disk)
            os.rename(path, dst_dir / new)
            placed[_join(src_id, disk)] = (None, new)
    return placed


def _remove_if_empty(directory: Path) -> bool:
    """Remove a folder whose entries all went elsewhere (its name index and lock do not count)."""
    if any(not entry.startswith(".") for entry in os.listdir(directory)):
        return False
    for entry in os.listdir(directory):
        if entry == INDEX_FILE or entry.startswith(".partnerdesk-tmp-"):
            (directory / entry).unlink(missing_ok=True)
    try:
        directory.rmdir()
    except OSError:
        return False
    return True


def _locate(directory: Path, document: Rename) -> Place | None:
    """Where a listed document is in the target folder when this call did not move it: under its
    new name, or under the file name it had (a folder renamed whole keeps its files' names)."""
    index = _read_index(directory)["documents"]
    disk = index.get(document.new_name)
    if disk is not None and (directory / disk).is_file():
        return document.new_name, disk
    kept = PurePosixPath(document.store_id).name
    if (directory / kept).is_file():
        names = [name for name, value in index.items() if value == kept]
        if names:
            return names[0], kept
        stem = kept.removesuffix(DOCUMENT_SUFFIX)
        if kept.endswith(DOCUMENT_SUFFIX) and disk_name(stem) == stem:
            return stem, kept  # made by hand: its file name is its exact name
        return None, kept
    suffix = PurePosixPath(kept).suffix
    renamed = disk_name(document.new_name) + suffix
    if suffix != DOCUMENT_SUFFIX and (directory / renamed).is_file():
        return None, renamed
    return None


def _rename(
    store: LocalStore, directory: Path, folder: StoredItem, place: Place, new_name: str
) -> StoredItem:
    """Give the document at `place` in `directory` its new exact name (and the file name for it)."""
    name, disk = place
    if name is None:
        # A file the index does not know (a signed PDF): its safe name with its own suffix.
        suffix = PurePosixPath(disk).suffix
        wanted = disk_name(new_name) + suffix
        if wanted != disk:
            wanted = _free_disk(directory, wanted)
            os.rename(directory / disk, directory / wanted)
            disk = wanted
        return store._document_item(folder, new_name, disk)
    if name == new_name:
        return store._document_item(folder, name, disk)
    final = _free_name(store, directory, new_name, disk)
    if final == name:
        return store._document_item(folder, name, disk)
    new = store._reserve(directory, final, "documents")
    if new != disk:
        os.rename(directory / disk, directory / new)
    _forget(directory, name, "documents")
    # The file itself is left as it is: an agreement version's bytes are its record (sha256).
    return store._document_item(folder, final, new)
