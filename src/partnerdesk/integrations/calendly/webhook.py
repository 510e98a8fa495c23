"""Calendly webhook v2 deliveries (pure): the signature check and the payload's booking.

`Calendly-Webhook-Signature: t=<unix seconds>,v1=<hex>`, where v1 is the hex HMAC-SHA256 of
`t + "." + raw body` under the subscription's signing key. Checked on the raw bytes, in constant
time, and refused when `t` is more than TOLERANCE seconds away from now (a replay of an old one).
A header that is not of that form (a `t` that is not a plain number of seconds, a `v1` that is not
64 hex digits) is refused as malformed, never an error.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from partnerdesk.integrations.calendly.booking import Booking, hashed_key, start_from_iso
from partnerdesk.lib import text as limits
from partnerdesk.lib.webhook_input import json_object

SIGNATURE_HEADER = "Calendly-Webhook-Signature"
TOLERANCE = 180
EVENTS = ("invitee.created", "invitee.canceled")
# Unix seconds: up to 12 ASCII digits (the year 33658); `str.isdigit` would let "²" and 5,000 digits in.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


class SignatureError(ValueError):
    """The delivery is not signed with our key, or the signature is too old."""


def signature_for(*, body: bytes, key: str, timestamp: int) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(key.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature_verify(
    *, header: str | None, body: bytes, key: str, now: float, tolerance: int = TOLERANCE
) -> None:
    """Returns when the signature is good; raises SignatureError saying what is wrong."""
    if not key:
        raise SignatureError("no signing key is configured (CALENDLY_WEBHOOK_SIGNING_KEY)")
    if not header:
        raise SignatureError(f"no {SIGNATURE_HEADER} header")
    timestamp, signatures = None, []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t":
            timestamp = value.strip()
        elif name == "v1":
            signatures.append(value.strip())
    signatures = [signature for signature in signatures if _HEX_SHA256.fullmatch(signature)]
    if timestamp is None or not _TIMESTAMP.fullmatch(timestamp) or not signatures:
        raise SignatureError("the signature header is malformed")
    if abs(now - int(timestamp)) > tolerance:
        raise SignatureError(f"the signature is {abs(now - int(timestamp)):.0f} s old (limit {tolerance} s)")
    expected = signature_for(body=body, key=key, timestamp=int(timestamp))
    if not any(hmac.compare_digest(expected, signature.lower()) for signature in signatures):
        raise SignatureError("the signature does not match")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    """A string field, without control characters (they cannot be stored, and mean nothing here)."""
    return limits.without_control(value).strip() if isinstance(value, str) else ""


def delivery_booking(body: bytes) -> tuple[str, Booking | None]:
    """(event name, booking) from a delivery's body; the booking is None for other events or a
    payload without an invitee address. Raises ValueError (webhook_input.MalformedBody) for a body
    that is not a JSON object."""
    data = json_object(body)
    event = _text(data.get("event"))
    payload = _dict(data.get("payload"))
    email = _text(payload.get("email")).lower()
    if event not in EVENTS or "@" not in email:
        return event, None
    scheduled = _dict(payload.get("scheduled_event"))
    organization = ""
    for answer in _list(payload.get("questions_and_answers")):
        answer = _dict(answer)
        question = _text(answer.get("question")).lower()
        if any(word in question for word in ("organization", "organisation", "company", "institution")):
            organization = _text(answer.get("answer"))
            break
    uri = _text(payload.get("uri"))
    guests = []
    for guest in _list(scheduled.get("event_guests")):
        guest_email = _text(_dict(guest).get("email")).lower()
        if "@" in guest_email and guest_email != email:
            guests.append(("", guest_email[: limits.EMAIL]))
    booking = Booking(
        key=f"calendly:{uri}" if uri else hashed_key("calendly", email, _text(scheduled.get("start_time"))),
        invitee_email=email,
        invitee_name=_text(payload.get("name"))[: limits.CONTACT_NAME],
        organization=organization[: limits.ORGANIZATION_NAME],
        event_name=_text(scheduled.get("name")),
        start=_text(scheduled.get("start_time")),
        join_url=_text(_dict(scheduled.get("location")).get("join_url")),
        canceled=event == "invitee.canceled" or _text(payload.get("status")) == "canceled",
        guests=tuple(guests),
        starts_at=start_from_iso(_text(scheduled.get("start_time"))),
    )
    return event, booking
