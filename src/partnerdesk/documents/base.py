"""The document store interface: folders and documents addressed by their exact names.

A store is the team's drive: the local folder tree under the data folder (the default) or,
later, a Google shared drive. Every call that creates something is find-or-create, so a run
that stopped between a store write and the database write heals when it is retried.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Protocol

from partnerdesk.profile import get_profile

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def file_name_for(title: str) -> str:
    """A document's exact title as a file name (an attachment's, a download's): no slash in it."""
    return PurePosixPath(title.replace("/", "-")).name


class DocumentStoreError(Exception):
    """A store call failed. `permanent` says whether retrying the same call can help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class StoredItem:
    store_id: str  # opaque id in the store (local: the path on disk, relative to the drive root)
    name: str  # the exact name
    path: str  # display path of exact names, "Partnerships/Agreements/Harbor University/Running notes -- ..."
    url: str | None = None


@dataclass(frozen=True)
class Rename:
    """A document of a folder being moved: where the store has it, its exact name, and the name it
    takes in the target folder (the same name when it keeps it)."""

    store_id: str
    name: str
    new_name: str


class DocumentStore(Protocol):
    name: str

    def ensure_folder(self, path: str) -> StoredItem:
        """Find or create each level of `path` (exact names joined by "/")."""
        ...

    def find_document(self, *, folder: StoredItem, name: str) -> StoredItem | None: ...

    def copy_template(
        self, *, template: str, folder: StoredItem, name: str, replacements: Mapping[str, str]
    ) -> StoredItem:
        """Copy the template (a display path) into `folder` as `name`, replacing the placeholders.

        If `folder` already holds a document called `name`, return it untouched. A missing
        template raises DocumentStoreError(permanent=True) naming it.
        """
        ...

    def put_document(
        self, *, folder: StoredItem, name: str, content: bytes, suffix: str = ".docx"
    ) -> StoredItem:
        """Store a file (an uploaded version, a signed copy) in `folder` as `name`; a name already
        there is returned untouched, like `copy_template`, so a retried upload makes no second file."""
        ...

    def append_paragraph(self, document: StoredItem, text: str, *, marker: str | None = None) -> None:
        """Add a paragraph at the end. With a marker (an idempotency key) it is find-or-create:
        the paragraph carries the marker, and appending again with the same marker does nothing."""
        ...

    def read_text(self, document: StoredItem) -> str:
        """All the paragraph text of the document's body, one paragraph per line."""
        ...

    def read_bytes(self, store_id: str) -> bytes:
        """The document's file (a .docx), to attach it to an email."""
        ...

    def move_folder(
        self, *, source: str, target: str, documents: Sequence[Rename], whole: bool = True
    ) -> dict[str, StoredItem]:
        """Move `documents` from the folder `source` into the folder `target` (display paths), each
        under its new name; returns where each one is now, by its old store id.

        With `whole`, everything in `source` goes (documents nobody listed, subfolders), and
        `source` is gone afterwards: a rename of the folder when `target` does not exist (one call on
        Google Drive, the documents follow), a merge into `target` when it does. Without it only the
        listed documents move. A name that another document already has in `target` gets " (2)",
        " (3)"...: the answer's item says which name each got. Idempotent: a document no longer in
        `source` (a retry after a move that stopped half-way) is found in `target`; one in neither
        place is left out of the answer.
        """
        ...


class SharingStore(DocumentStore, Protocol):
    """A store that shares documents itself (Google Drive); `document_share` uses it when it can."""

    def share(self, document: StoredItem, email: str, role: str, notify: bool, message: str = "") -> bool:
        """Give `email` the role ("editor" or "viewer") unless they have it, the store's own
        notification carrying `message` when `notify`; find-or-create like the rest. Returns
        whether it added anyone."""
        ...


def split_path(path: str) -> list[str]:
    """`"Partnerships/Agreements/Harbor"` -> its exact names; empty segments are dropped."""
    return [segment for segment in path.split("/") if segment]


def get_store() -> DocumentStore:
    """The store the profile names (`[documents] store`): "local", rooted in the data folder, or
    "google-drive", configured by `[documents.google_drive]`."""
    from django.conf import settings

    # local.py imports this module; gdrive.py pulls in Google's client libraries, loaded only
    # when the profile asks for Drive.
    from partnerdesk.documents.local import LocalStore

    documents = get_profile().documents
    if documents.store == "local":
        return LocalStore(
            root=settings.PARTNERDESK_HOME / "drive", templates_folder=documents.templates_folder
        )
    if documents.store == "google-drive":
        from partnerdesk.documents.gdrive import DriveConfig, GoogleDriveStore, load_credentials

        return GoogleDriveStore(DriveConfig.from_profile(documents), credentials_factory=load_credentials)
    raise DocumentStoreError(f"unknown document store {documents.store!r}", permanent=True)
