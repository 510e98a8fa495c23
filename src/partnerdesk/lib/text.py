"""What a typed-in text field may hold (pure): a maximum length, and no control characters.

Every limit lives here, so the CLI, the web, the mailbox and imports refuse the same things with the
same message, before the database sees the value (PostgreSQL raises on an over-long varchar; SQLite
stores it). docs/limits.md lists them; keep the two in step.
"""

from __future__ import annotations

import re

# Names and one-line labels (the database columns are as wide).
ORGANIZATION_NAME = 200
CONTACT_NAME = 200
EMAIL = 254  # RFC 5321's path limit, as Django's EmailField
WEBSITE = 200
VERBAL_YES_BY = 200
AGREEMENT_REFERENCE = 200
TASK_TITLE = 300
TASK_ASSIGNEE = 200
# Free text.
NOTE = 10_000
QUALIFICATION_NOTES = 10_000
REASON = 2_000

# Control characters (Unicode category Cc) and lone surrogates (from undecodable command-line
# bytes; they cannot be stored as UTF-8). Tab, LF and CR are let through: in a name they are
# ordinary whitespace and become one space, in a note they are kept (a CR becomes a line break).
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class TextError(ValueError):
    """A field's value is refused; the message names the field and is meant for the user."""


def _refuse_control(text: str, field: str) -> None:
    found = _REFUSED.search(text)
    if found is None:
        return
    char, position = found.group(), found.start() + 1
    if char == "\x00":
        raise TextError(f"the {field} contains a NUL byte (character {position})")
    if "\ud800" <= char <= "\udfff":
        raise TextError(f"the {field} is not valid text (an undecodable byte at character {position})")
    raise TextError(f"the {field} contains a control character (U+{ord(char):04X}, character {position})")


def _refuse_long(text: str, field: str, max_length: int) -> None:
    if len(text) > max_length:
        raise TextError(f"the {field} is too long ({len(text):,} characters; at most {max_length:,})")


def without_control(value: str) -> str:
    """`value` with its refused characters dropped: for data from a vendor, kept for display only."""
    return _REFUSED.sub("", value)


def single_line(value: str, *, field: str, max_length: int) -> str:
    """A name or label: whitespace runs (tabs and line breaks too) become one space, ends trimmed."""
    _refuse_control(value, field)
    text = " ".join(value.split())
    _refuse_long(text, field, max_length)
    return text


def multi_line(value: str, *, field: str, max_length: int) -> str:
    """A note: line breaks (CRLF and CR become LF) and tabs are kept, ends trimmed."""
    _refuse_control(value, field)
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    _refuse_long(text, field, max_length)
    return text
