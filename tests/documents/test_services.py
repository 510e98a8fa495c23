"""The handbook's document steps: copy a template, share it, and keep the running notes."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy

import docx
import pytest
from django.db import transaction

from partnerdesk.documents import services
from partnerdesk.documents.base import DocumentStoreError, get_store
from partnerdesk.documents.models import Document, RunningNoteEntry, Share
from partnerdesk.lib import clock
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline.models import TimelineEntry
from partnerdesk.pipeline.services import ServiceError
from tests.documents.helpers import every_text, files_under

pytestmark = pytest.mark.django_db

AGREEMENT_TITLE = "Harbor University + 2i2c/CS&S - Services Agreement 2026-11-25"


def _running_notes(engagement, actor, **kwargs) -> Document:
    return services.document_from_template(
        engagement=engagement,
        kind=Document.Kind.RUNNING_NOTES,
        template=services.template_path(services.RUNNING_NOTES_TEMPLATE),
        folder_path=services.partner_folder_path(engagement),
        title=services.running_notes_title(engagement),
        replacements={"PartnerX": engagement.organization.name},
        actor=actor,
        **kwargs,
    )


def _agreement(engagement, actor, **kwargs) -> Document:
    return services.document_from_template(
        engagement=engagement,
        kind=Document.Kind.AGREEMENT,
        template=services.template_path(services.AGREEMENT_TEMPLATE),
        folder_path=services.partner_folder_path(engagement),
        title=AGREEMENT_TITLE,
        replacements={"PartnerX": engagement.organization.name},
        actor=actor,
        **kwargs,
    )


def _timeline(engagement, kind: str) -> list[TimelineEntry]:
    return list(engagement.timeline.filter(kind=kind))


def test_the_running_notes_follow_the_handbooks_names(harbor):
    assert services.partner_folder_path(harbor) == "Partnerships/Agreements/Harbor University"
    assert services.running_notes_title(harbor) == "Running notes -- Harbor University + 2i2c"


def test_creating_the_running_notes_copies_the_template_into_the_partner_folder(harbor, alice_actor, drive):
    document = _running_notes(harbor, alice_actor)

    assert (document.kind, document.title, document.store, document.folder_path) == (
        "running_notes",
        "Running notes -- Harbor University + 2i2c",
        "local",
        "Partnerships/Agreements/Harbor University",
    )
    path = drive / document.store_id
    assert (
        path
        == drive / "Partnerships/Agreements/Harbor University/Running notes -- Harbor University + 2i2c.docx"
    )
    word = docx.Document(str(path))
    assert word.paragraphs[0].text == "Running notes -- Harbor University + 2i2c"
    assert word.core_properties.title == "Running notes -- Harbor University + 2i2c"
    assert "PartnerX" not in every_text(path)
    [entry] = _timeline(harbor, TimelineEntry.Kind.DOCUMENT)
    assert entry.summary == f"Created the document {document.path}"
    assert document.path == (
        "Partnerships/Agreements/Harbor University/Running notes -- Harbor University + 2i2c"
    )
    assert entry.data["document"] == document.pk


def test_asking_twice_gives_the_same_document_one_file_and_one_timeline_entry(harbor, alice_actor, drive):
    first = _running_notes(harbor, alice_actor, idempotency_key="run-1:running-notes")
    again = _running_notes(harbor, alice_actor, idempotency_key="run-1:running-notes")
    without_key = _running_notes(harbor, alice_actor)

    assert first == again == without_key
    assert Document.objects.count() == 1
    assert len(_timeline(harbor, TimelineEntry.Kind.DOCUMENT)) == 1
    assert files_under(drive / "Partnerships/Agreements/Harbor University") == [
        ".partnerdesk-names.json",
        "Running notes -- Harbor University + 2i2c.docx",
    ]


def test_a_file_written_before_a_crash_is_found_by_the_retry(harbor, alice_actor, drive):
    # The store call succeeded, then the process stopped before the database write.
    store = get_store()
    folder = store.ensure_folder(services.partner_folder_path(harbor))
    store.copy_template(
        template=services.template_path(services.RUNNING_NOTES_TEMPLATE),
        folder=folder,
        name=services.running_notes_title(harbor),
        replacements={"PartnerX": "Harbor University"},
    )
    document = _running_notes(harbor, alice_actor, idempotency_key="run-1:running-notes")
    assert document.store_id.endswith("/Running notes -- Harbor University + 2i2c.docx")
    assert len(files_under(drive / folder.store_id)) == 2  # the document and the name index


def test_a_document_whose_file_went_missing_is_made_again(harbor, alice_actor, drive):
    document = _running_notes(harbor, alice_actor)
    (drive / document.store_id).unlink()
    again = _running_notes(harbor, alice_actor)
    assert again == document
    assert (drive / again.store_id).is_file()


def test_an_agreement_title_with_a_slash_is_kept_exactly_and_is_safe_on_disk(harbor, alice_actor, drive):
    document = _agreement(harbor, alice_actor)
    assert document.title == AGREEMENT_TITLE
    assert document.path == f"Partnerships/Agreements/Harbor University/{AGREEMENT_TITLE}"
    assert document.store_id == (
        "Partnerships/Agreements/Harbor University/"
        "Harbor University + 2i2c_CS&S - Services Agreement 2026-11-25.docx"
    )
    text = every_text(drive / document.store_id)
    assert text.splitlines()[0] == AGREEMENT_TITLE
    assert "between Harbor University and 2i2c/CS&S" in text
    assert "PartnerX" not in text
    assert _agreement(harbor, alice_actor) == document


def test_a_missing_template_fails_permanently_and_writes_nothing(harbor, alice_actor):
    with pytest.raises(DocumentStoreError) as missing:
        services.document_from_template(
            engagement=harbor,
            kind="agreement",
            template="Partnerships/Templates/[TEMPLATE] Gone",
            folder_path="Partnerships/Agreements/Harbor University",
            title="X",
            replacements={},
            actor=alice_actor,
        )
    assert missing.value.permanent is True
    assert "[TEMPLATE] Gone" in str(missing.value)
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("kind", "title", "problem"),
    [
        ("memo", "X", "unknown document kind"),
        ("other", "  ", "no title"),
        ("other", "two\nlines", "line break"),
        ("other", "x" * 501, "too long"),
    ],
)
def test_a_bad_kind_or_title_is_refused(harbor, alice_actor, kind, title, problem):
    with pytest.raises(ServiceError, match=problem):
        services.document_from_template(
            engagement=harbor,
            kind=kind,
            template="Partnerships/Templates/[Template] Running Notes",
            folder_path="Partners",
            title=title,
            replacements={},
            actor=alice_actor,
        )


def test_sharing_records_each_contact_and_queues_one_email_each_from_the_shared_mailbox(harbor, alice_actor):
    document = _running_notes(harbor, alice_actor)
    lee, sam = harbor.contacts.order_by("email")
    shares = services.document_share(
        document=document,
        contacts=[lee, sam],
        role="editor",
        actor=alice_actor,
        message="Our notes for Thursday's meeting.",
    )

    assert [(share.contact.email, share.role) for share in shares] == [
        ("lee@harbor.example.edu", "editor"),
        ("sam@harbor.example.edu", "editor"),
    ]
    messages = list(OutboxMessage.objects.order_by("id"))
    assert [message.to for message in messages] == [["lee@harbor.example.edu"], ["sam@harbor.example.edu"]]
    assert [share.notification for share in shares] == messages
    email = message_from_bytes(bytes(messages[0].raw), policy=policy.default)
    assert email["From"] == "2i2c's Partnerships Team <partnerships@2i2c.org>"
    assert messages[0].subject == (
        f'[{harbor.reference}] Document shared with you: "Running notes -- Harbor University + 2i2c"'
    )
    body = email.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert body.startswith("Hello Lee Park,\n\n")
    assert "you can edit it" in body
    assert "Our notes for Thursday's meeting." in body
    # The title and a link the contact can open, never our folder path.
    assert "Document: Running notes -- Harbor University + 2i2c\nOpen it here (this link works for" in body
    assert "Partnerships/Agreements" not in body
    [entry] = _timeline(harbor, TimelineEntry.Kind.SHARE)
    assert entry.summary == (
        "Shared Running notes -- Harbor University + 2i2c with "
        "Lee Park <lee@harbor.example.edu>, Sam Ortiz <sam@harbor.example.edu> (editor)"
    )
    assert entry.data["contacts"] == ["lee@harbor.example.edu", "sam@harbor.example.edu"]
    assert len(_timeline(harbor, TimelineEntry.Kind.EMAIL_OUT)) == 2


def test_sharing_again_with_the_same_contact_makes_no_share_and_sends_nothing(harbor, alice_actor):
    document = _running_notes(harbor, alice_actor)
    lee = harbor.contacts.get(email="lee@harbor.example.edu")
    first = services.document_share(document=document, contacts=[lee, lee], role="editor", actor=alice_actor)
    again = services.document_share(document=document, contacts=[lee], role="viewer", actor=alice_actor)

    assert len(first) == 1
    assert again == []
    assert Share.objects.get().role == "editor"
    assert OutboxMessage.objects.count() == 1
    assert len(_timeline(harbor, TimelineEntry.Kind.SHARE)) == 1


def test_a_share_with_a_key_keys_each_notification_by_contact(harbor, alice_actor):
    document = _running_notes(harbor, alice_actor)
    services.document_share(
        document=document,
        contacts=list(harbor.contacts.all()),
        role="editor",
        actor=alice_actor,
        idempotency_key="run-7:share",
    )
    assert sorted(OutboxMessage.objects.values_list("idempotency_key", flat=True)) == [
        "run-7:share:lee@harbor.example.edu",
        "run-7:share:sam@harbor.example.edu",
    ]


def test_sharing_without_notifying_sends_nothing(harbor, alice_actor):
    document = _running_notes(harbor, alice_actor)
    shares = services.document_share(
        document=document,
        contacts=list(harbor.contacts.all()),
        role="viewer",
        actor=alice_actor,
        notify=False,
    )
    assert [share.notification for share in shares] == [None, None]
    assert not OutboxMessage.objects.exists()
    assert _timeline(harbor, TimelineEntry.Kind.SHARE)[0].data["notified"] is False


def test_an_unknown_role_is_refused(harbor, alice_actor):
    document = _running_notes(harbor, alice_actor)
    with pytest.raises(ServiceError, match="unknown role 'owner'"):
        services.document_share(document=document, contacts=[], role="owner", actor=alice_actor)


def test_a_running_note_is_a_dated_line_at_the_end_of_the_running_notes(harbor, alice_actor):
    document = _running_notes(harbor, alice_actor)
    returned = services.running_notes_append(
        engagement=harbor,
        text="Sent (Draft) Service Agreement as shared Google doc",
        actor=alice_actor,
        on=dt.date(2026, 11, 25),
    )
    assert returned == document
    text = get_store().read_text(services.stored_item(document))
    assert text.splitlines()[-2:] == [
        "Notes",
        "2026-11-25 Sent (Draft) Service Agreement as shared Google doc",
    ]
    [entry] = _timeline(harbor, TimelineEntry.Kind.RUNNING_NOTE)
    assert entry.summary == "Running notes: 2026-11-25 Sent (Draft) Service Agreement as shared Google doc"


def test_a_running_note_without_running_notes_creates_them_first(harbor, alice_actor, drive):
    document = services.running_notes_append(engagement=harbor, text="First meeting", actor=alice_actor)

    assert services.running_notes_document(engagement=harbor) == document
    assert document.title == "Running notes -- Harbor University + 2i2c"
    assert "PartnerX" not in every_text(drive / document.store_id)
    last_line = get_store().read_text(services.stored_item(document)).splitlines()[-1]
    assert last_line == f"{clock.today().isoformat()} First meeting"
    assert [entry.kind for entry in harbor.timeline.all()] == ["created", "document", "running_note"]


def test_the_running_notes_date_defaults_to_today(harbor, alice_actor, frozen_clock):
    frozen_clock.set(dt.date(2026, 11, 24))
    document = services.running_notes_append(engagement=harbor, text="  Met   with Lee \n", actor=alice_actor)
    assert RunningNoteEntry.objects.get(document=document).line == "2026-11-24 Met with Lee"


def test_appending_with_the_same_key_twice_writes_one_entry(harbor, alice_actor):
    for _ in range(2):
        document = services.running_notes_append(
            engagement=harbor, text="Sent the draft", actor=alice_actor, idempotency_key="run-3:note"
        )
    text = get_store().read_text(services.stored_item(document))
    assert text.count("Sent the draft") == 1
    assert RunningNoteEntry.objects.count() == 1
    assert len(_timeline(harbor, TimelineEntry.Kind.RUNNING_NOTE)) == 1


def test_a_note_whose_step_rolled_back_after_writing_the_line_is_not_written_twice(harbor, alice_actor):
    services.running_notes_ensure(engagement=harbor, actor=alice_actor)

    class Killed(Exception):
        pass

    # As the playbook engine runs a step: in a transaction, which dies after the store call.
    with pytest.raises(Killed), transaction.atomic():
        services.running_notes_append(
            engagement=harbor, text="Sent the draft", actor=alice_actor, idempotency_key="run-3:note"
        )
        raise Killed
    assert not RunningNoteEntry.objects.exists()

    document = services.running_notes_append(
        engagement=harbor, text="Sent the draft", actor=alice_actor, idempotency_key="run-3:note"
    )
    assert get_store().read_text(services.stored_item(document)).count("Sent the draft") == 1
    assert RunningNoteEntry.objects.get().idempotency_key == "run-3:note"
    assert len(_timeline(harbor, TimelineEntry.Kind.RUNNING_NOTE)) == 1


def test_a_note_that_failed_before_writing_the_line_writes_it_on_retry(harbor, alice_actor, monkeypatch):
    def unreachable(self, document, text, *, marker=None):
        raise DocumentStoreError("the drive is not reachable", permanent=False)

    with monkeypatch.context() as patched:
        patched.setattr("partnerdesk.documents.local.LocalStore.append_paragraph", unreachable)
        with pytest.raises(DocumentStoreError):
            services.running_notes_append(
                engagement=harbor, text="Sent the draft", actor=alice_actor, idempotency_key="run-3:note"
            )

    document = services.running_notes_append(
        engagement=harbor, text="Sent the draft", actor=alice_actor, idempotency_key="run-3:note"
    )
    assert get_store().read_text(services.stored_item(document)).count("Sent the draft") == 1


def test_the_same_line_under_two_keys_is_written_twice(harbor, alice_actor):
    for key in ("run-3:note", "run-4:note"):
        document = services.running_notes_append(
            engagement=harbor, text="Sent the draft", actor=alice_actor, idempotency_key=key
        )
    assert get_store().read_text(services.stored_item(document)).count("Sent the draft") == 2


def test_an_empty_running_note_is_refused(harbor, alice_actor):
    with pytest.raises(ServiceError, match="empty"):
        services.running_notes_append(engagement=harbor, text=" \n ", actor=alice_actor)
    assert not Document.objects.exists()
