"""The local drive: exact names in, safe names on disk, found again by the exact name."""

from __future__ import annotations

import json
import os
from pathlib import Path

import docx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partnerdesk.documents import make_templates
from partnerdesk.documents.base import DocumentStoreError, StoredItem
from partnerdesk.documents.local import INDEX_FILE, MAX_NAME_BYTES, SHIPPED_TEMPLATES, LocalStore, disk_name
from tests.documents.helpers import every_text, files_under

RUNNING_NOTES = "Partnerships/Templates/[Template] Running Notes"
AGREEMENT = "Partnerships/Templates/[TEMPLATE] Outbound Services Agreement"

AWKWARD_NAMES = [
    "PartnerX + 2i2c/CS&S - Services Agreement 2026-11-25",
    "..",
    ".",
    "../../etc/passwd",
    "..\\..\\windows",
    "nul\x00byte",
    "Université de Montréal 🎓",
    "  spaced out.  ",
    ".hidden",
    "CON",
    "é" * 300,
]


def test_the_shipped_templates_are_what_make_templates_builds():
    assert make_templates.main(["--check"]) == 0
    assert sorted(path.name for path in SHIPPED_TEMPLATES.glob("*.docx")) == [
        "[TEMPLATE] Outbound Services Agreement.docx",
        "[Template] Running Notes.docx",
    ]


def test_the_running_notes_template_is_the_handbooks():
    document = docx.Document(str(SHIPPED_TEMPLATES / "[Template] Running Notes.docx"))
    texts = [paragraph.text for paragraph in document.paragraphs]
    assert texts[0] == "Running notes -- PartnerX + 2i2c"
    assert "How we use this document" in texts
    assert texts[-1] == "Notes"


def test_the_agreement_template_has_its_sections_and_the_placeholder():
    text = every_text(SHIPPED_TEMPLATES / "[TEMPLATE] Outbound Services Agreement.docx")
    for heading in ("1. Services", "2. Term", "3. Fees", "4. Signatures"):
        assert heading in text
    assert "between PartnerX and 2i2c/CS&S" in text


def test_first_use_seeds_the_templates_into_the_drive(store, drive):
    store.ensure_folder("Partnerships/Agreements")
    assert files_under(drive / "Partnerships" / "Templates") == [
        INDEX_FILE,
        "[TEMPLATE] Outbound Services Agreement.docx",
        "[Template] Running Notes.docx",
    ]


def test_seeding_never_overwrites_a_teams_edited_template(drive):
    template = drive / "Partnerships" / "Templates" / "[Template] Running Notes.docx"
    template.parent.mkdir(parents=True)
    edited = docx.Document()
    edited.add_paragraph("Our own notes for PartnerX")
    edited.save(str(template))

    store = LocalStore(root=drive)
    folder = store.ensure_folder("Partnerships/Agreements/Harbor University")
    copy = store.copy_template(
        template=RUNNING_NOTES, folder=folder, name="Notes", replacements={"PartnerX": "Harbor University"}
    )
    assert store.read_text(copy) == "Our own notes for Harbor University"
    assert (drive / "Partnerships" / "Templates" / "[TEMPLATE] Outbound Services Agreement.docx").is_file()


def test_a_template_the_team_removed_is_not_seeded_again(drive):
    LocalStore(root=drive).ensure_folder("")
    (drive / "Partnerships" / "Templates" / "[Template] Running Notes.docx").unlink()

    store = LocalStore(root=drive)
    folder = store.ensure_folder("Partners")
    with pytest.raises(DocumentStoreError, match="Running Notes") as missing:
        store.copy_template(template=RUNNING_NOTES, folder=folder, name="Notes", replacements={})
    assert missing.value.permanent is True
    assert (drive / "Partnerships" / "Templates" / "[TEMPLATE] Outbound Services Agreement.docx").is_file()


def test_the_seeded_templates_follow_the_profiles_templates_folder(drive):
    store = LocalStore(root=drive, templates_folder="Shared/Our Templates")
    store.ensure_folder("")
    assert (drive / "Shared" / "Our Templates" / "[Template] Running Notes.docx").is_file()
    assert not (drive / "Partnerships").exists()


def test_a_copy_replaces_the_placeholder_and_is_named_exactly(store, drive):
    folder = store.ensure_folder("Partnerships/Agreements/Harbor University")
    copy = store.copy_template(
        template=RUNNING_NOTES,
        folder=folder,
        name="Running notes -- Harbor University + 2i2c",
        replacements={"PartnerX": "Harbor University"},
    )
    assert copy == StoredItem(
        store_id="Partnerships/Agreements/Harbor University/Running notes -- Harbor University + 2i2c.docx",
        name="Running notes -- Harbor University + 2i2c",
        path="Partnerships/Agreements/Harbor University/Running notes -- Harbor University + 2i2c",
    )
    text = every_text(drive / copy.store_id)
    assert text.splitlines()[:2] == [
        "Running notes -- Harbor University + 2i2c",  # the title property
        "Running notes -- Harbor University + 2i2c",  # the title paragraph
    ]
    assert "PartnerX" not in text
    assert "Harbor University + 2i2c: running notes" in text  # the header


def test_a_placeholder_word_split_across_runs_in_a_teams_template_is_replaced(store, drive):
    templates = store.ensure_folder("Partnerships/Templates")
    template = docx.Document()
    title = template.add_paragraph(style="Title")
    for piece in ("Running notes -- Pa", "rtn", "erX + 2i2c"):
        title.add_run(piece)
    row = template.add_table(rows=1, cols=1).rows[0]
    row.cells[0].paragraphs[0].add_run("Partner")
    row.cells[0].paragraphs[0].add_run("X contacts")
    template.save(str(drive / templates.store_id / "Split.docx"))

    folder = store.ensure_folder("Partnerships/Agreements/Harbor University")
    copy = store.copy_template(
        template="Partnerships/Templates/Split",
        folder=folder,
        name="Split copy",
        replacements={"PartnerX": "Harbor University"},
    )
    assert store.read_text(copy) == "Running notes -- Harbor University + 2i2c\nHarbor University contacts"


def test_copying_twice_makes_one_file_and_leaves_the_first_untouched(store, drive):
    folder = store.ensure_folder("Partnerships/Agreements/Harbor University")
    first = store.copy_template(template=AGREEMENT, folder=folder, name="Agreement", replacements={})
    store.append_paragraph(first, "Edited by hand")
    second = store.copy_template(
        template=AGREEMENT, folder=folder, name="Agreement", replacements={"PartnerX": "Someone else"}
    )
    assert second == first
    assert store.read_text(second).endswith("Edited by hand")
    assert files_under(drive / folder.store_id) == [INDEX_FILE, "Agreement.docx"]


def test_a_copy_interrupted_after_reserving_its_name_is_finished_by_the_retry(store, drive, monkeypatch):
    folder = store.ensure_folder("Partnerships/Agreements/Harbor University")

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(docx.document.Document, "save", crash)
        with pytest.raises(DocumentStoreError) as failed:
            store.copy_template(template=AGREEMENT, folder=folder, name="A/B", replacements={})
    assert failed.value.permanent is False
    assert store.find_document(folder=folder, name="A/B") is None

    copy = store.copy_template(template=AGREEMENT, folder=folder, name="A/B", replacements={})
    assert copy.store_id.endswith("/A_B.docx")
    assert files_under(drive / folder.store_id) == [INDEX_FILE, "A_B.docx"]


def test_a_missing_template_is_a_permanent_error_naming_it(store):
    folder = store.ensure_folder("Partnerships/Agreements/Harbor University")
    with pytest.raises(DocumentStoreError) as missing:
        store.copy_template(
            template="Partnerships/Templates/[Template] Nothing", folder=folder, name="X", replacements={}
        )
    assert missing.value.permanent is True
    assert "'Partnerships/Templates/[Template] Nothing'" in str(missing.value)
    with pytest.raises(DocumentStoreError, match="Nowhere/Templates/x"):
        store.copy_template(template="Nowhere/Templates/x", folder=folder, name="X", replacements={})


def test_a_template_that_is_not_a_docx_is_a_permanent_error(store, drive):
    templates = store.ensure_folder("Partnerships/Templates")
    (drive / templates.store_id / "Broken.docx").write_text("not a zip", encoding="utf-8")
    folder = store.ensure_folder("Partners")
    with pytest.raises(DocumentStoreError) as broken:
        store.copy_template(
            template="Partnerships/Templates/Broken", folder=folder, name="X", replacements={}
        )
    assert broken.value.permanent is True


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_an_awkward_name_is_safe_on_disk_and_found_again_by_its_exact_name(store, drive, tmp_path, name):
    before = files_under(tmp_path)
    folder = store.ensure_folder(f"Partnerships/Agreements/{name.replace('/', '_')}")
    copy = store.copy_template(template=AGREEMENT, folder=folder, name=name, replacements={})

    on_disk = (drive / copy.store_id).resolve()
    assert on_disk.is_file()
    assert on_disk.is_relative_to(drive.resolve())
    assert len(on_disk.name.encode("utf-8")) <= 255
    assert copy.name == name
    assert copy.path == f"{folder.path}/{name}"
    assert store.find_document(folder=folder, name=name) == copy
    assert store.ensure_folder(folder.path) == folder
    # Everything new is inside the drive.
    assert [
        path for path in files_under(tmp_path) if path not in before and not path.startswith("home/drive/")
    ] == []


def test_names_that_become_the_same_on_disk_stay_apart(store, drive):
    folder = store.ensure_folder("Partners")
    copies = [
        store.copy_template(template=AGREEMENT, folder=folder, name=name, replacements={})
        for name in ("A/B", "A_B", "A\\B", "a_b")
    ]
    assert [copy.store_id for copy in copies] == [
        "Partners/A_B.docx",
        "Partners/A_B (2).docx",
        "Partners/A_B (3).docx",
        "Partners/a_b (4).docx",
    ]
    for copy in copies:
        assert store.find_document(folder=folder, name=copy.name) == copy
    index = json.loads((drive / "Partners" / INDEX_FILE).read_text(encoding="utf-8"))
    assert index["documents"]["A/B"] == "A_B.docx"


def test_a_folder_path_with_dot_dot_stays_inside_the_drive(store, drive, tmp_path):
    folder = store.ensure_folder("../../outside/..")
    assert folder.path == "../../outside/.."
    assert (drive / folder.store_id).resolve().is_relative_to(drive.resolve())
    assert not (tmp_path / "outside").exists()
    assert store.ensure_folder("../../outside/..") == folder


def test_folders_and_documents_made_by_hand_are_found_by_their_names(store, drive):
    (drive / "Partnerships" / "Agreements" / "Harbor University").mkdir(parents=True)
    hand_made = docx.Document()
    hand_made.add_paragraph("Written in Word")
    hand_made.save(str(drive / "Partnerships" / "Agreements" / "Harbor University" / "Old notes.docx"))

    folder = store.ensure_folder("Partnerships/Agreements/Harbor University")
    assert folder.store_id == "Partnerships/Agreements/Harbor University"
    found = store.find_document(folder=folder, name="Old notes")
    assert found is not None
    assert store.read_text(found) == "Written in Word"
    assert store.find_document(folder=folder, name="Old notes.docx") is None


def test_a_store_id_leading_outside_the_drive_is_refused(store, drive, tmp_path):
    (tmp_path / "secret.docx").write_bytes(b"")
    for store_id in ("../secret.docx", "/etc/passwd", "a/../../secret.docx"):
        item = StoredItem(store_id=store_id, name="x", path="x")
        with pytest.raises(DocumentStoreError) as refused:
            store.append_paragraph(item, "nope")
        assert refused.value.permanent is True


def test_a_symbolic_link_out_of_the_drive_is_not_followed(store, drive, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (drive / "Partners").mkdir(parents=True)
    os.symlink(outside, drive / "Partners" / "Harbor")
    with pytest.raises(DocumentStoreError, match="outside the local drive"):
        store.ensure_folder("Partners/Harbor/Notes")
    assert list(outside.iterdir()) == []


def test_appending_adds_a_paragraph_at_the_end(store):
    folder = store.ensure_folder("Partnerships/Agreements/Harbor University")
    notes = store.copy_template(template=RUNNING_NOTES, folder=folder, name="Notes", replacements={})
    store.append_paragraph(notes, "2026-11-25 First meeting")
    store.append_paragraph(notes, "2026-11-26 Sent the draft")
    assert store.read_text(notes).splitlines()[-3:] == [
        "Notes",
        "2026-11-25 First meeting",
        "2026-11-26 Sent the draft",
    ]


def test_appending_to_a_document_that_is_gone_is_a_permanent_error(store, drive):
    folder = store.ensure_folder("Partners")
    notes = store.copy_template(template=RUNNING_NOTES, folder=folder, name="Notes", replacements={})
    (drive / notes.store_id).unlink()
    with pytest.raises(DocumentStoreError, match="'Partners/Notes' is not in the local drive"):
        store.append_paragraph(notes, "2026-11-25 First meeting")


def test_appending_with_a_marker_twice_writes_one_paragraph(store):
    folder = store.ensure_folder("Partners")
    notes = store.copy_template(template=RUNNING_NOTES, folder=folder, name="Notes", replacements={})
    for _ in range(2):
        store.append_paragraph(notes, "2026-11-25 First meeting", marker="run-1:note")
    assert store.read_text(notes).count("2026-11-25 First meeting") == 1


def test_read_bytes_gives_the_docx_file(store, drive):
    folder = store.ensure_folder("Partners")
    copy = store.copy_template(template=AGREEMENT, folder=folder, name="Agreement", replacements={})
    assert store.read_bytes(copy.store_id) == (drive / copy.store_id).read_bytes()


def test_a_corrupt_name_index_is_reported_not_trusted(store, drive):
    folder = store.ensure_folder("Partners/Harbor")
    (drive / "Partners" / INDEX_FILE).write_text('{"folders": {"Harbor": "../../x"}}', encoding="utf-8")
    with pytest.raises(DocumentStoreError, match="malformed") as corrupt:
        store.find_document(folder=store.ensure_folder("Partners"), name="x")
    assert corrupt.value.permanent is True
    assert folder.store_id == "Partners/Harbor"


@given(st.text(max_size=300))
def test_a_disk_name_is_always_one_visible_bounded_path_segment(name):
    safe = disk_name(name)
    assert safe and safe not in {".", ".."}
    assert not safe.startswith(".")
    assert not set(safe) & set('/\\\x00:*?"<>|')
    assert len(safe.encode("utf-8")) <= MAX_NAME_BYTES
    assert Path(safe).name == safe


def test_a_disk_name_keeps_letters_accents_and_emoji():
    assert disk_name("Université de Montréal 🎓") == "Université de Montréal 🎓"
    assert disk_name("PartnerX + 2i2c/CS&S - Services Agreement 2026-11-25") == (
        "PartnerX + 2i2c_CS&S - Services Agreement 2026-11-25"
    )
    assert disk_name("..") == "_"
    assert disk_name("CON") == "_CON"
