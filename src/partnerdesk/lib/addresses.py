"""Parsing people's names and email addresses as users type them (pure)."""

from __future__ import annotations

import re
from email.utils import getaddresses

from partnerdesk.lib import text as limits

_PART = r"[^@\s<>(),;:\"\[\]\\\x00-\x1f\x7f]+"
_ADDRESS = re.compile(rf"^{_PART}@{_PART}\.{_PART}$")
SEPARATORS_HINT = 'separate several with "," or ";"; a name with a comma goes in quotes: "Doe, Jane" <email>'


class AddressError(ValueError):
    pass


def normalize_email(address: str) -> str:
    address = address.strip()
    if len(address) > limits.EMAIL:
        raise AddressError(
            f"the email address is too long ({len(address):,} characters; at most {limits.EMAIL})"
        )
    if not _ADDRESS.match(address):
        raise AddressError(f"{address!r} is not an email address")
    return address.lower()


def _text_error(exc: limits.TextError) -> AddressError:
    return AddressError(str(exc))


def _contacts(text: str) -> list[tuple[str, str]]:
    """Every `Name <email>` or bare address in `text`, separated by `,` or `;` (maybe none)."""
    if "\r" in text.strip() or "\n" in text.strip():
        raise AddressError("a contact cannot span lines")
    try:
        limits.single_line(text, field="contact", max_length=len(text))
    except limits.TextError as exc:
        raise _text_error(exc) from None
    chunks = [chunk.strip() for chunk in text.split(";") if chunk.strip()]
    found = []
    for chunk in chunks:
        for name, address in getaddresses([chunk]):
            if not name and not address:
                continue
            if "@" not in address:
                if "@" not in chunk:
                    raise AddressError(f"{chunk!r} has no email address (expected Name <email>)")
                raise AddressError(
                    f"{chunk!r}: {address or name!r} is not an email address; {SEPARATORS_HINT}"
                )
            try:
                name = limits.single_line(name, field="contact name", max_length=limits.CONTACT_NAME)
            except limits.TextError as exc:
                raise _text_error(exc) from None
            found.append((name, normalize_email(address)))
    return found


def parse_contact(text: str) -> tuple[str, str]:
    """`Jane Doe <jane@x.edu>`, `"Doe, Jane" <jane@x.edu>` or `jane@x.edu` -> (name, email).

    Text holding several addresses is refused, naming them: one contact is expected here.
    """
    if not text.strip():
        raise AddressError("empty contact (expected Name <email> or an address)")
    found = _contacts(text)
    if not found:
        raise AddressError(f"{text.strip()!r} has no email address (expected Name <email>)")
    if len(found) > 1:
        addresses = ", ".join(address for _, address in found)
        raise AddressError(
            f"{text.strip()!r} holds {len(found)} addresses ({addresses}); give one contact here"
        )
    return found[0]


def parse_contact_list(text: str) -> list[tuple[str, str]]:
    """Several contacts separated by `;` or `,` (a comma may sit inside a quoted name)."""
    return _contacts(text)
