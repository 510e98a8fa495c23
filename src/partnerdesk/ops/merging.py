"""Merging two engagements of one relationship (a second one opened by mistake) into one.

Everything of the source goes to the target: contacts, timeline, documents (into the target's
partner folder), playbook runs, tasks, agreements, bookings, mail in and out, the partner phase's
rows and the technical record. Nothing is deleted: a row that cannot move because the target has
its own (an answer it already knows, an unfinished run of the same playbook, a hand-off) stays on
the source, where its page still shows it. The source is then closed with the reason "merged into
PD-n", and both timelines say so; the source's page and `lead show` lead to the target.

The documents move in the store first, outside the transaction (documents/folders.py); a store
failure changes nothing and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When

from partnerdesk.agreements.models import Agreement
from partnerdesk.documents.base import DocumentStoreError
from partnerdesk.documents.folders import partner_folder_move
from partnerdesk.documents.models import Document
from partnerdesk.inbound.models import Booking, InboundMessage
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.partnership.models import CheckIn, Invoice, Renewal, Tickler
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import (
    Assessment,
    Engagement,
    EngagementContact,
    Task,
    TimelineEntry,
)
from partnerdesk.pipeline.qualification import Answer
from partnerdesk.pipeline.services import Actor, ServiceError, timeline_record
from partnerdesk.pipeline.stages import Stage
from partnerdesk.playbooks.models import UNFINISHED, PlaybookRun
from partnerdesk.profile import get_profile
from partnerdesk.technical.models import Handoff, TechnicalAnswer, TechnicalFormLink, TechnicalReminder

# Every foreign key to an engagement, and what a merge does with its rows. A new one must be
# added here (and handled below): tests/pipeline/test_merge.py fails until it is.
HANDLED = {
    "pipeline.EngagementContact.engagement": "copied: the target gains the source's contacts",
    "pipeline.Assessment.engagement": "an answer the target does not know yet is taken",
    "pipeline.TimelineEntry.engagement": "moved",
    "pipeline.Task.engagement": "moved",
    "documents.Document.engagement": "moved, into the target's partner folder",
    "agreements.Agreement.engagement": "moved; refused when both have one in the works",
    "inbound.InboundMessage.engagement": "moved",
    "inbound.Booking.engagement": "moved",
    "mail.OutboxMessage.engagement": "moved",
    "playbooks.PlaybookRun.engagement": "moved, but an unfinished run of a playbook the target runs too",
    "partnership.Tickler.engagement": "moved",
    "partnership.Renewal.engagement": "moved",
    "partnership.Renewal.renewal_engagement": "moved; refused when both are renewals",
    "partnership.CheckIn.engagement": "moved",
    "partnership.Invoice.engagement": "moved",
    "technical.TechnicalAnswer.engagement": "an answer the target does not have yet is taken",
    "technical.Handoff.engagement": "moved unless the target has its own",
    "technical.TechnicalFormLink.engagement": "moved",
    "technical.TechnicalReminder.engagement": "moved",
}


@dataclass
class MergeResult:
    source: Engagement
    target: Engagement
    moved: list[str] = field(default_factory=list)  # "3 timeline entries", "2 documents"...
    kept: list[str] = field(default_factory=list)  # what stayed on the source, and why

    @property
    def summary(self) -> str:
        text = f"Merged {self.source.reference} into {self.target.reference}"
        if self.moved:
            text += ": " + ", ".join(self.moved)
        if self.kept:
            text += ". Kept on " + self.source.reference + ": " + "; ".join(self.kept)
        return text


def engagement_merged_into(engagement: Engagement) -> Engagement | None:
    """The engagement a closed one was merged into, if it was."""
    if engagement.stage != Stage.CLOSED.value:
        return None
    entry = (
        TimelineEntry.objects.filter(engagement=engagement, data__has_key="merged_into")
        .order_by("-at", "-id")
        .first()
    )
    if entry is None:
        return None
    return Engagement.objects.select_related("organization").filter(pk=entry.data["merged_into"]).first()


def _plural(count: int, what: str, many: str = "") -> str:
    return f"{count} {what if count == 1 else many or what + 's'}"


def _refusals(source: Engagement, target: Engagement) -> None:
    if source.pk == target.pk:
        raise ServiceError(f"{source.reference} cannot be merged into itself")
    merged = engagement_merged_into(source)
    if merged is not None:
        raise ServiceError(f"{source.reference} was already merged into {merged.reference}")
    if target.stage == Stage.CLOSED.value:
        raise ServiceError(
            f"{target.reference} is closed: reopen it, or merge it into {source.reference} instead"
        )
    open_ones = [
        agreement
        for engagement in (source, target)
        for agreement in Agreement.objects.filter(engagement=engagement)
        if agreement.is_open
    ]
    if len(open_ones) > 1:
        raise ServiceError(
            "both engagements have an agreement in the works ("
            + "; ".join(agreement.title for agreement in open_ones)
            + "): withdraw one of them first"
        )
    if (
        Renewal.objects.filter(renewal_engagement=source).exists()
        and Renewal.objects.filter(renewal_engagement=target).exists()
    ):
        raise ServiceError(f"{source.reference} and {target.reference} both renew an agreement")


MERGE_CANDIDATES_SHOWN = 20
# Words too common in organization names to suggest that two are the same.
_COMMON_NAME_WORDS = frozenset(
    {"university", "college", "school", "institute", "center", "centre", "state", "community", "the"}
)


def merge_candidates(engagement: Engagement, *, emails: list[str] | None = None) -> list[Engagement]:
    """The open engagements most likely to be the same relationship, at most
    MERGE_CANDIDATES_SHOWN, the likeliest first: its organization's, then those sharing a
    contact or a contact's mail domain, then those whose organization's name shares a word.
    `emails` are its contacts' addresses when the caller has them read already. Two small queries
    whatever the number of engagements; any other is named by its reference."""
    if emails is None:
        emails = list(engagement.contacts.values_list("email", flat=True))
    domains = {email.rsplit("@", 1)[-1].lower() for email in emails if "@" in email}
    words = {
        word
        for word in re.findall(r"\w{4,}", engagement.organization.name.lower())
        if word not in _COMMON_NAME_WORDS
    }
    shares_contact = Q(contacts__email__in=emails)
    shares_domain = Q()
    for domain in domains:
        shares_domain |= Q(contacts__email__iendswith=f"@{domain}")
    shares_word = Q()
    for word in words:
        shares_word |= Q(organization__name__icontains=word)
    same_organization = Q(organization_id=engagement.organization_id)
    likely = same_organization | shares_contact
    if domains:
        likely |= shares_domain
    if words:
        likely |= shares_word
    closeness = Case(
        When(same_organization, then=Value(0)),
        When(shares_contact, then=Value(1)),
        When(shares_domain if domains else Q(pk__in=[]), then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    ids = (
        Engagement.objects.filter(likely)
        .exclude(pk=engagement.pk)
        .exclude(stage=Stage.CLOSED.value)
        .annotate(closeness=closeness)
        .order_by("closeness", "-id")
        .values_list("pk", "closeness")
    )
    chosen: dict[int, int] = {}
    for pk, rank in ids:  # a row per shared contact: keep each engagement once, at its best
        chosen.setdefault(pk, rank)
        if len(chosen) >= MERGE_CANDIDATES_SHOWN:
            break
    found = Engagement.objects.filter(pk__in=chosen).select_related("organization").in_bulk()
    return [found[pk] for pk in chosen]


def merge_preview(*, source: Engagement, target: Engagement) -> list[str]:
    """What a merge would move, as lines for a person to confirm; ServiceError if it is refused."""
    _refusals(source, target)
    have = set(target.contacts.values_list("pk", flat=True))
    lines = []
    for count, what, many in (
        (source.contacts.exclude(pk__in=have).count(), "contact", ""),
        (source.documents.count(), "document", ""),
        (source.timeline.count(), "timeline entry", "timeline entries"),
        (source.tasks.count(), "task", ""),
        (source.agreements.count(), "agreement", ""),
        (source.playbook_runs.count(), "playbook run", ""),
        (source.inbound_messages.count() + source.outbox_messages.count(), "email", ""),
        (source.bookings.count(), "booking", ""),
    ):
        if count:
            lines.append(_plural(count, what, many))
    if source.documents.exists() and source.organization_id != target.organization_id:
        profile = get_profile()
        lines.append(
            f"documents move from {profile.partner_folder(source.organization.name)} "
            f"to {profile.partner_folder(target.organization.name)}"
        )
    return lines


def engagement_merge(*, source: Engagement, target: Engagement, actor: Actor) -> MergeResult:
    """Move everything of `source` to `target` and close `source` ("merged into PD-n")."""
    source = Engagement.objects.select_related("organization").get(pk=source.pk)
    target = Engagement.objects.select_related("organization").get(pk=target.pk)
    _refusals(source, target)
    others = source.organization.engagements.exclude(pk=source.pk).exists()
    try:
        move = partner_folder_move(
            engagements=[source],
            old_name=source.organization.name,
            new_name=target.organization.name,
            whole=not others and source.organization_id != target.organization_id,
            into=target,
        )
    except DocumentStoreError as exc:
        raise ServiceError(
            f"{source.reference}'s documents could not be moved to {target.reference}'s folder ({exc}); "
            "nothing was changed"
        ) from None

    with transaction.atomic():
        locked = {
            engagement.pk: engagement
            for engagement in Engagement.objects.select_for_update()
            .select_related("organization")
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        }
        source, target = locked[source.pk], locked[target.pk]
        _refusals(source, target)
        result = MergeResult(source=source, target=target)
        move.save(engagement=target)
        if move.documents:
            result.moved.append(_plural(len(move.documents), "document"))
        _merge_contacts(result)
        _merge_answers(result)
        _merge_facts(result)
        _merge_other_documents(result)
        for label, rows in (
            ("timeline entry", TimelineEntry.objects.filter(engagement=source)),
            ("task", Task.objects.filter(engagement=source)),
            ("agreement", Agreement.objects.filter(engagement=source)),
            ("message received", InboundMessage.objects.filter(engagement=source)),
            ("message sent", OutboxMessage.objects.filter(engagement=source)),
            ("booking", Booking.objects.filter(engagement=source)),
            ("tickler", Tickler.objects.filter(engagement=source)),
            ("renewal", Renewal.objects.filter(engagement=source)),
            ("check-in", CheckIn.objects.filter(engagement=source)),
            ("invoice", Invoice.objects.filter(engagement=source)),
            ("technical form link", TechnicalFormLink.objects.filter(engagement=source)),
            ("technical reminder", TechnicalReminder.objects.filter(engagement=source)),
        ):
            count = rows.update(engagement=target)
            if count:
                many = "timeline entries" if label == "timeline entry" else ""
                result.moved.append(_plural(count, label, many))
        Renewal.objects.filter(renewal_engagement=source).update(renewal_engagement=target)
        _merge_runs(result)
        _merge_handoff(result)
        _close(result, actor)
    source.refresh_from_db()
    target.refresh_from_db()
    return result


def _merge_other_documents(result: MergeResult) -> None:
    """Documents outside the partner folder (or in another store): the rows move, their files stay."""
    taken = set(Document.objects.filter(engagement=result.target).values_list("title", flat=True))
    count = 0
    for document in Document.objects.filter(engagement=result.source):
        if document.title in taken:
            result.kept.append(f"the document {document.path} ({result.target.reference} has one so named)")
            continue
        Document.objects.filter(pk=document.pk).update(engagement=result.target)
        count += 1
    if count:
        result.moved.append(_plural(count, "other document"))


def _merge_contacts(result: MergeResult) -> None:
    links = EngagementContact.objects.filter(engagement=result.target)
    have = set(links.values_list("contact_id", flat=True))
    new = [
        EngagementContact(engagement=result.target, contact_id=link.contact_id)
        for link in EngagementContact.objects.filter(engagement=result.source).order_by("id")
        if link.contact_id not in have
    ]
    EngagementContact.objects.bulk_create(new)
    if new:
        result.moved.append(_plural(len(new), "contact"))


def _merge_answers(result: MergeResult) -> None:
    """MANIAC-T answers and the technical record: what the target does not know is taken."""
    source, target = result.source, result.target
    for theirs in Assessment.objects.filter(engagement=source):
        ours = Assessment.objects.filter(engagement=target, criterion=theirs.criterion).first()
        if ours is None:
            Assessment.objects.filter(pk=theirs.pk).update(engagement=target)
        elif ours.answer == Answer.UNKNOWN.value and theirs.answer != Answer.UNKNOWN.value:
            notes = "\n".join(text for text in (ours.notes, theirs.notes) if text)
            Assessment.objects.filter(pk=ours.pk).update(answer=theirs.answer, notes=notes)
    answered = TechnicalAnswer.Status.ANSWERED
    for their_answer in TechnicalAnswer.objects.filter(engagement=source):
        our_answer = TechnicalAnswer.objects.filter(engagement=target, key=their_answer.key).first()
        if our_answer is None:
            TechnicalAnswer.objects.filter(pk=their_answer.pk).update(engagement=target)
        elif their_answer.status == answered and our_answer.status != answered:
            TechnicalAnswer.objects.filter(pk=our_answer.pk).update(
                value=their_answer.value,
                status=their_answer.status,
                source=their_answer.source,
                updated_at=their_answer.updated_at,
            )


def _merge_facts(result: MergeResult) -> None:
    """The handbook's questions, the verbal yes, the executed close and the owner, where the
    target has none."""
    source, target = result.source, result.target
    fields = []
    for name in ("good_candidate", "qualified"):
        if getattr(target, name) == Answer.UNKNOWN.value and getattr(source, name) != Answer.UNKNOWN.value:
            setattr(target, name, getattr(source, name))
            fields.append(name)
    for group in (("verbal_yes_by", "verbal_yes_on"), ("executed_close_on", "executed_agreement")):
        if not any(getattr(target, name) for name in group) and any(getattr(source, name) for name in group):
            for name in group:
                setattr(target, name, getattr(source, name))
            fields += list(group)
    if target.owner_id is None and not target.owner_email and (source.owner_id or source.owner_email):
        target.owner_id, target.owner_email = source.owner_id, source.owner_email
        fields += ["owner", "owner_email"]
        result.moved.append("the owner")
    if fields:
        target.save(update_fields=fields)


def _merge_runs(result: MergeResult) -> None:
    source, target = result.source, result.target
    unfinished = PlaybookRun.objects.filter(engagement=target, status__in=UNFINISHED)
    busy = set(unfinished.values_list("playbook", flat=True))
    stay = PlaybookRun.objects.filter(engagement=source, status__in=UNFINISHED, playbook__in=busy)
    kept = list(stay.values_list("playbook", flat=True))
    count = PlaybookRun.objects.filter(engagement=source).exclude(pk__in=stay).update(engagement=target)
    if count:
        result.moved.append(_plural(count, "playbook run"))
    if kept:
        result.kept.append(
            "the unfinished run of " + ", ".join(sorted(kept)) + f" ({target.reference} has its own)"
        )


def _merge_handoff(result: MergeResult) -> None:
    source, target = result.source, result.target
    if not Handoff.objects.filter(engagement=source).exists():
        return
    if Handoff.objects.filter(engagement=target).exists():
        result.kept.append(f"the engineering hand-off ({target.reference} has its own)")
    else:
        Handoff.objects.filter(engagement=source).update(engagement=target)
        result.moved.append("the engineering hand-off")


def _close(result: MergeResult, actor: Actor) -> None:
    source, target = result.source, result.target
    reason = f"merged into {target.reference}"
    if source.stage != Stage.CLOSED.value:
        services.engagement_move(engagement=source, to=Stage.CLOSED, actor=actor, reason=reason)
    else:
        Engagement.objects.filter(pk=source.pk).update(closed_reason=reason)
    source.refresh_from_db()
    timeline_record(
        engagement=source,
        kind=TimelineEntry.Kind.NOTE,
        actor=actor,
        summary=result.summary,
        data={"merged_into": target.pk, "moved": result.moved, "kept": result.kept},
    )
    timeline_record(
        engagement=target,
        kind=TimelineEntry.Kind.NOTE,
        actor=actor,
        summary=result.summary,
        data={"merged_from": source.pk, "moved": result.moved, "kept": result.kept},
    )
