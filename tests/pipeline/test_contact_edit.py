"""Contacts and organizations are edited through services, each change leaving one entry."""

from __future__ import annotations

import pytest

from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Contact, Engagement, Organization, TimelineEntry

pytestmark = pytest.mark.django_db


def _harbor(actor) -> Engagement:
    return services.engagement_create(
        organization_name="Harbor University",
        contacts=[("Lee Park", "lee@harbor.example.edu")],
        actor=actor,
    )


def _latest(engagement: Engagement) -> TimelineEntry:
    return engagement.timeline.order_by("-id").first()


def test_renaming_a_contact_keeps_its_email_and_writes_one_entry(alice_actor):
    harbor = _harbor(alice_actor)
    lee = Contact.objects.get()
    before = harbor.timeline.count()

    changes = services.contact_update(
        contact=lee, name="  Lee   Park-Kim ", actor=alice_actor, engagement=harbor
    )

    lee.refresh_from_db()
    assert (lee.name, lee.email) == ("Lee Park-Kim", "lee@harbor.example.edu")
    assert changes == ["name: Lee Park -> Lee Park-Kim"]
    assert harbor.timeline.count() == before + 1
    entry = _latest(harbor)
    assert (entry.actor, entry.summary) == (
        "alice",
        "Contact lee@harbor.example.edu changed: name: Lee Park -> Lee Park-Kim",
    )


def test_a_contact_renamed_to_the_same_name_writes_nothing(alice_actor):
    harbor = _harbor(alice_actor)
    before = harbor.timeline.count()
    assert (
        services.contact_update(
            contact=Contact.objects.get(), name="Lee Park", actor=alice_actor, engagement=harbor
        )
        == []
    )
    assert harbor.timeline.count() == before


def test_the_renamed_contact_is_still_one_contact_when_its_email_comes_again(alice_actor):
    harbor = _harbor(alice_actor)
    services.contact_update(
        contact=Contact.objects.get(), name="Lee P.", actor=alice_actor, engagement=harbor
    )
    services.engagement_add_contacts(
        engagement=harbor, contacts=[("Someone Else", "LEE@harbor.example.edu")], actor=alice_actor
    )
    assert Contact.objects.count() == 1
    assert Contact.objects.get().name == "Lee P."


def test_an_organization_gets_a_new_name_and_website_in_one_entry(alice_actor):
    harbor = _harbor(alice_actor)
    before = harbor.timeline.count()

    changes = services.organization_update(
        organization=harbor.organization,
        name="Harbor State University",
        website="https://harbor.example.edu",
        actor=alice_actor,
        engagement=harbor,
    )

    organization = Organization.objects.get()
    assert (organization.name, organization.website) == (
        "Harbor State University",
        "https://harbor.example.edu",
    )
    assert changes == [
        "name: Harbor University -> Harbor State University",
        "website: (none) -> https://harbor.example.edu",
    ]
    assert harbor.timeline.count() == before + 1
    assert _latest(harbor).summary == (
        "Organization changed: name: Harbor University -> Harbor State University; "
        "website: (none) -> https://harbor.example.edu"
    )


def test_a_name_another_organization_has_in_any_case_is_refused(alice_actor):
    harbor = _harbor(alice_actor)
    services.engagement_create(organization_name="Bay College", contacts=[], actor=alice_actor)
    before = harbor.timeline.count()

    with pytest.raises(services.ServiceError, match="another organization is already called Bay College"):
        services.organization_update(
            organization=harbor.organization,
            name="bay COLLEGE",
            website="",
            actor=alice_actor,
            engagement=harbor,
        )

    assert Organization.objects.get(pk=harbor.organization.pk).name == "Harbor University"
    assert harbor.timeline.count() == before


def test_changing_only_the_case_of_its_own_name_is_allowed(alice_actor):
    harbor = _harbor(alice_actor)
    services.organization_update(
        organization=harbor.organization,
        name="HARBOR University",
        website="",
        actor=alice_actor,
        engagement=harbor,
    )
    assert Organization.objects.get().name == "HARBOR University"


@pytest.mark.parametrize(
    ("name", "website", "message"),
    [
        ("   ", "", "the organization name is empty"),
        ("Harbor", "javascript:alert(1)", "is not an http"),
    ],
)
def test_an_empty_name_or_a_website_that_is_not_a_web_address_is_refused(alice_actor, name, website, message):
    harbor = _harbor(alice_actor)
    with pytest.raises(services.ServiceError, match=message):
        services.organization_update(
            organization=harbor.organization, name=name, website=website, actor=alice_actor, engagement=harbor
        )
    assert Organization.objects.get().name == "Harbor University"


def test_an_unchanged_organization_writes_nothing(alice_actor):
    harbor = _harbor(alice_actor)
    before = harbor.timeline.count()
    changes = services.organization_update(
        organization=harbor.organization,
        name="Harbor University",
        website="",
        actor=alice_actor,
        engagement=harbor,
    )
    assert changes == [] and harbor.timeline.count() == before
