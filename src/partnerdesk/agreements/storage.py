"""Putting a version's file (an upload, a signed copy) into the document store."""

from __future__ import annotations

from partnerdesk.documents.base import StoredItem, get_store


def put_file(*, folder_path: str, name: str, content: bytes, suffix: str = ".docx") -> tuple[str, StoredItem]:
    """Store `content` as `name` in `folder_path` (found or created); returns (store name, item)."""
    store = get_store()
    folder = store.ensure_folder(folder_path)
    return store.name, store.put_document(folder=folder, name=name, content=content, suffix=suffix)


def read_file(store_id: str) -> bytes:
    return get_store().read_bytes(store_id)
