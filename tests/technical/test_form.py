"""The technical form through a partner link: it opens after a click, shows the questions with
what is known, fills the record once, and reaches nothing of another engagement."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from partnerdesk.documents.models import PartnerLink
from partnerdesk.documents.partner_links import partner_link_create
from partnerdesk.lib import clock
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Contact, TimelineEntry
from partnerdesk.technical.links import technical_form_link_create
from partnerdesk.technical.models import TechnicalAnswer, TechnicalFormLink
from partnerdesk.technical.services import technical_answer_set, technical_missing

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.technical.urls")]

ALICE = services.Actor(label="alice")


def _engagement(organization: str, name: str, email: str):
    return services.engagement_create(organization_name=organization, contacts=[(name, email)], actor=ALICE)


@pytest.fixture
def harbor():
    engagement = _engagement("Harbor University", "Lee Park", "lee@harbor.example.edu")
    technical_answer_set(engagement=engagement, key="community", value="Oceanography students", actor=ALICE)
    technical_answer_set(engagement=engagement, key="gpus", value="", status="not-applicable", actor=ALICE)
    return engagement


@pytest.fixture
def delta():
    return _engagement("Delta College", "Dee Chen", "dee@delta.example.edu")


def _link(engagement, email: str) -> str:
    url = technical_form_link_create(
        engagement=engagement, contact=Contact.objects.get(email=email), actor=ALICE
    )
    return re.sub(r"^https?://[^/]+", "", url)


def _opened(path: str) -> Client:
    browser = Client()
    assert browser.post(path).url == path + "form/"
    return browser


def test_the_link_opens_only_after_a_click_and_a_get_writes_nothing(harbor):
    path = _link(harbor, "lee@harbor.example.edu")
    scanner = Client()
    page = scanner.get(path).content.decode()
    assert "Open the form" in page and 'method="post"' in page and "Oceanography" not in page
    assert scanner.get(path + "form/").url == path
    assert PartnerLink.objects.get().last_opened_at is None

    page = _opened(path).get(path + "form/").content.decode()
    assert "Technical questions for Harbor University" in page
    assert ">Oceanography students</textarea>" in page
    assert "How many users do you expect in total? (needed) <strong>still open</strong>" in page
    assert "Do users need GPUs?" not in page  # marked not applicable
    assert PartnerLink.objects.get().last_opened_at is not None


def test_the_form_fills_the_record_and_the_timeline_with_source_form(harbor):
    path = _link(harbor, "lee@harbor.example.edu")
    browser = _opened(path)
    sent = browser.post(
        path + "form/",
        {
            "q-community": "Oceanography students",  # unchanged: keeps its source
            "q-expected-users": "300",
            "q-cloud-region": "  GCP us-central1 ",
            "q-launch-date": "",
            "q-gpus": "8 A100s",  # not on the form: ignored
            "q-made-up": "x",
        },
    )
    assert sent.status_code == 302
    assert "Thank you" in browser.get(sent.url).content.decode()
    answers = {a.key: a for a in TechnicalAnswer.objects.filter(engagement=harbor)}
    assert (answers["expected-users"].value, answers["expected-users"].source) == ("300", "form")
    assert (answers["cloud-region"].value, answers["cloud-region"].status) == ("GCP us-central1", "answered")
    assert answers["community"].source == "cli"
    assert answers["gpus"].status == "not-applicable"
    assert "launch-date" not in answers and "made-up" not in answers
    assert "expected-users (" not in " ".join(technical_missing(harbor))
    entry = harbor.timeline.get(summary__startswith="Technical form received")
    assert entry.summary == "Technical form received from Lee Park <lee@harbor.example.edu>: 2 answer(s)"
    assert entry.actor == "partner:lee@harbor.example.edu" and entry.kind == TimelineEntry.Kind.NOTE
    assert harbor.timeline.filter(summary__startswith="Technical needs: How many users").count() == 1


def test_a_link_submits_once_and_a_second_submission_changes_nothing(harbor):
    path = _link(harbor, "lee@harbor.example.edu")
    browser = _opened(path)
    assert browser.post(path + "form/", {"q-expected-users": "300"}).status_code == 302
    again = browser.post(path + "form/", {"q-expected-users": "9000", "q-compute": "2 CPU"})
    assert again.status_code == 410 and "This form was already sent" in again.content.decode()
    assert browser.get(path + "form/").status_code == 410
    assert TechnicalAnswer.objects.get(engagement=harbor, key="expected-users").value == "300"
    assert not TechnicalAnswer.objects.filter(key="compute").exists()


def test_an_empty_or_overlong_form_is_refused_and_leaves_the_link_usable(harbor):
    path = _link(harbor, "lee@harbor.example.edu")
    browser = _opened(path)
    empty = browser.post(path + "form/", {"q-community": "Oceanography students"})
    assert empty.status_code == 400 and "Nothing new to send" in empty.content.decode()
    long = browser.post(path + "form/", {"q-compute": "x" * 5001})
    assert long.status_code == 400 and "longer than 5000 characters" in long.content.decode()
    assert TechnicalFormLink.objects.get().submitted_at is None
    assert browser.post(path + "form/", {"q-compute": "2 CPU"}).status_code == 302


def test_another_engagements_link_reaches_nothing_of_this_one(harbor, delta):
    dees = _link(delta, "dee@delta.example.edu")
    browser = _opened(dees)
    page = browser.get(dees + "form/").content.decode()
    assert "Delta College" in page and "Harbor" not in page and "Oceanography" not in page
    assert (
        browser.post(dees + "form/", {"q-community": "Sailing", "engagement": str(harbor.pk)}).status_code
        == 302
    )
    assert TechnicalAnswer.objects.get(engagement=harbor, key="community").value == "Oceanography students"
    assert TechnicalAnswer.objects.get(engagement=delta, key="community").value == "Sailing"

    # Lee's link to his shared documents is not a form link, and a made-up token is nothing.
    docs_token = partner_link_create(contact=Contact.objects.get(email="lee@harbor.example.edu"), actor=ALICE)
    for token in (docs_token.rstrip("/").rsplit("/", 1)[1], "made-up"):
        for url in (f"/p/tech/{token}/", f"/p/tech/{token}/form/"):
            assert browser.get(url).status_code == 404, url
            assert browser.post(url, {"q-community": "x"}).status_code == 404, url


def test_a_link_is_not_made_for_someone_who_is_not_a_contact_of_the_engagement(harbor, delta):
    with pytest.raises(services.ServiceError, match="is not a contact of"):
        _link(harbor, "dee@delta.example.edu")


def test_an_expired_or_revoked_link_is_not_found(harbor, frozen_clock):
    revoked = _link(harbor, "lee@harbor.example.edu")
    browser = _opened(revoked)
    expiring = _link(harbor, "lee@harbor.example.edu")
    browser.post(expiring)
    link_of_revoked = TechnicalFormLink.objects.order_by("id").first().link
    PartnerLink.objects.filter(pk=link_of_revoked.pk).update(revoked_at=clock.now())
    for url in (revoked, revoked + "form/"):
        assert browser.get(url).status_code == 404
        assert browser.post(url, {"q-compute": "2 CPU"}).status_code == 404
    assert browser.get(expiring + "form/").status_code == 200

    frozen_clock.advance(days=31)
    assert browser.get(expiring + "form/").status_code == 404
    assert browser.post(expiring + "form/", {"q-compute": "2 CPU"}).status_code == 404
    assert not TechnicalAnswer.objects.filter(key="compute").exists()


def test_a_form_without_the_csrf_token_is_rejected(harbor):
    path = _link(harbor, "lee@harbor.example.edu")
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(path).status_code == 403
    assert PartnerLink.objects.get().last_opened_at is None


def test_a_form_link_opens_no_documents_page(harbor):
    path = _link(harbor, "lee@harbor.example.edu")
    token = path.rstrip("/").rsplit("/", 1)[1]
    browser = _opened(path)
    assert browser.post(f"/p/docs/{token}/").status_code == 404  # the documents page's click
    for url in (f"/p/docs/{token}/", f"/p/docs/{token}/shared/"):
        assert browser.get(url).status_code == 404, url
