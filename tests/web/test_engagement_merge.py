"""Merging from the engagement page: a button, a page saying what would move, then the merge."""

from __future__ import annotations

import pytest
from django.urls import reverse

from partnerdesk.documents.services import running_notes_ensure
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.naming import engagement_open_provisional

pytestmark = pytest.mark.django_db


@pytest.fixture
def duplicate(alice):
    """The same relationship opened a second time, from an address, with its running notes."""
    actor = services.Actor.for_user(alice)
    engagement = engagement_open_provisional(
        name="harbor.example.edu", contacts=[("Sam Ortiz", "sam@harbor.example.edu")], actor=actor,
        source="email",
    )  # fmt: skip
    running_notes_ensure(engagement=engagement, actor=actor)
    services.task_create(engagement=engagement, title="Send the deck", actor=actor)
    return engagement


def test_the_page_offers_a_merge_and_shows_what_would_move_before_it_merges(alice_client, harbor, duplicate):
    url = reverse("engagement-merge", args=[duplicate.reference])
    page = alice_client.get(reverse("engagement", args=[duplicate.reference])).content.decode()
    assert f'action="{url}"' in page
    assert f'<option value="{harbor.reference}">{harbor.reference} Harbor University (Lead)</option>' in page
    assert alice_client.get(url).status_code == 405  # POST only

    review = alice_client.post(url, {"into": harbor.reference})

    assert review.status_code == 200
    text = review.content.decode()
    assert f"Merge {duplicate.reference} into {harbor.reference}?" in text
    moves = "documents move from Partnerships/Agreements/harbor.example.edu"
    for line in ("1 contact", "1 document", "1 task", moves):
        assert line in text
    duplicate.refresh_from_db()
    assert duplicate.stage == "lead" and duplicate.tasks.count() == 1  # nothing happened yet

    merged = alice_client.post(url, {"into": harbor.reference, "confirm": "yes"}, follow=True)

    assert merged.redirect_chain[-1][0] == reverse("engagement", args=[harbor.reference])
    assert f"Merged {duplicate.reference} into {harbor.reference}" in merged.content.decode()
    assert harbor.tasks.get().title == "Send the deck"
    assert harbor.documents.count() == 1
    # The old reference still opens, says where everything went, and offers no second merge.
    old = alice_client.get(reverse("engagement", args=[duplicate.reference])).content.decode()
    link = f'<a href="/engagements/{harbor.reference}/">{harbor.reference} Harbor University</a>'
    assert f"{duplicate.reference} was merged into\n  {link}" in old
    assert f'action="{url}"' not in old


def test_a_refused_merge_says_why_on_the_page_and_changes_nothing(alice_client, harbor, duplicate, alice):
    services.engagement_move(
        engagement=harbor, to=services.Stage.CLOSED, actor=services.Actor.for_user(alice), reason="no budget"
    )
    url = reverse("engagement-merge", args=[duplicate.reference])

    answer = alice_client.post(url, {"into": harbor.reference, "confirm": "yes"}, follow=True)

    assert f"{duplicate.reference} was not merged: {harbor.reference} is closed" in answer.content.decode()
    assert Engagement.objects.get(pk=duplicate.pk).stage == "lead"
    unknown = alice_client.post(url, {"into": "PD-999"}, follow=True)
    assert "Choose the engagement to merge into, or type its reference (PD-12)." in unknown.content.decode()


def test_an_engagement_not_in_the_list_is_merged_into_by_typing_its_reference(
    alice_client, harbor, duplicate
):
    other = services.engagement_create(
        organization_name="Ridge College", contacts=[], actor=services.Actor(label="alice")
    )
    page = alice_client.get(reverse("engagement", args=[duplicate.reference])).content.decode()
    assert f'<option value="{other.reference}">' not in page  # nothing in common with it
    assert 'name="into_reference"' in page

    review = alice_client.post(
        reverse("engagement-merge", args=[duplicate.reference]),
        {"into": harbor.reference, "into_reference": f"[{other.reference}]"},
    )

    assert f"Merge {duplicate.reference} into {other.reference}?" in review.content.decode()
