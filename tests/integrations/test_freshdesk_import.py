"""`partnerdesk import freshdesk`: tickets become engagements, once, through pages and rate limits."""

from __future__ import annotations

import pytest

from partnerdesk.integrations.freshdesk.client import base_url
from partnerdesk.pipeline.models import Contact, Engagement, TimelineEntry
from tests.integrations.fake_freshdesk import API_KEY, FakeFreshdesk

pytestmark = pytest.mark.django_db


@pytest.fixture
def freshdesk(monkeypatch):
    fake = FakeFreshdesk(page_size=2).start()
    monkeypatch.setenv("FRESHDESK_API_KEY", API_KEY)
    waits: list[float] = []
    monkeypatch.setattr("partnerdesk.integrations.freshdesk.client.pause", waits.append)
    fake.waits = waits
    yield fake
    fake.stop()


def _harbor_desk(fake: FakeFreshdesk) -> None:
    fake.companies[7] = {"id": 7, "name": "Harbor University"}
    fake.add_ticket(
        101,
        ("Lee Park", "lee@harbor.example.edu"),
        subject="Interested in a hub",
        company_id=7,
        cc_emails=["Ana Ruiz <ana@harbor.example.edu>"],
        tags=["prospect"],
        conversations=[
            {
                "id": 9001,
                "incoming": False,
                "from_email": "partnerships@2i2c.org",
                "body_text": "Happy to talk!",
            },
            {
                "id": 9002,
                "incoming": True,
                "from_email": "lee@harbor.example.edu",
                "body_text": "Tuesday works.",
            },
            {"id": 9003, "private": True, "body_text": "Strong fit."},
        ],
    )
    fake.add_ticket(102, ("Kim Lo", "kim@delta.example.org"), status=5)
    fake.add_ticket(103, ("", ""), description_text="no one")
    fake.add_ticket(104, ("Spam Bot", "bot@spam.example"), spam=True)
    fake.add_ticket(105, ("Jo Díaz", "jo@gmail.com"), status=3)


def _import(cli, fake, *extra):
    return cli("import", "freshdesk", "--domain", fake.url, *extra)


def test_tickets_become_engagements_with_contacts_stages_and_timeline_emails(cli, freshdesk):
    _harbor_desk(freshdesk)
    result = _import(cli, freshdesk)
    assert result.code == 0, result.err
    assert "5 tickets read in 3 pages: imported 3 as engagements" in result.out
    assert "added 3 conversations to the timelines" in result.out
    assert "#103: the requester has no email address" in result.out
    assert "#104: marked as spam in Freshdesk" in result.out

    harbor = Engagement.objects.get(organization__name="Harbor University")
    assert harbor.stage == "prospect"  # the tag wins over the status
    assert sorted(harbor.contacts.values_list("email", flat=True)) == [
        "ana@harbor.example.edu",
        "lee@harbor.example.edu",
    ]
    kinds = list(harbor.timeline.order_by("at", "id").values_list("kind", "summary"))
    assert ("email_in", "lee@harbor.example.edu: Question 101") in kinds
    assert ("email_out", "partnerships@2i2c.org: Happy to talk!") in kinds
    assert ("email_in", "lee@harbor.example.edu: Tuesday works.") in kinds
    assert ("note", "Strong fit.") in kinds
    assert Engagement.objects.get(organization__name="delta.example.org").stage == "closed"
    assert Engagement.objects.get(organization__name="Jo Díaz").stage == "lead"  # a personal address
    assert "importing from Freshdesk" in result.err


def test_a_rerun_imports_nothing_twice_and_adds_only_new_conversations(cli, freshdesk):
    _harbor_desk(freshdesk)
    assert _import(cli, freshdesk).code == 0
    counts = (Engagement.objects.count(), Contact.objects.count(), TimelineEntry.objects.count())
    again = _import(cli, freshdesk)
    assert again.code == 0, again.err
    assert "imported 0 as engagements" in again.out
    assert "3 tickets were imported before" in again.out
    assert (Engagement.objects.count(), Contact.objects.count(), TimelineEntry.objects.count()) == counts

    freshdesk.conversations[101].append(
        {
            "id": 9004,
            "incoming": True,
            "from_email": "lee@harbor.example.edu",
            "body_text": "Signed!",
            "created_at": "2026-10-05T10:00:00Z",
            "private": False,
        }
    )
    _import(cli, freshdesk)
    assert TimelineEntry.objects.count() == counts[2] + 1


def test_a_429_is_waited_out_as_retry_after_says_and_the_page_boundary_is_crossed(cli, freshdesk):
    _harbor_desk(freshdesk)
    freshdesk.rate_limited = ["/api/v2/tickets", "/api/v2/tickets/101/conversations"]
    result = _import(cli, freshdesk)
    assert result.code == 0, result.err
    assert freshdesk.waits == [2.0, 2.0]
    assert "rate limited, waiting 2 s as Retry-After asks" in result.err
    assert Engagement.objects.count() == 3
    assert freshdesk.requests.count("/api/v2/tickets") == 4  # one 429, then pages 1, 2 and 3


def test_a_dry_run_reads_everything_and_writes_nothing(cli, freshdesk):
    _harbor_desk(freshdesk)
    result = _import(cli, freshdesk, "--dry-run")
    assert result.code == 0, result.err
    assert "would import 3 as engagements (#101, #102, #105)" in result.out
    assert "nothing was written (--dry-run)" in result.out
    assert Engagement.objects.count() == 0


def test_the_profile_maps_statuses_and_tags_to_stages(db, freshdesk):
    from partnerdesk.integrations.freshdesk.client import FreshdeskClient
    from partnerdesk.integrations.freshdesk.importing import freshdesk_import
    from partnerdesk.pipeline.services import Actor
    from partnerdesk.profile import FreshdeskSection

    freshdesk.add_ticket(201, ("Lee Park", "lee@harbor.example.edu"), status=6, tags=["hot"])
    freshdesk.add_ticket(202, ("Sam Ortiz", "sam@ocean.example.edu"), status=7)
    settings = FreshdeskSection(status_stages={"7": "qualified-lead"}, tag_stages={"hot": "prospect"})
    result = freshdesk_import(
        client=FreshdeskClient(domain=freshdesk.url, api_key=API_KEY),
        domain="acme",
        actor=Actor("alice"),
        settings=settings,
    )
    assert len(result.imported) == 2
    assert sorted(Engagement.objects.values_list("stage", flat=True)) == ["prospect", "qualified-lead"]


def test_an_unknown_status_is_skipped_with_the_reason(cli, freshdesk):
    freshdesk.add_ticket(301, ("Lee Park", "lee@harbor.example.edu"), status=9)
    result = _import(cli, freshdesk)
    assert "#301: status 9 has no stage (add it to [freshdesk] status_stages)" in result.out


def test_a_wrong_api_key_says_so(cli, freshdesk, monkeypatch):
    monkeypatch.setenv("FRESHDESK_API_KEY", "wrong")
    freshdesk.add_ticket(401, ("Lee Park", "lee@harbor.example.edu"))
    result = _import(cli, freshdesk)
    assert result.code == 1
    assert "Freshdesk refused the API key (HTTP 401); check FRESHDESK_API_KEY" in result.err


def test_no_api_key_or_no_domain_is_refused(cli, monkeypatch):
    monkeypatch.delenv("FRESHDESK_API_KEY", raising=False)
    assert "set FRESHDESK_API_KEY" in cli("import", "freshdesk", "--domain", "acme").err
    assert "needs --domain" in cli("import", "freshdesk").err


@pytest.mark.parametrize(
    ("domain", "url"),
    [
        ("acme", "https://acme.freshdesk.com/api/v2"),
        ("acme.freshdesk.com", "https://acme.freshdesk.com/api/v2"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/api/v2"),
    ],
)
def test_the_domain_may_be_a_subdomain_a_freshdesk_host_or_a_url(domain, url):
    assert base_url(domain) == url
