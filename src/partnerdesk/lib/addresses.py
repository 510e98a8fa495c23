"""Parsing people's names and email addresses as users type them (pure)."""

from __future__ import annotations

import re
from email.utils import parseaddr

_ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]\\]+@[^@\s<>(),;:\"\[\]\\]+\.[^@\s<>(),;:\"\[\]\\]+$")


class AddressError(ValueError):
    pass


def normalize_email(address: str) -> str:
    address = address.strip()
    if not _ADDRESS.match(address):
        raise AddressError(f"{address!r} is not an email address")
    return address.lower()


def parse_contact(text: str) -> tuple[str, str]:
    """`Jane Doe <jane@x.edu>`, `"Doe, Jane" <jane@x.edu>` or `jane@x.edu` -> (name, email)."""
    text = text.strip()
    if not text:
        raise AddressError("empty contact (expected Name <email> or an address)")
    if "\r" in text or "\n" in text:
        raise AddressError("a contact cannot span lines")
    name, address = parseaddr(text)
    if not address or "@" not in address:
        raise AddressError(f"{text!r} has no email address (expected Name <email>)")
    return name.strip(), normalize_email(address)


def parse_contact_list(text: str) -> list[tuple[str, str]]:
    """Several contacts separated by `;` (a comma may sit inside a quoted name)."""
    return [parse_contact(item) for item in text.split(";") if item.strip()]
