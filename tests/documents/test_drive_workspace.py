"""The handbook's document workspace with `[documents] store = "google-drive"`, end to end."""

from __future__ import annotations

import datetime as dt

import pytest

from partnerdesk.documents import services
from partnerdesk.documents.models import Document, RunningNoteEntry, Share
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from partnerdesk.playbooks.models import PlaybookRun

pytestmark = pytest.mark.django_db

LEE = "Lee Park <lee@harbor.example.edu>"
ANA = "Ana Ruiz <ana@harbor.example.edu>"
NOTES = "Partnerships/Agreements/Harbor University/Running notes -- Harbor University + 2i2c"


def _lead(cli) -> Engagement:
    assert cli("lead", "add", "Harbor University", "--contact", LEE, "--contact", ANA).code == 0
    return Engagement.objects.get()


def test_create_running_notes_on_drive_copies_shares_and_stores_the_drive_link(cli, on_drive):
    engagement = _lead(cli)
    result = cli("playbook", "run", "create-running-notes", engagement.reference)
    assert result.code == 0, result.err

    copy = on_drive.find(NOTES)
    assert copy is not None and copy.mime_type == "application/vnd.google-apps.document"
    assert "Running notes -- Harbor University + 2i2c" in copy.paragraphs
    assert "PartnerX" not in copy.text()
    document = Document.objects.get()
    assert (document.store, document.store_id) == ("google-drive", copy.id)
    assert document.url == f"https://docs.google.com/document/d/{copy.id}/edit"
    assert sorted((p["emailAddress"], p["role"]) for p in copy.permissions) == [
        ("ana@harbor.example.edu", "writer"),
        ("lee@harbor.example.edu", "writer"),
    ]
    # Drive sends the handbook's notification; the mailbox sends no second one.
    assert sorted(n["to"] for n in on_drive.notifications) == [
        "ana@harbor.example.edu",
        "lee@harbor.example.edu",
    ]
    assert all("running notes" in n["message"] for n in on_drive.notifications)
    assert OutboxMessage.objects.count() == 0
    assert Share.objects.count() == 2
    share_entry = engagement.timeline.get(kind=TimelineEntry.Kind.SHARE)
    assert share_entry.data["notified_by"] == "store"


def test_drive_down_fails_the_step_and_the_same_command_resumes_it(cli, on_drive):
    engagement = _lead(cli)
    on_drive.fail(503, times=50, match="/copy")
    failed = cli("playbook", "run", "create-running-notes", engagement.reference)
    assert failed.code == 1
    assert "step 2 (running-notes) failed:" in failed.err
    assert "HTTP 503" in failed.err
    assert PlaybookRun.objects.get().status == "failed"

    on_drive.failures.clear()
    resumed = cli("playbook", "run", "create-running-notes", engagement.reference)
    assert resumed.code == 0, resumed.err
    assert PlaybookRun.objects.get().status == "succeeded"
    folder = on_drive.find("Partnerships/Agreements/Harbor University")
    assert [f.name for f in on_drive.children(folder.id)] == ["Running notes -- Harbor University + 2i2c"]


def test_a_template_missing_from_the_shared_drive_fails_with_its_name(cli, on_drive):
    engagement = _lead(cli)
    template = on_drive.find("Partnerships/Templates/[Template] Running Notes")
    template.trashed = True
    failed = cli("playbook", "run", "create-running-notes", engagement.reference)
    assert failed.code == 1
    assert (
        "the template 'Partnerships/Templates/[Template] Running Notes' is not in the shared drive"
        in failed.err
    )


def test_a_dated_entry_is_appended_once_on_drive(harbor, alice_actor, on_drive):
    for _ in range(2):
        services.running_notes_append(
            engagement=harbor,
            text="Meeting with Lee Park",
            actor=alice_actor,
            on=dt.date(2026, 11, 25),
            idempotency_key="run-1:notes",
        )
    RunningNoteEntry.objects.all().delete()  # as if the database write had rolled back
    services.running_notes_append(
        engagement=harbor,
        text="Meeting with Lee Park",
        actor=alice_actor,
        on=dt.date(2026, 11, 25),
        idempotency_key="run-1:notes",
    )
    copy = on_drive.find(NOTES)
    assert copy.paragraphs.count("2026-11-25 Meeting with Lee Park") == 1
    assert copy.paragraphs[-1] == "2026-11-25 Meeting with Lee Park"


def test_sharing_again_on_drive_adds_no_permission_and_sends_nothing(harbor, alice_actor, on_drive):
    document = services.running_notes_ensure(engagement=harbor, actor=alice_actor)
    contacts = list(harbor.contacts.all())
    services.document_share(document=document, contacts=contacts, role="editor", actor=alice_actor)
    Share.objects.all().delete()  # as if the database write had been lost after the Drive call
    services.document_share(document=document, contacts=contacts, role="editor", actor=alice_actor)
    assert len(on_drive.files[document.store_id].permissions) == 2
    assert len(on_drive.notifications) == 2
