"""The dashboard: counts, conversion and median days per stage, new leads per week, as SVG."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from partnerdesk.lib import clock
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from partnerdesk.pipeline.qualification import Answer
from partnerdesk.pipeline.stages import Stage
from partnerdesk.web.dashboard import dashboard_figures

pytestmark = pytest.mark.django_db


def _lead(name: str, actor) -> Engagement:
    return services.engagement_create(organization_name=name, contacts=[], actor=actor)


def _qualify(engagement: Engagement, actor) -> None:
    services.engagement_qualify(
        engagement=engagement, actor=actor, good_candidate=Answer.YES, qualified=Answer.YES
    )
    services.engagement_move(engagement=engagement, to=Stage.QUALIFIED_LEAD, actor=actor)


def _backdate(engagement: Engagement, days: int) -> None:
    """Created `days` ago, and every stage change since spread out one day each."""
    start = clock.now() - dt.timedelta(days=days)
    Engagement.objects.filter(pk=engagement.pk).update(created_at=start)
    changes = TimelineEntry.objects.filter(engagement=engagement, kind=TimelineEntry.Kind.STAGE_CHANGED)
    for number, entry in enumerate(changes.order_by("at", "id"), start=1):
        TimelineEntry.objects.filter(pk=entry.pk).update(at=start + dt.timedelta(days=4 * number))


def test_the_figures_count_convert_and_time_each_stage(alice):
    actor = services.Actor.for_user(alice)
    harbor, delta, pine = _lead("Harbor", actor), _lead("Delta", actor), _lead("Pine", actor)
    _qualify(harbor, actor)
    _qualify(delta, actor)
    services.engagement_move(engagement=delta, to=Stage.CLOSED, actor=actor, reason="no budget")
    for engagement in (harbor, delta, pine):
        _backdate(engagement, 20)

    figures = {s.stage: s for s in dashboard_figures().stages}
    assert figures[Stage.LEAD].count == 1 and figures[Stage.QUALIFIED_LEAD].count == 1
    assert figures[Stage.CLOSED].count == 1
    assert (figures[Stage.LEAD].reached, figures[Stage.LEAD].converted) == (3, 2)
    assert figures[Stage.LEAD].conversion == pytest.approx(2 / 3)
    assert (figures[Stage.QUALIFIED_LEAD].reached, figures[Stage.QUALIFIED_LEAD].converted) == (2, 0)
    # Harbor and Delta each spent 4 days in Lead; Delta 4 days in Qualified Lead before closing.
    assert figures[Stage.LEAD].median_days == pytest.approx(4, abs=0.01)
    assert figures[Stage.QUALIFIED_LEAD].median_days == pytest.approx(4, abs=0.01)
    assert figures[Stage.PROSPECT].median_days is None


def test_new_leads_are_counted_per_week(alice):
    actor = services.Actor.for_user(alice)
    _backdate(_lead("Old", actor), 200)
    _backdate(_lead("Last week", actor), 7)
    _lead("Today", actor)
    weeks = dashboard_figures().weeks
    assert len(weeks) == 12 and all(monday.weekday() == 0 for monday, _ in weeks)
    assert weeks[-1][1] == 1 and weeks[-2][1] == 1 and sum(n for _, n in weeks) == 2


def test_the_page_draws_the_charts_as_svg_in_a_fixed_number_of_queries(
    alice_client, alice, django_assert_num_queries
):
    actor = services.Actor.for_user(alice)
    for number in range(3):
        _qualify(_lead(f"Org {number}", actor), actor)
    # session, user, engagements, stage changes
    with django_assert_num_queries(4):
        page = alice_client.get(reverse("dashboard")).content.decode()
    for number in range(10):
        _qualify(_lead(f"More {number}", actor), actor)
    with django_assert_num_queries(4):
        page = alice_client.get(reverse("dashboard")).content.decode()
    assert page.count("<svg") == 4 and "<script>" not in page
    assert "New leads per week" in page and "Conversion to the next stage" in page
    assert 'href="/dashboard/"' in page


def test_the_dashboard_of_an_empty_pipeline_draws_empty_charts(alice_client):
    page = alice_client.get(reverse("dashboard")).content.decode()
    assert "0 engagements in all" in page and page.count("<svg") == 4
