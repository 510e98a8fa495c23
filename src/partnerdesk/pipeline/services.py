"""Every write to the pipeline: keyword-only functions named `<thing>_<verb>`.

Views, commands and playbook steps call these; nobody sets `stage` and calls `save()`.
Each change writes exactly one timeline entry, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from partnerdesk.lib import clock
from partnerdesk.lib import text as limits
from partnerdesk.lib.actors import Actor
from partnerdesk.lib.errors import UserError
from partnerdesk.pipeline.folder_follow import FolderMoveFailed, partner_folder_follow
from partnerdesk.pipeline.models import (
    Assessment,
    Contact,
    Engagement,
    EngagementContact,
    Organization,
    Source,
    Task,
    TimelineEntry,
)
from partnerdesk.pipeline.qualification import Answer, Criterion
from partnerdesk.pipeline.selectors import engagement_facts
from partnerdesk.pipeline.stages import MoveCheck, Stage, check_move
from partnerdesk.profile import get_profile


class ServiceError(UserError):
    """A request the pipeline refuses; the message is meant for the user as it is."""


class MoveRefused(ServiceError):
    def __init__(self, engagement: Engagement, to: Stage, check: MoveCheck) -> None:
        self.check = check
        self.missing = check.missing
        reasons = "; ".join(check.missing)
        super().__init__(f"{engagement.reference} cannot move to {to.label}: {reasons}")


def _line(value: str, *, field: str, max_length: int) -> str:
    """A one-line field, whitespace collapsed; over-long or control characters -> ServiceError."""
    try:
        return limits.single_line(value, field=field, max_length=max_length)
    except limits.TextError as exc:
        raise ServiceError(str(exc)) from None


def _lines(value: str, *, field: str, max_length: int) -> str:
    """A multi-line field (a note): line breaks kept; over-long or control characters -> ServiceError."""
    try:
        return limits.multi_line(value, field=field, max_length=max_length)
    except limits.TextError as exc:
        raise ServiceError(str(exc)) from None


def _email(value: str) -> str:
    email = _line(value, field="email address", max_length=limits.EMAIL).lower()
    if not email:
        raise ServiceError("the email address is empty")
    return email


def timeline_record(
    *, engagement: Engagement, kind: str, actor: Actor, summary: str, data: Mapping[str, Any] | None = None
) -> TimelineEntry:
    """One dated, attributed entry on an engagement's timeline (emails, documents, runs...)."""
    return TimelineEntry.objects.create(
        engagement=engagement,
        kind=kind,
        at=clock.now(),
        actor=actor.label,
        actor_user=actor.user,
        summary=summary,
        data=dict(data or {}),
    )


def organization_get_or_create(*, name: str) -> Organization:
    name = _line(name, field="organization name", max_length=limits.ORGANIZATION_NAME)
    if not name:
        raise ServiceError("the organization name is empty")
    existing = Organization.objects.filter(name__iexact=name).first()
    if existing is not None:
        return existing
    return Organization.objects.create(name=name)


def contact_upsert(*, email: str, name: str = "", organization: Organization | None = None) -> Contact:
    """One email is one contact: find it, filling in a missing name or organization."""
    email = _email(email)
    name = _line(name, field="contact name", max_length=limits.CONTACT_NAME)
    contact, created = Contact.objects.get_or_create(
        email=email, defaults={"name": name, "organization": organization}
    )
    if not created:
        changed = []
        if name and not contact.name:
            contact.name = name
            changed.append("name")
        if organization is not None and contact.organization_id is None:
            contact.organization = organization
            changed.append("organization")
        if changed:
            contact.save(update_fields=changed)
    return contact


@transaction.atomic
def engagement_create(
    *,
    organization_name: str,
    contacts: Iterable[tuple[str, str]],
    actor: Actor,
    source: str = Source.MANUAL,
    owner: User | None = None,
    note: str = "",
) -> Engagement:
    note = _lines(note, field="note", max_length=limits.NOTE)
    organization = organization_get_or_create(name=organization_name)
    now = clock.now()
    engagement = Engagement.objects.create(
        organization=organization,
        stage=Stage.LEAD.value,
        stage_changed_at=now,
        created_at=now,
        source=source,
        owner=owner,
    )
    people = [contact_upsert(email=email, name=name, organization=organization) for name, email in contacts]
    EngagementContact.objects.bulk_create(
        [EngagementContact(engagement=engagement, contact=contact) for contact in dict.fromkeys(people)]
    )
    timeline_record(
        engagement=engagement,
        kind=TimelineEntry.Kind.CREATED,
        actor=actor,
        summary=f"Created as a Lead for {organization.name}",
        data={"contacts": [contact.email for contact in people], "source": source},
    )
    if note.strip():
        engagement_add_note(engagement=engagement, text=note, actor=actor)
    return engagement


@transaction.atomic
def engagement_add_contacts(
    *, engagement: Engagement, contacts: Iterable[tuple[str, str]], actor: Actor
) -> list[Contact]:
    added = []
    for name, email in contacts:
        contact = contact_upsert(email=email, name=name, organization=engagement.organization)
        _, created = EngagementContact.objects.get_or_create(engagement=engagement, contact=contact)
        if created:
            added.append(contact)
    if added:
        timeline_record(
            engagement=engagement,
            kind=TimelineEntry.Kind.CONTACT_ADDED,
            actor=actor,
            summary="Added " + ", ".join(str(contact) for contact in added),
            data={"contacts": [contact.email for contact in added]},
        )
    return added


def _locked(engagement: Engagement) -> Engagement:
    """Re-read the row under a lock, so two concurrent moves cannot both pass the guard."""
    return Engagement.objects.select_for_update().select_related("organization").get(pk=engagement.pk)


@transaction.atomic
def engagement_move(*, engagement: Engagement, to: Stage, actor: Actor, reason: str = "") -> MoveCheck:
    """The only way a stage changes. Raises MoveRefused naming everything that is missing."""
    reason = _lines(reason, field="reason", max_length=limits.REASON)
    locked = _locked(engagement)
    origin = Stage(locked.stage)
    check = check_move(
        engagement_facts(locked),
        to,
        reason=reason,
        require_complete_scorecard=get_profile().qualification.require_complete_scorecard,
    )
    if not check.allowed:
        raise MoveRefused(locked, to, check)
    # The stay that ends now began here: kept with the change, so reports of stay lengths read
    # one row per stay instead of looking for the change before it.
    stay_began = locked.stage_changed_at or locked.created_at
    locked.stage = to.value
    locked.stage_changed_at = clock.now()
    fields = ["stage", "stage_changed_at"]
    if to is Stage.CLOSED:
        locked.closed_reason = reason.strip()
        fields.append("closed_reason")
    locked.save(update_fields=fields)
    summary = f"Moved from {origin.label} to {to.label}"
    if reason.strip():
        summary += f": {reason.strip()}"
    timeline_record(
        engagement=locked,
        kind=TimelineEntry.Kind.STAGE_CHANGED,
        actor=actor,
        summary=summary,
        data={
            "from": origin.value,
            "to": to.value,
            "stage_since": stay_began.isoformat(),
            "reason": reason.strip(),
            "warnings": list(check.warnings),
        },
    )
    engagement.refresh_from_db()
    return check


@transaction.atomic
def engagement_qualify(
    *,
    engagement: Engagement,
    actor: Actor,
    answers: Mapping[Criterion, Answer] | None = None,
    notes: Mapping[Criterion, str] | None = None,
    good_candidate: Answer | None = None,
    qualified: Answer | None = None,
) -> list[str]:
    """Record qualification answers; returns the changes (one timeline entry if any)."""
    locked = _locked(engagement)
    answers = dict(answers or {})
    notes = {
        criterion: _lines(text, field=f"{criterion.label} notes", max_length=limits.QUALIFICATION_NOTES)
        for criterion, text in (notes or {}).items()
    }
    changes: list[str] = []
    fields = []
    for field_name, label, value in (
        ("good_candidate", "good candidate", good_candidate),
        ("qualified", "qualified to partner", qualified),
    ):
        if value is not None and getattr(locked, field_name) != value.value:
            changes.append(f"{label}: {getattr(locked, field_name)} -> {value.value}")
            setattr(locked, field_name, value.value)
            fields.append(field_name)
    if fields:
        locked.save(update_fields=fields)

    current = {a.criterion: a for a in Assessment.objects.filter(engagement=locked)}
    for criterion in Criterion:
        if criterion not in answers and criterion not in notes:
            continue
        assessment = current.get(criterion.value) or Assessment(engagement=locked, criterion=criterion.value)
        before_answer, before_notes = assessment.answer, assessment.notes
        if criterion in answers:
            assessment.answer = answers[criterion].value
        if criterion in notes:
            assessment.notes = notes[criterion].strip()
        if (assessment.answer, assessment.notes) == (before_answer, before_notes) and assessment.pk:
            continue
        if assessment.answer != before_answer:
            changes.append(f"{criterion.label}: {before_answer} -> {assessment.answer}")
        if assessment.notes != before_notes:
            changes.append(f"{criterion.label} notes updated")
        assessment.save()
    if changes:
        timeline_record(
            engagement=locked,
            kind=TimelineEntry.Kind.QUALIFICATION_CHANGED,
            actor=actor,
            summary="Qualification: " + "; ".join(changes),
            data={"changes": changes},
        )
    engagement.refresh_from_db()
    return changes


@transaction.atomic
def engagement_record_verbal_yes(
    *, engagement: Engagement, by: str, actor: Actor, on: dt.date | None = None
) -> None:
    by = _line(by, field="name of who gave the verbal yes", max_length=limits.VERBAL_YES_BY)
    if not by:
        raise ServiceError("say who gave the verbal yes (--by NAME)")
    locked = _locked(engagement)
    locked.verbal_yes_by = by
    locked.verbal_yes_on = on or clock.today()
    locked.save(update_fields=["verbal_yes_by", "verbal_yes_on"])
    timeline_record(
        engagement=locked,
        kind=TimelineEntry.Kind.VERBAL_YES,
        actor=actor,
        summary=f"Verbal yes from {by} on {locked.verbal_yes_on.isoformat()}",
        data={"by": by, "on": locked.verbal_yes_on.isoformat()},
    )
    engagement.refresh_from_db()


@transaction.atomic
def engagement_record_executed_close(
    *, engagement: Engagement, agreement: str, actor: Actor, on: dt.date | None = None
) -> None:
    agreement = _line(agreement, field="agreement reference", max_length=limits.AGREEMENT_REFERENCE)
    on = on or clock.today()
    if not agreement:
        raise ServiceError("name the signed agreement (--agreement REFERENCE)")
    locked = _locked(engagement)
    locked.executed_close_on = on
    locked.executed_agreement = agreement
    locked.save(update_fields=["executed_close_on", "executed_agreement"])
    timeline_record(
        engagement=locked,
        kind=TimelineEntry.Kind.EXECUTED_CLOSE,
        actor=actor,
        summary=f"Executed close on {on.isoformat()}: {agreement}",
        data={"on": on.isoformat(), "agreement": agreement},
    )
    engagement.refresh_from_db()


def engagement_add_note(*, engagement: Engagement, text: str, actor: Actor) -> TimelineEntry:
    text = _lines(text, field="note", max_length=limits.NOTE)
    if not text:
        raise ServiceError("the note is empty")
    return timeline_record(engagement=engagement, kind=TimelineEntry.Kind.NOTE, actor=actor, summary=text)


def task_create(
    *,
    engagement: Engagement,
    title: str,
    actor: Actor,
    assignee: str = "",
    due_on: dt.date | None = None,
    idempotency_key: str | None = None,
) -> Task:
    """A checklist item; with an idempotency key, asking twice returns the first one."""
    title = _line(title, field="task title", max_length=limits.TASK_TITLE)
    assignee = _line(assignee, field="task's assignee", max_length=limits.TASK_ASSIGNEE)
    if not title:
        raise ServiceError("the task has no title")
    if idempotency_key is not None:
        existing = Task.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    with transaction.atomic():
        task = Task.objects.create(
            engagement=engagement,
            title=title,
            assignee=assignee,
            due_on=due_on,
            created_at=clock.now(),
            idempotency_key=idempotency_key,
        )
        due = f", due {due_on.isoformat()}" if due_on else ""
        who = f" for {assignee}" if assignee else ""
        timeline_record(
            engagement=engagement,
            kind=TimelineEntry.Kind.TASK,
            actor=actor,
            summary=f"Task{who}: {title}{due}",
            data={"task": task.pk},
        )
    return task


def task_set_done(*, task: Task, done: bool, actor: Actor) -> Task:
    if task.is_done == done:
        return task
    with transaction.atomic():
        task.done_at = clock.now() if done else None
        task.save(update_fields=["done_at"])
        timeline_record(
            engagement=task.engagement,
            kind=TimelineEntry.Kind.TASK,
            actor=actor,
            summary=f"Task {'done' if done else 'reopened'}: {task.title}",
            data={"task": task.pk, "done": done},
        )
    return task


@transaction.atomic
def contact_update(*, contact: Contact, name: str, actor: Actor, engagement: Engagement) -> list[str]:
    """Rename a contact (the email stays: one email is one contact); returns the changes.

    The timeline entry goes on the engagement the change was made from.
    """
    name = _line(name, field="contact name", max_length=limits.CONTACT_NAME)
    if contact.name == name:
        return []
    before = contact.name
    contact.name = name
    contact.save(update_fields=["name"])
    change = f"name: {before or '(none)'} -> {name or '(none)'}"
    timeline_record(
        engagement=engagement,
        kind=TimelineEntry.Kind.CONTACT_CHANGED,
        actor=actor,
        summary=f"Contact {contact.email} changed: {change}",
        data={"contact": contact.email, "changes": [change]},
    )
    return [change]


def organization_update(
    *, organization: Organization, name: str, website: str, actor: Actor, engagement: Engagement
) -> list[str]:
    """Rename an organization or change its website; returns the changes.

    A name another organization already has (whatever its case) is refused: one name is one
    organization, as `organization_get_or_create` assumes. A new name moves the partner folder
    and renames the documents that carry the old name (documents/folders.py): in the store first,
    outside the transaction, so a store failure changes nothing and says so.
    """
    name = _line(name, field="organization name", max_length=limits.ORGANIZATION_NAME)
    website = _line(website, field="website", max_length=limits.WEBSITE)
    if not name:
        raise ServiceError("the organization name is empty")
    clash = Organization.objects.filter(name__iexact=name).exclude(pk=organization.pk).first()
    if clash is not None:
        raise ServiceError(f"another organization is already called {clash.name}")
    if website:
        try:
            URLValidator(schemes=["http", "https"])(website)
        except ValidationError:
            raise ServiceError(f"the website is not an http(s) address: {website}") from None
    changes, fields = [], []
    move = None
    if organization.name != name:
        try:
            move = partner_folder_follow(
                engagements=list(organization.engagements.all()),
                old_name=organization.name,
                new_name=name,
                whole=True,
            )
        except FolderMoveFailed as exc:
            raise ServiceError(
                f"the partner folder could not be renamed to {name} ({exc}); nothing was changed"
            ) from None
        changes.append(f"name: {organization.name} -> {name}")
        organization.name = name
        organization.name_provisional = False
        fields += ["name", "name_provisional"]
    if organization.website != website:
        changes.append(f"website: {organization.website or '(none)'} -> {website or '(none)'}")
        organization.website = website
        fields.append("website")
    if not fields:
        return []
    with transaction.atomic():
        organization.save(update_fields=fields)
        data: dict[str, Any] = {"organization": organization.pk, "changes": changes}
        if move is not None:
            move.save()
            if move.documents:
                changes.append(f"documents: {move.summary}")
            data["folder"] = {"from": move.source, "to": move.target}
        timeline_record(
            engagement=engagement,
            kind=TimelineEntry.Kind.CONTACT_CHANGED,
            actor=actor,
            summary=f"Organization changed: {'; '.join(changes)}",
            data=data,
        )
    return changes


@transaction.atomic
def engagement_create_linked(
    *, source: Engagement, stage: Stage, actor: Actor, why: str, link: str = "renewal_of"
) -> Engagement:
    """A new engagement with `source`'s organization, owner and contacts, opened at `stage` (a
    renewal starts in Prospect with those of the partnership it renews).

    Both timelines say so, each naming the other (`data[link]` on the new one).
    """
    now = clock.now()
    engagement = Engagement.objects.create(
        organization_id=source.organization_id,
        stage=stage.value,
        stage_changed_at=now,
        created_at=now,
        source=source.source,
        owner_id=source.owner_id,
    )
    contact_ids = list(source.contact_links.order_by("id").values_list("contact_id", flat=True))
    EngagementContact.objects.bulk_create(
        [EngagementContact(engagement=engagement, contact_id=contact_id) for contact_id in contact_ids]
    )
    emails = list(source.contacts.order_by("engagement_links__id").values_list("email", flat=True))
    timeline_record(
        engagement=engagement,
        kind=TimelineEntry.Kind.CREATED,
        actor=actor,
        summary=f"Created at {stage.label} for {source.organization.name}: {why} ({source.reference})",
        data={"contacts": emails, "source": source.source, link: source.pk, "stage": stage.value},
    )
    timeline_record(
        engagement=source,
        kind=TimelineEntry.Kind.NOTE,
        actor=actor,
        summary=f"{engagement.reference} opened at {stage.label}: {why}",
        data={"linked": engagement.pk, "link": link},
    )
    return engagement
