"""Which engagement a relationship is, and the name of its organization.

One engagement per relationship: mail, playbooks and imports look for the open engagement of a
contact (by address, then by the organization's name) before they open one. An engagement opened
before anybody named the organization is named after the domain of the contact's address, and
that name is *provisional*: it gives way to the first real name (a `Partner:` line, a hail, the
web), and the engagement then joins an organization of that name if one exists.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from partnerdesk.lib import text as limits
from partnerdesk.lib.text import TextError, single_line
from partnerdesk.pipeline import services
from partnerdesk.pipeline.folder_follow import FolderMoveFailed, partner_folder_follow
from partnerdesk.pipeline.models import Contact, Engagement, Organization, TimelineEntry
from partnerdesk.pipeline.services import Actor, ServiceError, timeline_record
from partnerdesk.pipeline.stages import OPEN_STAGE_VALUES


def engagement_of_relationship(*, emails: Iterable[str] = (), organization: str = "") -> Engagement | None:
    """The open engagement with one of these contacts, else the open one with an organization of
    this name (whatever its case); the most recent when there are several."""
    open_ones = Engagement.objects.filter(stage__in=OPEN_STAGE_VALUES).select_related("organization", "owner")
    emails = [email.strip().lower() for email in emails if email.strip()]
    if emails:
        found = open_ones.filter(contacts__email__in=emails).order_by("-id").first()
        if found is not None:
            return found
    name = " ".join(organization.split())
    if name:
        return open_ones.filter(organization__name__iexact=name).order_by("-id").first()
    return None


def engagement_name_organization(*, engagement: Engagement, name: str, actor: Actor) -> str:
    """Give an engagement whose organization's name is provisional its real name; returns what
    changed, "" when nothing did (the name is not provisional, or already this one).

    The partner folder follows (documents/folders.py): renamed with the organization, or merged
    into the folder of the organization the engagement joins. The store moves first, outside the
    transaction; a store failure raises ServiceError and leaves the old name everywhere.
    """
    try:
        name = single_line(name, field="organization name", max_length=limits.ORGANIZATION_NAME)
    except TextError as exc:
        raise ServiceError(str(exc)) from None
    current = Engagement.objects.select_related("organization").get(pk=engagement.pk).organization
    if not name or not current.name_provisional or current.name.lower() == name.lower():
        return ""
    existing = Organization.objects.filter(name__iexact=name).exclude(pk=current.pk).first()
    try:
        if existing is None:
            move = partner_folder_follow(
                engagements=list(current.engagements.all()), old_name=current.name, new_name=name, whole=True
            )
        else:
            others = current.engagements.exclude(pk=engagement.pk).exists()
            move = partner_folder_follow(
                engagements=[engagement], old_name=current.name, new_name=existing.name, whole=not others
            )
    except FolderMoveFailed as exc:
        raise ServiceError(
            f"the partner folder could not be moved to {name} ({exc}); nothing was changed"
        ) from None
    with transaction.atomic():
        locked = Engagement.objects.select_for_update().select_related("organization").get(pk=engagement.pk)
        if (locked.organization.pk, locked.organization.name) != (current.pk, current.name):
            raise ServiceError(f"{locked.reference} was named {locked.organization.name} meanwhile")
        if existing is None:
            Organization.objects.filter(pk=current.pk).update(name=name, name_provisional=False)
            change = f"Organization named {name} (was {current.name}, taken from an address)"
        else:
            locked.organization = existing
            locked.save(update_fields=["organization"])
            Contact.objects.filter(organization=current, engagements=locked).update(organization=existing)
            if not current.engagements.exists():
                Contact.objects.filter(organization=current).update(organization=existing)
                current.delete()
            change = f"Organization named {existing.name} (was {current.name}, taken from an address)"
        move.save()
        timeline_record(
            engagement=locked, kind=TimelineEntry.Kind.NOTE, actor=actor, summary=change,
            data={"organization": name, "was": current.name, "folder": [move.source, move.target]},
        )  # fmt: skip
    engagement.refresh_from_db()
    return change


def engagement_open_provisional(
    *, name: str, contacts: list[tuple[str, str]], actor: Actor, source: str, note: str = ""
) -> Engagement:
    """Open an engagement under a name nobody gave (an address's domain): the organization is
    marked provisional when this creates it, so the first real name replaces it."""
    existed = Organization.objects.filter(name__iexact=" ".join(name.split())).exists()
    engagement = services.engagement_create(
        organization_name=name, contacts=contacts, actor=actor, source=source, note=note
    )
    if not existed:
        Organization.objects.filter(pk=engagement.organization_id).update(name_provisional=True)
        engagement.organization.refresh_from_db()
    return engagement
