"""Pipeline writes the partner phase needs and the pipeline does not offer (yet).

`engagement_create_linked` opens an engagement directly at a given stage, linked to another
one: a renewal starts in Prospect, with the organization, owner and contacts of the partnership
it renews. It uses the pipeline's models and `timeline_record` the way `pipeline.services`
does, and belongs there eventually.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from partnerdesk.lib import clock
from partnerdesk.pipeline.models import Engagement, EngagementContact, TimelineEntry
from partnerdesk.pipeline.services import Actor, timeline_record
from partnerdesk.pipeline.stages import Stage
from partnerdesk.profile import get_profile


def owner_address(engagement: Engagement) -> str:
    """Where the owner's reminders go: the owner's address, else the shared mailbox."""
    owner: AbstractBaseUser | None = engagement.owner
    address = getattr(owner, "email", "") if owner is not None else ""
    return address or get_profile().mailbox.address


@transaction.atomic
def engagement_create_linked(
    *, source: Engagement, stage: Stage, actor: Actor, why: str, link: str = "renewal_of"
) -> Engagement:
    """A new engagement with `source`'s organization, owner and contacts, opened at `stage`.

    Both timelines say so, each naming the other (`data[link]` on the new one).
    """
    now = clock.now()
    engagement = Engagement.objects.create(
        organization_id=source.organization_id,
        stage=stage.value,
        stage_changed_at=now,
        created_at=now,
        source=source.source,
        owner_id=source.owner_id,
    )
    contact_ids = list(source.contact_links.order_by("id").values_list("contact_id", flat=True))
    EngagementContact.objects.bulk_create(
        [EngagementContact(engagement=engagement, contact_id=contact_id) for contact_id in contact_ids]
    )
    emails = list(source.contacts.order_by("engagement_links__id").values_list("email", flat=True))
    timeline_record(
        engagement=engagement,
        kind=TimelineEntry.Kind.CREATED,
        actor=actor,
        summary=f"Created at {stage.label} for {source.organization.name}: {why} ({source.reference})",
        data={"contacts": emails, "source": source.source, link: source.pk, "stage": stage.value},
    )
    timeline_record(
        engagement=source,
        kind=TimelineEntry.Kind.NOTE,
        actor=actor,
        summary=f"{engagement.reference} opened at {stage.label}: {why}",
        data={"linked": engagement.pk, "link": link},
    )
    return engagement
