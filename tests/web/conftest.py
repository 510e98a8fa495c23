from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from partnerdesk.pipeline import services


@pytest.fixture(autouse=True)
def data_folder(settings, tmp_path):
    """Each test gets its own data folder: its own drive and outbox files."""
    settings.PARTNERDESK_HOME = tmp_path / "home"
    settings.PARTNERDESK_HOME.mkdir()
    return settings.PARTNERDESK_HOME


@pytest.fixture(autouse=True)
def empty_cache():
    """The sign-in throttle counts in the cache: no test sees another's failures."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user(username="alice", password="correct horse battery")


@pytest.fixture
def bob(db):
    return get_user_model().objects.create_user(username="bob", password="tr0ub4dor&3 staple")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def harbor(alice):
    return services.engagement_create(
        organization_name="Harbor University",
        contacts=[("Lee Park", "lee@harbor.example.edu")],
        actor=services.Actor.for_user(alice),
        owner=alice,
    )
