"""Organizations, contacts, engagements, their qualification and their timeline.

Rows change only through `services.py`; nothing here has side effects.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from partnerdesk.pipeline.qualification import Answer, Criterion
from partnerdesk.pipeline.references import reference_of
from partnerdesk.pipeline.stages import STAGE_LABELS, Stage

STAGE_CHOICES = [(stage.value, STAGE_LABELS[stage]) for stage in Stage]
ANSWER_CHOICES = [(answer.value, answer.value) for answer in Answer]
CRITERION_CHOICES = [(criterion.value, criterion.label) for criterion in Criterion]


class Organization(models.Model):
    name = models.CharField(max_length=200)
    # A name nobody gave (the domain of the first contact's address): shown as provisional, and
    # replaced as soon as someone names the organization (see pipeline/naming.py).
    name_provisional = models.BooleanField(default=False)
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("name"), name="organization_name_unique_ci"),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A person; one email address is one contact (stored lower-cased)."""

    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254, unique=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


class Source(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    EMAIL = "email", "Email"
    WEB = "web", "Web"
    IMPORT = "import", "Imported"
    CALENDLY = "calendly", "Calendly booking"


class Engagement(models.Model):
    """One tracked relationship attempt with one organization: the handbook's ticket."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="engagements")
    stage = models.CharField(max_length=20, choices=STAGE_CHOICES, default=Stage.LEAD.value)
    stage_changed_at = models.DateTimeField()
    contacts = models.ManyToManyField(Contact, through="EngagementContact", related_name="engagements")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The owner's address when they have no user account yet (the team member who first acted on
    # the engagement by email); the web offers to invite them.
    owner_email = models.CharField(max_length=320, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)
    created_at = models.DateTimeField()

    # The handbook's two questions for Lead -> Qualified Lead.
    good_candidate = models.CharField(max_length=10, choices=ANSWER_CHOICES, default=Answer.UNKNOWN.value)
    qualified = models.CharField(max_length=10, choices=ANSWER_CHOICES, default=Answer.UNKNOWN.value)
    # Qualified Lead -> Prospect.
    verbal_yes_by = models.CharField(max_length=200, blank=True)
    verbal_yes_on = models.DateField(null=True, blank=True)
    # Prospect -> Partner.
    executed_close_on = models.DateField(null=True, blank=True)
    executed_agreement = models.CharField(max_length=200, blank=True)
    closed_reason = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["stage", "stage_changed_at"])]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.reference} {self.organization.name}" if self.pk else "new engagement"

    @property
    def reference(self) -> str:
        return reference_of(self.pk)


class EngagementContact(models.Model):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="contact_links")
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="engagement_links")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["engagement", "contact"], name="engagement_contact_unique"),
        ]
        ordering = ["id"]


class Assessment(models.Model):
    """One MANIAC-T criterion for one engagement; absent means unknown."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="assessments")
    criterion = models.CharField(max_length=20, choices=CRITERION_CHOICES)
    answer = models.CharField(max_length=10, choices=ANSWER_CHOICES, default=Answer.UNKNOWN.value)
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["engagement", "criterion"], name="assessment_unique"),
        ]


class TimelineEntry(models.Model):
    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        STAGE_CHANGED = "stage_changed", "Stage changed"
        QUALIFICATION_CHANGED = "qualification_changed", "Qualification changed"
        VERBAL_YES = "verbal_yes", "Verbal yes"
        EXECUTED_CLOSE = "executed_close", "Executed close"
        NOTE = "note", "Note"
        CONTACT_ADDED = "contact_added", "Contact added"
        CONTACT_CHANGED = "contact_changed", "Contact or organization changed"
        EMAIL_OUT = "email_out", "Email sent"
        EMAIL_IN = "email_in", "Email received"
        DOCUMENT = "document", "Document"
        SHARE = "share", "Document shared"
        RUNNING_NOTE = "running_note", "Running-notes entry"
        PLAYBOOK_RUN = "playbook_run", "Playbook run"
        TASK = "task", "Task"
        AGREEMENT = "agreement", "Agreement"
        BOOKING = "booking", "Meeting booking"

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    at = models.DateTimeField()
    actor = models.CharField(max_length=200)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.TextField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["engagement", "at"]),
            # The dashboard's history (web/dashboard.py): the stage changes alone, per engagement
            # and in a period, without reading the notes and mail around them.
            models.Index(
                fields=["engagement", "at"], condition=models.Q(kind="stage_changed"), name="timeline_moves"
            ),
            models.Index(fields=["at"], condition=models.Q(kind="stage_changed"), name="timeline_moves_at"),
        ]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.summary}"


class Task(models.Model):
    """A checklist item for a person on an engagement (the handbook's meeting checklist, say)."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=300)
    assignee = models.CharField(max_length=200, blank=True)
    due_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    # Set when a playbook step made it, so a resumed run does not make it twice.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
