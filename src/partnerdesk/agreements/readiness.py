"""What an agreement still lacks before it can be signed (pure: no Django).

The handbook's Negotiation SOP targets "ready to sign": signatories, a term, a value, and the
addenda the profile marks as required. Everything missing is named, not just the first thing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

ADDENDUM_LABELS = {
    "statement_of_work": "a statement of work",
    "deliverable": "a deliverable with a date",
    "other": "an addendum",
}


def addendum_kind(text: str) -> str:
    """`statement-of-work`, `Statement of work` or `statement_of_work` -> `statement_of_work`."""
    key = "_".join(text.strip().lower().replace("-", " ").replace("_", " ").split())
    if key not in ADDENDUM_LABELS:
        choices = ", ".join(kind.replace("_", "-") for kind in ADDENDUM_LABELS)
        raise ValueError(f"unknown addendum kind {text!r} (choose from {choices})")
    return key


@dataclass(frozen=True)
class AgreementFacts:
    signatories: int
    value: Decimal | None
    currency: str
    term_start: dt.date | None
    term_end: dt.date | None
    addenda: Sequence[tuple[str, dt.date | None]]  # (kind, due date)
    versions: int


def missing_for_signature(facts: AgreementFacts, *, required_addenda: Iterable[str]) -> list[str]:
    """Everything that keeps the agreement from being ready to sign, in words for the user."""
    missing = []
    if facts.versions == 0:
        missing.append("a version of the agreement (a .docx)")
    if facts.signatories == 0:
        missing.append("signatories (name, email, organization, role)")
    if facts.value is None:
        missing.append("the value")
    if not facts.currency:
        missing.append("the currency")
    if facts.term_start is None:
        missing.append("the term start")
    if facts.term_end is None:
        missing.append("the term end")
    if facts.term_start and facts.term_end and facts.term_end <= facts.term_start:
        missing.append("a term end after the term start")
    kinds = {kind for kind, _ in facts.addenda}
    for required in dict.fromkeys(addendum_kind(kind) for kind in required_addenda):
        if required not in kinds:
            missing.append(ADDENDUM_LABELS[required] + " (addendum)")
    undated = [kind for kind, due in facts.addenda if kind == "deliverable" and due is None]
    if undated:
        missing.append(f"a date for {len(undated)} deliverable(s)")
    return missing
