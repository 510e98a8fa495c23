"""Who owns an engagement: the team member who first acted on it, when nobody was named."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction

from partnerdesk.pipeline.models import Engagement, TimelineEntry
from partnerdesk.pipeline.services import Actor, timeline_record


@transaction.atomic
def engagement_claim_owner(*, engagement: Engagement, email: str, actor: Actor) -> bool:
    """Make the team member at `email` the owner of an engagement that has none: their user
    account when one has that address, else the address itself. True when the owner changed."""
    email = email.strip().lower()
    locked = Engagement.objects.select_for_update().get(pk=engagement.pk)
    if locked.owner_id is not None or locked.owner_email or not email:
        return False
    user = get_user_model().objects.filter(email__iexact=email, is_active=True).order_by("id").first()
    if user is not None:
        locked.owner = user
        fields, who = ["owner"], user.get_username()
    else:
        locked.owner_email = email
        fields, who = ["owner_email"], email
    locked.save(update_fields=fields)
    timeline_record(
        engagement=locked,
        kind=TimelineEntry.Kind.NOTE,
        actor=actor,
        summary=f"Owner: {who} (the first team member to act on it by email)",
        data={"owner": who},
    )
    engagement.refresh_from_db()
    return True


def owner_accounts_link(*, user: User) -> int:
    """The engagements kept for this member's address (they had no account then) become theirs."""
    email = (getattr(user, "email", "") or "").strip().lower()
    if not email:
        return 0
    return Engagement.objects.filter(owner__isnull=True, owner_email__iexact=email).update(
        owner=user, owner_email=""
    )
