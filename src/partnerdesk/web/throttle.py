"""Sign-in throttling: one set of counters for every way in.

Every failed attempt counts against the client's address, whatever the way in (the password form,
which the admin's sign-in redirects to; a one-time sign-in link; an invitation's set-password link).
A failed password also counts against the username, from that client and from anywhere. Past a
limit, that way in answers "try again in N minutes" until the window that started with the first
failure ends.

Counters live in Django's cache (the default per-process memory cache is enough for one server;
several servers need a shared cache). The client is REMOTE_ADDR; behind a TLS proxy `partnerdesk
serve` sets it from the trusted proxy's X-Forwarded-For (see docs/production.md). IPv6 clients count
per /64 network, the block one subscriber usually has.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

FAILURES_PER_USERNAME = 5  # from one client
FAILURES_PER_ACCOUNT = 20  # from every client together
FAILURES_PER_ADDRESS = 30  # from one client, every username and way in together
WINDOW_SECONDS = 15 * 60

_PREFIX = "partnerdesk:signin-fail"


@dataclass(frozen=True)
class Block:
    """Sign-in is refused for `retry_after` more seconds."""

    retry_after: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


def client_address(request: HttpRequest) -> str:
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _counters(username: str | None, address: str) -> list[tuple[str, int]]:
    """(cache key, limit) for each counter an attempt by `username` from `address` touches."""
    counters = [(f"{_PREFIX}:address:{_digest(address)}", FAILURES_PER_ADDRESS)]
    if username is not None:
        name = username.strip().lower()
        counters.append((f"{_PREFIX}:pair:{_digest(name, address)}", FAILURES_PER_USERNAME))
        counters.append((f"{_PREFIX}:account:{_digest(name)}", FAILURES_PER_ACCOUNT))
    return counters


def sign_in_blocked(*, address: str, username: str | None = None) -> Block | None:
    """The block on this attempt, if any; `username` is None for ways in without one (links)."""
    counters = _counters(username, address)
    counts = cache.get_many([key for key, _ in counters])
    full = [key for key, limit in counters if counts.get(key, 0) >= limit]
    if not full:
        return None
    ends = cache.get_many([f"{key}:ends" for key in full])
    now = time.time()
    longest = max(ends.get(f"{key}:ends", now + WINDOW_SECONDS) - now for key in full)
    return Block(retry_after=max(1, math.ceil(longest)))


def sign_in_failed(*, address: str, username: str | None = None) -> None:
    for key, _ in _counters(username, address):
        # add() starts the window on the first failure; later failures do not extend it.
        if cache.add(key, 0, WINDOW_SECONDS):
            cache.set(f"{key}:ends", time.time() + WINDOW_SECONDS, WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, WINDOW_SECONDS)
            cache.set(f"{key}:ends", time.time() + WINDOW_SECONDS, WINDOW_SECONDS)


def sign_in_succeeded(*, username: str, address: str) -> None:
    """The right password from this client forgives its earlier mistakes with this username."""
    pair_key = _counters(username, address)[1][0]
    cache.delete_many([pair_key, f"{pair_key}:ends"])
