"""The Connect webhook: POST the raw JSON; 401 on a bad signature, 200 once applied or repeated."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

from partnerdesk.integrations.docusign.connect import (
    ConnectPayloadError,
    connect_event_apply,
    signature_valid,
)
from partnerdesk.lib.env import env_secret

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
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return HttpResponse("too large\n", status=413, content_type="text/plain")
    if not signature_valid(body=body, headers=request.headers, keys=keys):
        return HttpResponse("bad signature\n", status=401, content_type="text/plain")
    try:
        payload = json.loads(body)
        if not isinstance(payload, dict):
            raise ConnectPayloadError("not a JSON object")
        record = connect_event_apply(payload)
    except (ValueError, ConnectPayloadError) as exc:
        return HttpResponse(f"bad notification: {exc}\n", status=400, content_type="text/plain")
    return HttpResponse("ok\n" if record is not None else "already received\n", content_type="text/plain")
