"""The Google Drive store against the fake: the exact calls, pages, retries and error messages."""

from __future__ import annotations

import pytest

from partnerdesk.documents.base import DocumentStoreError
from partnerdesk.documents.gdrive import COPYING, GOOGLE_DOC, DriveConfig, escape, load_credentials
from tests.documents.conftest import drive_store

RUNNING_NOTES = "Partnerships/Templates/[Template] Running Notes"
PARTNER = "Partnerships/Agreements/Harbor University"


def test_query_values_escape_quotes_and_backslashes():
    assert escape("O'Brien \\ Sons") == "O\\'Brien \\\\ Sons"


def test_a_folder_is_found_by_its_exact_name_on_a_later_page_not_made_twice(google):
    agreements = google.add_path("Partnerships/Agreements")
    google.add("HARBOR UNIVERSITY", agreements)
    google.add("harbor university", agreements)
    harbor = google.add("Harbor University", agreements)  # on the second page: the fake pages 2 by 2
    store = drive_store(google)
    assert store.ensure_folder(PARTNER).store_id == harbor
    assert "POST /drive/v3/files" not in google.calls
    assert google.calls.count("GET /drive/v3/files") == 4  # Partnerships, Agreements, 2 pages


def test_the_copy_is_a_google_doc_renamed_with_the_drive_link(google):
    store = drive_store(google)
    folder = store.ensure_folder(PARTNER)
    copy = store.copy_template(
        template=RUNNING_NOTES,
        folder=folder,
        name="Running notes -- Harbor University + 2i2c",
        replacements={"PartnerX": "Harbor University"},
    )
    made = google.files[copy.store_id]
    assert (made.name, made.mime_type) == ("Running notes -- Harbor University + 2i2c", GOOGLE_DOC)
    assert copy.url == f"https://docs.google.com/document/d/{copy.store_id}/edit"
    assert any(call.endswith("/copy") for call in google.calls)
    assert any(call.startswith("PATCH /drive/v3/files/") for call in google.calls)


def test_a_copy_stopped_before_its_rename_is_finished_not_made_again(google):
    store = drive_store(google)
    folder = store.ensure_folder(PARTNER)
    google.fail(400, match="PATCH")  # the rename fails once: the copy stays under its working name
    with pytest.raises(DocumentStoreError):
        store.copy_template(
            template=RUNNING_NOTES, folder=folder, name="Notes", replacements={"PartnerX": "Harbor"}
        )
    assert [f.name for f in google.children(folder.store_id)] == ["Notes" + COPYING]
    copy = store.copy_template(
        template=RUNNING_NOTES, folder=folder, name="Notes", replacements={"PartnerX": "Harbor"}
    )
    assert [f.name for f in google.children(folder.store_id)] == ["Notes"]
    assert "PartnerX" not in store.read_text(copy)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_transient_error_is_retried_in_the_adapter(google, status):
    store = drive_store(google)
    google.fail(status, times=2, match="POST /drive/v3/files")
    folder = store.ensure_folder(PARTNER)
    assert google.find(PARTNER).id == folder.store_id


def test_a_rate_limit_403_is_transient_too(google):
    store = drive_store(google)
    google.fail(403, times=1, match="GET /drive/v3/files", reason="userRateLimitExceeded")
    assert store.ensure_folder(PARTNER).name == "Harbor University"


def test_an_error_that_lasts_is_transient_after_the_last_attempt(google):
    store = drive_store(google, attempts=3)
    google.fail(500, times=10, match="GET /drive/v3/files")
    with pytest.raises(DocumentStoreError) as error:
        store.ensure_folder(PARTNER)
    assert not error.value.permanent
    assert "HTTP 500" in str(error.value)
    assert len(google.calls) == 3


def test_permission_denied_is_permanent_and_says_what_to_fix(google):
    store = drive_store(google)
    google.fail(403, times=10, match="GET /drive/v3/files")
    with pytest.raises(DocumentStoreError) as error:
        store.ensure_folder(PARTNER)
    assert error.value.permanent
    assert "permission denied" in str(error.value)
    assert "shared drive" in str(error.value)
    assert len(google.calls) == 1


def test_a_document_gone_from_drive_is_a_permanent_not_found(google):
    store = drive_store(google)
    folder = store.ensure_folder(PARTNER)
    copy = store.copy_template(template=RUNNING_NOTES, folder=folder, name="Notes", replacements={})
    del google.files[copy.store_id]
    with pytest.raises(DocumentStoreError) as error:
        store.append_paragraph(copy, "2026-11-25 Hello")
    assert error.value.permanent
    assert "not found" in str(error.value)


def test_sharing_adds_a_writer_with_drives_notification_once(google):
    store = drive_store(google)
    folder = store.ensure_folder(PARTNER)
    copy = store.copy_template(template=RUNNING_NOTES, folder=folder, name="Notes", replacements={})
    assert store.share(copy, "lee@harbor.example.edu", "editor", True, "Our running notes")
    assert not store.share(copy, "Lee@harbor.example.edu", "editor", True, "Our running notes")
    assert [(p["emailAddress"], p["role"]) for p in google.files[copy.store_id].permissions] == [
        ("lee@harbor.example.edu", "writer")
    ]
    assert google.notifications == [
        {"to": "lee@harbor.example.edu", "file": "Notes", "message": "Our running notes"}
    ]


def test_a_root_folder_inside_the_shared_drive_holds_everything(google):
    google.add_path("Team/Partnerships/Templates")
    source = google.find("Partnerships/Templates/[Template] Running Notes")
    google.files[source.id].parent = google.find("Team/Partnerships/Templates").id
    store = drive_store(google, root_folder="Team")
    folder = store.ensure_folder(PARTNER)
    assert google.find(f"Team/{PARTNER}").id == folder.store_id
    assert (
        store.copy_template(template=RUNNING_NOTES, folder=folder, name="Notes", replacements={}).name
        == "Notes"
    )


def test_without_a_key_file_the_error_says_where_to_set_it(monkeypatch):
    monkeypatch.delenv("GOOGLE_SERVICE_ACCOUNT_KEY_FILE", raising=False)
    with pytest.raises(DocumentStoreError) as error:
        load_credentials(DriveConfig(shared_drive_id="0A"))
    assert error.value.permanent
    assert "GOOGLE_SERVICE_ACCOUNT_KEY_FILE" in str(error.value)


def test_a_key_file_that_is_not_a_key_is_refused(tmp_path):
    key = tmp_path / "key.json"
    key.write_text("{}")
    with pytest.raises(DocumentStoreError) as error:
        load_credentials(DriveConfig(shared_drive_id="0A", key_file=str(key)))
    assert "not a service-account key file" in str(error.value)


def test_the_profile_without_a_shared_drive_id_is_refused_clearly(tmp_path):
    from partnerdesk.profile import DEFAULT_PROFILE_PATH, DocumentsSection, ProfileError, load_profile

    with pytest.raises(DocumentStoreError) as error:
        DriveConfig.from_profile(DocumentsSection())
    assert "shared_drive_id" in str(error.value)
    path = tmp_path / "partnerdesk.toml"
    path.write_text(DEFAULT_PROFILE_PATH.read_text().replace('store = "local"', 'store = "google-drive"'))
    with pytest.raises(ProfileError, match='documents: store = "google-drive" needs google_drive'):
        load_profile(path)
