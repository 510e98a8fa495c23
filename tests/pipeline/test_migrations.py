"""Data migrations, run for real on the test database: what an upgrade does to rows written by
the release before it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from partnerdesk.lib import clock
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from partnerdesk.pipeline.stages import Answer, Stage

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("pipeline", "0006_stage_change_indexes")
AFTER = ("pipeline", "0007_stage_changes_record_when_the_stay_began")


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


@pytest.fixture
def back_to_latest():
    """Every app's latest migration again afterwards: going back in one app also took back the
    migrations of other apps that depend on it."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_an_upgrade_records_when_each_earlier_stay_began(back_to_latest):
    actor = services.Actor(label="alice")
    engagement = services.engagement_create(
        organization_name="Harbor College", contacts=[("Lee", "lee@harbor.example.edu")], actor=actor
    )
    services.engagement_qualify(
        engagement=engagement, actor=actor, good_candidate=Answer.YES, qualified=Answer.YES
    )
    services.engagement_move(engagement=engagement, to=Stage.QUALIFIED_LEAD, actor=actor)
    services.engagement_move(engagement=engagement, to=Stage.CLOSED, actor=actor, reason="elsewhere")
    created = clock.now() - dt.timedelta(days=30)
    Engagement.objects.filter(pk=engagement.pk).update(created_at=created)
    changes = list(
        TimelineEntry.objects.filter(engagement=engagement, kind="stage_changed").order_by("at", "id")
    )
    for number, change in enumerate(changes, start=1):
        # As the release before wrote them: no stage_since, ten days apart.
        data = {key: value for key, value in change.data.items() if key != "stage_since"}
        TimelineEntry.objects.filter(pk=change.pk).update(
            at=created + dt.timedelta(days=10 * number), data=data
        )

    _migrate(BEFORE)
    _migrate(AFTER)

    recorded = [
        dt.datetime.fromisoformat(change.data["stage_since"])
        for change in TimelineEntry.objects.filter(engagement=engagement, kind="stage_changed").order_by(
            "at", "id"
        )
    ]
    assert recorded == [created, created + dt.timedelta(days=10)]
