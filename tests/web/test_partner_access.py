"""Partner pages: the link in a share notification opens exactly what is shared with that contact."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from email import message_from_bytes, policy

import pytest
from django.test import Client
from django.urls import reverse

from partnerdesk.agreements.models import AgreementVersion
from partnerdesk.agreements.services import agreement_create
from partnerdesk.documents.models import Document, PartnerLink, RunningNoteEntry
from partnerdesk.documents.partner_links import partner_link_create
from partnerdesk.documents.services import (
    AGREEMENT_TEMPLATE,
    document_from_template,
    document_share,
    partner_folder_path,
    running_notes_ensure,
    template_path,
)
from partnerdesk.lib import clock
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Contact, TimelineEntry
from tests.agreements.conftest import docx_bytes

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+?(/p/docs/[A-Za-z0-9_-]+/)")


def _body(message: OutboxMessage) -> str:
    email = message_from_bytes(bytes(message.raw), policy=policy.default)
    return email.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def _link_in(message: OutboxMessage) -> str:
    match = LINK.search(_body(message))
    assert match, _body(message)
    return match.group(1)


def _token(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]


def _row(path: str) -> PartnerLink:
    return PartnerLink.objects.get(token_hash=hashlib.sha256(_token(path).encode()).hexdigest())


def _share(engagement, document, email: str, role: str, actor) -> str:
    contact = Contact.objects.get(email=email)
    [share] = document_share(document=document, contacts=[contact], role=role, actor=actor)
    return _link_in(share.notification)


@pytest.fixture
def actor(alice):
    return services.Actor.for_user(alice)


@pytest.fixture
def harbor_documents(harbor, actor):
    """Harbor's running notes and agreement draft, shared with Lee Park as an editor."""
    notes = running_notes_ensure(engagement=harbor, actor=actor)
    draft = document_from_template(
        engagement=harbor,
        kind=Document.Kind.AGREEMENT,
        template=template_path(AGREEMENT_TEMPLATE),
        folder_path=partner_folder_path(harbor),
        title="Harbor University + 2i2c - Services Agreement",
        replacements={"PartnerX": "Harbor University"},
        actor=actor,
    )
    agreement = agreement_create(engagement=harbor, actor=actor, document=draft)
    lee = _share(harbor, notes, "lee@harbor.example.edu", "editor", actor)
    lee_contact = Contact.objects.get(email="lee@harbor.example.edu")
    document_share(document=draft, contacts=[lee_contact], role="editor", actor=actor)
    return {"notes": notes, "draft": draft, "agreement": agreement, "lee": lee}


@pytest.fixture
def delta(alice, actor):
    """Another organization, whose running notes are shared with Dee Chen."""
    engagement = services.engagement_create(
        organization_name="Delta College",
        contacts=[("Dee Chen", "dee@delta.example.edu")],
        actor=actor,
        owner=alice,
    )
    notes = running_notes_ensure(engagement=engagement, actor=actor)
    link = _share(engagement, notes, "dee@delta.example.edu", "editor", actor)
    return {"engagement": engagement, "notes": notes, "link": link}


def _opened(link: str) -> Client:
    browser = Client()
    assert browser.post(link).url == link + "shared/"
    return browser


def test_the_share_notification_carries_a_link_that_opens_only_after_a_click(harbor_documents):
    link = harbor_documents["lee"]
    scanner = Client()
    page = scanner.get(link).content.decode()
    assert "Open the shared documents" in page and 'method="post"' in page
    assert "Running notes" not in page and "Services Agreement" not in page
    # Fetching the link (as a mail scanner does) shows nothing else and opens nothing.
    assert scanner.get(link + "shared/").url == link
    assert _row(link).last_opened_at is None

    browser = _opened(link)
    page = browser.get(link + "shared/").content.decode()
    assert "Documents shared with Lee Park" in page
    assert "Running notes -- Harbor University + 2i2c" in page
    assert "Harbor University + 2i2c - Services Agreement" in page
    assert _row(link).last_opened_at is not None


def test_the_page_shows_exactly_the_documents_shared_with_that_contact(harbor_documents, delta):
    page = _opened(delta["link"]).get(delta["link"] + "shared/").content.decode()
    assert "Running notes -- Delta College" in page
    assert "Harbor" not in page


def test_an_editor_adds_a_dated_entry_to_the_running_notes_once_per_form(harbor_documents):
    link, notes = harbor_documents["lee"], harbor_documents["notes"]
    browser = _opened(link)
    url = reverse("partner-notes-append", args=[_token(link), notes.pk])
    form = {"text": "We can start in March.", "nonce": "a" * 32}
    assert browser.post(url, form).status_code == 302
    assert browser.post(url, form).status_code == 302  # a double click

    [entry] = RunningNoteEntry.objects.all()
    assert entry.line == f"{clock.today().isoformat()} We can start in March."
    page = browser.get(link + "shared/").content.decode()
    assert "We can start in March." in page
    timeline = notes.engagement.timeline.filter(kind=TimelineEntry.Kind.RUNNING_NOTE).get()
    assert timeline.actor == "partner:lee@harbor.example.edu"


def test_a_viewer_cannot_write_the_running_notes(harbor, harbor_documents, actor):
    sam = ("Sam", "sam@harbor.example.edu")
    services.engagement_add_contacts(engagement=harbor, contacts=[sam], actor=actor)
    link = _share(harbor, harbor_documents["notes"], "sam@harbor.example.edu", "viewer", actor)
    browser = _opened(link)
    page = browser.get(link + "shared/").content.decode()
    assert "Running notes" in page and "Add the entry" not in page
    url = reverse("partner-notes-append", args=[_token(link), harbor_documents["notes"].pk])
    assert browser.post(url, {"text": "hello"}).status_code == 404
    assert not RunningNoteEntry.objects.exists()


def test_an_editor_downloads_the_agreement_and_uploads_a_new_version(harbor_documents):
    link, draft = harbor_documents["lee"], harbor_documents["draft"]
    browser = _opened(link)
    download = browser.get(reverse("partner-download", args=[_token(link), draft.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content).startswith(b"PK")

    redline = docx_bytes("Services Agreement", "Term: 24 months")
    upload = browser.post(
        reverse("partner-upload", args=[_token(link), draft.pk]),
        {"file": _file("redline.docx", redline)},
    )
    assert upload.status_code == 302
    latest = AgreementVersion.objects.order_by("-number").first()
    assert (latest.number, latest.filename) == (2, "redline.docx")
    assert latest.actor == "partner:lee@harbor.example.edu"
    again = browser.get(reverse("partner-download", args=[_token(link), draft.pk]))
    assert b"".join(again.streaming_content) == redline


def test_an_upload_that_is_not_a_docx_is_refused_with_a_message(harbor_documents):
    link, draft = harbor_documents["lee"], harbor_documents["draft"]
    browser = _opened(link)
    response = browser.post(
        reverse("partner-upload", args=[_token(link), draft.pk]),
        {"file": _file("notes.txt", b"hello")},
        follow=True,
    )
    assert "is not a .docx file" in response.content.decode()
    assert AgreementVersion.objects.count() == 1


def _file(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def _partner_requests(token: str, document_id: int) -> list[tuple[str, str, dict]]:
    return [
        ("get", reverse("partner-open", args=[token]), {}),
        ("post", reverse("partner-open", args=[token]), {}),
        ("get", reverse("partner-documents", args=[token]), {}),
        ("post", reverse("partner-notes-append", args=[token, document_id]), {"text": "x"}),
        ("get", reverse("partner-download", args=[token, document_id]), {}),
        ("post", reverse("partner-upload", args=[token, document_id]), {}),
    ]


def test_another_partners_link_reaches_nothing_of_another_organization(harbor_documents, delta):
    dees_browser = _opened(delta["link"])
    dee = _token(delta["link"])
    for document in (harbor_documents["notes"], harbor_documents["draft"]):
        for method, url, data in _partner_requests(dee, document.pk)[3:]:
            assert getattr(dees_browser, method)(url, data).status_code == 404, url
    assert not RunningNoteEntry.objects.exists()
    assert AgreementVersion.objects.count() == 1


def test_a_made_up_revoked_or_expired_link_is_not_found(harbor_documents, delta):
    notes = harbor_documents["notes"]
    expired = _token(
        partner_link_create(
            contact=Contact.objects.get(email="lee@harbor.example.edu"),
            actor=services.Actor(label="test"),
            lifetime=dt.timedelta(seconds=-1),
        )
    )
    browser = _opened(harbor_documents["lee"])
    PartnerLink.objects.filter(contact__email="lee@harbor.example.edu").update(revoked_at=clock.now())
    for token in ("made-up", expired, _token(harbor_documents["lee"])):
        for method, url, data in _partner_requests(token, notes.pk):
            assert getattr(browser, method)(url, data).status_code == 404, url


def test_a_partner_form_without_the_csrf_token_is_rejected(harbor_documents):
    link, notes = harbor_documents["lee"], harbor_documents["notes"]
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(link).status_code == 403
    assert _row(link).last_opened_at is None
    page = browser.get(link).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') == page.count('method="post"') == 1
    _ = notes


def test_a_link_is_revoked_from_the_engagement_page(alice_client, harbor, harbor_documents):
    link = harbor_documents["lee"]
    browser = _opened(link)
    page = alice_client.get(reverse("engagement", args=[harbor.reference])).content.decode()
    assert "Partner links" in page and "Revoke" in page
    row = _row(link)
    response = alice_client.post(reverse("partner-link-revoke", args=[harbor.reference, row.pk]))
    assert response.status_code == 302
    assert browser.get(link + "shared/").status_code == 404
    entry = harbor.timeline.filter(kind=TimelineEntry.Kind.SHARE).order_by("-id").first()
    assert entry.summary == "Revoked the document link sent to Lee Park <lee@harbor.example.edu>"


def test_a_link_of_another_engagements_contact_is_not_revoked_from_this_page(
    alice_client, harbor, harbor_documents, delta
):
    dees = PartnerLink.objects.get(contact__email="dee@delta.example.edu")
    response = alice_client.post(reverse("partner-link-revoke", args=[harbor.reference, dees.pk]))
    assert response.status_code == 404
    dees.refresh_from_db()
    assert dees.revoked_at is None


def test_the_team_emails_a_contact_a_new_link(alice_client, harbor, harbor_documents):
    lee = Contact.objects.get(email="lee@harbor.example.edu")
    response = alice_client.post(reverse("partner-link-send", args=[harbor.reference, lee.pk]))
    assert response.status_code == 302
    message = OutboxMessage.objects.order_by("-id").first()
    assert message.to == ["lee@harbor.example.edu"]
    new_link = _link_in(message)
    assert new_link != harbor_documents["lee"]
    assert "Documents shared with Lee Park" in _opened(new_link).get(new_link + "shared/").content.decode()
