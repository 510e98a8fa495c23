"""Pipeline stages and the guards on moving between them (pure: no Django).

Lead -> Qualified Lead -> Prospect -> Partner, and Closed from any open stage with a reason;
a Closed engagement reopens as a Lead, again with a reason.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from partnerdesk.pipeline.qualification import (
    GOOD_CANDIDATE_QUESTION,
    QUALIFIED_QUESTION,
    Answer,
    Scorecard,
)


class Stage(enum.StrEnum):
    LEAD = "lead"
    QUALIFIED_LEAD = "qualified-lead"
    PROSPECT = "prospect"
    PARTNER = "partner"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]

    @classmethod
    def parse(cls, text: str) -> Stage:
        """Accept `qualified-lead`, `Qualified Lead`, `qualified_lead`."""
        key = text.strip().lower().replace("_", "-").replace(" ", "-")
        try:
            return cls(key)
        except ValueError:
            choices = ", ".join(stage.value for stage in cls)
            raise ValueError(f"unknown stage {text!r} (choose from {choices})") from None


STAGE_LABELS = {
    Stage.LEAD: "Lead",
    Stage.QUALIFIED_LEAD: "Qualified Lead",
    Stage.PROSPECT: "Prospect",
    Stage.PARTNER: "Partner",
    Stage.CLOSED: "Closed",
}

# The stage sets, named once: everything that asks "which stages" uses one of these.
# Every stage in the handbook's order, Closed last (the board's columns).
ALL_STAGES = tuple(Stage)
# Open: not Closed. The funnel, and where a playbook may run unless it names its stages.
OPEN_STAGES = (Stage.LEAD, Stage.QUALIFIED_LEAD, Stage.PROSPECT, Stage.PARTNER)
OPEN_STAGE_VALUES = tuple(stage.value for stage in OPEN_STAGES)
# Still being won: open and not yet a Partner (the pipeline's value, the forecast).
PURSUIT_STAGES = (Stage.LEAD, Stage.QUALIFIED_LEAD, Stage.PROSPECT)
PURSUIT_STAGE_VALUES = tuple(stage.value for stage in PURSUIT_STAGES)
# Where the qualification questions are still asked (the scorecard).
QUALIFYING_STAGES = (Stage.LEAD, Stage.QUALIFIED_LEAD)

ALLOWED_MOVES: dict[Stage, tuple[Stage, ...]] = {
    Stage.LEAD: (Stage.QUALIFIED_LEAD, Stage.CLOSED),
    Stage.QUALIFIED_LEAD: (Stage.PROSPECT, Stage.CLOSED),
    Stage.PROSPECT: (Stage.PARTNER, Stage.CLOSED),
    Stage.PARTNER: (Stage.CLOSED,),
    Stage.CLOSED: (Stage.LEAD,),
}


@dataclass(frozen=True)
class EngagementFacts:
    """What the guards need to know about an engagement, read from the database by the caller."""

    stage: Stage
    good_candidate: Answer = Answer.UNKNOWN
    qualified: Answer = Answer.UNKNOWN
    scorecard: Scorecard = field(default_factory=lambda: Scorecard({}))
    verbal_yes_by: str = ""
    verbal_yes_on: dt.date | None = None
    executed_close_on: dt.date | None = None
    executed_agreement: str = ""


@dataclass(frozen=True)
class MoveCheck:
    """The outcome of a guard: what is missing (refused when not empty) and what to keep in mind."""

    missing: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.missing


def check_move(
    facts: EngagementFacts,
    to: Stage,
    *,
    reason: str = "",
    require_complete_scorecard: bool = False,
) -> MoveCheck:
    """Whether `facts.stage -> to` may happen now, and if not, everything that is missing."""
    origin = facts.stage
    if to == origin:
        return MoveCheck(missing=(f"the engagement is already at {to.label}",))
    if to not in ALLOWED_MOVES[origin]:
        allowed = " or ".join(stage.label for stage in ALLOWED_MOVES[origin])
        return MoveCheck(missing=(f"{origin.label} can move only to {allowed}, not to {to.label}",))

    missing: list[str] = []
    warnings: list[str] = []
    if to is Stage.QUALIFIED_LEAD:
        if facts.good_candidate is not Answer.YES:
            missing.append(f"{GOOD_CANDIDATE_QUESTION} (answer: {facts.good_candidate})")
        if facts.qualified is not Answer.YES:
            missing.append(f"{QUALIFIED_QUESTION} (answer: {facts.qualified})")
        questions = facts.scorecard.questions_to_ask
        if require_complete_scorecard:
            missing.extend(f"MANIAC-T unknown: {question}" for question in questions)
        else:
            warnings.extend(f"MANIAC-T unknown: {question}" for question in questions)
    elif to is Stage.PROSPECT:
        if not facts.verbal_yes_by or facts.verbal_yes_on is None:
            missing.append("a verbal yes is not recorded (who said it, and when)")
    elif to is Stage.PARTNER:
        if facts.executed_close_on is None:
            missing.append("the executed close date is not recorded")
        if not facts.executed_agreement:
            missing.append("the signed agreement's reference is not recorded")
    elif to is Stage.CLOSED and not reason.strip():
        missing.append("a reason for closing is required")
    elif to is Stage.LEAD and not reason.strip():
        missing.append("a reason for reopening is required")
    return MoveCheck(missing=tuple(missing), warnings=tuple(warnings))
