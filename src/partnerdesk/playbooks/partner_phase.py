"""The partner phase's first playbook, queued by the executed close (`agreements/closing.py`)."""

from __future__ import annotations

from django.db import transaction

from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.services import Actor
from partnerdesk.playbooks.engine import PlaybookRefused, playbook_queue
from partnerdesk.playbooks.library import get_library
from partnerdesk.playbooks.models import PlaybookRun

# The partner phase's first SOP, started once the engagement is a Partner.
FIRST_PARTNER_PLAYBOOK = "launch-meeting"


def partner_phase_queue(engagement: Engagement, actor: Actor, notes: list[str]) -> PlaybookRun | None:
    """Queue the partner phase's first playbook, if the team has one, with the close itself: the
    worker runs it once the close is committed, so the close (often a web request or a webhook)
    never waits on mail or the document store, and a close that rolls back queues nothing.
    What stops it is reported, not raised."""
    spec = get_library().playbooks.get(FIRST_PARTNER_PLAYBOOK)
    if spec is None:
        return None
    try:
        with transaction.atomic():
            run = playbook_queue(spec=spec, engagement=engagement, actor=actor)
    except PlaybookRefused as refused:
        notes.append(f"{FIRST_PARTNER_PLAYBOOK} did not start: {refused}")
        return None
    notes.append(
        f"{FIRST_PARTNER_PLAYBOOK} is queued: the worker runs it in a moment, and the Playbooks"
        f" section of {engagement.reference}'s page shows how it went"
    )
    return run
