"""What a stored message becomes: the routing rules of the shared mailbox, in order.

1. Our own messages (their Message-ID is in the outbox, or they come from the shared mailbox)
   are stored and nothing else.
2. Automatic and bulk mail (RFC 3834 and friends) never triggers anything; it is put on its
   engagement's timeline when it threads onto one (a bounce is worth seeing there).
3. A sender over the hourly cap triggers nothing (a loop that slipped through the rules above).
4. A message whose sender fails DMARC is a forgery: kept, refused, and never acted on.
5. The fiscal sponsor's reply in an engagement's thread with the signed agreement attached is
   the executed close (see `agreement_mail.py`), when its sender is proven; else it is held.
6. A team member's message: a reply with the one-time code of a held message confirms that
   one. A Calendly booking it forwards, or an SOP it names, is carried out and answered when the
   sender is proven, and held (and the sender asked to confirm) when not; any other team
   message goes on its thread.
7. A Calendly notification straight from Calendly is a booking (when proven; else held).
8. Anyone else's message goes on its engagement's timeline (by thread, then by the sender's
   open engagement); a partner's reply in the thread with a .docx adds a version to the
   agreement being negotiated. An unknown sender's message opens a new Lead for triage, and is
   acknowledged only when the profile turns that on (see `auto_reply.py`).

"Proven" is `trust.message_verdict`: our receiving host's DMARC pass, or a person's confirmation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import nh3

from partnerdesk.inbound import actions, commands, prefetch
from partnerdesk.inbound.agreement_mail import agreement_mail_apply
from partnerdesk.inbound.auto_reply import auto_reply_queue
from partnerdesk.inbound.bookings import booking_answer, booking_apply
from partnerdesk.inbound.models import InboundMessage
from partnerdesk.inbound.parsing import ParsedMessage
from partnerdesk.inbound.reading import (
    Verdict,
    automatic_reason,
    bare_subject,
    first_line,
    organization_from_domain,
    partner_line,
)
from partnerdesk.inbound.store import message_raw
from partnerdesk.inbound.trust import message_hold, message_verdict, release_by_code
from partnerdesk.integrations.calendly.notification import booking_from_message
from partnerdesk.lib import clock
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline.models import Engagement, Source, TimelineEntry
from partnerdesk.pipeline.naming import engagement_of_relationship, engagement_open_provisional
from partnerdesk.pipeline.references import engagement_ids_in
from partnerdesk.pipeline.services import Actor
from partnerdesk.profile import get_profile

Status = InboundMessage.Status
MAX_TIMELINE_TEXT = 20_000
MAX_TIMELINE_HTML = 100_000


@dataclass
class Handled:
    status: str
    route: str
    outcome: str
    engagement: Engagement | None = None


def is_ours(address: str) -> bool:
    profile = get_profile()
    return address.lower() == profile.mailbox.address or profile.is_team_address(address)


def thread_engagement(parsed: ParsedMessage) -> Engagement | None:
    """In-Reply-To, then each References id (newest first), then `[PD-12]` in the subject."""
    ids = prefetch.thread_ids(parsed)
    chunk = prefetch.current()
    if ids:
        found = chunk.threads_found(ids) if chunk is not None else prefetch.threads_found(ids)
        for message_id in ids:
            if message_id in found:
                if chunk is not None and (engagement := chunk.engagement(found[message_id])) is not None:
                    return engagement
                return Engagement.objects.select_related("organization").get(pk=found[message_id])
    referenced = engagement_ids_in(parsed.subject, bracketed=True)
    if referenced:
        if chunk is not None:
            return chunk.engagement(referenced[0])
        return Engagement.objects.select_related("organization").filter(pk=referenced[0]).first()
    return None


def _is_own(parsed: ParsedMessage) -> bool:
    if parsed.from_addr == get_profile().mailbox.address:
        return True
    if not parsed.message_id:
        return False
    if (chunk := prefetch.current()) is not None:
        return chunk.is_in_outbox(parsed.message_id)
    return OutboxMessage.objects.filter(message_id=f"<{parsed.message_id}>").exists()


def _over_cap(message: InboundMessage) -> bool:
    cap = get_profile().inbound.max_messages_per_sender_per_hour
    chunk = prefetch.current()
    if chunk is not None and (sent := chunk.sent_recently(message)) is not None:
        return sent >= cap
    since = clock.now() - dt.timedelta(hours=1)
    recent = InboundMessage.objects.filter(
        from_addr=message.from_addr, received_at__gte=since, pk__lt=message.pk
    )
    return recent.exclude(status=Status.QUARANTINED).count() >= cap


def _sender_engagement(address: str) -> Engagement | None:
    """The sender's open engagement (`engagement_of_relationship`), from the chunk's map when it knows."""
    chunk = prefetch.current()
    if chunk is not None:
        known = chunk.sender_engagement_id(address)
        if known is None:
            return None
        if known is not False and (engagement := chunk.engagement(known)) is not None:
            return engagement
    return engagement_of_relationship(emails=[address])


def email_record(
    *, engagement: Engagement, message: InboundMessage, parsed: ParsedMessage, note: str = ""
) -> None:
    """The message on the engagement's timeline: text, sanitized HTML, attachments by name."""
    who = f"{parsed.from_name} <{parsed.from_addr}>" if parsed.from_name else parsed.from_addr
    prefetch.timeline_record(  # services.timeline_record, as one insert per chunk in a batch
        engagement=engagement,
        kind=TimelineEntry.Kind.EMAIL_IN,
        actor=Actor(label=f"mail:{parsed.from_addr or 'unknown'}"),
        summary=f"Email from {who}: {parsed.subject or '(no subject)'}" + (f" ({note})" if note else ""),
        data={
            "inbound": message.pk,
            "message_id": parsed.message_id,
            "from": parsed.from_addr,
            "to": parsed.to,
            "cc": parsed.cc,
            "subject": parsed.subject,
            "text": parsed.text[:MAX_TIMELINE_TEXT],
            "html": nh3.clean(parsed.html[:MAX_TIMELINE_HTML]) if parsed.html else "",
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": a.size}
                for a in parsed.attachments
            ],
            **({"automatic": note} if note else {}),
        },
    )


def _on_timeline(
    message: InboundMessage, parsed: ParsedMessage, engagement: Engagement, route: str
) -> Handled:
    email_record(engagement=engagement, message=message, parsed=parsed)
    return Handled(Status.PROCESSED, route, f"on the timeline of {engagement.reference}", engagement)


def _new_lead(message: InboundMessage, parsed: ParsedMessage) -> Handled:
    organization = organization_from_domain(parsed.from_addr) or parsed.from_name or parsed.from_addr
    engagement = engagement_open_provisional(
        name=organization,
        contacts=[(parsed.from_name, parsed.from_addr)],
        actor=Actor(label=f"mail:{parsed.from_addr}"),
        source=Source.EMAIL,
        note=f"Opened from an email to the shared mailbox: {parsed.subject or '(no subject)'}",
    )
    email_record(engagement=engagement, message=message, parsed=parsed)
    outcome = f"opened {engagement.reference} for triage"
    if auto_reply_queue(message=message, parsed=parsed, engagement=engagement):
        outcome += "; acknowledged"
    return Handled(Status.PROCESSED, "new_lead", outcome, engagement)


def _hold(
    message: InboundMessage,
    parsed: ParsedMessage,
    verdict: Verdict,
    *,
    what: str,
    engagement: Engagement | None,
    ask_sender: bool,
) -> Handled:
    outcome = message_hold(message=message, parsed=parsed, verdict=verdict, what=what, ask_sender=ask_sender)
    return Handled(Status.HELD, "held", outcome, engagement)


def _agreement_reply(
    message: InboundMessage,
    parsed: ParsedMessage,
    engagement: Engagement,
    verdict: Verdict,
    *,
    signed_only: bool,
) -> Handled | None:
    """An agreement file in the thread: a new version, or the signed copy. The agreement is
    changed first and the email recorded after, so a retry after a failure records it once."""
    applied = agreement_mail_apply(
        parsed=parsed,
        raw=message_raw(message),
        engagement=engagement,
        sender_proven=verdict.authenticated,
        signed_only=signed_only,
    )
    if applied is None:
        return None
    if applied.route == "held":
        return _hold(message, parsed, verdict, what=applied.outcome, engagement=engagement, ask_sender=False)
    email_record(engagement=engagement, message=message, parsed=parsed, note=applied.outcome)
    return Handled(Status.PROCESSED, applied.route, applied.outcome, engagement)


def _team_message(
    message: InboundMessage, parsed: ParsedMessage, thread: Engagement | None, verdict: Verdict
) -> Handled:
    released = release_by_code(parsed)
    if released is not None:
        return Handled(
            Status.PROCESSED,
            "confirmation",
            f"confirms held message #{released.pk} ({released.subject or 'no subject'}): it runs now",
            released.engagement,
        )
    requested = actions.action_requested(parsed)
    if requested is not None:
        if not verdict.authenticated:
            what = f'the action "{bare_subject(parsed.subject) or first_line(parsed.text)}"'
            return _hold(message, parsed, verdict, what=what, engagement=thread, ask_sender=True)
        done = actions.action_run(message=message, parsed=parsed, requested=requested, thread=thread)
        commands.acknowledge(message=message, parsed=parsed, engagement=done.engagement, body=done.text)
        return Handled(Status.PROCESSED, "action", done.summary, done.engagement)
    if commands.names_the_organization(parsed, thread):
        assert thread is not None
        if not verdict.authenticated:
            what = f"a name for the organization of {thread.reference}"
            return _hold(message, parsed, verdict, what=what, engagement=thread, ask_sender=True)
        change = commands.name_from_reply(message=message, parsed=parsed, thread=thread)
        email_record(engagement=thread, message=message, parsed=parsed)
        return Handled(Status.PROCESSED, "named", change, thread)
    spec = commands.command_spec(parsed)
    booking = booking_from_message(parsed, is_ours=is_ours)
    if booking is not None and (spec is None or spec.trigger.kind == "calendly_booking"):
        if not verdict.authenticated:
            what = f"a forwarded Calendly booking for {booking.invitee_email}"
            return _hold(message, parsed, verdict, what=what, engagement=thread, ask_sender=True)
        named = partner_line(parsed.text)  # the handbook's "tracked under PartnerX"
        booking = dataclasses.replace(booking, organization=named or booking.organization)
        result = booking_apply(booking=booking, source="email", actor=Actor(label=f"mail:{parsed.from_addr}"))
        commands.acknowledge(message=message, parsed=parsed, engagement=result.engagement,
                             body=booking_answer(booking, result))  # fmt: skip
        return Handled(Status.PROCESSED, "booking", result.text, result.engagement)
    if spec is not None:
        if not verdict.authenticated:
            what = f'the command "{spec.title}"'
            return _hold(message, parsed, verdict, what=what, engagement=thread, ask_sender=True)
        engagement, text = commands.command_run(message=message, parsed=parsed, spec=spec, thread=thread)
        return Handled(Status.PROCESSED, "command", text, engagement)
    if thread is not None:
        return _on_timeline(message, parsed, thread, "team_reply")
    return Handled(Status.IGNORED, "team", "a team message that names no SOP and no engagement")


def message_route(message: InboundMessage, parsed: ParsedMessage) -> Handled:
    profile = get_profile()
    if _is_own(parsed):
        return Handled(Status.IGNORED, "own", "sent by partnerdesk itself: nothing to do")
    thread = thread_engagement(parsed)
    automatic = automatic_reason(parsed, own_address=profile.mailbox.address)
    if automatic:
        if thread is not None:
            email_record(engagement=thread, message=message, parsed=parsed, note=f"automatic: {automatic}")
        return Handled(Status.IGNORED, "automatic", f"automatic ({automatic}): triggers nothing", thread)
    if _over_cap(message):
        return Handled(
            Status.IGNORED, "capped", f"more than the hourly cap of messages from {parsed.from_addr}"
        )
    verdict = message_verdict(message, parsed)
    if verdict.failed:
        return Handled(Status.REFUSED, "forged", f"not acted on: {verdict.reason}", thread)

    if thread is not None and (
        handled := _agreement_reply(message, parsed, thread, verdict, signed_only=True)
    ):
        return handled  # the fiscal sponsor's signed copy, whoever else the sender may be
    if profile.is_team_address(parsed.from_addr):
        return _team_message(message, parsed, thread, verdict)

    if parsed.from_addr.endswith(("@calendly.com", ".calendly.com")):
        booking = booking_from_message(parsed, is_ours=is_ours)
        if booking is not None:
            if not verdict.authenticated:
                what = f"a Calendly notification of a booking by {booking.invitee_email}"
                return _hold(message, parsed, verdict, what=what, engagement=thread, ask_sender=False)
            result = booking_apply(booking=booking, source="email", actor=Actor(label="calendly"))
            return Handled(Status.PROCESSED, "booking", result.text, result.engagement)
    if thread is not None:
        return _agreement_reply(message, parsed, thread, verdict, signed_only=False) or _on_timeline(
            message, parsed, thread, "reply"
        )
    known = _sender_engagement(parsed.from_addr)
    if known is not None:
        return _on_timeline(message, parsed, known, "contact")
    return _new_lead(message, parsed)
