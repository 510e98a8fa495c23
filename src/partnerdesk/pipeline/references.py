"""Engagement references (`PD-12`: the profile's prefix, then the engagement's id), read and
written in one place."""

from __future__ import annotations

import functools
import re

from partnerdesk.lib.errors import UserError
from partnerdesk.profile import get_profile

_REFERENCE = re.compile(r"^\s*\[?(?:([A-Za-z][A-Za-z0-9]*)-)?(\d{1,18})\]?\s*$")


class EngagementNotFound(UserError, LookupError):
    pass


def reference_of(engagement_id: int) -> str:
    return f"{get_profile().organization.reference_prefix}-{engagement_id}"


def engagement_id_from_reference(reference: str) -> int:
    """`PD-12`, `[PD-12]`, `pd-12` or `12` -> 12."""
    match = _REFERENCE.match(reference)
    prefix = get_profile().organization.reference_prefix
    if not match or (match.group(1) and match.group(1).upper() != prefix):
        raise EngagementNotFound(f"{reference!r} is not an engagement reference (like {prefix}-12)")
    return int(match.group(2))


@functools.cache
def _in_text(prefix: str, bracketed: bool) -> re.Pattern[str]:
    escaped = re.escape(prefix)
    if bracketed:
        return re.compile(rf"\[{escaped}-(\d{{1,18}})\]", re.IGNORECASE)
    return re.compile(rf"(?<![\w-]){escaped}-(\d{{1,18}})(?!\w)", re.IGNORECASE)


def engagement_ids_in(text: str, *, bracketed: bool = False) -> list[int]:
    """The ids of the references in free text, in order: `PD-12` anywhere, or only `[PD-12]` (as
    our subjects carry it) when `bracketed`."""
    pattern = _in_text(get_profile().organization.reference_prefix, bracketed)
    return [int(number) for number in pattern.findall(text or "")]
