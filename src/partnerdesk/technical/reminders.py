"""The reminder after the technical form: if the record is still incomplete some days after the
form went out, the contacts get a new link and the list of what is still open.

A reminder is a dated row fired once by the worker, like partnership's ticklers: firing claims
the row with a conditional update (`fired_at IS NULL`) inside the transaction that queues the
emails, so two workers never send it twice, a failure rolls back and is retried later, and a
worker that was down catches up.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.db import transaction
from django.db.models import Q

from partnerdesk.lib import clock
from partnerdesk.mail.outbox import default_from_address, message_queue
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.services import Actor
from partnerdesk.profile import get_profile
from partnerdesk.technical.links import technical_form_link_create
from partnerdesk.technical.models import TechnicalReminder
from partnerdesk.technical.services import technical_missing

log = logging.getLogger("partnerdesk.technical")

RETRY_AFTER = (dt.timedelta(minutes=5), dt.timedelta(hours=1), dt.timedelta(hours=6))
ACTOR = Actor(label="partnerdesk (technical reminder)")


def reminder_after_days() -> int:
    # `technical.reminder_after_days` in the profile (0: no reminder).
    return get_profile().technical.reminder_after_days


def technical_reminder_plan(*, engagement: Engagement, key: str) -> TechnicalReminder | None:
    """Plan the reminder that follows a sending (`key` names it: planning again adds nothing)."""
    days = reminder_after_days()
    if days <= 0:
        return None
    reminder, _ = TechnicalReminder.objects.get_or_create(
        key=key,
        defaults={
            "engagement": engagement,
            "due_on": clock.today() + dt.timedelta(days=days),
            "created_at": clock.now(),
        },
    )
    return reminder


def _remind(reminder: TechnicalReminder) -> str:
    engagement = reminder.engagement
    if engagement.stage == "closed":
        return "skipped: the engagement is closed"
    missing = technical_missing(engagement)
    if not missing:
        return "skipped: the record is complete"
    team = get_profile().mailbox.display_name
    sent = []
    for contact in engagement.contacts.exclude(email="").order_by("engagement_links__id"):
        link = technical_form_link_create(engagement=engagement, contact=contact, actor=ACTOR)
        message_queue(
            to=[contact.email],
            subject=f"Reminder: a few technical questions about {engagement.organization.name}'s hub",
            body=(f"Hello {contact.name},\n\n" if contact.name else "Hello,\n\n")
            + "So our engineers can set up your hub, we still need to know:\n\n"
            + "".join(f"- {item}\n" for item in missing)
            + f"\nThis link opens the form, with what we already know filled in:\n{link}\n\n"
            + f"Best regards,\n{team}\n",
            from_addr=default_from_address(),
            engagement=engagement,
            idempotency_key=f"technical-reminder-{reminder.pk}-{contact.pk}",
            actor=ACTOR,
        )
        sent.append(contact.email)
    return f"reminded {', '.join(sent)}" if sent else "skipped: no contact with an address"


def technical_reminder_fire(*, reminder_id: int) -> bool:
    """Fire one reminder if nobody has; True when this call fired it. A failure is recorded and raised."""
    try:
        with transaction.atomic():
            claimed = TechnicalReminder.objects.filter(pk=reminder_id, fired_at__isnull=True).update(
                fired_at=clock.now()
            )
            if claimed != 1:
                return False
            reminder = TechnicalReminder.objects.select_related("engagement__organization").get(
                pk=reminder_id
            )
            outcome = _remind(reminder)
            TechnicalReminder.objects.filter(pk=reminder_id).update(
                outcome=outcome, last_error="", next_attempt_at=None
            )
            return True
    except Exception as exc:
        attempts = TechnicalReminder.objects.filter(pk=reminder_id).values_list("attempts", flat=True).first()
        attempts = attempts or 0
        TechnicalReminder.objects.filter(pk=reminder_id, fired_at__isnull=True).update(
            attempts=attempts + 1,
            last_error=f"{type(exc).__name__}: {exc}",
            next_attempt_at=clock.now() + RETRY_AFTER[min(attempts, len(RETRY_AFTER) - 1)],
        )
        raise


def technical_reminders_fire_due(stop: threading.Event | None = None) -> int:
    """The worker's job: fire every reminder that is due; safe in several processes at once."""
    due = Q(fired_at__isnull=True, due_on__lte=clock.today()) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=clock.now())
    )
    fired = 0
    for reminder_id in (
        TechnicalReminder.objects.filter(due).order_by("due_on", "id").values_list("id", flat=True)
    ):
        if stop is not None and stop.is_set():
            break
        try:
            fired += technical_reminder_fire(reminder_id=reminder_id)
        except Exception:
            log.exception("technical reminder %s failed; it is tried again later", reminder_id)
    return fired
