"""DocuSign eSignature REST v2.1: an envelope made from the agreement, signers in routing order.

`POST {base}/restapi/v2.1/accounts/{accountId}/envelopes` with the current version as
`documentBase64`; the answer is `201 {"envelopeId", "status": "sent", ...}`. Every call goes
through `lib/http.py` (`request_json`); its failures become DocuSignError with the same
`permanent` flag (a 4xx answer is permanent, 429 and 5xx transient). The Connect webhook
(`connect.py`) later marks the signers and the envelope completed: the executed close.

Optional per profile: off unless the profile's `[docusign]` section says `enabled = true`; the
access token comes from `DOCUSIGN_ACCESS_TOKEN` (or a file named by `DOCUSIGN_ACCESS_TOKEN_FILE`).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from partnerdesk.lib.env import env_secret
from partnerdesk.lib.http import HttpError, request_json
from partnerdesk.profile import get_profile

PROVIDER = "docusign"
DEFAULT_TIMEOUT_SECONDS = 30.0


class DocuSignError(Exception):
    """DocuSign refused or could not be reached; `permanent`: trying again will not help."""

    def __init__(self, message: str, *, permanent: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.status = status


@dataclass(frozen=True)
class DocuSignConfig:
    base_url: str  # the account's base URI, e.g. https://demo.docusign.net
    account_id: str
    token: str
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    def envelopes_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/restapi/v2.1/accounts/{self.account_id}/envelopes"


def docusign_config() -> DocuSignConfig | None:
    """The adapter's settings when the profile turns DocuSign on; None when it is off.

    On without a token is an error naming what is missing, not a silent fallback to the email:
    the team asked for DocuSign. (The profile itself refuses `enabled` without an account id.)
    """
    section = get_profile().docusign
    if not section.enabled:
        return None
    token = env_secret("DOCUSIGN_ACCESS_TOKEN") or ""
    if not token:
        raise DocuSignError(
            "DocuSign is turned on but lacks DOCUSIGN_ACCESS_TOKEN (or DOCUSIGN_ACCESS_TOKEN_FILE)",
            permanent=True,
        )
    return DocuSignConfig(
        base_url=section.base_url, account_id=section.account_id, token=token, timeout=section.timeout_seconds
    )


@dataclass(frozen=True)
class Signer:
    name: str
    email: str
    routing_order: int


def envelope_definition(
    *, subject: str, document: bytes, name: str, filename: str, signers: list[Signer]
) -> dict[str, Any]:
    """The JSON DocuSign documents for a sent envelope with one document (pure)."""
    return {
        "emailSubject": subject[:100],  # DocuSign's limit
        "status": "sent",
        "documents": [
            {
                "documentBase64": base64.b64encode(document).decode("ascii"),
                "documentId": "1",
                "fileExtension": PurePosixPath(filename).suffix.lstrip(".").lower() or "docx",
                "name": name,
            }
        ],
        "recipients": {
            "signers": [
                {
                    "email": s.email,
                    "name": s.name,
                    "recipientId": str(number),
                    "routingOrder": str(s.routing_order),
                }
                for number, s in enumerate(signers, start=1)
            ],
        },
    }


def envelope_create(config: DocuSignConfig, definition: dict[str, Any]) -> tuple[str, str]:
    """Create (and send) the envelope; returns (envelopeId, status)."""
    try:
        answer = request_json(
            "POST",
            config.envelopes_url(),
            body=definition,
            headers={"Authorization": f"Bearer {config.token}"},
            timeout=config.timeout,
        )
    except HttpError as exc:
        # The message carries DocuSign's {"errorCode", "message"}, never the token.
        raise DocuSignError(f"DocuSign: {exc}", permanent=exc.permanent, status=exc.status) from None
    data = answer.data
    if not isinstance(data, dict) or not data.get("envelopeId"):
        raise DocuSignError("DocuSign answered without an envelopeId", permanent=True, status=answer.status)
    return str(data["envelopeId"]), str(data.get("status") or "sent")
