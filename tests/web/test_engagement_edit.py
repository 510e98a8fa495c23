"""The organization and its contacts are edited on the engagement page, through the services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Contact, Organization

pytestmark = pytest.mark.django_db


def _url(engagement, name="engagement", *args) -> str:
    return reverse(name, args=[engagement.reference, *args])


def test_a_contact_is_renamed_from_the_page_and_the_timeline_says_so(alice_client, harbor):
    lee = Contact.objects.get(email="lee@harbor.example.edu")
    page = alice_client.get(_url(harbor)).content.decode()
    assert f'<label for="contact-name-{lee.pk}">Name of lee@harbor.example.edu</label>' in page

    response = alice_client.post(
        _url(harbor, "engagement-contact-edit", lee.pk), {"name": "Lee Park-Kim"}, follow=True
    )

    page = response.content.decode()
    assert "Saved Lee Park-Kim &lt;lee@harbor.example.edu&gt;." in page
    assert "Contact lee@harbor.example.edu changed: name: Lee Park -&gt; Lee Park-Kim" in page
    lee.refresh_from_db()
    assert lee.name == "Lee Park-Kim"


def test_a_contact_of_another_engagement_cannot_be_edited_from_this_one(alice_client, harbor):
    bay = services.engagement_create(
        organization_name="Bay College",
        contacts=[("Ana Ruiz", "ana@bay.example.edu")],
        actor=services.Actor("bob"),
    )
    ana = Contact.objects.get(email="ana@bay.example.edu")
    assert (
        alice_client.post(_url(harbor, "engagement-contact-edit", ana.pk), {"name": "X"}).status_code == 404
    )
    assert alice_client.post(_url(bay, "engagement-contact-edit", 999), {"name": "X"}).status_code == 404
    ana.refresh_from_db()
    assert ana.name == "Ana Ruiz"


def test_the_organization_gets_a_new_name_and_website(alice_client, harbor):
    response = alice_client.post(
        _url(harbor, "engagement-organization-edit"),
        {"name": "Harbor State University", "website": "harbor.example.edu"},
        follow=True,
    )
    page = response.content.decode()
    assert "Organization saved." in page
    assert "<h1>" + harbor.reference + " Harbor State University</h1>" in page
    organization = Organization.objects.get(pk=harbor.organization_id)
    assert organization.website == "https://harbor.example.edu"


def test_a_name_another_organization_has_is_refused_with_a_clear_message(alice_client, harbor):
    services.engagement_create(organization_name="Bay College", contacts=[], actor=services.Actor("bob"))
    response = alice_client.post(
        _url(harbor, "engagement-organization-edit"), {"name": "BAY college", "website": ""}, follow=True
    )
    assert "another organization is already called Bay College" in response.content.decode()
    assert Organization.objects.get(pk=harbor.organization_id).name == "Harbor University"


def test_a_website_that_is_not_an_address_is_refused(alice_client, harbor):
    response = alice_client.post(
        _url(harbor, "engagement-organization-edit"), {"name": "Harbor", "website": "not a site"}, follow=True
    )
    assert "Website: Enter a valid URL." in response.content.decode()
    assert Organization.objects.get(pk=harbor.organization_id).name == "Harbor University"


def test_editing_needs_sign_in_and_a_csrf_token(client, harbor, alice):
    url = _url(harbor, "engagement-organization-edit")
    assert client.post(url, {"name": "X"}).status_code == 302
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(url, {"name": "X"}).status_code == 403
