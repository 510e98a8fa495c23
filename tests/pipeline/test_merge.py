"""Merging an engagement opened twice into the other: nothing lost, both references lead somewhere."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

from partnerdesk.agreements.services import agreement_create
from partnerdesk.documents import services as documents
from partnerdesk.documents.base import get_store
from partnerdesk.documents.models import Document
from partnerdesk.inbound.models import Booking, InboundMessage
from partnerdesk.lib import clock
from partnerdesk.mail.outbox import message_queue
from partnerdesk.ops.merging import (
    HANDLED,
    MERGE_CANDIDATES_SHOWN,
    engagement_merge,
    engagement_merged_into,
    merge_candidates,
)
from partnerdesk.partnership.models import Tickler
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from partnerdesk.pipeline.naming import engagement_of_relationship, engagement_open_provisional
from partnerdesk.pipeline.qualification import Answer, Criterion
from partnerdesk.pipeline.services import Actor, ServiceError
from partnerdesk.pipeline.stages import Stage
from partnerdesk.playbooks.models import PlaybookRun
from partnerdesk.technical.models import TechnicalAnswer

pytestmark = pytest.mark.django_db

RIDGE = "Partnerships/Agreements/Ridge College"


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user(username="alice", password="correct horse battery")


@pytest.fixture
def ridge(alice_actor) -> Engagement:
    """PD-1: the engagement the team works on, with its running notes and an answer."""
    engagement = services.engagement_create(
        organization_name="Ridge College", contacts=[("Ana Diaz", "ana@ridge.example.edu")], actor=alice_actor
    )
    documents.running_notes_ensure(engagement=engagement, actor=alice_actor)
    services.engagement_qualify(
        engagement=engagement, actor=alice_actor, answers={Criterion.MONEY: Answer.YES}
    )
    return engagement


@pytest.fixture
def duplicate(alice, alice_actor) -> Engagement:
    """PD-2: the same relationship opened again from an address, with a bit of everything."""
    engagement = engagement_open_provisional(
        name="uni.example", contacts=[("Jo Lee", "jo@uni.example")], actor=alice_actor, source="email"
    )
    Engagement.objects.filter(pk=engagement.pk).update(owner=alice)
    documents.running_notes_ensure(engagement=engagement, actor=alice_actor)
    draft = documents.document_from_template(
        engagement=engagement,
        kind=Document.Kind.AGREEMENT,
        template=documents.template_path(documents.AGREEMENT_TEMPLATE),
        folder_path=documents.partner_folder_path(engagement),
        title="uni.example + 2i2c/CS&S - Services Agreement 2026-12-01",
        replacements={"PartnerX": "uni.example"},
        actor=alice_actor,
    )
    agreement_create(engagement=engagement, actor=alice_actor, document=draft)
    services.task_create(engagement=engagement, title="Send the deck", actor=alice_actor)
    services.engagement_qualify(
        engagement=engagement,
        actor=alice_actor,
        answers={Criterion.MONEY: Answer.NO, Criterion.AUTHORITY: Answer.YES},
        good_candidate=Answer.YES,
    )
    message_queue(to=["jo@uni.example"], subject="Hello", body="Hi Jo\n", engagement=engagement)
    now = clock.now()
    InboundMessage.objects.create(
        dedupe_key="mid:<1@uni.example>", content_hash="0" * 64, channel="mailgate", size=10,
        engagement=engagement, received_at=now,
    )  # fmt: skip
    Booking.objects.create(
        key="calendly:1", source="email", invitee_email="jo@uni.example", engagement=engagement,
        created_at=now,
    )  # fmt: skip
    PlaybookRun.objects.create(
        engagement=engagement, playbook="respond-to-inquiry", title="Respond", actor="alice", spec={},
        status=PlaybookRun.Status.SUCCEEDED, started_at=now,
    )  # fmt: skip
    Tickler.objects.create(key="t:1", kind="check_in", engagement=engagement, due_on=dt.date(2027, 1, 1),
                           created_at=now)  # fmt: skip
    TechnicalAnswer.objects.create(engagement=engagement, key="users", value="40", updated_at=now)
    return Engagement.objects.get(pk=engagement.pk)


def test_every_foreign_key_to_an_engagement_is_handled_by_the_merge():
    found = {
        f"{model._meta.app_label}.{model.__name__}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.ForeignKey) and field.related_model is Engagement
    }
    assert found == set(HANDLED), "a foreign key to Engagement is not handled by ops/merging.py"


def test_merging_moves_everything_to_the_target_and_closes_the_source(
    ridge, duplicate, alice, alice_actor, data_folder
):
    result = engagement_merge(source=duplicate, target=ridge, actor=alice_actor)

    ridge.refresh_from_db()
    duplicate.refresh_from_db()
    # The source is closed as merged, and says where everything went.
    assert (duplicate.stage, duplicate.closed_reason) == ("closed", f"merged into {ridge.reference}")
    assert engagement_merged_into(duplicate) == ridge
    assert engagement_merged_into(ridge) is None
    for engagement in (ridge, duplicate):
        said = f"Merged {duplicate.reference} into {ridge.reference}"
        assert engagement.timeline.filter(summary__startswith=said).exists()
    # Every row of the source is the target's now.
    emails = sorted(contact.email for contact in ridge.contacts.all())
    assert emails == ["ana@ridge.example.edu", "jo@uni.example"]
    assert ridge.tasks.get().title == "Send the deck"
    assert ridge.outbox_messages.get().subject.endswith("Hello")
    assert ridge.inbound_messages.count() == ridge.bookings.count() == ridge.playbook_runs.count() == 1
    assert ridge.ticklers.count() == ridge.technical_answers.count() == 1
    assert ridge.timeline.filter(summary__startswith="Created the document").count() == 3
    for related in ("tasks", "outbox_messages", "inbound_messages", "bookings", "playbook_runs", "agreements",
                    "documents", "ticklers", "technical_answers"):  # fmt: skip
        assert not getattr(duplicate, related).exists(), related
    # What the target did not know is taken; what it knew stays.
    assert (ridge.good_candidate, ridge.owner) == ("yes", alice)
    answers = dict(ridge.assessments.values_list("criterion", "answer"))
    assert (answers["money"], answers["authority"]) == ("yes", "yes")
    # The documents are in the target's folder, the titles carry its name, the files are there.
    notes, draft = duplicate_documents = list(Document.objects.filter(engagement=ridge).exclude(
        title="Running notes -- Ridge College + 2i2c"))  # fmt: skip
    assert notes.title == f"Running notes -- Ridge College + 2i2c (from {duplicate.reference})"
    assert draft.title == "Ridge College + 2i2c/CS&S - Services Agreement 2026-12-01"
    store = get_store()
    for document in duplicate_documents:
        assert document.folder_path == RIDGE
        assert store.find_document(folder=store.ensure_folder(RIDGE), name=document.title).store_id == (
            document.store_id
        )
    assert not (data_folder / "drive/Partnerships/Agreements/uni.example").exists()
    assert ridge.agreements.get().title == draft.title
    assert "2 documents" in result.summary and "1 task" in result.summary
    # The next mail from Jo finds the target.
    assert engagement_of_relationship(emails=["jo@uni.example"]) == ridge


def test_a_merge_the_pipeline_cannot_do_is_refused_and_changes_nothing(ridge, duplicate, alice_actor):
    with pytest.raises(ServiceError, match="cannot be merged into itself"):
        engagement_merge(source=ridge, target=ridge, actor=alice_actor)
    other = services.engagement_create(organization_name="Harbor University", contacts=[], actor=alice_actor)
    services.engagement_move(engagement=other, to=Stage.CLOSED, actor=alice_actor, reason="no budget")
    with pytest.raises(ServiceError, match="is closed"):
        engagement_merge(source=duplicate, target=other, actor=alice_actor)
    agreement_create(engagement=ridge, actor=alice_actor, title="Ridge College + 2i2c - Services Agreement")
    with pytest.raises(ServiceError, match="both engagements have an agreement in the works"):
        engagement_merge(source=duplicate, target=ridge, actor=alice_actor)
    duplicate.refresh_from_db()
    assert duplicate.stage == "lead" and duplicate.documents.count() == 2 and duplicate.tasks.count() == 1


def test_a_run_the_target_also_has_unfinished_stays_on_the_source(ridge, duplicate, alice_actor):
    for engagement in (ridge, duplicate):
        PlaybookRun.objects.create(
            engagement=engagement, playbook="send-draft-contract", title="Send", actor="alice", spec={},
            status=PlaybookRun.Status.FAILED, started_at=clock.now(),
        )  # fmt: skip

    result = engagement_merge(source=duplicate, target=ridge, actor=Actor(label="alice"))

    assert duplicate.playbook_runs.get().playbook == "send-draft-contract"
    assert ridge.playbook_runs.count() == 2
    assert "the unfinished run of send-draft-contract" in result.summary


def test_a_second_merge_of_the_same_engagement_is_refused(ridge, duplicate, alice_actor):
    engagement_merge(source=duplicate, target=ridge, actor=alice_actor)
    with pytest.raises(ServiceError, match=f"already merged into {ridge.reference}"):
        engagement_merge(source=duplicate, target=ridge, actor=alice_actor)


def test_lead_merge_on_the_command_line_and_lead_show_of_the_old_reference(cli, ridge, duplicate):
    merged = cli("lead", "merge", duplicate.reference, ridge.reference)

    assert merged.code == 0, merged.err
    assert merged.out.startswith(f"Merged {duplicate.reference} into {ridge.reference}: ")
    assert f"{duplicate.reference} is closed: merged into {ridge.reference}" in merged.out
    shown = cli("lead", "show", duplicate.reference)
    assert f"merged into {ridge.reference} Ridge College" in shown.out
    shown_json = json.loads(cli("lead", "show", duplicate.reference, "--json").out)
    assert shown_json["merged_into"] == ridge.reference
    assert json.loads(cli("lead", "show", ridge.reference, "--json").out)["merged_into"] is None
    again = cli("lead", "merge", duplicate.reference, ridge.reference)
    assert again.code != 0 and "already merged" in again.err


def test_merging_two_engagements_of_one_organization_keeps_one_row_per_file(alice_actor, data_folder):
    first = services.engagement_create(organization_name="Ridge College", contacts=[], actor=alice_actor)
    second = services.engagement_create(organization_name="Ridge College", contacts=[], actor=alice_actor)
    theirs = documents.running_notes_ensure(engagement=first, actor=alice_actor)
    ours = documents.running_notes_ensure(engagement=second, actor=alice_actor)
    assert ours.store_id == theirs.store_id  # one folder, one name: the same file

    engagement_merge(source=second, target=first, actor=alice_actor)

    assert list(Document.objects.values_list("engagement_id", "title")) == [
        (first.pk, "Running notes -- Ridge College + 2i2c")
    ]
    assert (data_folder / "drive" / theirs.store_id).is_file()
    assert TimelineEntry.objects.filter(engagement=second, data__has_key="merged_into").exists()


def test_the_merge_choices_are_the_likely_duplicates_first_and_few_however_many_engagements_there_are():
    actor = services.Actor(label="alice")

    def lead(name: str, *contacts: tuple[str, str]) -> Engagement:
        return services.engagement_create(organization_name=name, contacts=list(contacts), actor=actor)

    harbor = lead("Harbor Marine Lab", ("Lee Park", "lee@harbor.example.edu"))
    same_contact = lead("HML", ("Lee Park", "lee@harbor.example.edu"))
    same_domain = lead("Harbor Ocean Station", ("Ana Ruiz", "ana@harbor.example.edu"))
    for number in range(MERGE_CANDIDATES_SHOWN + 5):  # older, sharing only the word "harbor"
        lead(f"Harbor College {number}", ("Jo", f"jo{number}@college{number}.example.org"))
    same_word = lead("Marine Studies Group", ("Kim", "kim@studies.example.org"))
    unrelated = lead("Ridge College", ("Sam", "sam@ridge.example.edu"))

    choices = merge_candidates(harbor)

    assert choices[:2] == [same_contact, same_domain]
    assert same_word in choices and unrelated not in choices and harbor not in choices
    assert len(choices) == MERGE_CANDIDATES_SHOWN
