"""The hand-off names the technical record's document by its path in the partner folder: when the
whole folder follows its organization (documents/folders.py), the path follows too."""

from __future__ import annotations

from partnerdesk.documents.base import Rename
from partnerdesk.documents.folders import FolderMove, PathFollower
from partnerdesk.technical.models import Handoff


def _collect(move: FolderMove, engagement_ids: list[int], renames: dict[str, Rename]) -> list[Handoff]:
    if not move.whole:  # only some documents move: the hand-off's stays where it is
        return []
    return list(
        Handoff.objects.filter(engagement_id__in=engagement_ids, document_path__startswith=move.source + "/")
    )


def _save(move: FolderMove, handoffs: list[Handoff]) -> None:
    for handoff in handoffs:
        handoff.document_path = move.target + handoff.document_path[len(move.source) :]
        handoff.save(update_fields=["document_path"])


HANDOFF_FOLLOWS = PathFollower(name="technical-handoff", collect=_collect, save=_save)
