"""Placeholders are replaced wherever Word put them, even split over several runs."""

from __future__ import annotations

import docx
from docx.document import Document as DocxDocument
from docx.enum.text import WD_BREAK
from docx.oxml.ns import qn
from hypothesis import given
from hypothesis import strategies as st

from partnerdesk.documents import docx_text


def _split_paragraph(document: DocxDocument, *pieces: str, bold: int | None = None):
    paragraph = document.add_paragraph()
    for index, piece in enumerate(pieces):
        run = paragraph.add_run(piece)
        run.bold = index == bold
    return paragraph


def _texts(document: DocxDocument) -> list[str]:
    return [paragraph.text for paragraph in docx_text.all_paragraphs(document)]


def test_it_replaces_a_placeholder_split_across_runs_and_keeps_the_first_runs_formatting():
    document = docx.Document()
    paragraph = _split_paragraph(document, "Running notes -- Par", "tn", "erX + 2i2c", bold=1)
    count = docx_text.replace_text(document, {"PartnerX": "Harbor University"})
    assert count == 1
    assert paragraph.text == "Running notes -- Harbor University + 2i2c"
    # The name went into the run where the placeholder starts; the other pieces lost their part.
    assert [run.text for run in paragraph.runs] == ["Running notes -- Harbor University", "", " + 2i2c"]


def test_it_replaces_every_occurrence_in_tables_headers_and_footers():
    document = docx.Document()
    document.add_paragraph("PartnerX and PartnerX")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "PartnerX"
    inner = table.cell(0, 1).add_table(rows=1, cols=1)
    _split_paragraph(inner.cell(0, 0), "for Partn", "erX")
    section = document.sections[0]
    section.header.paragraphs[0].text = "PartnerX + 2i2c"
    section.footer.paragraphs[0].text = "page of PartnerX"
    section.different_first_page_header_footer = True
    section.first_page_header.paragraphs[0].text = "First page: PartnerX"
    document.core_properties.title = "Running notes -- PartnerX + 2i2c"

    assert docx_text.replace_text(document, {"PartnerX": "Harbor"}) == 7
    text = "\n".join(_texts(document))
    assert "PartnerX" not in text
    assert "Harbor and Harbor" in text
    assert "for Harbor" in text
    assert "Harbor + 2i2c" in text
    assert "page of Harbor" in text
    assert "First page: Harbor" in text
    assert document.core_properties.title == "Running notes -- Harbor + 2i2c"


def test_it_replaces_in_one_pass_preferring_the_longest_key():
    document = docx.Document()
    paragraph = document.add_paragraph("PartnerX wrote to PartnerXYZ")
    docx_text.replace_text(document, {"PartnerX": "PartnerXYZ Inc", "PartnerXYZ": "Other"})
    # The value is not searched again, and the longer key is not cut by the shorter one.
    assert paragraph.text == "PartnerXYZ Inc wrote to Other"


def test_it_leaves_a_paragraph_without_placeholders_and_its_breaks_alone():
    document = docx.Document()
    paragraph = document.add_paragraph("Partner")
    paragraph.runs[0].add_break(WD_BREAK.LINE)
    paragraph.add_run("X")
    assert docx_text.replace_text(document, {"PartnerX": "Harbor"}) == 0
    assert paragraph.text == "Partner\nX"


def test_leading_and_trailing_spaces_of_a_replaced_run_are_kept():
    document = docx.Document()
    _split_paragraph(document, "Partn", "erX", "  + 2i2c")
    docx_text.replace_text(document, {"PartnerX": "  Harbor  "})
    saved = docx_text.read_text(document)
    assert saved == "  Harbor    + 2i2c"


@given(
    before=st.text(alphabet="abP X", max_size=8),
    after=st.text(alphabet="abP X", max_size=8),
    cuts=st.lists(st.integers(min_value=1, max_value=7), max_size=4),
    value=st.text(max_size=6).filter(lambda text: "\x00" not in text and text.isprintable()),
)
def test_splitting_the_text_into_runs_never_changes_the_result(before, after, cuts, value):
    text = f"{before}PartnerX{after}"
    positions = sorted({len(before) + cut for cut in cuts} | {0, len(text)})
    document = docx.Document()
    _split_paragraph(
        document, *(text[start:end] for start, end in zip(positions, positions[1:], strict=False))
    )
    docx_text.replace_text(document, {"PartnerX": value})
    assert docx_text.read_text(document) == text.replace("PartnerX", value)


def test_a_marked_paragraph_is_appended_once_whatever_the_text():
    document = docx.Document()
    assert docx_text.append_paragraph(document, "2026-11-25 Sent the draft", marker="run-1:note")
    assert not docx_text.append_paragraph(document, "2026-11-26 Sent the draft", marker="run-1:note")
    assert docx_text.append_paragraph(document, "2026-11-26 Sent the draft", marker="run-2:note")
    assert docx_text.append_paragraph(document, "2026-11-26 Sent the draft")
    assert docx_text.read_text(document).splitlines() == [
        "2026-11-25 Sent the draft",
        "2026-11-26 Sent the draft",
        "2026-11-26 Sent the draft",
    ]
    names = [mark.get(qn("w:name")) for mark in document.element.body.iter(qn("w:bookmarkStart"))]
    assert names == [docx_text.marker_name("run-1:note"), docx_text.marker_name("run-2:note")]
    assert all(len(name) <= 40 and name.startswith("_") for name in names)


def test_a_marker_survives_saving_and_opening_the_file(tmp_path):
    document = docx.Document()
    docx_text.append_paragraph(document, "2026-11-25 Sent the draft", marker="run-1:note")
    document.save(str(tmp_path / "notes.docx"))
    reopened = docx.Document(str(tmp_path / "notes.docx"))
    assert docx_text.has_marker(reopened, "run-1:note")
    assert not docx_text.has_marker(reopened, "run-2:note")
