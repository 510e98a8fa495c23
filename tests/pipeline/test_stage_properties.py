"""Random sequences of commands against one engagement: the stage only ever changes by legal
moves, and the timeline has exactly one entry per change."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from partnerdesk.pipeline import selectors, services
from partnerdesk.pipeline.models import TimelineEntry
from partnerdesk.pipeline.qualification import Answer, Criterion
from partnerdesk.pipeline.stages import ALLOWED_MOVES, Stage, check_move

ACTOR = services.Actor(label="hypothesis")

answers = st.sampled_from(list(Answer))
commands = st.one_of(
    st.tuples(st.just("qualify"), answers, answers, st.sampled_from(list(Criterion)), answers),
    st.tuples(st.just("verbal_yes"), st.sampled_from(["", "Lee Park"])),
    st.tuples(st.just("executed_close"), st.sampled_from(["", "SA-2026-1"])),
    st.tuples(st.just("move"), st.sampled_from(list(Stage)), st.sampled_from(["", "a reason"])),
    st.tuples(st.just("note"), st.sampled_from(["", "called them"])),
)


class StageMachineTests(TestCase):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(commands, max_size=25))
    def test_random_commands_keep_the_stage_legal_and_the_timeline_one_entry_per_change(self, script):
        engagement = services.engagement_create(
            organization_name="Harbor University",
            contacts=[("Lee Park", "lee@harbor.example.edu")],
            actor=ACTOR,
        )
        changes = 1  # created
        for command in script:
            before = selectors.engagement_facts(engagement)
            try:
                if command[0] == "qualify":
                    _, good, qualified, criterion, answer = command
                    made = services.engagement_qualify(
                        engagement=engagement,
                        actor=ACTOR,
                        good_candidate=good,
                        qualified=qualified,
                        answers={criterion: answer},
                    )
                    changes += 1 if made else 0
                elif command[0] == "verbal_yes":
                    services.engagement_record_verbal_yes(engagement=engagement, by=command[1], actor=ACTOR)
                    changes += 1
                elif command[0] == "executed_close":
                    services.engagement_record_executed_close(
                        engagement=engagement, agreement=command[1], on=dt.date(2026, 11, 20), actor=ACTOR
                    )
                    changes += 1
                elif command[0] == "move":
                    _, to, reason = command
                    expected = check_move(before, to, reason=reason)
                    try:
                        services.engagement_move(engagement=engagement, to=to, actor=ACTOR, reason=reason)
                    except services.MoveRefused as refused:
                        assert not expected.allowed
                        assert refused.missing == expected.missing
                    else:
                        assert expected.allowed
                        assert to in ALLOWED_MOVES[before.stage]
                        changes += 1
                else:
                    services.engagement_add_note(engagement=engagement, text=command[1], actor=ACTOR)
                    changes += 1
            except services.MoveRefused:
                raise
            except services.ServiceError:
                pass  # refused input (an empty name, note or agreement) changes nothing
            engagement.refresh_from_db()
            assert engagement.timeline.count() == changes

        # Replaying the recorded moves from Lead reproduces the stage, one legal move at a time.
        stage = Stage.LEAD
        for move in TimelineEntry.objects.filter(engagement=engagement, kind="stage_changed").order_by("id"):
            assert move.data["from"] == stage
            assert Stage(move.data["to"]) in ALLOWED_MOVES[stage]
            stage = Stage(move.data["to"])
        assert engagement.stage == stage
