"""Calendly's booking notification email, as the host receives and forwards it (pure).

Not a documented format, so it is read generously: the labels ("Invitee Email:") may be followed
by the value on the same line or the next, quoted with `>` inside a forward, as text or HTML; an
invitation (.ics, text/calendar) may come with it or alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from partnerdesk.integrations.calendly.booking import Booking, hashed_key, start_from_ics, start_from_words
from partnerdesk.lib.html_text import html_to_text


class NotificationMail(Protocol):
    """What is read of a received message: inbound's ParsedMessage has these (inbound sits above
    the integrations and hands its parsed messages down)."""

    subject: str
    from_addr: str
    text: str
    html: str
    forwarded: list[str]
    calendars: list[str]


_LABELS = {
    "event type": "event_name",
    "invitee": "invitee_name",
    "invitee email": "invitee_email",
    "event date/time": "start",
    "location": "location",
    "guest email(s)": "guests",
    "guest emails": "guests",
    "guests": "guests",
}
_LABEL = re.compile(
    r"^(event type|invitee email|invitee|event date/time|location|guest email\(s\)|guest emails|guests)"
    r"\s*:\s*(.*)$",
    re.IGNORECASE,
)
_QUOTE = re.compile(r"^[>\s]*")
_EMAIL = re.compile(r"[^\s<>()\"':;,]+@[^\s<>()\"':;,]+\.[A-Za-z]{2,}")
_URL = re.compile(r"https?://\S+")


def _lines(text: str) -> list[str]:
    return [_QUOTE.sub("", line).strip() for line in text.splitlines()]


def _fields(text: str) -> dict[str, str]:
    lines = _lines(text)
    found: dict[str, str] = {}
    for index, line in enumerate(lines):
        match = _LABEL.match(line)
        if not match:
            continue
        key = _LABELS[match.group(1).lower()]
        value = match.group(2).strip()
        following = [rest for rest in lines[index + 1 : index + 4] if rest]
        if not value and following and not _LABEL.match(following[0]):
            value = following[0]
        if key == "location":
            # The join link is often on the line after "This is a Zoom web conference."
            urls = _URL.findall(" ".join([value, *following[:2]]))
            value = urls[0] if urls else ""
        found.setdefault(key, value)
    return found


def _unfolded(ics: str) -> list[str]:
    lines: list[str] = []
    for line in ics.replace("\r\n", "\n").split("\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += line[1:]
        elif line:
            lines.append(line)
    return lines


def calendar_invitation(ics: str) -> dict[str, object]:
    """UID, SUMMARY, DTSTART, LOCATION, METHOD and the attendees (name, address) of the first
    VEVENT of an iCalendar text; missing fields are left out."""
    event: dict[str, object] = {"attendees": []}
    in_event = False
    for line in _unfolded(ics):
        name_part, _, value = line.partition(":")
        name, *params = name_part.split(";")
        name = name.upper()
        if name == "METHOD":
            event["method"] = value.strip().upper()
        elif name == "BEGIN" and value.strip().upper() == "VEVENT":
            in_event = True
        elif name == "END" and value.strip().upper() == "VEVENT":
            break
        elif in_event and name in ("UID", "SUMMARY", "DTSTART", "LOCATION", "SEQUENCE"):
            event.setdefault(name.lower(), value.strip().replace("\\,", ",").replace("\\n", " "))
            if name == "DTSTART":
                tzid = next(
                    (p.partition("=")[2].strip('"') for p in params if p.upper().startswith("TZID=")), ""
                )
                event.setdefault("dtstart_tzid", tzid)
        elif in_event and name == "ATTENDEE" and value.lower().startswith("mailto:"):
            cn = next((p.partition("=")[2].strip('"') for p in params if p.upper().startswith("CN=")), "")
            attendees = event["attendees"]
            assert isinstance(attendees, list)
            attendees.append((cn, value[7:].strip().lower()))
    return event


def _looks_like_calendly(parsed: NotificationMail, text: str) -> bool:
    return bool(
        re.search(r"invitee email\s*:", text, re.IGNORECASE)
        or "calendly" in parsed.from_addr
        or re.search(r"\bnew event\s*:", parsed.subject, re.IGNORECASE)
    )


def booking_from_message(parsed: NotificationMail, *, is_ours: Callable[[str], bool]) -> Booking | None:
    """The booking a (possibly forwarded) notification announces, or None when it is not one.

    `is_ours(address)` tells our own addresses (the team's, the shared mailbox), which are never
    the invitee."""
    text = "\n".join([parsed.text, *parsed.forwarded])
    if parsed.html and "invitee email" not in text.lower():
        text += "\n" + html_to_text(parsed.html)
    fields = _fields(text) if _looks_like_calendly(parsed, text) else {}
    invitation: dict[str, object] = {}
    for ics in parsed.calendars:
        invitation = calendar_invitation(ics)
        if invitation.get("uid"):
            break
    invitee_email = ""
    match = _EMAIL.search(fields.get("invitee_email", ""))
    if match:
        invitee_email = match.group(0).lower()
    invitee_name = fields.get("invitee_name", "")
    attendees = invitation.get("attendees") or []
    assert isinstance(attendees, list)
    if not invitee_email:
        outsiders = [(cn, email) for cn, email in attendees if not is_ours(email)]
        if outsiders:
            invitee_name, invitee_email = outsiders[0]
    if not invitee_email or is_ours(invitee_email):
        return None
    start = fields.get("start") or str(invitation.get("dtstart", ""))
    starts_at = start_from_words(fields.get("start", "")) or start_from_ics(
        str(invitation.get("dtstart", "")), str(invitation.get("dtstart_tzid", ""))
    )
    guests: dict[str, str] = {}
    for guest_email in _EMAIL.findall(fields.get("guests", "")):
        guests.setdefault(guest_email.lower(), "")
    for cn, attendee in attendees:
        if attendee != invitee_email and not is_ours(attendee):
            guests[attendee] = guests.get(attendee) or cn
    guests.pop(invitee_email, None)
    event_name = fields.get("event_name") or str(invitation.get("summary", ""))
    uid = str(invitation.get("uid", ""))
    canceled = invitation.get("method") == "CANCEL" or bool(
        re.search(r"\bcancel(l)?ed\b", parsed.subject, re.IGNORECASE)
    )
    return Booking(
        key=f"ics:{uid}" if uid else hashed_key("calendly-mail", invitee_email, start, event_name),
        invitee_email=invitee_email,
        invitee_name=invitee_name[:200],
        event_name=event_name[:200],
        start=start[:200],
        join_url=fields.get("location", "") or str(invitation.get("location", "")),
        canceled=canceled,
        guests=tuple((name[:200], email) for email, name in guests.items() if not is_ours(email)),
        starts_at=starts_at,
    )
