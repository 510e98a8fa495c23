"""An engagement owned by a team member's address (they acted by email without an account): the
page says so and offers to invite them; the invitation's account becomes the owner."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.naming import engagement_open_provisional
from partnerdesk.pipeline.owners import engagement_claim_owner
from partnerdesk.web.invitations import invitation_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, alice):
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    client.force_login(alice)
    return client


def test_the_page_offers_to_invite_an_owner_known_only_by_address(staff_client, harbor):
    Engagement.objects.filter(pk=harbor.pk).update(owner=None)
    harbor.refresh_from_db()
    assert engagement_claim_owner(engagement=harbor, email="Dana@2i2c.org", actor=services.Actor("mail"))
    page = staff_client.get(reverse("engagement", args=[harbor.reference])).content.decode()
    assert re.search(r"<dt>Owner</dt>\s*<dd>dana@2i2c.org \(no account yet:", page)
    invite = reverse("invitation-create") + "?email=dana%402i2c.org"
    assert f'href="{invite}"' in page
    form = staff_client.get(invite).content.decode()
    assert 'value="dana@2i2c.org"' in form

    invitation_send(email="dana@2i2c.org", actor=services.Actor("alice"))
    harbor.refresh_from_db()
    dana = get_user_model().objects.get(email="dana@2i2c.org")
    assert (harbor.owner, harbor.owner_email) == (dana, "")


def test_a_provisional_name_is_shown_as_such(staff_client, alice_actor):
    engagement = engagement_open_provisional(
        name="uni.example", contacts=[("Jo", "jo@uni.example")], actor=alice_actor, source="email"
    )
    page = staff_client.get(reverse("engagement", args=[engagement.reference])).content.decode()
    assert "The organization's name is provisional" in page


def test_the_engagement_page_links_to_its_audit_trail(staff_client, harbor):
    page = staff_client.get(reverse("engagement", args=[harbor.reference])).content.decode()
    link = reverse("engagement-audit", args=[harbor.reference])
    assert f'href="{link}"' in page
    download = staff_client.get(link)
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
