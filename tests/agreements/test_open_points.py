"""Open points of the negotiation: tasks tied to the agreement, listed by `agreement show`."""

from __future__ import annotations

import json

import pytest

from partnerdesk.agreements import services
from partnerdesk.pipeline.models import Task, TimelineEntry
from tests.agreements.conftest import docx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def negotiating(prospect, alice_actor):
    agreement = services.agreement_create(engagement=prospect, actor=alice_actor)
    services.agreement_attach(
        agreement=agreement, content=docx_bytes("Draft"), filename="a.docx", actor=alice_actor
    )
    return agreement


def test_an_open_point_is_a_task_on_the_engagement_listed_with_the_agreement(cli, negotiating):
    reference = negotiating.engagement.reference
    added = cli("agreement", "point", "add", reference, "Who owns  the hub's data?")
    assert added.code == 0, added.err
    task = Task.objects.get()
    point = task.agreement_point.pk
    assert (task.engagement, task.title, task.is_done) == (
        negotiating.engagement,
        "Open point: Who owns the hub's data?",
        False,
    )
    assert added.out.strip() == f"open point {point}: Who owns the hub's data? (task {task.pk})"
    assert negotiating.engagement.timeline.filter(
        kind=TimelineEntry.Kind.TASK, summary="Task: Open point: Who owns the hub's data?"
    ).exists()
    assert (
        f"open points:\n    {point}. [ ] Who owns the hub's data?" in cli("agreement", "show", reference).out
    )

    assert cli("agreement", "point", "done", reference, str(point)).code == 0
    Task.objects.get().refresh_from_db()
    assert Task.objects.get().is_done
    shown = json.loads(cli("agreement", "show", reference, "--json").out)
    assert shown["open_points"] == [
        {"id": 1, "text": "Who owns the hub's data?", "done": True, "task": task.pk}
    ]
    assert cli("agreement", "point", "reopen", reference, str(point)).code == 0
    assert f"{point}. [ ] Who owns" in cli("agreement", "show", reference).out


def test_an_unknown_point_or_an_empty_one_is_refused(cli, negotiating):
    reference = negotiating.engagement.reference
    missing = cli("agreement", "point", "done", reference, "999999")
    assert missing.code == 1 and "has no open point 999999" in missing.err
    empty = cli("agreement", "point", "add", reference, "   ")
    assert empty.code == 1 and "the open point is empty" in empty.err
    assert not Task.objects.exists()
