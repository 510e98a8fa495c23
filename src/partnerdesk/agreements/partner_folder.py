"""An agreement lives in its partner's folder: when the folder follows its organization
(documents/folders.py), the agreement's folder, title and versions follow with it."""

from __future__ import annotations

from dataclasses import dataclass

from partnerdesk.agreements.models import Agreement, AgreementVersion
from partnerdesk.documents.base import Rename
from partnerdesk.documents.folders import FolderMove, PathFollower, retitled
from partnerdesk.documents.models import Document


@dataclass
class _Collected:
    agreements: list[Agreement]
    versions: list[AgreementVersion]


def _collect(move: FolderMove, engagement_ids: list[int], renames: dict[str, Rename]) -> _Collected:
    agreements = list(Agreement.objects.filter(engagement_id__in=engagement_ids, folder_path=move.source))
    versions = list(
        AgreementVersion.objects.filter(agreement__in=agreements, store=move.store).exclude(
            store_id__in=[document.store_id for document in move.folds.values()]
        )
    )
    for version in versions:
        renames.setdefault(
            version.store_id,
            Rename(version.store_id, version.title, retitled(version.title, move.old_name, move.new_name)),
        )
    return _Collected(agreements, versions)


def _save(move: FolderMove, collected: _Collected) -> None:
    for version in collected.versions:
        item = move.moved.get(version.store_id)
        if item is not None:
            version.title, version.store_id = item.name, item.store_id
            version.save(update_fields=["title", "store_id"])
    for agreement in collected.agreements:
        agreement.folder_path = move.target
        agreement.title = retitled(agreement.title, move.old_name, move.new_name)
        agreement.save(update_fields=["folder_path", "title"])


def _fold(document: Document, into: Document) -> None:
    Agreement.objects.filter(document=document).update(document=into)


AGREEMENTS_FOLLOW = PathFollower(name="agreements", collect=_collect, save=_save, fold=_fold)
