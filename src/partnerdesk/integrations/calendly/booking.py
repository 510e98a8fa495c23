"""A Calendly booking, however it reached us (pure)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Booking:
    # What identifies the booking: the invitee's URI (webhook), the invitation's UID (.ics), or a
    # hash of what the notification says. A booking is acted on once per key.
    key: str
    invitee_email: str
    invitee_name: str = ""
    organization: str = ""  # the invitee's answer to an "Organization" question, when asked
    event_name: str = ""
    start: str = ""  # as given: an ISO time (webhook, .ics) or the notification's words
    join_url: str = ""
    canceled: bool = False
    # The other participants the booking names (Calendly's additional guests, the invitation's
    # attendees), as (name, address).
    guests: tuple[tuple[str, str], ...] = ()
    # When the meeting starts, when `start` could be read (timezone-aware).
    starts_at: dt.datetime | None = None

    @property
    def participants(self) -> list[tuple[str, str]]:
        """The invitee, then each guest, once each."""
        seen: dict[str, str] = {self.invitee_email: self.invitee_name}
        for name, email in self.guests:
            seen.setdefault(email, name)
        return [(name, email) for email, name in seen.items()]

    def describe(self) -> str:
        who = f"{self.invitee_name} <{self.invitee_email}>" if self.invitee_name else self.invitee_email
        what = self.event_name or "a meeting"
        when = f" on {self.start}" if self.start else ""
        verb = "canceled" if self.canceled else "booked"
        return f"{who} {verb} {what}{when}"


def hashed_key(prefix: str, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()[:40]
    return f"{prefix}:{digest}"


# Calendly's notification writes the invitee's time zone in words; the usual ones, to IANA names.
_ZONE_WORDS = {
    "eastern time": "America/New_York",
    "central time": "America/Chicago",
    "mountain time": "America/Denver",
    "arizona time": "America/Phoenix",
    "pacific time": "America/Los_Angeles",
    "alaska time": "America/Anchorage",
    "hawaii time": "Pacific/Honolulu",
    "utc": "UTC",
    "gmt": "UTC",
    "uk, ireland, lisbon time": "Europe/London",
    "central european time": "Europe/Berlin",
    "eastern european time": "Europe/Helsinki",
    "india standard time": "Asia/Kolkata",
    "japan time": "Asia/Tokyo",
    "australia/sydney": "Australia/Sydney",
}
_WORDS_TIME = re.compile(
    r"(\d{1,2}):(\d{2})\s*([ap]m)\s*-\s*(?:\w+,\s*)?([A-Za-z]+)\s+(\d{1,2}),\s*(\d{4})(?:\s*\(([^)]*)\))?",
    re.IGNORECASE,
)
_ICS_TIME = re.compile(r"^(\d{8})T(\d{6})(Z?)$")


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def start_from_words(text: str) -> dt.datetime | None:
    """`10:00am - Tuesday, December 1, 2026 (Central Time - US & Canada)` as a datetime; None
    when it is not of that form or its time zone is not one Calendly names as above."""
    match = _WORDS_TIME.search(text)
    if not match:
        return None
    hour, minute, meridiem, month, day, year, zone_words = match.groups()
    try:
        moment = dt.datetime.strptime(
            f"{year} {month} {day} {int(hour)}:{minute} {meridiem}", "%Y %B %d %I:%M %p"
        )
    except ValueError:
        return None
    zone_name = (zone_words or "UTC").split(" - ")[0].strip().lower()
    zone = _zone(_ZONE_WORDS.get(zone_name, zone_words or ""))
    return moment.replace(tzinfo=zone) if zone else None


def start_from_iso(text: str) -> dt.datetime | None:
    """`2026-12-01T16:00:00.000000Z` (webhook) as a datetime."""
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def start_from_ics(value: str, tzid: str = "") -> dt.datetime | None:
    """An iCalendar DTSTART (`20261201T160000Z`, or local with its TZID)."""
    match = _ICS_TIME.match(value.strip())
    if not match:
        return None
    moment = dt.datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S")
    if match.group(3):
        return moment.replace(tzinfo=dt.UTC)
    zone = _zone(tzid) if tzid else None
    return moment.replace(tzinfo=zone) if zone else None
