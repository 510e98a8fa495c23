"""The hand-off to engineering as queued work: asked for on a page (or at the executed close),
run by the worker.

`technical_handoff` calls GitHub and the document store, which a web request must not wait on.
`technical_handoff_queue` checks that the hand-off can run (every required answer, somewhere to
hand off to), so a refusal shows at once, then marks the engagement's Handoff row queued; the
worker claims it with a conditional update and runs `technical_handoff`, which does each part
once however often it runs. A failure a retry may fix is tried again after a pause (up to
MAX_ATTEMPTS times); any other failure leaves the row failed with what went wrong, for a person
to fix and retry from the engagement page.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.db.models import F, Q

from partnerdesk.documents.base import DocumentStoreError
from partnerdesk.lib import clock
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.services import Actor, ServiceError
from partnerdesk.technical.models import Handoff
from partnerdesk.technical.services import HandoffFailed, handoff_plan, technical_handoff

log = logging.getLogger("partnerdesk.technical")

Status = Handoff.Status
MAX_ATTEMPTS = 4
RETRY_AFTER = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30))
# A claim older than this belongs to a worker that died: the hand-off is run again.
CLAIM_FOR = dt.timedelta(minutes=10)
DEFAULT_ACTOR = "partnerdesk (hand-off)"


class HandoffAlready(ServiceError):
    """The hand-off is queued or done already: nothing to queue."""


def technical_handoff_queue(*, engagement: Engagement, actor: Actor) -> Handoff:
    """Queue the hand-off for the worker. Raises ServiceError, saying what is missing, when it
    cannot run, is queued already, or is done."""
    handoff_plan(engagement)  # refuses while answers are missing or there is nowhere to go
    now = clock.now()
    handoff, created = Handoff.objects.get_or_create(
        engagement=engagement,
        defaults={"created_at": now, "updated_at": now, "status": Status.QUEUED, "queued_by": actor.label},
    )
    if created:
        return handoff
    queued = Handoff.objects.filter(pk=handoff.pk, status=Status.FAILED).update(
        status=Status.QUEUED, queued_by=actor.label, attempts=0, next_attempt_at=None, updated_at=now
    )
    handoff.refresh_from_db()
    if queued != 1:
        if handoff.status == Status.DONE:
            raise HandoffAlready(f"{engagement.reference} was already handed off to engineering")
        raise HandoffAlready(f"the hand-off of {engagement.reference} is already queued")
    return handoff


def _due() -> Q:
    now = clock.now()
    waiting = Q(status=Status.QUEUED) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    return waiting | Q(status=Status.RUNNING, next_attempt_at__lte=now)


def handoff_run(*, handoff_id: int) -> bool:
    """Run one queued hand-off if this call claims it; True when it did (done or not)."""
    now = clock.now()
    claimed = (
        Handoff.objects.filter(_due(), pk=handoff_id).update(
            status=Status.RUNNING, attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_FOR
        )
        == 1
    )
    if not claimed:
        return False
    handoff = Handoff.objects.select_related("engagement__organization").get(pk=handoff_id)
    try:
        technical_handoff(
            engagement=handoff.engagement, actor=Actor(label=handoff.queued_by or DEFAULT_ACTOR)
        )
    except HandoffFailed as exc:
        _failed(handoff, exc.reason, permanent=exc.permanent)
    except DocumentStoreError as exc:
        _failed(handoff, f"the document store: {exc}", permanent=exc.permanent)
    except ServiceError as exc:  # not ready any more, or nowhere to hand off to
        _failed(handoff, str(exc), permanent=True)
    except Exception as exc:
        log.exception("hand-off %s failed", handoff_id)
        _failed(handoff, f"{type(exc).__name__}: {exc}", permanent=False)
    return True


def _failed(handoff: Handoff, reason: str, *, permanent: bool) -> None:
    if permanent or handoff.attempts >= MAX_ATTEMPTS:
        status, next_attempt_at = Status.FAILED, None
    else:
        status = Status.QUEUED
        next_attempt_at = clock.now() + RETRY_AFTER[min(handoff.attempts - 1, len(RETRY_AFTER) - 1)]
    Handoff.objects.filter(pk=handoff.pk).update(
        status=status, last_error=reason, next_attempt_at=next_attempt_at, updated_at=clock.now()
    )


def technical_handoffs_run_due(stop: threading.Event | None = None) -> int:
    """The worker's job: run every queued hand-off that is due; safe in several processes at once.
    The email a hand-off queues leaves with the pass's final delivery (mail/worker.py)."""
    ran = 0
    for handoff_id in Handoff.objects.filter(_due()).order_by("id").values_list("id", flat=True):
        if stop is not None and stop.is_set():
            break
        ran += handoff_run(handoff_id=handoff_id)
    return ran


def handoff_at_executed_close(engagement: Engagement, actor: Actor, notes: list[str]) -> Handoff | None:
    """The hand-off is queued at the executed close when it can run; what stops it is reported.
    The worker runs it: the close (often a web request or a webhook) never waits on GitHub or the
    document store."""
    try:
        handoff = technical_handoff_queue(engagement=engagement, actor=actor)
    except ServiceError as refused:
        notes.append(
            f"the hand-off to engineering did not run: {refused}. Answer what is missing in the"
            " Technical needs section of the engagement's page, then press Hand off to engineering there"
        )
        return None
    notes.append(
        "the hand-off to engineering is queued: the worker files the request in a moment, and the"
        " Technical needs section of the engagement's page shows where it went"
    )
    return handoff
