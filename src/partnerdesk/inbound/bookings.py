"""Calendly bookings, from a forwarded notification or the webhook: find or open the engagement
by the invitee's address and run create-running-notes, once per booking.

A booking's key is a unique row: a second notification of the same booking (a forward after the
webhook, a replayed delivery) finds it done and does nothing. A booking whose run stopped halfway
is picked up again on the next delivery or worker pass, and the playbook resumes where it stopped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from partnerdesk.documents.base import DocumentStoreError
from partnerdesk.documents.services import document_share, running_notes_append, running_notes_document
from partnerdesk.inbound.models import Booking as BookingRow
from partnerdesk.inbound.models import WebhookDelivery
from partnerdesk.inbound.reading import organization_from_domain
from partnerdesk.integrations.calendly.booking import Booking
from partnerdesk.integrations.calendly.webhook import delivery_booking
from partnerdesk.lib import clock
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Contact, Engagement, Source, TimelineEntry
from partnerdesk.pipeline.naming import (
    engagement_name_organization,
    engagement_of_relationship,
    engagement_open_provisional,
)
from partnerdesk.pipeline.services import Actor, ServiceError
from partnerdesk.playbooks.context import RunRequest
from partnerdesk.playbooks.engine import AlreadyRan, PlaybookRefused, playbook_run
from partnerdesk.playbooks.library import get_library

log = logging.getLogger("partnerdesk.inbound")
MAX_WEBHOOK_ATTEMPTS = 5
# A claimed delivery not finished in this long belongs to a worker that stopped: it is due again.
WEBHOOK_CLAIM = dt.timedelta(minutes=10)


@dataclass
class BookingResult:
    engagement: Engagement | None
    text: str
    repeated: bool = False


def _booking_playbook():
    for spec in get_library().in_order():
        if spec.trigger.kind == "calendly_booking":
            return spec
    return None


def _engagement_for_booking(booking: Booking, actor: Actor) -> Engagement:
    """The open engagement of the invitee (or of an organization the booking names), named as the
    booking says when its name was provisional; else a new one, provisional when nobody named it."""
    emails = [email for _, email in booking.participants]
    engagement = engagement_of_relationship(emails=emails, organization=booking.organization)
    if engagement is not None:
        if booking.organization:
            engagement_name_organization(engagement=engagement, name=booking.organization, actor=actor)
        return engagement
    contact = Contact.objects.filter(email=booking.invitee_email).select_related("organization").first()
    named = booking.organization or (contact.organization.name if contact and contact.organization else "")
    contacts = [(booking.invitee_name, booking.invitee_email)]
    if named:
        return services.engagement_create(
            organization_name=named, contacts=contacts, actor=actor, source=Source.CALENDLY,
            note="Opened from a Calendly booking",
        )  # fmt: skip
    return engagement_open_provisional(
        name=organization_from_domain(booking.invitee_email) or booking.invitee_name or booking.invitee_email,
        contacts=contacts,
        actor=actor,
        source=Source.CALENDLY,
        note="Opened from a Calendly booking",
    )


def _meeting_entry(booking: Booking, row: BookingRow, engagement: Engagement, actor: Actor) -> str:
    """The running-notes entry `YYYY-MM-DD HH:MM Meeting with ...`, dated at the meeting's start
    in PARTNERDESK_TIME_ZONE (the booking's, not the day the email came)."""
    if booking.starts_at is None:
        return "the meeting's start could not be read: no dated entry"
    local = booking.starts_at.astimezone(ZoneInfo(str(settings.TIME_ZONE)))
    names = ", ".join(name or email for name, email in booking.participants)
    try:
        running_notes_append(
            engagement=engagement,
            text=f"{local:%H:%M} Meeting with {names}",
            on=local.date(),
            actor=actor,
            idempotency_key=f"booking-{row.pk}-entry",
        )
    except (DocumentStoreError, ServiceError) as exc:
        return f"the meeting's entry was not written: {exc}"
    return f"entry {local:%Y-%m-%d %H:%M} Meeting with {names}"


def _share_with_participants(booking: Booking, engagement: Engagement, actor: Actor) -> str:
    """A later booking of an engagement whose running notes exist: share them with its people."""
    document = running_notes_document(engagement=engagement)
    if document is None:
        return ""
    emails = [email for _, email in booking.participants]
    people = list(Contact.objects.filter(email__in=emails))
    try:
        shares = document_share(document=document, contacts=people, role="editor", actor=actor, notify=True)
    except (DocumentStoreError, ServiceError) as exc:
        return f"running notes not shared: {exc}"
    return "running notes shared with " + (", ".join(s.contact.email for s in shares) or "no one new")


def booking_apply(*, booking: Booking, source: str, actor: Actor) -> BookingResult:
    try:
        with transaction.atomic():
            row = BookingRow.objects.create(
                key=booking.key[:300],
                source=source,
                invitee_email=booking.invitee_email[:320],
                invitee_name=booking.invitee_name[:200],
                event_name=booking.event_name[:200],
                start=booking.start[:200],
                canceled=booking.canceled,
                created_at=clock.now(),
            )
    except IntegrityError:
        row = BookingRow.objects.select_related("engagement").get(key=booking.key[:300])
        if row.status == BookingRow.Status.DONE:
            return BookingResult(row.engagement, f"booking already handled: {row.outcome}", repeated=True)
    engagement = _engagement_for_booking(booking, actor)
    if booking.canceled:
        text = f"canceled: {booking.describe()}"
    else:
        services.engagement_add_contacts(engagement=engagement, contacts=booking.participants, actor=actor)
        if not BookingRow.objects.filter(pk=row.pk, engagement__isnull=False).exists():
            services.timeline_record(
                engagement=engagement,
                kind=TimelineEntry.Kind.BOOKING,
                actor=actor,
                summary=f"Meeting booked: {booking.describe()}",
                data={
                    "key": booking.key,
                    "start": booking.start,
                    "join_url": booking.join_url,
                    "source": source,
                    "participants": [email for _, email in booking.participants],
                    "starts_at": booking.starts_at.isoformat() if booking.starts_at else "",
                },
            )
        spec = _booking_playbook()
        request = RunRequest(contacts=tuple(email for _, email in booking.participants))
        succeeded = False
        if spec is None:
            text = "no playbook is triggered by a Calendly booking"
        else:
            try:
                report = playbook_run(
                    spec=spec, actor=actor, engagement=engagement, source=Source.CALENDLY, request=request
                )
                succeeded = report.succeeded
                text = f"{spec.name} {'done' if report.succeeded else 'stopped at a failed step'} " + (
                    f"for {engagement.reference}"
                )
            except AlreadyRan:
                succeeded = True
                text = _share_with_participants(booking, engagement, actor) or f"{spec.name} already ran"
            except PlaybookRefused as exc:
                text = f"{spec.name} not run: {exc}"
        if succeeded:
            text += "; " + _meeting_entry(booking, row, engagement, actor)
    BookingRow.objects.filter(pk=row.pk).update(
        engagement=engagement, status=BookingRow.Status.DONE, outcome=text[:2000]
    )
    if booking.canceled:
        services.timeline_record(
            engagement=engagement, kind=TimelineEntry.Kind.BOOKING, actor=actor,
            summary=f"Meeting canceled: {booking.describe()}", data={"key": booking.key, "source": source},
        )  # fmt: skip
    return BookingResult(engagement, text)


def booking_answer(booking: Booking, result: BookingResult) -> str:
    where = (
        f" ({result.engagement.reference}, {result.engagement.organization.name})"
        if result.engagement
        else ""
    )
    return f"Calendly booking: {booking.describe()}{where}.\n{result.text[:1].upper()}{result.text[1:]}."


def webhook_delivery_store(*, provider: str, body: bytes, event: str) -> tuple[WebhookDelivery, bool]:
    """The delivery as a row, or (the stored one, False) for a replay of the same body."""
    digest = hashlib.sha256(body).hexdigest()
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                provider=provider, body_hash=digest, body=body, event=event[:100], received_at=clock.now()
            )
    except IntegrityError:
        return WebhookDelivery.objects.get(provider=provider, body_hash=digest), False
    return delivery, True


def _deliveries_due() -> Q:
    """Received and not tried yet, or claimed by a worker that stopped before it finished."""
    abandoned = Q(status=WebhookDelivery.Status.PROCESSING, claimed_at__lt=clock.now() - WEBHOOK_CLAIM)
    return Q(status=WebhookDelivery.Status.RECEIVED) | abandoned


def webhook_delivery_process(delivery: WebhookDelivery) -> bool:
    """Claim the delivery and act on it; False when another process has it or it is done."""
    claimed = WebhookDelivery.objects.filter(
        _deliveries_due(), pk=delivery.pk, attempts=delivery.attempts
    ).update(status=WebhookDelivery.Status.PROCESSING, claimed_at=clock.now(), attempts=F("attempts") + 1)
    if not claimed:
        return False
    delivery.refresh_from_db()
    try:
        _, booking = delivery_booking(bytes(delivery.body))
        if booking is None:
            outcome = f"{delivery.event or 'this event'}: nothing to do"
        else:
            outcome = booking_apply(booking=booking, source="webhook", actor=Actor(label="calendly")).text
        status = WebhookDelivery.Status.PROCESSED
    except Exception as exc:  # noqa: BLE001 - kept for the next pass, then failed
        log.exception("calendly webhook delivery %s failed", delivery.pk)
        outcome = f"{type(exc).__name__}: {exc}"
        failed = delivery.attempts >= MAX_WEBHOOK_ATTEMPTS
        status = WebhookDelivery.Status.FAILED if failed else WebhookDelivery.Status.RECEIVED
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status, outcome=outcome[:2000], processed_at=clock.now()
    )
    return True


def webhook_deliveries_process_due(stop: threading.Event | None = None) -> int:
    handled = 0
    pending = WebhookDelivery.objects.filter(_deliveries_due()).order_by("id")[:100]
    for delivery in list(pending):
        if stop is not None and stop.is_set():
            break
        handled += webhook_delivery_process(delivery)
    return handled
