"""Engagements change through the services, and every change leaves one timeline entry."""

from __future__ import annotations

import datetime as dt

import pytest

from partnerdesk.pipeline import selectors, services
from partnerdesk.pipeline.models import Contact, Engagement, Organization, TimelineEntry
from partnerdesk.pipeline.qualification import Answer, Criterion
from partnerdesk.pipeline.stages import Stage
from partnerdesk.profile import DEFAULT_PROFILE_PATH

pytestmark = pytest.mark.django_db

DEFAULT_PROFILE = DEFAULT_PROFILE_PATH.read_text(encoding="utf-8")


def _harbor(actor) -> Engagement:
    return services.engagement_create(
        organization_name="Harbor University",
        contacts=[("Lee Park", "lee@harbor.example.edu")],
        actor=actor,
    )


def test_creating_an_engagement_makes_a_lead_with_its_contacts_and_a_created_entry(alice_actor):
    engagement = _harbor(alice_actor)
    assert engagement.stage == Stage.LEAD
    assert engagement.reference == f"PD-{engagement.pk}"
    assert [c.email for c in engagement.contacts.all()] == ["lee@harbor.example.edu"]
    entry = engagement.timeline.get()
    assert (entry.kind, entry.actor, entry.summary) == (
        "created",
        "alice",
        "Created as a Lead for Harbor University",
    )


def test_one_email_is_one_contact_across_engagements_whatever_its_case(alice_actor):
    _harbor(alice_actor)
    services.engagement_create(
        organization_name="harbor university", contacts=[("", "LEE@Harbor.example.edu")], actor=alice_actor
    )
    assert Contact.objects.count() == 1
    assert Organization.objects.count() == 1
    assert Contact.objects.get().name == "Lee Park"


def test_a_move_the_guard_refuses_names_what_is_missing_and_changes_nothing(alice_actor):
    engagement = _harbor(alice_actor)
    with pytest.raises(services.MoveRefused) as refused:
        services.engagement_move(engagement=engagement, to=Stage.QUALIFIED_LEAD, actor=alice_actor)
    assert str(refused.value) == (
        f"{engagement.reference} cannot move to Qualified Lead: "
        "Are their needs a good candidate for partnership with 2i2c? (answer: unknown); "
        "Are they qualified to set up partnership with 2i2c? (answer: unknown)"
    )
    engagement.refresh_from_db()
    assert engagement.stage == Stage.LEAD
    assert engagement.timeline.count() == 1


def test_a_lead_walks_the_whole_pipeline_with_one_timeline_entry_per_change(alice_actor):
    engagement = _harbor(alice_actor)
    services.engagement_qualify(
        engagement=engagement, actor=alice_actor, good_candidate=Answer.YES, qualified=Answer.YES
    )
    check = services.engagement_move(engagement=engagement, to=Stage.QUALIFIED_LEAD, actor=alice_actor)
    assert len(check.warnings) == 7  # all of MANIAC-T is still unknown
    services.engagement_record_verbal_yes(engagement=engagement, by="Lee Park", actor=alice_actor)
    services.engagement_move(engagement=engagement, to=Stage.PROSPECT, actor=alice_actor)
    services.engagement_record_executed_close(
        engagement=engagement, on=dt.date(2026, 11, 20), agreement="Harbor + 2i2c/CS&S", actor=alice_actor
    )
    services.engagement_move(engagement=engagement, to=Stage.PARTNER, actor=alice_actor)
    services.engagement_move(engagement=engagement, to=Stage.CLOSED, actor=alice_actor, reason="ended")
    services.engagement_move(engagement=engagement, to=Stage.LEAD, actor=alice_actor, reason="came back")

    assert engagement.stage == Stage.LEAD
    moves = list(
        engagement.timeline.filter(kind=TimelineEntry.Kind.STAGE_CHANGED).values_list("data", flat=True)
    )
    assert [(m["from"], m["to"]) for m in moves] == [
        ("lead", "qualified-lead"),
        ("qualified-lead", "prospect"),
        ("prospect", "partner"),
        ("partner", "closed"),
        ("closed", "lead"),
    ]
    assert moves[3]["reason"] == "ended"
    assert engagement.timeline.count() == 1 + 1 + 5 + 1 + 1  # created, qualify, moves, verbal yes, close


def test_closing_keeps_the_reason_on_the_engagement(alice_actor):
    engagement = _harbor(alice_actor)
    services.engagement_move(engagement=engagement, to=Stage.CLOSED, actor=alice_actor, reason="no budget")
    assert engagement.closed_reason == "no budget"


def test_qualifying_records_answers_and_notes_and_an_unchanged_answer_writes_nothing(alice_actor):
    engagement = _harbor(alice_actor)
    changes = services.engagement_qualify(
        engagement=engagement,
        actor=alice_actor,
        answers={Criterion.MONEY: Answer.YES, Criterion.NEED: Answer.NO},
        notes={Criterion.MONEY: "NSF award, $40k"},
    )
    assert changes == ["Money: unknown -> yes", "Money notes updated", "Need: unknown -> no"]
    again = services.engagement_qualify(
        engagement=engagement, actor=alice_actor, answers={Criterion.MONEY: Answer.YES}
    )
    assert again == []
    assert engagement.timeline.filter(kind="qualification_changed").count() == 1
    detail = selectors.engagement_detail(engagement)
    assert detail["qualification"]["maniac_t"]["money"] == {
        "answer": "yes",
        "notes": "NSF award, $40k",
        "question": Criterion.MONEY.question,
    }
    assert len(detail["qualification"]["questions_to_ask"]) == 5


def test_a_complete_scorecard_is_required_when_the_profile_says_so(alice_actor, profile_file):
    profile_file(
        DEFAULT_PROFILE.replace("require_complete_scorecard = false", "require_complete_scorecard = true")
    )
    engagement = _harbor(alice_actor)
    services.engagement_qualify(
        engagement=engagement, actor=alice_actor, good_candidate=Answer.YES, qualified=Answer.YES
    )
    with pytest.raises(services.MoveRefused) as refused:
        services.engagement_move(engagement=engagement, to=Stage.QUALIFIED_LEAD, actor=alice_actor)
    assert len(refused.value.missing) == 7
    services.engagement_qualify(
        engagement=engagement, actor=alice_actor, answers=dict.fromkeys(Criterion, Answer.YES)
    )
    services.engagement_move(engagement=engagement, to=Stage.QUALIFIED_LEAD, actor=alice_actor)
    assert engagement.stage == Stage.QUALIFIED_LEAD


def test_a_verbal_yes_needs_someone_who_said_it(alice_actor):
    engagement = _harbor(alice_actor)
    with pytest.raises(services.ServiceError, match="say who gave the verbal yes"):
        services.engagement_record_verbal_yes(engagement=engagement, by="  ", actor=alice_actor)


def test_references_are_read_with_or_without_the_prefix_and_in_any_case(alice_actor):
    engagement = _harbor(alice_actor)
    for text in (f"PD-{engagement.pk}", f"pd-{engagement.pk}", str(engagement.pk)):
        assert selectors.engagement_get(text) == engagement
    with pytest.raises(selectors.EngagementNotFound, match="'XY-1' is not an engagement reference"):
        selectors.engagement_get("XY-1")
    with pytest.raises(selectors.EngagementNotFound, match="no engagement PD-999999"):
        selectors.engagement_get("PD-999999")
