"""What keeps an agreement from being ready to sign (pure), and the summary of changed text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from partnerdesk.agreements.diffing import summarize_changes
from partnerdesk.agreements.readiness import AgreementFacts, addendum_kind, missing_for_signature


def facts(**overrides):
    values = {
        "signatories": 2,
        "value": Decimal("12000"),
        "currency": "USD",
        "term_start": dt.date(2027, 1, 1),
        "term_end": dt.date(2027, 12, 31),
        "addenda": [("statement_of_work", None)],
        "versions": 2,
    }
    return AgreementFacts(**(values | overrides))


def test_a_complete_agreement_lacks_nothing():
    assert missing_for_signature(facts(), required_addenda=["statement-of-work"]) == []


def test_it_names_everything_missing_at_once():
    bare = facts(
        signatories=0, value=None, currency="", term_start=None, term_end=None, addenda=[], versions=0
    )
    assert missing_for_signature(bare, required_addenda=["statement-of-work"]) == [
        "a version of the agreement (a .docx)",
        "signatories (name, email, organization, role)",
        "the value",
        "the currency",
        "the term start",
        "the term end",
        "a statement of work (addendum)",
    ]


def test_the_required_addenda_come_from_the_caller_and_deliverables_need_dates():
    missing = missing_for_signature(
        facts(addenda=[("statement_of_work", None), ("deliverable", None)]),
        required_addenda=["deliverable"],
    )
    assert missing == ["a date for 1 deliverable(s)"]
    assert missing_for_signature(facts(addenda=[]), required_addenda=[]) == []


def test_a_term_that_ends_before_it_starts_is_named():
    missing = missing_for_signature(facts(term_end=dt.date(2026, 1, 1)), required_addenda=[])
    assert missing == ["a term end after the term start"]


def test_addendum_kinds_are_read_generously_and_unknown_ones_refused():
    assert addendum_kind("Statement of work") == "statement_of_work"
    assert addendum_kind("statement-of-work") == "statement_of_work"
    with pytest.raises(ValueError, match="unknown addendum kind 'appendix'"):
        addendum_kind("appendix")


def test_the_summary_shows_changed_words_and_added_and_removed_paragraphs():
    old = [
        "Services Agreement",
        "It lasts twelve (12) months and renews.",
        "Fees are due in 30 days.",
        "Old clause.",
    ]
    new = [
        "Services Agreement",
        "It lasts twenty-four (24) months and renews.",
        "Fees are due in 30 days.",
        "A new clause.",
    ]
    new.append("Governing law: California.")
    summary = summarize_changes(old, new)
    lines = summary.splitlines()
    assert lines[0] == "2 paragraph(s) changed, 1 added, 0 removed"
    assert "~ paragraph 2: It lasts [-twelve (12)-] {+twenty-four (24)+} months and renews." in lines
    assert "+ paragraph 5 added: Governing law: California." in lines
    assert summarize_changes(old, list(old)) == "no change in the text"
    assert summarize_changes(old, old[:2]).splitlines()[-1] == "- removed: Old clause."
