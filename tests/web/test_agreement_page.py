"""The agreement on the engagement page: versions, terms, signatories, addenda, ready, executed."""

from __future__ import annotations

import io

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partnerdesk.agreements.models import Agreement
from partnerdesk.pipeline import services
from partnerdesk.pipeline.qualification import Answer
from partnerdesk.pipeline.stages import Stage

pytestmark = pytest.mark.django_db

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx_bytes(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _url(engagement, name="engagement", *args) -> str:
    return reverse(name, args=[engagement.reference, *args])


def _section(response) -> str:
    page = response.content.decode()
    return page.split('id="agreement"')[1].split("</section>")[0]


def _upload(client, engagement, content: bytes, name: str = "agreement.docx"):
    file = SimpleUploadedFile(name, content, content_type=DOCX)
    return client.post(_url(engagement, "agreement-upload"), {"file": file}, follow=True)


@pytest.fixture
def prospect(harbor):
    actor = services.Actor("alice")
    services.engagement_qualify(
        engagement=harbor, actor=actor, good_candidate=Answer.YES, qualified=Answer.YES
    )
    services.engagement_move(engagement=harbor, to=Stage.QUALIFIED_LEAD, actor=actor)
    services.engagement_record_verbal_yes(engagement=harbor, by="Lee Park", actor=actor)
    services.engagement_move(engagement=harbor, to=Stage.PROSPECT, actor=actor)
    return harbor


def _ready_to_sign(client, engagement) -> None:
    _upload(client, engagement, docx_bytes("The Partner pays 2i2c 10,000 USD."))
    client.post(
        _url(engagement, "agreement-terms"),
        {"value": "12000", "currency": "usd", "term_start": "2030-01-01", "term_end": "2030-12-31"},
    )
    client.post(
        _url(engagement, "agreement-signatory-add"),
        {"name": "Lee Park", "email": "lee@harbor.example.edu", "role": "Director"},
    )
    client.post(
        _url(engagement, "agreement-addendum-add"),
        {"kind": "statement-of-work", "title": "Hub for 3 courses"},
    )


def test_without_an_agreement_the_section_offers_an_upload(alice_client, harbor):
    section = _section(alice_client.get(_url(harbor)))
    assert "No agreement yet." in section
    assert 'enctype="multipart/form-data"' in section and "Upload the version" in section


def test_an_upload_starts_the_agreement_and_the_next_one_shows_what_changed(alice_client, prospect):
    first = _upload(alice_client, prospect, docx_bytes("The Partner pays 2i2c 10,000 USD."))
    assert "Version 1 attached." in first.content.decode()
    section = _section(first)
    assert "Harbor University + 2i2c/CS&amp;S - Services Agreement" in section
    assert "Draft" in section or "Negotiating" in section

    # One file's bytes, uploaded twice: made twice, a .docx differs in its timestamps.
    twelve = docx_bytes("The Partner pays 2i2c 12,000 USD.")
    second = _upload(alice_client, prospect, twelve, "v2.docx")
    page = second.content.decode()
    assert "Version 2 attached. What changed:" in page and "12,000" in page
    section = _section(second)
    assert "Version 2: v2.docx" in section and "What changed since the previous version" in section

    same = _upload(alice_client, prospect, twelve, "again.docx")
    assert "the same file as version 2: nothing added" in same.content.decode()


def test_a_file_that_is_not_a_docx_is_refused(alice_client, prospect):
    page = _upload(alice_client, prospect, b"%PDF-1.4 not a docx", "agreement.pdf").content.decode()
    assert "agreement.pdf" in page and 'role="alert"' in page
    assert not Agreement.objects.filter(engagement=prospect).exclude(versions=None).exists()


def test_each_version_downloads_as_it_was_uploaded_and_only_from_its_engagement(alice_client, prospect):
    content = docx_bytes("The Partner pays 2i2c 10,000 USD.")
    _upload(alice_client, prospect, content, "draft.docx")
    version = Agreement.objects.get(engagement=prospect).versions.get()

    response = alice_client.get(_url(prospect, "agreement-version-download", version.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response.headers["Content-Disposition"] == 'attachment; filename="draft.docx"'
    assert response.headers["Content-Type"] == DOCX

    other = services.engagement_create(
        organization_name="Bay College", contacts=[], actor=services.Actor("bob")
    )
    assert alice_client.get(_url(other, "agreement-version-download", version.pk)).status_code == 404


def test_ready_to_sign_is_refused_naming_everything_missing(alice_client, prospect):
    _upload(alice_client, prospect, docx_bytes("Draft"))
    response = alice_client.post(_url(prospect, "agreement-ready"), follow=True)
    page = response.content.decode()
    assert "is not ready to sign. Missing:" in page
    for missing in (
        "signatories (name, email, organization, role)",
        "the value",
        "the term start",
        "a statement of work (addendum)",
    ):
        assert f"<li>{missing}</li>" in page
    assert Agreement.objects.get(engagement=prospect).status == "negotiating"


def test_terms_signatories_and_addenda_are_edited_then_it_is_ready_to_sign(alice_client, prospect):
    _ready_to_sign(alice_client, prospect)
    agreement = Agreement.objects.get(engagement=prospect)
    assert (str(agreement.value), agreement.currency) == ("12000.00", "USD")
    assert agreement.signatories.get().organization == "Harbor University"
    section = _section(alice_client.get(_url(prospect)))
    assert "Lee Park &lt;lee@harbor.example.edu&gt;, Director, Harbor University" in section
    assert "<strong>Statement of work</strong>: Hub for 3 courses" in section
    assert "Everything needed for signature is there." in section

    ready = alice_client.post(_url(prospect, "agreement-ready"), follow=True)
    assert "is ready to sign." in ready.content.decode()
    assert Agreement.objects.get(pk=agreement.pk).status == "ready_to_sign"
    assert "Mark executed" in _section(ready)


def test_signatories_and_addenda_are_removed(alice_client, prospect):
    _ready_to_sign(alice_client, prospect)
    agreement = Agreement.objects.get(engagement=prospect)
    addendum = agreement.addenda.get()
    alice_client.post(_url(prospect, "agreement-signatory-remove"), {"email": "lee@harbor.example.edu"})
    alice_client.post(_url(prospect, "agreement-addendum-remove", addendum.pk))
    assert not agreement.signatories.exists() and not agreement.addenda.exists()
    gone = alice_client.post(_url(prospect, "agreement-addendum-remove", addendum.pk))
    assert gone.status_code == 404


def test_bad_terms_and_a_deliverable_without_a_date_are_refused_with_the_reason(alice_client, prospect):
    _upload(alice_client, prospect, docx_bytes("Draft"))
    bad = alice_client.post(
        _url(prospect, "agreement-terms"), {"term_start": "2030-12-31", "term_end": "2030-01-01"}, follow=True
    )
    assert "the term ends (2030-01-01) before it starts (2030-12-31)" in bad.content.decode()
    deliverable = alice_client.post(
        _url(prospect, "agreement-addendum-add"), {"kind": "deliverable", "title": "Hub"}, follow=True
    )
    assert "a deliverable needs a date" in deliverable.content.decode()


def test_the_signed_file_marks_it_executed_and_the_engagement_becomes_a_partner(alice_client, prospect):
    _ready_to_sign(alice_client, prospect)
    alice_client.post(_url(prospect, "agreement-ready"))
    signed = SimpleUploadedFile("signed.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    response = alice_client.post(
        _url(prospect, "agreement-executed"), {"signed": signed, "on": "2030-01-05"}, follow=True
    )

    page = response.content.decode()
    assert "is executed." in page and f"{prospect.reference} moved to Partner." in page
    prospect.refresh_from_db()
    assert prospect.stage == "partner" and str(prospect.executed_close_on) == "2030-01-05"
    section = _section(response)
    assert "Executed" in section and "signed copy" in section
    assert "Ready to sign</button>" not in section and "Upload the version" not in section
    late = _upload(alice_client, prospect, docx_bytes("Too late"))
    assert "is executed: it can no longer change" in late.content.decode()
    assert Agreement.objects.filter(engagement=prospect).count() == 1


def test_an_agreement_not_ready_cannot_be_marked_executed(alice_client, prospect):
    _upload(alice_client, prospect, docx_bytes("Draft"))
    signed = SimpleUploadedFile("signed.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    page = alice_client.post(
        _url(prospect, "agreement-executed"), {"signed": signed}, follow=True
    ).content.decode()
    assert "is not ready to sign. Missing:" in page
    prospect.refresh_from_db()
    assert prospect.stage == "prospect"


def test_the_page_costs_the_same_queries_however_big_the_agreement(
    alice_client, prospect, django_assert_num_queries
):
    _ready_to_sign(alice_client, prospect)
    # the page without an agreement (16 with documents, 15 without since their shares are then not
    # fetched), plus versions, signatories and addenda
    with django_assert_num_queries(18):
        assert alice_client.get(_url(prospect)).status_code == 200
    for number in range(10):
        _upload(alice_client, prospect, docx_bytes(f"Draft {number}"), f"v{number}.docx")
        alice_client.post(
            _url(prospect, "agreement-signatory-add"),
            {"name": f"Person {number}", "email": f"p{number}@x.org"},
        )
        alice_client.post(
            _url(prospect, "agreement-addendum-add"), {"kind": "other", "title": f"Annex {number}"}
        )
    with django_assert_num_queries(18):
        page = alice_client.get(_url(prospect)).content.decode()
    assert "Annex 9" in page and "p9@x.org" in page and "v9.docx" in page
