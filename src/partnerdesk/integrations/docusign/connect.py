"""DocuSign Connect notifications: HMAC verification (pure) and recording an event once.

Connect signs the raw body with each of the account's HMAC keys: `X-DocuSign-Signature-1`,
`-2`... = base64(HMAC-SHA256(key, body)); a notification is accepted if any header matches any
key. There is no timestamp, so a repeat is recognized by (envelopeId, event, generatedDateTime).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction

from partnerdesk.agreements.models import SignatureEnvelope, SignatureEvent
from partnerdesk.lib import clock

PROVIDER = "docusign"
SIGNATURE_HEADER = "X-DocuSign-Signature-{}"
MAX_SIGNATURE_HEADERS = 10


def signature(key: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def signature_valid(*, body: bytes, headers: Mapping[str, str], keys: Sequence[str]) -> bool:
    """Whether any X-DocuSign-Signature-N header is the HMAC of the raw body under any key."""
    expected = [signature(key, body) for key in keys if key]
    for number in range(1, MAX_SIGNATURE_HEADERS + 1):
        given = headers.get(SIGNATURE_HEADER.format(number))
        if given is None:
            continue
        if any(hmac.compare_digest(given.strip().encode(), value.encode()) for value in expected):
            return True
    return False


class ConnectPayloadError(ValueError):
    pass


def _field(value: Any, name: str, max_length: int) -> str:
    """A short identifier from the notification: a string or number, at most `max_length` long."""
    if value is None:
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ConnectPayloadError(f"{name} is not a string")
    text = str(value)
    if len(text) > max_length:
        raise ConnectPayloadError(f"{name} is longer than {max_length} characters")
    return text


def _object(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConnectPayloadError(f"{name} is not an object")
    return value


def _event_key(payload: Mapping[str, Any]) -> tuple[str, str, str]:
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    envelope_id = _field((data or {}).get("envelopeId"), "data.envelopeId", 100)
    event = _field(payload.get("event"), "event", 100)
    generated = _field(payload.get("generatedDateTime"), "generatedDateTime", 60)
    if not envelope_id or not event:
        raise ConnectPayloadError("a Connect notification needs event and data.envelopeId")
    return envelope_id, event, generated


def _signers_and_status(payload: Mapping[str, Any], event: str) -> tuple[list[str], str]:
    """The addresses that have signed, and the envelope's status; checked before anything is stored."""
    summary = _object(_object(payload.get("data"), "data").get("envelopeSummary"), "data.envelopeSummary")
    signers = _object(summary.get("recipients"), "envelopeSummary.recipients").get("signers") or []
    if not isinstance(signers, list):
        raise ConnectPayloadError("envelopeSummary.recipients.signers is not a list")
    signed = []
    for signer in signers:
        signer = _object(signer, "a signer")
        if _field(signer.get("status"), "a signer's status", 40) in {"signed", "completed"}:
            signed.append(_field(signer.get("email"), "a signer's email", 254).lower())
    status = _field(summary.get("status"), "envelopeSummary.status", 20) or event.removeprefix("envelope-")
    return signed, status[:20]


def connect_event_record(payload: Mapping[str, Any]) -> SignatureEvent | None:
    """Record the notification once, with the signers and status it reports, for the worker to
    apply (agreements/signature_events.py); None for a repeat, which changes nothing."""
    envelope_id, event, generated = _event_key(payload)
    signed, status = _signers_and_status(payload, event)
    envelope = SignatureEnvelope.objects.filter(provider=PROVIDER, envelope_id=envelope_id).first()
    try:
        with transaction.atomic():
            return SignatureEvent.objects.create(
                provider=PROVIDER,
                envelope_id=envelope_id,
                event=event,
                generated_at=generated,
                agreement=envelope.agreement if envelope else None,
                payload=dict(payload),
                received_at=clock.now(),
                signed=signed,
                status=status,
            )
    except IntegrityError:
        return None
