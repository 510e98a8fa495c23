"""`POST /hooks/calendly`: a Calendly webhook delivery, verified and stored once; the worker acts
on it (inbound/bookings.py), so the request never waits on the document store or a playbook.

The signing key is read from the environment (CALENDLY_WEBHOOK_SIGNING_KEY, or a file named by
CALENDLY_WEBHOOK_SIGNING_KEY_FILE) at each request, so rotating it needs no restart. A bad,
missing or stale signature gets 403 and changes nothing; a replayed body gets 200 and does nothing.
A body over MAX_BODY gets 413 (unread when its Content-Length says so), one that is not a JSON
object we accept gets 400: a malformed delivery never gets a 5xx.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from partnerdesk.inbound.bookings import webhook_delivery_store
from partnerdesk.integrations.calendly.webhook import (
    SIGNATURE_HEADER,
    SignatureError,
    delivery_booking,
    signature_verify,
)
from partnerdesk.lib import clock
from partnerdesk.lib.env import EnvError, env_secret
from partnerdesk.lib.webhook_input import BodyTooLarge, read_body

log = logging.getLogger("partnerdesk.calendly")
MAX_BODY = 1024 * 1024


@csrf_exempt
@require_POST
def calendly_webhook(request: HttpRequest) -> JsonResponse:
    try:
        body = read_body(request, limit=MAX_BODY)
    except BodyTooLarge as exc:
        log.warning("calendly webhook refused from %s: %s", request.META.get("REMOTE_ADDR"), exc)
        return JsonResponse({"error": f"the body is too large (at most {MAX_BODY:,} bytes)"}, status=413)
    try:
        key = env_secret("CALENDLY_WEBHOOK_SIGNING_KEY") or ""
        signature_verify(
            header=request.headers.get(SIGNATURE_HEADER), body=body, key=key, now=clock.now().timestamp()
        )
    except (SignatureError, EnvError) as exc:
        log.warning("calendly webhook refused from %s: %s", request.META.get("REMOTE_ADDR"), exc)
        return JsonResponse({"error": f"signature refused: {exc}"}, status=403)
    try:
        event, _ = delivery_booking(body)
    except ValueError as exc:  # MalformedBody: not UTF-8, not JSON, too deep, not an object
        log.warning("calendly webhook: unreadable body: %s", exc)
        return JsonResponse({"error": f"the body is not a Calendly delivery: {exc}"}, status=400)
    delivery, created = webhook_delivery_store(provider="calendly", body=body, event=event)
    if not created:
        return JsonResponse({"status": "duplicate", "delivery": delivery.pk})
    return JsonResponse({"status": "accepted", "delivery": delivery.pk})
