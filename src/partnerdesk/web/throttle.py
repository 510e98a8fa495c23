"""Sign-in throttling: a few failed passwords per username and address, then a pause.

Counters live in Django's cache (the default per-process memory cache is enough for one
server; several servers need a shared cache). The address is REMOTE_ADDR: behind a proxy,
every client shares the proxy's, which makes the limit stricter, never looser.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpRequest

FAILURES_PER_USERNAME = 5
FAILURES_PER_ADDRESS = 30
WINDOW_SECONDS = 15 * 60


def _keys(username: str, address: str) -> tuple[str, str]:
    pair = hashlib.sha256(f"{username.strip().lower()}\0{address}".encode()).hexdigest()
    return f"partnerdesk:signin-fail:{pair}", f"partnerdesk:signin-fail-address:{address}"


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def sign_in_blocked(*, username: str, address: str) -> bool:
    pair_key, address_key = _keys(username, address)
    counts = cache.get_many([pair_key, address_key])
    return (
        counts.get(pair_key, 0) >= FAILURES_PER_USERNAME or counts.get(address_key, 0) >= FAILURES_PER_ADDRESS
    )


def sign_in_failed(*, username: str, address: str) -> None:
    for key in _keys(username, address):
        # add() starts the window on the first failure; later failures do not extend it.
        cache.add(key, 0, WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, WINDOW_SECONDS)


def sign_in_succeeded(*, username: str, address: str) -> None:
    cache.delete(_keys(username, address)[0])
