"""The MANIAC-T qualification scorecard (pure: no Django).

The handbook's questions are the prompts; an unknown criterion is a question still to ask.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass


class Answer(enum.StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class Criterion(enum.StrEnum):
    MONEY = "money"
    AUTHORITY = "authority"
    NEED = "need"
    IMPENDING_EVENT = "impending-event"
    APPLICATION = "application"
    COMPETITION = "competition"
    TIMELINE = "timeline"

    @property
    def label(self) -> str:
        return CRITERION_LABELS[self]

    @property
    def question(self) -> str:
        return CRITERION_QUESTIONS[self]


CRITERION_LABELS: dict[Criterion, str] = {
    Criterion.MONEY: "Money",
    Criterion.AUTHORITY: "Authority",
    Criterion.NEED: "Need",
    Criterion.IMPENDING_EVENT: "Impending Event",
    Criterion.APPLICATION: "Application",
    Criterion.COMPETITION: "Competition",
    Criterion.TIMELINE: "Timeline",
}

# Word for word from the handbook's "When to decide to work with a lead".
CRITERION_QUESTIONS: dict[Criterion, str] = {
    Criterion.MONEY: (
        "Is there a specific amount of money set aside for the project? If they are seeking "
        "funding in order to pay for this, what are the details?"
    ),
    Criterion.AUTHORITY: (
        "Does the contact have the authority to make a buying decision? Who else will need to "
        "be involved in the decision-making process?"
    ),
    Criterion.NEED: (
        "What are their clear pain-points with their current infrastructure setup? Do they seem "
        "to have a real need for change?"
    ),
    Criterion.IMPENDING_EVENT: "Do they have an upcoming event that is urgent or pressing?",
    Criterion.APPLICATION: (
        "Is their use-case a good fit for 2i2c infrastructure? Would their use-case require major "
        "changes to our hubs? Is there a different organization better-suited to help them?"
    ),
    Criterion.COMPETITION: (
        "What alternative options are they considering? e.g., other organizations, internal "
        "approaches, or deciding to do nothing?"
    ),
    Criterion.TIMELINE: (
        "What does the buying process look like for this prospect? E.g., finalizing a contract, "
        "or receiving a sub-award."
    ),
}

# The handbook's two questions that decide whether a Lead becomes a Qualified Lead.
GOOD_CANDIDATE_QUESTION = "Are their needs a good candidate for partnership with 2i2c?"
QUALIFIED_QUESTION = "Are they qualified to set up partnership with 2i2c?"


@dataclass(frozen=True)
class Scorecard:
    answers: Mapping[Criterion, Answer]

    @classmethod
    def from_mapping(cls, answers: Mapping[str, str]) -> Scorecard:
        return cls({criterion: Answer(answers.get(criterion, Answer.UNKNOWN)) for criterion in Criterion})

    def answer(self, criterion: Criterion) -> Answer:
        return self.answers.get(criterion, Answer.UNKNOWN)

    @property
    def unknown(self) -> list[Criterion]:
        return [c for c in Criterion if self.answer(c) is Answer.UNKNOWN]

    @property
    def questions_to_ask(self) -> list[str]:
        return [f"{c.label}: {c.question}" for c in self.unknown]

    @property
    def is_complete(self) -> bool:
        return not self.unknown

    @property
    def warnings(self) -> list[str]:
        """What the answers say against going on, though no guard stops it."""
        if self.answer(Criterion.AUTHORITY) is Answer.NO:
            return [
                "Authority is no: this contact cannot make the buying decision. Find out who can, and who"
                " else is involved, before qualifying the lead."
            ]
        return []
