"""Durable playbook runs: each run and each step's outcome are stored, so a run that stopped
halfway resumes from the failed step and never repeats a step that was done."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from partnerdesk.pipeline.models import Engagement


class PlaybookRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="playbook_runs")
    playbook = models.CharField(max_length=80)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    actor = models.CharField(max_length=200)
    # The steps as they were when the run started: a resumed run finishes what it began.
    spec = models.JSONField()
    # What the request said beyond the engagement (context.RunRequest), kept for the same reason.
    request = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # A queued run the worker claimed is its until then; past it (the worker died) another
    # worker resumes it, and the steps it finished are not done again.
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # At most one unfinished run of a playbook per engagement: the one to resume.
            models.UniqueConstraint(
                fields=["engagement", "playbook"],
                condition=Q(status__in=["queued", "running", "failed"]),
                name="one_unfinished_run_per_playbook",
            )
        ]

    def __str__(self) -> str:
        return f"{self.playbook} on {self.engagement_id} ({self.status})"


# A run still to finish (queued, running, or stopped at a failed step): at most one per playbook
# and engagement, the one to carry on.
UNFINISHED = [PlaybookRun.Status.QUEUED, PlaybookRun.Status.RUNNING, PlaybookRun.Status.FAILED]


class StepRun(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(PlaybookRun, on_delete=models.CASCADE, related_name="steps")
    index = models.PositiveIntegerField()
    step_id = models.CharField(max_length=80)
    kind = models.CharField(max_length=40)
    title = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    detail = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "step_id"], name="step_run_unique")]

    @property
    def idempotency_key(self) -> str:
        """The key every side effect of this step carries, so a retry is a no-op."""
        return f"run-{self.run_id}-{self.step_id}"
