from __future__ import annotations

from pathlib import Path

import pytest

from partnerdesk.documents.base import get_store
from partnerdesk.documents.local import LocalStore
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement


@pytest.fixture
def drive(data_folder) -> Path:
    return data_folder / "drive"


@pytest.fixture
def store() -> LocalStore:
    local = get_store()
    assert isinstance(local, LocalStore)
    return local


@pytest.fixture
def harbor(db, alice_actor) -> Engagement:  # noqa: ARG001
    return services.engagement_create(
        organization_name="Harbor University",
        contacts=[("Lee Park", "lee@harbor.example.edu"), ("Sam Ortiz", "sam@harbor.example.edu")],
        actor=alice_actor,
    )


# The Google Drive store, on a local fake of Drive v3 and Docs v1.


import docx  # noqa: E402
from google.oauth2.credentials import Credentials  # noqa: E402

from partnerdesk.documents import docx_text  # noqa: E402
from partnerdesk.documents.gdrive import GOOGLE_DOC, DriveConfig, GoogleDriveStore  # noqa: E402
from partnerdesk.documents.local import SHIPPED_TEMPLATES  # noqa: E402
from partnerdesk.profile import DEFAULT_PROFILE_PATH  # noqa: E402
from tests.documents.fake_google import FakeGoogle  # noqa: E402


def fake_credentials(config: DriveConfig) -> Credentials:  # noqa: ARG001 - the factory's signature
    return Credentials(token="fake")


@pytest.fixture
def google():
    """The fake Google, holding the team's shared drive with the handbook's templates in it."""
    fake = FakeGoogle().start()
    templates = fake.add_path("Partnerships/Templates")
    for path in sorted(SHIPPED_TEMPLATES.glob("*.docx")):
        paragraphs = docx_text.read_text(docx.Document(str(path))).split("\n")
        fake.add(path.stem, templates, mime_type=GOOGLE_DOC, paragraphs=paragraphs)
    yield fake
    fake.stop()


def drive_store(google: FakeGoogle, **config: object) -> GoogleDriveStore:
    return GoogleDriveStore(
        DriveConfig(shared_drive_id=google.drive_id, api_endpoint=google.url, **config),  # type: ignore[arg-type]
        credentials_factory=fake_credentials,
        sleep=lambda seconds: None,
    )


@pytest.fixture(params=["local", "google-drive"])
def any_store(request, data_folder):
    """Each store behaviour test runs against the local store and against the Drive store."""
    if request.param == "local":
        return LocalStore(root=data_folder / "drive")
    return drive_store(request.getfixturevalue("google"))


@pytest.fixture
def on_drive(google, monkeypatch, profile_file):
    """The profile chooses the Google Drive store (`[documents] store = "google-drive"`)."""
    profile_file(
        DEFAULT_PROFILE_PATH.read_text(encoding="utf-8")
        .replace('store = "local"', 'store = "google-drive"')
        .replace(
            'shared_drive_id = ""', f'shared_drive_id = "{google.drive_id}"\napi_endpoint = "{google.url}"'
        )
    )
    monkeypatch.setattr("partnerdesk.documents.gdrive.load_credentials", fake_credentials)
    monkeypatch.setattr("partnerdesk.documents.gdrive.pause", lambda seconds: None)
    return google
