"""The acknowledgement to an unknown sender, when the profile turns it on (off by default).

It goes only to a person's message that opened a new Lead: the routing never gets here for
automatic or bulk mail, our own mail, or a sender over the hourly cap, and a robot-looking address
is checked again here. It carries `Auto-Submitted: auto-replied` (RFC 3834) and our `X-Loop`, so
a well-behaved system does not answer it, and it is queued at most once per sender per day: the
outbox's unique idempotency key makes a second one a no-op, even for two workers at once.
"""

from __future__ import annotations

import logging

from django.db import transaction

from partnerdesk.inbound.models import InboundMessage
from partnerdesk.inbound.parsing import ParsedMessage
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

ACKNOWLEDGEMENT = """Hello{name},

Thank you for writing to {organization}. This is an automatic acknowledgement: your message
"{subject}" has reached {mailbox_name}, and a member of the team will answer you soon.

There is no need to write again; if you reply, please keep the reference {reference} in the
subject so we can find your message.

{signature_separator}
{mailbox_name}
{mailbox}
"""


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
    already = set(OutboxMessage.objects.filter(idempotency_key=key).values_list("pk", flat=True))
    headers = {"Auto-Submitted": "auto-replied", "X-Loop": profile.mailbox.address}
    if parsed.message_id:
        headers["In-Reply-To"] = f"<{parsed.message_id}>"
        headers["References"] = " ".join(f"<{i}>" for i in [*parsed.references[-19:], parsed.message_id])
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
    try:
        with transaction.atomic():
            queued = message_queue(
                to=[parsed.from_addr],
                subject=f"Re: {subject}",
                body=body,
                extra_headers=headers,
                engagement=engagement,
                idempotency_key=key,
                actor=Actor(label="partnerdesk"),
            )
    except (AddressError, HeaderInjectionError, ValueError) as exc:
        log.warning("inbound: no acknowledgement to message %s: %s", message.pk, exc)
        return False
    return queued.pk not in already
