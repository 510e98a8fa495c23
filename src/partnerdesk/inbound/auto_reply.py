"""Every automatic message the mailbox writes back: the answer to a team member's command, the
request to confirm a held one, and the acknowledgement to an unknown sender.

They all go through `automatic_reply_queue`, which threads the reply (In-Reply-To/References),
marks it `Auto-Submitted: auto-replied` with our `X-Loop` (RFC 3834), and refuses to write when
that could feed a loop with an auto-responder that sends none of those headers:
- at most MAX_PER_ADDRESS_PER_DAY automatic answers a day to an address's messages that answer
  one of our automatic messages (by thread, or by subject for a mailer that does not thread);
- none to a message that answers one of our automatic messages and adds nothing to it (a
  vacation notice quoting us), or that repeats the text of one we just sent it.
A person's new message is always answered: the hourly cap per sender bounds those.
Each reply is recorded (`AutomaticReply`) so the limits hold for several workers at once.

The acknowledgement to an unknown sender is off unless the profile turns it on, and goes at most
once per sender a day: the outbox's unique idempotency key makes a second one a no-op.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.db import transaction

from partnerdesk.inbound.models import AutomaticReply, InboundMessage
from partnerdesk.inbound.parsing import ParsedMessage, parse_message
from partnerdesk.inbound.reading import automatic_reason, bare_subject
from partnerdesk.lib import clock
from partnerdesk.lib.addresses import AddressError
from partnerdesk.mail.composing import HeaderInjectionError
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import message_queue
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.services import Actor
from partnerdesk.profile import get_profile

log = logging.getLogger("partnerdesk.inbound")

MAX_PER_ADDRESS_PER_DAY = 3
# How far back a text we sent counts as "just sent" when a message repeats it.
ECHO_WINDOW = dt.timedelta(days=2)
_QUOTE = re.compile(r"^\s*>.*$|^On .{0,200} wrote:\s*$", re.MULTILINE)
_WORDS = re.compile(r"\w+")

ACKNOWLEDGEMENT = """Hello{name},

Thank you for writing to {organization}. This is an automatic acknowledgement: your message
"{subject}" has reached {mailbox_name}, and a member of the team will answer you soon.

There is no need to write again; if you reply, please keep the reference {reference} in the
subject so we can find your message.

{signature_separator}
{mailbox_name}
{mailbox}
"""


def _words(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


def _own_words(parsed: ParsedMessage) -> list[str]:
    """The words the sender wrote, without the lines quoting someone else."""
    return _words(_QUOTE.sub("", parsed.text))


def _repeats(parsed: ParsedMessage, sent_raw: bytes, *, wholly: bool) -> bool:
    """The message's own words are (nearly) all words of a message we sent; `wholly`: and they
    are at least half of that message (an echo, not a short request that shares its words)."""
    own = _own_words(parsed)
    if not own:  # an empty reply to our message adds nothing; an empty message echoes nothing
        return not wholly
    ours = _words(parse_message(sent_raw).text)
    vocabulary = set(ours)
    if sum(word in vocabulary for word in own) < 0.9 * len(own):
        return False
    return not wholly or len(own) >= 0.5 * len(ours)


def _subject_key(subject: str) -> str:
    """A subject without reference tags and reply or forward prefixes, to compare threads by."""
    text = re.sub(r"\[[A-Za-z][A-Za-z0-9]{0,9}-\d+\]", " ", subject)
    previous = None
    while previous != text:
        previous, text = text, bare_subject(text)
    return " ".join(text.lower().split())


def _answered(parsed: ParsedMessage, address: str) -> tuple[list[AutomaticReply], bool]:
    """Our automatic messages to `address` that this message answers, and whether it says so
    in its threading headers (else it was matched by the subject of one we sent it in the last
    day, for a mailer that sets no threading headers)."""
    ours = AutomaticReply.objects.filter(address=address).select_related("outbox")
    ids = [f"<{i}>" for i in [*parsed.in_reply_to, *parsed.references]]
    threaded = list(ours.filter(outbox__message_id__in=ids)) if ids else []
    if threaded:
        return threaded, True
    key = _subject_key(parsed.subject)
    recent = ours.filter(outbox__created_at__gte=clock.now() - dt.timedelta(days=1)).order_by("-id")[:20]
    return [reply for reply in recent if key and _subject_key(reply.outbox.subject) == key], False


def automatic_reply_refusal(parsed: ParsedMessage, address: str) -> str:
    """Why no automatic message may go to `address` in answer to `parsed`, or "" when one may.

    A person's new message is always answered (the hourly cap per sender bounds them); what
    answers one of our automatic messages gets at most MAX_PER_ADDRESS_PER_DAY answers a day."""
    address = address.lower()
    answered, threaded = _answered(parsed, address)
    if answered:
        today = AutomaticReply.objects.filter(address=address, sent_on=clock.today(), answers_ours=True)
        if today.count() >= MAX_PER_ADDRESS_PER_DAY:
            return f"{address} already had {MAX_PER_ADDRESS_PER_DAY} automatic answers to its replies today"
        for reply in answered if threaded else []:
            if _repeats(parsed, bytes(reply.outbox.raw), wholly=False):
                return "it answers one of our automatic messages and adds nothing to it"
    since = clock.now() - ECHO_WINDOW
    ours = AutomaticReply.objects.filter(address=address, outbox__created_at__gte=since).select_related(
        "outbox"
    )
    for reply in ours.order_by("-id")[:5]:
        if _repeats(parsed, bytes(reply.outbox.raw), wholly=True):
            return "it repeats a message we just sent"
    return ""


def thread_headers(parsed: ParsedMessage) -> dict[str, str]:
    """Auto-Submitted, X-Loop, and the threading headers of a reply to `parsed`."""
    headers = {"Auto-Submitted": "auto-replied", "X-Loop": get_profile().mailbox.address}
    if parsed.message_id:
        headers["In-Reply-To"] = f"<{parsed.message_id}>"
        references = [*parsed.references[-19:], parsed.message_id]
        headers["References"] = " ".join(f"<{i}>" for i in references)
    return headers


def automatic_reply_queue(
    *,
    message: InboundMessage,
    parsed: ParsedMessage,
    subject: str,
    body: str,
    engagement: Engagement | None,
    idempotency_key: str,
) -> tuple[OutboxMessage | None, str]:
    """Queue an automatic reply to the sender of `parsed`, in its thread.

    Returns (the queued message, "") or (None, why not). Goes only to the From address the
    parser read from the raw header, never to a Reply-To or an address in a display name."""
    address = parsed.from_addr
    if not address:
        return None, "the message has no sender address"
    existing = OutboxMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, ""
    refusal = automatic_reply_refusal(parsed, address)
    answers_ours = bool(_answered(parsed, address.lower())[0])
    if refusal:
        log.info("inbound: no automatic reply to message %s: %s", message.pk, refusal)
        return None, refusal
    try:
        with transaction.atomic():
            queued = message_queue(
                to=[address],
                subject=subject,
                body=body,
                extra_headers=thread_headers(parsed),
                engagement=engagement,
                idempotency_key=idempotency_key,
                actor=Actor(label="partnerdesk"),
            )
            AutomaticReply.objects.get_or_create(
                outbox=queued,
                defaults={"address": address, "sent_on": clock.today(), "answers_ours": answers_ours},
            )
    except (AddressError, HeaderInjectionError, ValueError) as exc:
        log.warning("inbound: no automatic reply to message %s: %s", message.pk, exc)
        return None, str(exc)
    return queued, ""


def auto_reply_enabled() -> bool:
    """The profile's `[inbound] auto_reply_unknown_senders` (false when the profile lacks it)."""
    return get_profile().inbound.auto_reply_unknown_senders


def auto_reply_key(address: str) -> str:
    return f"auto-reply-{address.lower()}-{clock.today().isoformat()}"


def auto_reply_queue(*, message: InboundMessage, parsed: ParsedMessage, engagement: Engagement) -> bool:
    """Queue the acknowledgement to the sender of `message`; True when one is queued now."""
    if not auto_reply_enabled():
        return False
    profile = get_profile()
    if not parsed.from_addr or automatic_reason(parsed, own_address=profile.mailbox.address):
        return False
    if parsed.from_addr == profile.mailbox.address or profile.is_team_address(parsed.from_addr):
        return False
    key = auto_reply_key(parsed.from_addr)
    if OutboxMessage.objects.filter(idempotency_key=key).exists():
        return False
    subject = bare_subject(parsed.subject) or "your message"
    body = ACKNOWLEDGEMENT.format(
        name=f" {parsed.from_name}" if parsed.from_name else "",
        organization=profile.organization.name,
        subject=subject,
        mailbox_name=profile.mailbox.display_name,
        mailbox=profile.mailbox.address,
        reference=engagement.reference,
        signature_separator="-- ",  # the standard "-- " line, kept out of the source's trailing space
    )
    queued, _ = automatic_reply_queue(
        message=message,
        parsed=parsed,
        subject=f"Re: {subject}",
        body=body,
        engagement=engagement,
        idempotency_key=key,
    )
    return queued is not None
