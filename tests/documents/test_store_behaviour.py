"""What every document store does, run against the local store and the Google Drive store alike."""

from __future__ import annotations

import io

import docx
import pytest

from partnerdesk.documents.base import DocumentStoreError

RUNNING_NOTES = "Partnerships/Templates/[Template] Running Notes"
AGREEMENT = "Partnerships/Templates/[TEMPLATE] Outbound Services Agreement"
AGREEMENT_NAME = "Harbor University + 2i2c/CS&S - Services Agreement 2026-11-25"
PARTNER = "Partnerships/Agreements/Harbor University"


def test_ensure_folder_finds_the_folder_it_made(any_store):
    first = any_store.ensure_folder(PARTNER)
    again = any_store.ensure_folder(PARTNER)
    assert first.store_id == again.store_id
    assert (first.name, first.path) == ("Harbor University", PARTNER)


@pytest.mark.parametrize("name", ["O'Brien \\ Sons", "Université de Montréal 🎓", "it's 'quoted'"])
def test_awkward_folder_names_are_kept_and_found_again(any_store, name):
    folder = any_store.ensure_folder(f"Partnerships/Agreements/{name}")
    assert folder.name == name
    assert any_store.ensure_folder(f"Partnerships/Agreements/{name}").store_id == folder.store_id


def test_a_copy_keeps_its_exact_name_slash_included_and_replaces_the_placeholder(any_store):
    folder = any_store.ensure_folder(PARTNER)
    copy = any_store.copy_template(
        template=AGREEMENT, folder=folder, name=AGREEMENT_NAME, replacements={"PartnerX": "Harbor University"}
    )
    assert copy.name == AGREEMENT_NAME
    assert copy.path == f"{PARTNER}/{AGREEMENT_NAME}"
    text = any_store.read_text(copy)
    assert "between Harbor University and 2i2c/CS&S" in text
    assert "PartnerX" not in text
    found = any_store.find_document(folder=folder, name=AGREEMENT_NAME)
    assert found is not None and found.store_id == copy.store_id


def test_copying_again_returns_the_same_document_untouched(any_store):
    folder = any_store.ensure_folder(PARTNER)
    copy = any_store.copy_template(
        template=RUNNING_NOTES, folder=folder, name="Notes", replacements={"PartnerX": "Harbor University"}
    )
    any_store.append_paragraph(copy, "2026-11-25 First meeting")
    again = any_store.copy_template(
        template=RUNNING_NOTES, folder=folder, name="Notes", replacements={"PartnerX": "Someone else"}
    )
    assert again.store_id == copy.store_id
    assert "2026-11-25 First meeting" in any_store.read_text(again)


def test_a_missing_template_is_a_permanent_error_naming_it(any_store):
    folder = any_store.ensure_folder(PARTNER)
    with pytest.raises(DocumentStoreError) as error:
        any_store.copy_template(
            template="Partnerships/Templates/[Template] Nothing", folder=folder, name="X", replacements={}
        )
    assert error.value.permanent
    assert "[Template] Nothing" in str(error.value)


def test_find_document_is_none_for_a_name_not_there(any_store):
    folder = any_store.ensure_folder(PARTNER)
    assert any_store.find_document(folder=folder, name="Nothing here") is None


def test_appending_with_a_marker_twice_writes_the_paragraph_once(any_store):
    folder = any_store.ensure_folder(PARTNER)
    notes = any_store.copy_template(
        template=RUNNING_NOTES, folder=folder, name="Notes", replacements={"PartnerX": "Harbor University"}
    )
    any_store.append_paragraph(notes, "2026-11-25 Meeting with Lee Park 🎓", marker="run-1:step-2")
    any_store.append_paragraph(notes, "2026-11-25 Meeting with Lee Park 🎓", marker="run-1:step-2")
    any_store.append_paragraph(notes, "2026-11-26 Demo", marker="run-2:step-1")
    lines = any_store.read_text(notes).split("\n")
    assert lines.count("2026-11-25 Meeting with Lee Park 🎓") == 1
    assert lines[-2:] == ["2026-11-25 Meeting with Lee Park 🎓", "2026-11-26 Demo"]


def test_read_bytes_gives_a_docx_with_the_documents_text(any_store):
    folder = any_store.ensure_folder(PARTNER)
    notes = any_store.copy_template(
        template=RUNNING_NOTES, folder=folder, name="Notes", replacements={"PartnerX": "Harbor University"}
    )
    any_store.append_paragraph(notes, "2026-11-25 Kick-off")
    paragraphs = [p.text for p in docx.Document(io.BytesIO(any_store.read_bytes(notes.store_id))).paragraphs]
    assert "2026-11-25 Kick-off" in paragraphs


def test_put_document_stores_an_upload_once(any_store):
    folder = any_store.ensure_folder(PARTNER)
    upload = docx.Document()
    upload.add_paragraph("Signed by both parties")
    content = io.BytesIO()
    upload.save(content)
    first = any_store.put_document(folder=folder, name="Signed agreement", content=content.getvalue())
    again = any_store.put_document(folder=folder, name="Signed agreement", content=b"other")
    assert again.store_id == first.store_id
    assert "Signed by both parties" in any_store.read_text(first)
