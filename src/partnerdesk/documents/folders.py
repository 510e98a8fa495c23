"""A partner folder follows its organization: renamed with it, or merged into another one.

The handbook keeps a partner's documents in `<agreements folder>/<PartnerX>` and names them after
the partner ("Running notes -- PartnerX + 2i2c", "PartnerX + 2i2c/CS&S - Services Agreement ...").
When the organization's name changes, or an engagement moves to another organization, the folder
and the names follow. The store moves first, outside any transaction, and only then do the rows
change (`FolderMove.save`, inside the caller's transaction): a store failure changes no row, and
the store call is find-or-create like the rest, so doing the same change again finishes a move that
stopped half-way. Links keep working: partner links and download links name Document ids, which
never change.

Other apps keep rows that name files in the partner folder (an agreement's versions, the hand-off's
document): each registers a `PathFollower` in its AppConfig.ready, so those rows follow too and
this module, below them in the layers, never imports them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from partnerdesk.documents.base import DocumentStore, DocumentStoreError, Rename, StoredItem, get_store
from partnerdesk.documents.models import Document, RunningNoteEntry, Share
from partnerdesk.pipeline.folder_follow import FolderMoveFailed
from partnerdesk.pipeline.models import Engagement
from partnerdesk.profile import get_profile


def retitled(title: str, old: str, new: str) -> str:
    """The title with the partner's new name where it carries the old one, as the handbook names
    documents: `<old> + 2i2c/...`, `Running notes -- <old> + 2i2c`, `New service request -- <old>`."""
    if old == new:
        return title
    if title.startswith(f"{old} + "):
        return new + title[len(old) :]
    return re.sub(rf" -- {re.escape(old)}(?= \+ |$)", lambda _: f" -- {new}", title, count=1)


@dataclass
class FolderMove:
    """What moved in the store; `save()` makes the rows say the same."""

    source: str
    target: str
    old_name: str
    new_name: str
    whole: bool
    store: str
    documents: list[Document] = field(default_factory=list)
    titles: dict[int, str] = field(default_factory=dict)  # Document id -> its new title
    folds: dict[int, Document] = field(default_factory=dict)  # Document id -> the same file's row
    moved: dict[str, StoredItem] = field(default_factory=dict)
    followed: dict[str, Any] = field(default_factory=dict)  # follower name -> what it collected

    @property
    def summary(self) -> str:
        count = len(self.documents)
        what = f"{count} document{'s' if count != 1 else ''}"
        if self.source == self.target:
            return f"{what} kept in {self.target}"
        return f"{what} moved from {self.source} to {self.target}"

    def save(self, *, engagement: Engagement | None = None) -> None:
        """Write where each document now is (its folder, title and store id); with `engagement`,
        the documents become that engagement's. Call it inside the transaction of the change."""
        for document in self.documents:
            same = self.folds.get(document.pk)
            if same is not None:
                _fold(document, into=same)
                continue
            item = self.moved.get(document.store_id)
            document.folder_path = self.target
            document.title = item.name if item is not None else self.titles[document.pk]
            fields = ["folder_path", "title"]
            if item is not None:
                document.store_id, document.url = item.store_id, item.url or document.url
                fields += ["store_id", "url"]
            if engagement is not None:
                document.engagement = engagement
                fields.append("engagement")
            document.save(update_fields=fields)
        for follower in _followers:
            if follower.name in self.followed:
                follower.save(self, self.followed[follower.name])


@dataclass(frozen=True)
class PathFollower:
    """Rows of another app that name files or folders in a partner folder.

    `collect(move, engagement_ids, renames)` runs before the store call and returns what will move;
    it may add `Rename`s (keyed by store id) for files of its own the store must rename too.
    `save(move, collected)` runs inside the transaction of the change, once the store has moved.
    `fold(document, into)` gives `into` the rows that pointed at `document`, a second row for the
    same file that is about to be deleted.
    """

    name: str
    collect: Callable[[FolderMove, list[int], dict[str, Rename]], Any]
    save: Callable[[FolderMove, Any], None]
    fold: Callable[[Document, Document], None] = lambda document, into: None


_followers: list[PathFollower] = []


def path_follower_register(follower: PathFollower) -> None:
    if all(registered.name != follower.name for registered in _followers):
        _followers.append(follower)


def _fold(document: Document, *, into: Document) -> None:
    """Two rows for one file (the same name in one folder): keep `into`, give it the other's
    shares, running-notes entries and what the followers keep of it, and drop the other row."""
    shared = set(Share.objects.filter(document=into).values_list("contact_id", flat=True))
    Share.objects.filter(document=document).exclude(contact_id__in=shared).update(document=into)
    RunningNoteEntry.objects.filter(document=document).update(document=into)
    for follower in _followers:
        follower.fold(document, into)
    document.delete()


def partner_folder_move(
    *,
    engagements: Sequence[Engagement],
    old_name: str,
    new_name: str,
    whole: bool,
    into: Engagement | None = None,
    store: DocumentStore | None = None,
) -> FolderMove:
    """Move the documents of `engagements` from the partner folder of `old_name` to that of
    `new_name` in the store, their titles carrying the new name; returns the move, whose `save()`
    then writes the rows. Call it outside any transaction. With `whole` the folder goes as it is
    (documents nobody made here too); without it only these engagements' documents move. With
    `into` (a merge), a title the target engagement already has gets " (from PD-n)", and a row for
    the very file the target has (one folder, one name) is folded into the target's row.

    Raises DocumentStoreError; nothing has changed in the rows then.
    """
    profile = get_profile()
    store = store or get_store()
    move = FolderMove(
        source=profile.partner_folder(old_name),
        target=profile.partner_folder(new_name),
        old_name=old_name,
        new_name=new_name,
        whole=whole,
        store=store.name,
    )
    ids = [engagement.pk for engagement in engagements]
    documents = Document.objects.filter(engagement_id__in=ids, folder_path=move.source, store=store.name)
    move.documents = list(documents.select_related("engagement"))
    taken: dict[str, Document] = {}
    if into is not None:
        taken = {document.title: document for document in Document.objects.filter(engagement=into)}
    renames: dict[str, Rename] = {}
    for document in move.documents:
        title = retitled(document.title, old_name, new_name)
        if into is not None and document.engagement_id != into.pk:
            same = taken.get(title)
            if same is not None and (same.store, same.store_id) == (document.store, document.store_id):
                move.folds[document.pk] = same
                continue
            if same is not None:
                title = f"{title} (from {document.engagement.reference})"
            taken[title] = document
        move.titles[document.pk] = title
        renames.setdefault(document.store_id, Rename(document.store_id, document.title, title))
    for follower in _followers:
        move.followed[follower.name] = follower.collect(move, ids, renames)
    move.moved = store.move_folder(
        source=move.source, target=move.target, documents=list(renames.values()), whole=whole
    )
    return move


def follow_for_pipeline(
    engagements: Sequence[Engagement], old_name: str, new_name: str, whole: bool
) -> FolderMove:
    """pipeline's renames call this through pipeline/folder_follow.py (registered in DocumentsConfig)."""
    try:
        return partner_folder_move(engagements=engagements, old_name=old_name, new_name=new_name, whole=whole)
    except DocumentStoreError as exc:
        raise FolderMoveFailed(str(exc)) from exc
