"""Who did something: every service records it on what it writes (the timeline, the audit trail)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User


@dataclass(frozen=True)
class Actor:
    """A signed-in user, or a label such as `cli:alice` or `mail:bob@x.org`."""

    label: str
    user: User | None = None

    @classmethod
    def for_user(cls, user: User) -> Actor:
        return cls(label=user.get_username(), user=user)
