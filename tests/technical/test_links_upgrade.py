"""The upgrade to access links, run for real on the test database: links sent by the release
before (partner links in the web app, form links with their own submitted_at, sign-in links
without a purpose) still open what they opened, and nothing else."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from partnerdesk.documents.partner_links import partner_link_find
from partnerdesk.lib import clock
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Contact
from partnerdesk.technical.links import technical_form_link_find
from partnerdesk.web.login_links import login_token_redeem

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("web", "0002_partnerlink"), ("documents", "0001_initial"), ("technical", "0003_handoff_queue")]
DOCUMENTS_TOKEN = "d" * 43
OPEN_FORM_TOKEN = "f" * 43
SENT_FORM_TOKEN = "s" * 43
SIGN_IN_TOKEN = "l" * 43


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@pytest.fixture
def executor():
    """Every app's latest migration again afterwards."""
    executor = MigrationExecutor(connection)
    yield executor
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_links_sent_before_the_upgrade_open_what_they_opened(executor):
    alice = get_user_model().objects.create_user(username="alice")
    harbor = services.engagement_create(
        organization_name="Harbor University",
        contacts=[("Lee Park", "lee@harbor.example.edu")],
        actor=services.Actor(label="alice"),
    )
    lee = Contact.objects.get(email="lee@harbor.example.edu")
    now = clock.now()
    submitted = now - dt.timedelta(days=1)

    old = executor.migrate(BEFORE).apps
    partner_link = old.get_model("web", "PartnerLink")
    form_link = old.get_model("technical", "TechnicalFormLink")
    expires = {"created_at": now, "expires_at": now + dt.timedelta(days=30)}
    partner_link.objects.create(contact_id=lee.pk, token_hash=_hash(DOCUMENTS_TOKEN), **expires)
    for token, submitted_at in ((OPEN_FORM_TOKEN, None), (SENT_FORM_TOKEN, submitted)):
        link = partner_link.objects.create(contact_id=lee.pk, token_hash=_hash(token), **expires)
        form_link.objects.create(
            link=link, engagement_id=harbor.pk, created_at=now, submitted_at=submitted_at
        )
    old.get_model("web", "LoginToken").objects.create(
        user_id=alice.pk, token_hash=_hash(SIGN_IN_TOKEN), **expires
    )

    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert partner_link_find(DOCUMENTS_TOKEN) is not None
    assert Client().get(f"/p/docs/{DOCUMENTS_TOKEN}/").status_code == 200
    open_form, sent_form = (
        technical_form_link_find(OPEN_FORM_TOKEN),
        technical_form_link_find(SENT_FORM_TOKEN),
    )
    assert open_form is not None and open_form.submitted_at is None
    assert sent_form is not None and sent_form.submitted_at == submitted
    # A form link opens the form only, as a documents link opens the documents only.
    assert partner_link_find(OPEN_FORM_TOKEN) is None and technical_form_link_find(DOCUMENTS_TOKEN) is None
    assert login_token_redeem(SIGN_IN_TOKEN) == alice
    assert login_token_redeem(SIGN_IN_TOKEN) is None
