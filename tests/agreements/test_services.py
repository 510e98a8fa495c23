"""Agreement services: every change on the timeline, ready-to-sign refusals, versions in the store."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from partnerdesk.agreements import services, status
from partnerdesk.agreements.closing import agreement_executed
from partnerdesk.agreements.models import Agreement
from partnerdesk.agreements.storage import read_file
from partnerdesk.lib import clock
from partnerdesk.pipeline.models import TimelineEntry
from partnerdesk.pipeline.services import ServiceError
from partnerdesk.playbooks.library import get_library
from partnerdesk.playbooks.models import PlaybookRun
from tests.agreements.conftest import docx_bytes

pytestmark = pytest.mark.django_db


def _agreement_entries(engagement):
    return list(
        TimelineEntry.objects.filter(engagement=engagement, kind=TimelineEntry.Kind.AGREEMENT).values_list(
            "summary", flat=True
        )
    )


def _complete(agreement, actor):
    services.agreement_attach(
        agreement=agreement,
        content=docx_bytes("Services Agreement", "Term: 12 months"),
        filename="v1.docx",
        actor=actor,
    )
    services.agreement_set_terms(
        agreement=agreement,
        actor=actor,
        value=Decimal("12000"),
        currency="usd",
        term_start=dt.date(2027, 1, 1),
        term_end=dt.date(2027, 12, 31),
    )
    services.agreement_signatory_add(
        agreement=agreement, person="Lee Park <lee@harbor.example.edu>", role="CIO", actor=actor
    )
    services.agreement_addendum_add(
        agreement=agreement, kind="statement-of-work", title="Hub for 200 students", actor=actor
    )


def test_an_agreement_is_named_as_the_handbook_says_and_every_change_is_on_the_timeline(
    prospect, alice_actor
):
    agreement = services.agreement_create(engagement=prospect, actor=alice_actor)
    today = clock.today().isoformat()
    assert agreement.title == f"Harbor University + 2i2c/CS&S - Services Agreement {today}"
    assert agreement.folder_path == "Partnerships/Agreements/Harbor University"
    _complete(agreement, alice_actor)
    agreement.refresh_from_db()
    assert (agreement.value, agreement.currency) == (Decimal("12000.00"), "USD")
    signatory = agreement.signatories.get()
    assert (signatory.organization, signatory.role) == ("Harbor University", "CIO")
    entries = _agreement_entries(prospect)
    assert entries[0] == f"Agreement started (draft): {agreement.title}"
    assert entries[1] == "Agreement version 1 attached (v1.docx)"
    assert entries[2].startswith("Agreement terms: value: - -> 12000; currency: - -> USD; term start")
    assert entries[3] == "Signatory added: Lee Park <lee@harbor.example.edu> (CIO, Harbor University)"
    assert entries[4] == "Addendum added (statement of work): Hub for 200 students"
    assert len(entries) == 5


def test_ready_to_sign_is_refused_naming_what_is_missing(prospect, alice_actor):
    agreement = services.agreement_create(engagement=prospect, actor=alice_actor)
    services.agreement_set_terms(
        agreement=agreement, actor=alice_actor, value=Decimal("12000"), currency="USD"
    )
    with pytest.raises(services.AgreementNotReady) as refused:
        status.agreement_mark_ready(agreement=agreement, actor=alice_actor)
    assert refused.value.missing == [
        "a version of the agreement (a .docx)",
        "signatories (name, email, organization, role)",
        "the term start",
        "the term end",
        "a statement of work (addendum)",
    ]
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.DRAFT


def test_a_change_after_ready_to_sign_takes_it_back_to_negotiation(prospect, alice_actor):
    agreement = services.agreement_create(engagement=prospect, actor=alice_actor)
    _complete(agreement, alice_actor)
    status.agreement_mark_ready(agreement=agreement, actor=alice_actor)
    assert agreement.status == Agreement.Status.READY_TO_SIGN
    services.agreement_set_terms(agreement=agreement, actor=alice_actor, value=Decimal("15000"))
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.NEGOTIATING
    assert _agreement_entries(prospect)[-1] == "Agreement back to negotiation: the terms changed"


def test_a_new_version_is_a_file_in_the_store_with_the_changes_in_its_text(prospect, alice_actor):
    agreement = services.agreement_create(engagement=prospect, actor=alice_actor)
    first = docx_bytes("Services Agreement", "It lasts twelve (12) months.")
    second = docx_bytes("Services Agreement", "It lasts twenty-four (24) months.")
    services.agreement_attach(agreement=agreement, content=first, filename="draft.docx", actor=alice_actor)
    version = services.agreement_attach(
        agreement=agreement, content=second, filename="redline.docx", actor=alice_actor
    )
    assert version.number == 2
    assert read_file(version.store_id) == second
    assert version.title == f"{agreement.title} v2"
    assert version.changes.splitlines() == [
        "1 paragraph(s) changed, 0 added, 0 removed",
        "~ paragraph 2: It lasts [-twelve (12)-] {+twenty-four (24)+} months.",
    ]
    # The same file again adds nothing.
    assert (
        services.agreement_attach(
            agreement=agreement, content=second, filename="again.docx", actor=alice_actor
        )
        == version
    )
    assert agreement.versions.count() == 2


def test_a_file_that_is_not_a_docx_is_refused(prospect, alice_actor):
    agreement = services.agreement_create(engagement=prospect, actor=alice_actor)
    with pytest.raises(ServiceError, match=r"notes.docx: not a readable .docx file"):
        services.agreement_attach(
            agreement=agreement, content=b"hello", filename="notes.docx", actor=alice_actor
        )


def test_a_second_agreement_in_the_works_is_refused_until_the_first_is_withdrawn(prospect, alice_actor):
    first = services.agreement_create(engagement=prospect, actor=alice_actor)
    with pytest.raises(ServiceError, match="already has an agreement in the works"):
        services.agreement_create(engagement=prospect, actor=alice_actor, title="Another")
    status.agreement_withdraw(agreement=first, actor=alice_actor, reason="they sent their own paper")
    assert (
        services.agreement_create(engagement=prospect, actor=alice_actor, title="Their paper").title
        == "Their paper"
    )


def test_executed_is_refused_before_ready_to_sign_and_moves_to_partner_after(prospect, alice_actor):
    agreement = services.agreement_create(engagement=prospect, actor=alice_actor)
    with pytest.raises(services.AgreementNotReady, match="missing a version of the agreement"):
        agreement_executed(engagement=prospect, signed_file=None, filename="", actor=alice_actor)
    _complete(agreement, alice_actor)
    status.agreement_mark_ready(agreement=agreement, actor=alice_actor)
    report = agreement_executed(
        engagement=prospect, signed_file=b"%PDF-1.4 signed", filename="signed.pdf", actor=alice_actor
    )
    assert report.moved_to_partner
    queued_runs = [queued.playbook for queued in report.queued if isinstance(queued, PlaybookRun)]
    if "launch-meeting" in get_library().playbooks:  # the partner phase's first SOP, when shipped
        assert queued_runs == ["launch-meeting"]
    else:
        assert queued_runs == []  # no launch-meeting playbook: skipped quietly
    prospect.refresh_from_db()
    assert prospect.stage == "partner"
    assert prospect.executed_agreement == agreement.title
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.EXECUTED
    signed = agreement.versions.get(signed=True)
    assert read_file(signed.store_id) == b"%PDF-1.4 signed"
    assert agreement.signatories.get().signed_at is not None
    again = agreement_executed(engagement=prospect, signed_file=None, filename="", actor=alice_actor)
    assert again.already


def test_edits_are_refused_once_the_agreement_is_out_for_signature(prospect, alice_actor):
    agreement = services.agreement_create(engagement=prospect, actor=alice_actor)
    _complete(agreement, alice_actor)
    status.agreement_mark_ready(agreement=agreement, actor=alice_actor)
    status.agreement_mark_out_for_signature(agreement=agreement, actor=alice_actor, via="test")
    with pytest.raises(ServiceError, match="is out for signature: it can no longer change"):
        services.agreement_set_terms(agreement=agreement, actor=alice_actor, value=Decimal("1"))
