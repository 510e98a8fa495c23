"""Access links: what a person opens without a password (a sign-in link, an invitation, the
documents shared with a partner, the technical form, a satisfaction check-in).

A link carries a random token; only the token's SHA-256 is stored, in a row of a table built on
`AccessLink` (the table keeps its own foreign keys: the user, the contact, the check-in). Each
row names its purpose and each lookup names the purpose it serves, so a token made for one page
never opens another. A link works until it expires or is revoked; one meant to work once is
used up by a conditional update, so of two clicks exactly one gets through. Lookups take
whatever a URL brings: a token that cannot be one of ours finds nothing, without a query.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from typing import Any, TypeVar

from django.core import signing
from django.db import models

from partnerdesk.lib import clock

TOKEN_BYTES = 32
# What secrets.token_urlsafe makes (43 characters for 32 bytes); anything else is junk.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


class AccessLink(models.Model):
    """The columns every access link shares; a concrete table adds what the link leads to."""

    purpose = models.CharField(max_length=40)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


Link = TypeVar("Link", bound=AccessLink)


def token_hash(token: str) -> str | None:
    """The stored form of `token`, or None when it cannot be a token of ours."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    return hashlib.sha256(token.encode()).hexdigest()


def access_link_issue(
    model: type[Link],
    *,
    purpose: str,
    lifetime: dt.timedelta | None = None,
    expires_at: dt.datetime | None = None,
    **fields: Any,
) -> tuple[Link, str]:
    """A new link row and its token, which is not stored: put it in the URL you send now. It
    expires after `lifetime`, or at `expires_at` (the end of what it leads to)."""
    if (lifetime is None) == (expires_at is None):
        raise TypeError("give an access link either a lifetime or an expires_at")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()
    link = model._default_manager.create(
        purpose=purpose,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=expires_at if lifetime is None else now + lifetime,
        **fields,
    )
    return link, token


def access_links_working(
    links: models.QuerySet[Link], *, purpose: str | tuple[str, ...]
) -> models.QuerySet[Link]:
    """The links of `purpose` (or of any of several, for a list) among `links` that are neither
    revoked nor expired."""
    purposes = (purpose,) if isinstance(purpose, str) else purpose
    return links.filter(purpose__in=purposes, revoked_at__isnull=True, expires_at__gt=clock.now())


def access_link_get(links: models.QuerySet[Link], token: str, *, purpose: str) -> Link | None:
    """The link of `purpose` that `token` names, whatever its state: for a page that says why a
    link does not open (expired, used) rather than only that it does not. None for junk."""
    hashed = token_hash(token)
    if hashed is None:
        return None
    return links.filter(purpose=purpose, token_hash=hashed).first()


def access_link_find(links: models.QuerySet[Link], token: str, *, purpose: str) -> Link | None:
    """The working link of `purpose` that `token` opens, used or not (the caller says what a used
    link shows); None for junk, another purpose's token, a revoked or an expired link."""
    hashed = token_hash(token)
    if hashed is None:
        return None
    return access_links_working(links, purpose=purpose).filter(token_hash=hashed).first()


def access_link_use(link: AccessLink) -> bool:
    """Use up a single-use link: True for the one caller whose conditional update claimed it,
    False when it was used, revoked or expired before. Call it in the transaction of what the use
    does, so a failure leaves the link unused."""
    now = clock.now()
    unused = type(link)._default_manager.filter(
        pk=link.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    )
    claimed = unused.update(used_at=now)
    if claimed == 1:
        link.used_at = now
    return claimed == 1


def access_link_redeem(links: models.QuerySet[Link], token: str, *, purpose: str) -> Link | None:
    """The link `token` opens, used up now; None if it does not work or was used already."""
    link = access_link_find(links, token, purpose=purpose)
    if link is None or not access_link_use(link):
        return None
    return link


def access_link_revoke(link: AccessLink, **also: Any) -> bool:
    """Revoke the link (and set the `also` fields with it, e.g. who revoked it); False when it was
    revoked before, which changes nothing."""
    now = clock.now()
    working = type(link)._default_manager.filter(pk=link.pk, revoked_at__isnull=True)
    revoked = working.update(revoked_at=now, **also)
    if revoked == 1:
        link.revoked_at = now
        for name, value in also.items():
            setattr(link, name, value)
    return revoked == 1


def legacy_signed_value(token: str, *, salt: str) -> Any:
    """What a link signed before access links existed carries, or None if the signature fails.

    Only check-in emails sent before the change carry such tokens; nothing is signed any more.
    Once every check-in without a stored link has expired, this and its caller can go.
    """
    if not isinstance(token, str) or len(token) > 200:
        return None
    try:
        return signing.Signer(salt=salt).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
