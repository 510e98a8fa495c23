"""A Calendly booking, however it reached us (pure)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


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

    def describe(self) -> str:
        who = f"{self.invitee_name} <{self.invitee_email}>" if self.invitee_name else self.invitee_email
        what = self.event_name or "a meeting"
        when = f" on {self.start}" if self.start else ""
        verb = "canceled" if self.canceled else "booked"
        return f"{who} {verb} {what}{when}"


def hashed_key(prefix: str, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()[:40]
    return f"{prefix}:{digest}"
