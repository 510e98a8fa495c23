"""An e-signature provider's notifications, applied by the worker after the webhook answered.

The webhook only checks and records a notification (`SignatureEvent`, with the signers and the
status it reports). The worker applies each once, in one transaction with the mark that it was
applied: the signers' dates, the envelope's status, and on completion the executed close. A
failure leaves the event to try again later (it is never lost to a provider's retry, which the
webhook answers "already received"), and after `MAX_ATTEMPTS` it waits in the admin with its
error.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.db import transaction
from django.db.models import F, Q

from partnerdesk.agreements.closing import agreement_executed
from partnerdesk.agreements.models import SignatureEnvelope, SignatureEvent
from partnerdesk.lib import clock
from partnerdesk.pipeline.services import Actor

log = logging.getLogger("partnerdesk.agreements")

MAX_ATTEMPTS = 8
CLAIM_FOR = dt.timedelta(minutes=5)  # longer than applying one takes; a dead worker's goes on after it
LONGEST_WAIT = dt.timedelta(hours=6)
BATCH = 50


def _due() -> Q:
    waiting = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=clock.now())
    return Q(applied_at__isnull=True, attempts__lt=MAX_ATTEMPTS) & waiting


def _apply(event: SignatureEvent) -> None:
    envelope = (
        SignatureEnvelope.objects.filter(provider=event.provider, envelope_id=event.envelope_id)
        .select_related("agreement__engagement")
        .first()
    )
    if envelope is None:
        return  # kept, but not an envelope of ours: nothing to change
    agreement = envelope.agreement
    if event.signed:
        agreement.signatories.filter(email__in=event.signed, signed_at__isnull=True).update(
            signed_at=clock.now()
        )
    if event.status and event.status != envelope.status:
        envelope.status = event.status
        envelope.save(update_fields=["status"])
    if event.event == "envelope-completed" or event.status == "completed":
        agreement_executed(
            engagement=agreement.engagement,
            signed_file=None,
            filename="",
            actor=Actor(label=event.provider),
        )


def signature_event_apply(event_id: int) -> bool:
    """Apply one recorded event if this call claims it; True when it was applied."""
    now = clock.now()
    claimed = SignatureEvent.objects.filter(_due(), pk=event_id).update(
        attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_FOR
    )
    if not claimed:
        return False
    event = SignatureEvent.objects.get(pk=event_id)
    try:
        with transaction.atomic():
            _apply(event)
            SignatureEvent.objects.filter(pk=event_id).update(applied_at=clock.now(), error="")
    except Exception as exc:  # noqa: BLE001 - kept with the event, tried again later
        log.exception("%s %s of envelope %s not applied", event.provider, event.event, event.envelope_id)
        wait = min(dt.timedelta(minutes=2**event.attempts), LONGEST_WAIT)
        error = str(exc) or "unexpected error (see the log)"
        if event.attempts >= MAX_ATTEMPTS:
            error = f"gave up after {event.attempts} attempts: {error}"
        SignatureEvent.objects.filter(pk=event_id).update(error=error, next_attempt_at=clock.now() + wait)
        return False
    return True


def signature_events_apply_due(stop: threading.Event | None = None) -> int:
    """The worker's job: apply the recorded events that are due, oldest first."""
    applied = 0
    for event_id in SignatureEvent.objects.filter(_due()).order_by("id").values_list("pk", flat=True)[:BATCH]:
        if stop is not None and stop.is_set():
            break
        applied += signature_event_apply(event_id)
    return applied
