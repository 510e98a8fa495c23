"""A rename moves the partner folder and every document in it, in the local drive and on Google Drive."""

from __future__ import annotations

import hashlib
import re
from email import message_from_bytes, policy

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from partnerdesk.agreements import storage
from partnerdesk.agreements.services import agreement_attach, agreement_create
from partnerdesk.documents import services
from partnerdesk.documents.base import get_store
from partnerdesk.documents.models import Document
from partnerdesk.lib import clock
from partnerdesk.pipeline import services as pipeline
from partnerdesk.pipeline.models import Contact, Organization
from partnerdesk.pipeline.naming import engagement_name_organization, engagement_open_provisional
from partnerdesk.pipeline.services import ServiceError
from partnerdesk.technical.models import Handoff
from tests.agreements.conftest import docx_bytes

pytestmark = pytest.mark.django_db

OLD = "Partnerships/Agreements/Harbor University"
NEW = "Partnerships/Agreements/Harbor State University"
AGREEMENT_TITLE = "Harbor University + 2i2c/CS&S - Services Agreement 2026-11-25"


@pytest.fixture(params=["local", "google-drive"])
def store_kind(request) -> str:
    if request.param == "google-drive":
        request.getfixturevalue("on_drive")
    return request.param


def _draft(engagement, actor, title: str = AGREEMENT_TITLE) -> Document:
    return services.document_from_template(
        engagement=engagement,
        kind=Document.Kind.AGREEMENT,
        template=services.template_path(services.AGREEMENT_TEMPLATE),
        folder_path=services.partner_folder_path(engagement),
        title=title,
        replacements={"PartnerX": engagement.organization.name},
        actor=actor,
    )


def _with_documents(engagement, actor):
    notes = services.running_notes_ensure(engagement=engagement, actor=actor)
    draft = _draft(engagement, actor)
    agreement = agreement_create(engagement=engagement, actor=actor, document=draft)
    agreement_attach(agreement=agreement, content=docx_bytes("Version two"), filename="v2.docx", actor=actor)
    return notes, draft, agreement


def _rename(engagement, actor, name: str = "Harbor State University") -> list[str]:
    return pipeline.organization_update(
        organization=engagement.organization, name=name, website="", actor=actor, engagement=engagement
    )


def _found(folder: str, name: str):
    store = get_store()
    return store.find_document(folder=store.ensure_folder(folder), name=name)


def test_renaming_the_organization_moves_its_folder_and_renames_the_documents(
    store_kind, harbor, alice_actor, drive, request
):
    notes, draft, agreement = _with_documents(harbor, alice_actor)
    ids_before = {document.pk: document.store_id for document in (notes, draft)}

    changes = _rename(harbor, alice_actor)

    assert changes == [
        "name: Harbor University -> Harbor State University",
        f"documents: 2 documents moved from {OLD} to {NEW}",
    ]
    notes.refresh_from_db()
    draft.refresh_from_db()
    agreement.refresh_from_db()
    assert (notes.folder_path, notes.title) == (NEW, "Running notes -- Harbor State University + 2i2c")
    assert (draft.folder_path, draft.title) == (
        NEW,
        "Harbor State University + 2i2c/CS&S - Services Agreement 2026-11-25",
    )
    assert (agreement.folder_path, agreement.title) == (NEW, draft.title)
    assert [version.title for version in agreement.versions.all()] == [draft.title, f"{draft.title} v2"]
    # The store has each under its new name, in the new folder; each row leads to its file.
    for document in (notes, draft):
        assert _found(NEW, document.title).store_id == document.store_id
        assert storage.read_file(document.store_id)
    assert "Version two" in get_store().read_text(_found(NEW, f"{draft.title} v2"))
    assert storage.read_file(agreement.versions.get(number=2).store_id)
    if store_kind == "local":
        assert not (drive / OLD).exists()
        assert sorted(path.name for path in (drive / NEW).iterdir() if not path.name.startswith(".")) == [
            "Harbor State University + 2i2c_CS&S - Services Agreement 2026-11-25 v2.docx",
            "Harbor State University + 2i2c_CS&S - Services Agreement 2026-11-25.docx",
            "Running notes -- Harbor State University + 2i2c.docx",
        ]
    else:
        google = request.getfixturevalue("google")
        assert google.find(OLD) is None
        # Drive: one call renames the folder (its id stays), and the files keep their ids.
        folder = google.find(NEW)
        assert [call for call in google.calls if call == f"PATCH /drive/v3/files/{folder.id}"] == [
            f"PATCH /drive/v3/files/{folder.id}"
        ]
        assert {document.pk: document.store_id for document in (notes, draft)} == ids_before
        assert sorted(f.name for f in google.children(folder.id)) == [
            draft.title,
            f"{draft.title} v2",
            notes.title,
        ]
    # Later entries go to the same running notes, not to a new copy in the new folder.
    services.running_notes_append(engagement=harbor, text="Called Lee", actor=alice_actor)
    assert Document.objects.filter(engagement=harbor).count() == 2
    assert "Called Lee" in get_store().read_text(services.stored_item(notes))


def test_a_store_failure_changes_nothing_and_says_so(on_drive, harbor, alice_actor):
    notes = services.running_notes_ensure(engagement=harbor, actor=alice_actor)
    on_drive.fail(403, match="PATCH")

    with pytest.raises(ServiceError, match="could not be renamed .* nothing was changed"):
        _rename(harbor, alice_actor)

    harbor.organization.refresh_from_db()
    assert harbor.organization.name == "Harbor University"
    assert Document.objects.get(pk=notes.pk).title == notes.title
    assert Document.objects.get(pk=notes.pk).folder_path == OLD
    assert on_drive.find(OLD) is not None and on_drive.find(NEW) is None
    # Once the store answers again, the same change goes through.
    assert _rename(harbor, alice_actor)[0] == "name: Harbor University -> Harbor State University"
    assert Document.objects.get(pk=notes.pk).folder_path == NEW


def test_a_rename_that_stopped_after_the_store_moved_is_finished_by_doing_it_again(
    harbor, alice_actor, drive
):
    notes, draft, _ = _with_documents(harbor, alice_actor)
    # The store moved the folder, then the process died before the rows changed.
    get_store().move_folder(source=OLD, target=NEW, documents=[], whole=True)
    assert not (drive / OLD).exists()

    _rename(harbor, alice_actor)

    notes.refresh_from_db()
    assert notes.title == "Running notes -- Harbor State University + 2i2c"
    assert (drive / notes.store_id).is_file()
    assert _found(NEW, notes.title).store_id == notes.store_id


def test_old_links_keep_working_after_a_rename(harbor, alice_actor):
    notes, draft, agreement = _with_documents(harbor, alice_actor)
    lee = Contact.objects.get(email="lee@harbor.example.edu")
    [share] = services.document_share(document=draft, contacts=[lee], role="editor", actor=alice_actor)
    body = message_from_bytes(bytes(share.notification.raw), policy=policy.default).get_body(("plain",))
    link = re.search(r"https?://\S+?(/p/docs/[A-Za-z0-9_-]+/)", body.get_content()).group(1)
    token = link.rstrip("/").rsplit("/", 1)[1]
    partner = Client()
    assert partner.post(link).url == link + "shared/"
    alice = get_user_model().objects.create_user(username="alice", password="correct horse battery")
    team = Client()
    team.force_login(alice)
    version = agreement.versions.get(number=2)

    _rename(harbor, alice_actor)

    download = partner.get(reverse("partner-download", args=[token, draft.pk]))
    assert download.status_code == 200
    # An agreement's link gives its latest version, found where the rename put it.
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == version.sha256
    page = partner.get(link + "shared/").content.decode()
    assert "Harbor State University + 2i2c/CS&amp;S - Services Agreement 2026-11-25" in page
    own = team.get(reverse("agreement-version-download", args=[harbor.reference, version.pk]))
    assert own.status_code == 200
    assert hashlib.sha256(b"".join(own.streaming_content)).hexdigest() == version.sha256


def test_an_engagement_that_joins_an_existing_organization_brings_its_documents_into_its_folder(
    store_kind, alice_actor, drive, request
):
    ridge = pipeline.engagement_create(
        organization_name="Ridge College", contacts=[("Ana", "ana@ridge.example.edu")], actor=alice_actor
    )
    theirs = services.running_notes_ensure(engagement=ridge, actor=alice_actor)
    jo = engagement_open_provisional(
        name="uni.example", contacts=[("Jo", "jo@uni.example")], actor=alice_actor, source="email"
    )
    ours = services.running_notes_ensure(engagement=jo, actor=alice_actor)
    draft = _draft(jo, alice_actor, title="uni.example + 2i2c/CS&S - Services Agreement 2026-12-01")
    old_folder = "Partnerships/Agreements/uni.example"

    change = engagement_name_organization(engagement=jo, name="Ridge College", actor=alice_actor)

    assert change == "Organization named Ridge College (was uni.example, taken from an address)"
    assert not Organization.objects.filter(name="uni.example").exists()
    ours.refresh_from_db()
    draft.refresh_from_db()
    target = "Partnerships/Agreements/Ridge College"
    # Their running notes keep theirs; ours come along under the next free name, nothing lost.
    assert (ours.folder_path, ours.title) == (target, "Running notes -- Ridge College + 2i2c (2)")
    assert draft.title == "Ridge College + 2i2c/CS&S - Services Agreement 2026-12-01"
    assert draft.folder_path == target
    for document in (theirs, ours, draft):
        assert _found(target, document.title).store_id == document.store_id
    assert ours.store_id != theirs.store_id
    if store_kind == "local":
        assert not (drive / old_folder).exists()
    else:
        google = request.getfixturevalue("google")
        assert google.find(old_folder) is None
        assert len(google.children(google.find(target).id)) == 3


def test_only_the_moving_engagements_documents_leave_a_folder_others_still_use(alice_actor, drive):
    first = engagement_open_provisional(
        name="uni.example", contacts=[("Jo", "jo@uni.example")], actor=alice_actor, source="email"
    )
    second = pipeline.engagement_create(
        organization_name="uni.example", contacts=[("Kim", "kim@uni.example")], actor=alice_actor
    )
    ours = _draft(first, alice_actor, title="uni.example + 2i2c/CS&S - Services Agreement 2026-12-01")
    theirs = _draft(second, alice_actor, title="uni.example + 2i2c/CS&S - Services Agreement 2026-12-02")
    pipeline.engagement_create(organization_name="Ridge College", contacts=[], actor=alice_actor)

    engagement_name_organization(engagement=first, name="Ridge College", actor=alice_actor)

    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.folder_path == "Partnerships/Agreements/Ridge College"
    assert theirs.folder_path == "Partnerships/Agreements/uni.example"
    assert (drive / ours.store_id).is_file() and (drive / theirs.store_id).is_file()


def test_a_whole_folder_merge_keeps_files_nobody_recorded(harbor, alice_actor, drive):
    services.running_notes_ensure(engagement=harbor, actor=alice_actor)
    (drive / OLD / "Call recording notes.docx").write_bytes(docx_bytes("by hand"))
    (drive / OLD / "signed.pdf").write_bytes(b"%PDF-1.4")
    get_store().ensure_folder(NEW)
    (drive / NEW / "signed.pdf").write_bytes(b"%PDF-1.4 other")

    _rename(harbor, alice_actor)

    assert not (drive / OLD).exists()
    assert (drive / NEW / "Call recording notes.docx").is_file()
    assert _found(NEW, "Call recording notes") is not None
    assert sorted(p.name for p in (drive / NEW).glob("signed*.pdf")) == ["signed (2).pdf", "signed.pdf"]


def test_the_hand_off_names_the_technical_record_where_the_rename_put_it(harbor, alice_actor):
    now = clock.now()
    handoff = Handoff.objects.create(
        engagement=harbor, created_at=now, updated_at=now, document_path=f"{OLD}/Technical record.docx"
    )
    _rename(harbor, alice_actor)
    handoff.refresh_from_db()
    assert handoff.document_path == f"{NEW}/Technical record.docx"
