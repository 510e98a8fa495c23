"""Who sent a message, as far as the mailbox can prove it, and what happens when it cannot.

A message that would act (a team member's command, a forwarded booking, Calendly's own
notification, the fiscal sponsor's signed copy) acts only when its sender is proven
(`sender_verdict`: our receiving host's DMARC pass for the From domain), or when a person
confirmed it. Otherwise it is *held*: stored with the reason, shown in the web inbox, and
nothing is done. A held team command also mails its claimed sender (the From address read from
the raw header, never a Reply-To or a display name) a one-time code: a reply carrying the code,
from that address, releases it, and so does a signed-in team member pressing Confirm. A forger
never sees the code, because it goes to the real owner of the address.

A released message goes back to the worker's queue with `confirmed_by` set; the worker carries
it out, never the web request that confirmed it.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from partnerdesk.inbound.auto_reply import automatic_reply_queue
from partnerdesk.inbound.models import InboundMessage
from partnerdesk.inbound.parsing import ParsedMessage
from partnerdesk.inbound.reading import Verdict, bare_subject, sender_verdict
from partnerdesk.lib import clock
from partnerdesk.profile import get_profile

Status = InboundMessage.Status
# No 0/O, 1/I/L: the code is read from one mail and typed into another.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z2-9]{4})-([A-Za-z2-9]{4})(?![A-Za-z0-9])")

CONFIRMATION_REQUEST = """Hello,

{mailbox} received a request in your name and has not acted on it:

    Subject: {subject}
    Received: {received}

{why} So it asks you first.

If you sent it, reply to this message and keep this line in your reply:

    Confirm: {code}

or confirm it on the message's page: {link}

If you did not send it, there is nothing to do: the request stays in the inbox, marked as held,
and nothing is done with it.

-- {signature_separator}
partnerdesk, for {mailbox_name}
"""


def hold_code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def _new_code() -> str:
    letters = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def message_verdict(message: InboundMessage, parsed: ParsedMessage) -> Verdict:
    """The sender verdict, counting a person's confirmation as proof."""
    if message.confirmed_by:
        return Verdict(True, False, f"confirmed by {message.confirmed_by}")
    conf = get_profile().inbound
    return sender_verdict(parsed, authserv_id=conf.authserv_id, accept_dkim=conf.accept_dkim_alignment)


def message_link(message: InboundMessage) -> str:
    return settings.PARTNERDESK_BASE_URL + reverse("inbox-message", args=[message.pk])


def message_hold(
    *,
    message: InboundMessage,
    parsed: ParsedMessage,
    verdict: Verdict,
    what: str,
    ask_sender: bool,
) -> str:
    """Hold `message` (its status is set by the caller from the returned outcome) and, when
    `ask_sender`, mail its claimed sender the code that confirms it. Returns the outcome."""
    outcome = f"{what[:1].upper()}{what[1:]}, but the sender is not proven ({verdict.reason})"
    if not ask_sender or parsed.sender_problem:
        InboundMessage.objects.filter(pk=message.pk).update(hold_code_hash="")
        return outcome + "; a team member can confirm it in the inbox"
    code = _new_code()
    InboundMessage.objects.filter(pk=message.pk).update(hold_code_hash=hold_code_hash(code))
    profile = get_profile()
    why = (
        "This mailbox cannot yet prove who sent a message."
        if not profile.inbound.authserv_id
        else f"This mailbox could not prove that you sent it ({verdict.reason})."
    )
    body = CONFIRMATION_REQUEST.format(
        mailbox=profile.mailbox.address,
        mailbox_name=profile.mailbox.display_name,
        subject=parsed.subject or "(no subject)",
        received=clock.now().strftime("%Y-%m-%d %H:%M UTC"),
        why=why,
        code=code,
        link=message_link(message),
        signature_separator="",
    )
    subject = bare_subject(parsed.subject) or "your request"
    queued, refusal = automatic_reply_queue(
        message=message,
        parsed=parsed,
        subject=f"Confirm your request: {subject}",
        body=body,
        engagement=None,  # the engagement's timeline is no place for a code
        idempotency_key=f"inbound-{message.pk}-confirm",
    )
    if queued is None:
        return outcome + f"; no confirmation request sent ({refusal})"
    return outcome + f"; {parsed.from_addr} was asked to confirm it"


def release_by_code(parsed: ParsedMessage) -> InboundMessage | None:
    """The held message that a code in this message (from the same address) confirms, released."""
    if not parsed.from_addr:
        return None
    hashes = {hold_code_hash(f"{a}-{b}") for a, b in _CODE.findall(f"{parsed.subject}\n{parsed.text}")}
    if not hashes:
        return None
    held = InboundMessage.objects.filter(
        status=Status.HELD, from_addr=parsed.from_addr, hold_code_hash__in=hashes
    ).first()
    if held is None:
        return None
    return (
        held
        if held_message_release(message=held, confirmed_by=f"{parsed.from_addr} (code by mail)")
        else None
    )


def held_message_release(*, message: InboundMessage, confirmed_by: str) -> bool:
    """Release a held message to the worker, as confirmed by `confirmed_by`; False when it is no
    longer held (someone else confirmed or dismissed it first)."""
    with transaction.atomic():
        released = InboundMessage.objects.filter(pk=message.pk, status=Status.HELD).update(
            status=Status.RECEIVED,
            confirmed_by=confirmed_by[:320],
            confirmed_at=clock.now(),
            hold_code_hash="",
            attempts=0,
            outcome=f"confirmed by {confirmed_by}; waiting for the worker",
        )
    return bool(released)


def held_message_dismiss(*, message: InboundMessage, dismissed_by: str) -> bool:
    """Keep a held message as it is, for good: nothing will ever be done with it."""
    dismissed = InboundMessage.objects.filter(pk=message.pk, status=Status.HELD).update(
        status=Status.IGNORED,
        hold_code_hash="",
        outcome=f"dismissed by {dismissed_by}: {message.outcome}"[:2000],
    )
    return bool(dismissed)


def quarantined_message_retry(*, message: InboundMessage) -> bool:
    """Give a quarantined message to the worker again (after the fault is fixed, say)."""
    retried = InboundMessage.objects.filter(pk=message.pk, status=Status.QUARANTINED).update(
        status=Status.RECEIVED, attempts=0, outcome="queued again from the inbox"
    )
    return bool(retried)
