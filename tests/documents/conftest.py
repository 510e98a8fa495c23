from __future__ import annotations

from pathlib import Path

import pytest

from partnerdesk.documents.base import get_store
from partnerdesk.documents.local import LocalStore
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement


@pytest.fixture(autouse=True)
def home(settings, tmp_path) -> Path:
    """Each test has its own data folder, so its own drive."""
    settings.PARTNERDESK_HOME = tmp_path / "home"
    settings.PARTNERDESK_HOME.mkdir()
    return settings.PARTNERDESK_HOME


@pytest.fixture
def drive(home) -> Path:
    return home / "drive"


@pytest.fixture
def store() -> LocalStore:
    local = get_store()
    assert isinstance(local, LocalStore)
    return local


@pytest.fixture
def harbor(db, alice_actor) -> Engagement:  # noqa: ARG001
    return services.engagement_create(
        organization_name="Harbor University",
        contacts=[("Lee Park", "lee@harbor.example.edu"), ("Sam Ortiz", "sam@harbor.example.edu")],
        actor=alice_actor,
    )
