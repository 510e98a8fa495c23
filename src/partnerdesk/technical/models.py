"""An engagement's technical needs record, and its hand-off to engineering."""

from __future__ import annotations

import datetime as dt

from django.db import models

from partnerdesk.pipeline.models import Engagement


class TechnicalAnswer(models.Model):
    class Status(models.TextChoices):
        ANSWERED = "answered", "Answered"
        TO_ASK = "to-ask", "To ask"
        NOT_APPLICABLE = "not-applicable", "Not applicable"

    class Source(models.TextChoices):
        MEETING = "meeting", "Meeting"
        EMAIL = "email", "Email"
        FORM = "form", "Form"
        CLI = "cli", "Command line"

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="technical_answers")
    key = models.CharField(max_length=60)
    value = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ANSWERED)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.CLI)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["engagement", "key"], name="technical_answer_unique")]
        ordering = ["engagement", "key"]


class Handoff(models.Model):
    """The one hand-off of an engagement: where its request went, so a repeat sends nothing twice.

    The web and the executed close queue it (`status` queued) and the worker runs it
    (`technical/handoffs.py`): the request never waits on GitHub or the document store.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    engagement = models.OneToOneField(Engagement, on_delete=models.CASCADE, related_name="handoff")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DONE)
    # Who queued it (the actor the worker runs it as).
    queued_by = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # What stopped the last attempt, without any instruction (the page says what to do).
    last_error = models.TextField(blank=True)
    # A queued hand-off waits for this; a running one is reclaimed after it (its worker died).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    document_path = models.TextField(blank=True)
    outbox_message = models.ForeignKey(
        "mail.OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issue_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class TechnicalFormLink(models.Model):
    """A partner link of the technical form's purpose (documents.PartnerLink, an access link:
    hashed token, expiring, revocable, one contact) bound to one engagement's form. It submits
    once: the partner link is used up with the answers."""

    link = models.OneToOneField("documents.PartnerLink", on_delete=models.CASCADE, related_name="+")
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="technical_form_links")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    @property
    def submitted_at(self) -> dt.datetime | None:
        return self.link.used_at


class TechnicalReminder(models.Model):
    """A dated reminder to the contacts while the record is incomplete, fired once by the worker.

    `key` names the sending it follows (the playbook step's idempotency key), so planning it twice
    makes one row.
    """

    key = models.CharField(max_length=200, unique=True)
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="technical_reminders")
    due_on = models.DateField()
    created_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    # What firing did ("reminded lee@...", "skipped: the record is complete").
    outcome = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
