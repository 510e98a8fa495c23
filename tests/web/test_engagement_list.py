"""The engagement list (/engagements/): every engagement as a row, sorted and filtered by owner,
stage and text, a page at a time, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from partnerdesk.lib import clock
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.stages import Stage
from partnerdesk.web.engagement_list import LIST_PAGE_SIZE
from tests.web.pipeline_data import ALICE, deal, lead

pytestmark = pytest.mark.django_db


def _names(client, **query) -> list[str]:
    page = client.get(reverse("engagement-list"), query).content.decode()
    return re.findall(r'<td data-label="Organization" class="organization">([^<]+)</td>', page)


@pytest.fixture
def engagements(alice, bob):
    harbor = deal("Harbor University", value="24000", owner=alice)
    bay = deal("Bay College", stage=Stage.PROSPECT, value="5000", owner=bob)
    pine = lead("Pine Lab")
    services.task_create(engagement=pine, title="Call Jo", actor=ALICE, due_on=dt.date(2031, 1, 2))
    Engagement.objects.filter(pk=pine.pk).update(stage_changed_at=clock.now() - dt.timedelta(days=40))
    return harbor, bay, pine


def test_the_list_shows_a_row_per_engagement_with_its_facts(alice_client, engagements):
    harbor, _, pine = engagements
    page = alice_client.get(reverse("engagement-list")).content.decode()

    assert "Engagements: <strong class=\"list-count\">3</strong>" in page
    row = page.split(f'id="row-{harbor.pk}"')[1].split("</tr>")[0]
    assert f'<a href="/engagements/{harbor.reference}/">{harbor.reference}</a>' in row
    assert "Qualified Lead" in row and ">alice<" in row and "USD 24,000" in row
    row = page.split(f'id="row-{pine.pk}"')[1].split("</tr>")[0]
    assert ">40<" in row and "2031-01-02" in row and "Call Jo" in row


def test_the_list_filters_by_owner_stage_and_text(alice_client, engagements):
    assert _names(alice_client, owner="alice") == ["Harbor University"]
    assert _names(alice_client, owner="-") == ["Pine Lab"]
    assert _names(alice_client, stage="prospect") == ["Bay College"]
    assert _names(alice_client, q="pine") == ["Pine Lab"]
    assert _names(alice_client, q="bay.college@example") == ["Bay College"]  # a contact's address
    assert _names(alice_client, among="pipeline", owner="bob") == ["Bay College"]
    page = alice_client.get(reverse("engagement-list"), {"owner": "bob", "stage": "lead"}).content.decode()
    assert "Engagements at Lead owned by bob: <strong" in page and "No engagement matches" in page
    # A value that is not a choice is ignored, not an error page.
    assert alice_client.get(reverse("engagement-list"), {"sort": "x", "owner": "z"}).status_code == 200


def test_the_list_sorts_by_each_column_both_ways(alice_client, engagements):
    assert _names(alice_client) == ["Harbor University", "Bay College", "Pine Lab"]  # by reference
    assert _names(alice_client, sort="organization") == ["Bay College", "Harbor University", "Pine Lab"]
    assert _names(alice_client, sort="-value") == ["Harbor University", "Bay College", "Pine Lab"]
    assert _names(alice_client, sort="value") == ["Bay College", "Harbor University", "Pine Lab"]
    assert _names(alice_client, sort="-days")[0] == "Pine Lab"
    assert _names(alice_client, sort="due")[0] == "Pine Lab"
    assert _names(alice_client, sort="stage") == ["Pine Lab", "Harbor University", "Bay College"]
    # The column headers link to their sort, and the sorted one to the reverse order.
    page = alice_client.get(reverse("engagement-list"), {"sort": "value", "owner": "alice"}).content.decode()
    assert '<th scope="col" aria-sort="ascending"><a href="?owner=alice&amp;sort=-value">Value' in page
    assert '<a href="?owner=alice&amp;sort=organization">Organization</a>' in page


def test_a_long_list_is_paged_in_the_same_queries(alice_client, django_assert_num_queries):
    for number in range(LIST_PAGE_SIZE + 3):
        lead(f"College {number:03d}")
    # session, user, the owner list, the count, the page
    with django_assert_num_queries(5):
        first = _names(alice_client, sort="organization")
    with django_assert_num_queries(5):
        second = _names(alice_client, sort="organization", page="2")
    assert len(first) == LIST_PAGE_SIZE and second == ["College 100", "College 101", "College 102"]
    page = alice_client.get(reverse("engagement-list"), {"sort": "organization"}).content.decode()
    assert 'href="?sort=organization&amp;page=2" rel="next"' in page and "page 1 of 2" in page
