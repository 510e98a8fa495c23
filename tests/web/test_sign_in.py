"""Signing in with the one-time link, and the pages that need it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement
from partnerdesk.web.login_links import first_user_ensure, login_link_create

pytestmark = pytest.mark.django_db


def _path(link: str) -> str:
    return link.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_the_first_user_is_created_once_and_signs_in_by_link_not_password():
    first = first_user_ensure()
    assert first_user_ensure() == first
    assert first.is_superuser and not first.has_usable_password()


def test_a_one_time_link_signs_in_and_then_never_again(client):
    link = login_link_create(user=first_user_ensure())
    response = client.get(_path(link))
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200

    client.logout()
    again = client.get(_path(link), follow=True)
    assert again.redirect_chain[-1][0] == reverse("login")
    assert b"was used already or has expired" in again.content
    assert client.get(reverse("home")).status_code == 302


def test_a_forged_link_signs_no_one_in(client):
    first_user_ensure()
    client.get(reverse("login-token", args=["not-a-real-token"]))
    assert client.get(reverse("home")).status_code == 302


def test_pages_need_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_pipeline_page_shows_each_engagement_in_its_stage_column(client):
    services.engagement_create(
        organization_name="Harbor University",
        contacts=[("Lee Park", "lee@harbor.example.edu")],
        actor=services.Actor("alice"),
    )
    client.force_login(first_user_ensure())
    page = client.get(reverse("home")).content.decode()
    assert "2i2c partnerships pipeline" in page
    lead_column = page.split('id="stage-lead"')[1].split("</section>")[0]
    assert "Harbor University" in lead_column and "no owner" in lead_column  # compact card: who owns it


def test_every_model_has_an_admin_list_that_opens(client):
    from django.apps import apps
    from django.contrib import admin

    client.force_login(first_user_ensure())
    ours = [model for model in apps.get_models() if model.__module__.startswith("partnerdesk.")]
    inline = {inline.model for model_admin in admin.site._registry.values() for inline in model_admin.inlines}
    unregistered = [m.__name__ for m in ours if not admin.site.is_registered(m) and m not in inline]
    # Access links: only their hashes, nothing to edit (partner links are revoked on the engagement page).
    assert sorted(unregistered) == ["CheckInLink", "InvitationLink", "LoginToken", "PartnerLink"]
    for model in ours:
        if admin.site.is_registered(model):
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("model", ["organization", "contact", "engagement", "timelineentry"])
def test_the_admin_lists_and_opens_every_pipeline_model(client, model):
    engagement = services.engagement_create(
        organization_name="Harbor University",
        contacts=[("Lee Park", "lee@harbor.example.edu")],
        actor=services.Actor("alice"),
    )
    client.force_login(first_user_ensure())
    assert client.get(reverse(f"admin:pipeline_{model}_changelist")).status_code == 200
    pk = {
        "organization": engagement.organization_id,
        "contact": engagement.contacts.get().pk,
        "engagement": engagement.pk,
        "timelineentry": engagement.timeline.get().pk,
    }[model]
    assert client.get(reverse(f"admin:pipeline_{model}_change", args=[pk])).status_code == 200


def test_the_admin_cannot_change_a_stage_around_the_guard(client):
    engagement = services.engagement_create(
        organization_name="Harbor University", contacts=[], actor=services.Actor("alice")
    )
    admin = first_user_ensure()
    client.force_login(admin)
    page = client.get(reverse("admin:pipeline_engagement_change", args=[engagement.pk])).content.decode()
    assert 'name="stage"' not in page
    assert get_user_model().objects.count() == 1
    assert Engagement.objects.get().stage == "lead"
