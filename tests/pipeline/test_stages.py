"""The guards on stage moves, as pure functions (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from partnerdesk.pipeline.qualification import Answer, Criterion, Scorecard
from partnerdesk.pipeline.stages import EngagementFacts, Stage, check_move

ALL_YES = Scorecard(dict.fromkeys(Criterion, Answer.YES))


def test_a_lead_with_both_handbook_questions_answered_yes_may_be_qualified():
    facts = EngagementFacts(Stage.LEAD, good_candidate=Answer.YES, qualified=Answer.YES, scorecard=ALL_YES)
    check = check_move(facts, Stage.QUALIFIED_LEAD)
    assert check.allowed
    assert check.warnings == ()


def test_qualifying_a_lead_is_refused_naming_each_unanswered_handbook_question():
    check = check_move(EngagementFacts(Stage.LEAD, qualified=Answer.NO), Stage.QUALIFIED_LEAD)
    assert not check.allowed
    assert check.missing == (
        "Are their needs a good candidate for partnership with 2i2c? (answer: unknown)",
        "Are they qualified to set up partnership with 2i2c? (answer: no)",
    )


def test_unknown_maniac_t_criteria_warn_but_do_not_block_by_default():
    scorecard = Scorecard({**dict.fromkeys(Criterion, Answer.YES), Criterion.MONEY: Answer.UNKNOWN})
    facts = EngagementFacts(Stage.LEAD, good_candidate=Answer.YES, qualified=Answer.YES, scorecard=scorecard)
    check = check_move(facts, Stage.QUALIFIED_LEAD)
    assert check.allowed
    assert len(check.warnings) == 1
    assert check.warnings[0].startswith("MANIAC-T unknown: Money: Is there a specific amount of money")


def test_unknown_maniac_t_criteria_block_when_the_profile_requires_a_complete_scorecard():
    scorecard = Scorecard({Criterion.NEED: Answer.YES})
    facts = EngagementFacts(Stage.LEAD, good_candidate=Answer.YES, qualified=Answer.YES, scorecard=scorecard)
    check = check_move(facts, Stage.QUALIFIED_LEAD, require_complete_scorecard=True)
    assert not check.allowed
    assert len(check.missing) == 6
    assert not any("Need" in reason for reason in check.missing)


def test_a_qualified_lead_becomes_a_prospect_only_after_a_recorded_verbal_yes():
    refused = check_move(EngagementFacts(Stage.QUALIFIED_LEAD), Stage.PROSPECT)
    assert refused.missing == ("a verbal yes is not recorded (who said it, and when)",)
    facts = EngagementFacts(
        Stage.QUALIFIED_LEAD, verbal_yes_by="Lee Park", verbal_yes_on=dt.date(2026, 11, 2)
    )
    assert check_move(facts, Stage.PROSPECT).allowed


def test_a_prospect_becomes_a_partner_only_after_a_recorded_executed_close():
    refused = check_move(EngagementFacts(Stage.PROSPECT), Stage.PARTNER)
    assert refused.missing == (
        "the executed close date is not recorded",
        "the signed agreement's reference is not recorded",
    )
    facts = EngagementFacts(
        Stage.PROSPECT, executed_close_on=dt.date(2026, 11, 20), executed_agreement="SA-1"
    )
    assert check_move(facts, Stage.PARTNER).allowed


@pytest.mark.parametrize("stage", [Stage.LEAD, Stage.QUALIFIED_LEAD, Stage.PROSPECT, Stage.PARTNER])
def test_any_open_stage_closes_with_a_reason_and_not_without(stage):
    assert check_move(EngagementFacts(stage), Stage.CLOSED, reason="went with another provider").allowed
    assert check_move(EngagementFacts(stage), Stage.CLOSED, reason="  ").missing == (
        "a reason for closing is required",
    )


def test_a_closed_engagement_reopens_as_a_lead_with_a_reason():
    assert check_move(EngagementFacts(Stage.CLOSED), Stage.LEAD, reason="funding came through").allowed
    assert check_move(EngagementFacts(Stage.CLOSED), Stage.LEAD).missing == (
        "a reason for reopening is required",
    )


def test_skipping_a_stage_is_refused_and_says_where_it_can_go():
    check = check_move(EngagementFacts(Stage.LEAD), Stage.PROSPECT)
    assert check.missing == ("Lead can move only to Qualified Lead or Closed, not to Prospect",)


def test_moving_to_the_current_stage_is_refused():
    assert check_move(EngagementFacts(Stage.PROSPECT), Stage.PROSPECT).missing == (
        "the engagement is already at Prospect",
    )


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("qualified-lead", Stage.QUALIFIED_LEAD),
        ("Qualified Lead", Stage.QUALIFIED_LEAD),
        ("PARTNER", Stage.PARTNER),
    ],
)
def test_stage_names_are_read_the_way_people_write_them(text, stage):
    assert Stage.parse(text) is stage


def test_an_unknown_stage_name_lists_the_choices():
    with pytest.raises(ValueError, match="unknown stage 'won' \\(choose from lead, qualified-lead"):
        Stage.parse("won")


def test_the_scorecard_lists_the_unknown_criteria_as_the_questions_still_to_ask():
    scorecard = Scorecard.from_mapping({"money": "yes", "authority": "no", "need": "yes"})
    assert [c.label for c in scorecard.unknown] == [
        "Impending Event",
        "Application",
        "Competition",
        "Timeline",
    ]
    assert (
        scorecard.questions_to_ask[0]
        == "Impending Event: Do they have an upcoming event that is urgent or pressing?"
    )
