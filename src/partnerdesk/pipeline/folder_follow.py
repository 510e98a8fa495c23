"""The partner folder follows its organization's name: when pipeline renames an organization, or
moves an engagement to another one, the folder and the documents named after it move too.

The moving is documents/folders.py's, which sits above pipeline in the layers, so the documents app
registers its mover here (DocumentsConfig.ready) and pipeline calls it through this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Sized
from typing import Protocol

from partnerdesk.pipeline.models import Engagement


class FolderMoveFailed(Exception):
    """The document store did not move the folder; no row has changed."""


class FolderMove(Protocol):
    """What moved in the store; `save()`, inside the caller's transaction, makes the rows say so."""

    @property
    def source(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def documents(self) -> Sized: ...
    @property
    def summary(self) -> str: ...
    def save(self, *, engagement: Engagement | None = None) -> None: ...


# (engagements, old_name, new_name, whole) -> the move, done in the store; raises FolderMoveFailed.
FolderMover = Callable[[Sequence[Engagement], str, str, bool], FolderMove]
_movers: list[FolderMover] = []


def partner_folder_mover_register(mover: FolderMover) -> None:
    _movers[:] = [mover]


def partner_folder_follow(
    *, engagements: Sequence[Engagement], old_name: str, new_name: str, whole: bool
) -> FolderMove:
    """Move the partner folder of `old_name` (all of it with `whole`, else only these engagements'
    documents) to that of `new_name`, in the store; call it outside any transaction."""
    if not _movers:
        raise RuntimeError("no partner folder mover is registered: is partnerdesk.documents installed?")
    return _movers[0](engagements, old_name, new_name, whole)
