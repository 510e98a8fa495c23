"""How the Google Drive store is set up: its profile settings, its credentials, its errors."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from partnerdesk.documents.base import DocumentStoreError

SCOPES = ("https://www.googleapis.com/auth/drive", "https://www.googleapis.com/auth/documents")
KEY_FILE_VARIABLE = "GOOGLE_SERVICE_ACCOUNT_KEY_FILE"
TRANSIENT_STATUSES = {408, 429, 500, 502, 503, 504}
RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "backendError"}


@dataclass(frozen=True)
class DriveConfig:
    shared_drive_id: str
    root_folder: str = ""  # a folder path inside the shared drive; "" is the drive's top level
    key_file: str = ""  # a service-account key (JSON); else $GOOGLE_SERVICE_ACCOUNT_KEY_FILE
    subject: str = ""  # the user the service account acts as (domain-wide delegation)
    api_endpoint: str = ""  # "" for Google; a local fake server in tests ("http://127.0.0.1:PORT")
    timeout: float = 30.0
    attempts: int = 4  # tries of one call when Google answers 429/5xx

    @classmethod
    def from_profile(cls, documents: Any) -> DriveConfig:
        """From the profile's `[documents.google_drive]`."""
        section = documents.google_drive
        if not section.shared_drive_id.strip():
            raise DocumentStoreError(
                "the Google Drive store needs [documents.google_drive] shared_drive_id in the profile",
                permanent=True,
            )
        return cls(
            shared_drive_id=section.shared_drive_id.strip(),
            root_folder=section.root_folder.strip(),
            key_file=section.key_file.strip() or os.environ.get(KEY_FILE_VARIABLE, "").strip(),
            subject=section.subject.strip(),
            api_endpoint=section.api_endpoint.strip(),
        )


def load_credentials(config: DriveConfig) -> Any:
    """Service-account credentials acting as `config.subject`; tests replace this factory."""
    from google.oauth2 import service_account

    if not config.key_file:
        raise DocumentStoreError(
            f"no Google service-account key: set [documents.google_drive] key_file or {KEY_FILE_VARIABLE}",
            permanent=True,
        )
    try:
        credentials = service_account.Credentials.from_service_account_file(config.key_file, scopes=SCOPES)
    except OSError as exc:
        raise DocumentStoreError(
            f"cannot read the service-account key {config.key_file}: {exc.strerror}", permanent=True
        ) from exc
    except (ValueError, KeyError) as exc:
        raise DocumentStoreError(
            f"{config.key_file} is not a service-account key file: {exc}", permanent=True
        ) from exc
    return credentials.with_subject(config.subject) if config.subject else credentials


def store_error(exc: Exception, what: str) -> DocumentStoreError:
    """A googleapiclient HttpError (or a network error) as the store's error."""
    from google.auth.exceptions import RefreshError
    from googleapiclient.errors import HttpError

    if isinstance(exc, RefreshError):
        return DocumentStoreError(
            f"Google Drive: {what}: Google refused the service account a token ({exc}); check the key "
            "and that domain-wide delegation grants the drive and documents scopes for the subject",
            permanent=True,
        )
    if not isinstance(exc, HttpError):
        return DocumentStoreError(f"Google Drive: {what}: {exc}", permanent=False)
    status = int(exc.resp.status)
    message = exc.reason or str(exc)
    reasons = {detail.get("reason") for detail in (exc.error_details or []) if isinstance(detail, dict)}
    if status in TRANSIENT_STATUSES or (status == 403 and reasons & RATE_LIMIT_REASONS):
        return DocumentStoreError(f"Google Drive: {what}: HTTP {status} {message}", permanent=False)
    if status == 401:
        hint = "the credentials were refused; check the service-account key and its delegation"
    elif status == 403:
        hint = "permission denied; the acting user needs access to the shared drive (Content manager)"
    elif status == 404:
        hint = "not found, or not visible to the acting user"
    else:
        hint = "refused"
    return DocumentStoreError(f"Google Drive: {what}: {hint} (HTTP {status}: {message})", permanent=True)
