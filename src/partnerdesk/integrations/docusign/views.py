"""The Connect webhook: POST the raw JSON; 401 on a bad signature, 200 once applied or repeated.

A body over MAX_BODY_BYTES gets 413 (unread when its Content-Length says so); a signed body that is
not a Connect notification we accept (not JSON, nested too deep, fields of the wrong type or
length) gets 400: a malformed notification never gets a 5xx.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

from partnerdesk.integrations.docusign.connect import (
    ConnectPayloadError,
    connect_event_record,
    signature_valid,
)
from partnerdesk.lib.env import env_secret
from partnerdesk.lib.webhook_input import BodyTooLarge, MalformedBody, json_object, read_body

MAX_BODY_BYTES = 2 * 1024 * 1024


def hmac_keys() -> list[str]:
    """`DOCUSIGN_CONNECT_HMAC_KEYS` (comma-separated; or a file via `_FILE`); empty: the webhook is off."""
    secret = env_secret("DOCUSIGN_CONNECT_HMAC_KEYS") or ""
    return [key.strip() for key in secret.replace("\n", ",").split(",") if key.strip()]


@csrf_exempt
def connect_webhook(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    keys = hmac_keys()
    if not keys:
        return HttpResponse("the DocuSign webhook is not configured\n", status=404, content_type="text/plain")
    try:
        body = read_body(request, limit=MAX_BODY_BYTES)
    except BodyTooLarge:
        return HttpResponse(
            f"too large (at most {MAX_BODY_BYTES:,} bytes)\n", status=413, content_type="text/plain"
        )
    if not signature_valid(body=body, headers=request.headers, keys=keys):
        return HttpResponse("bad signature\n", status=401, content_type="text/plain")
    try:
        record = connect_event_record(json_object(body))
    except (MalformedBody, ConnectPayloadError) as exc:
        return HttpResponse(f"bad notification: {exc}\n", status=400, content_type="text/plain")
    return HttpResponse("ok\n" if record is not None else "already received\n", content_type="text/plain")
