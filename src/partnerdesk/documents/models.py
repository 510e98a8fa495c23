"""Documents in the team drive, who they are shared with, and the running-notes entries written.

Rows change only through `services.py`. A Document keeps the exact name (`title`) beside where
the store put it (`store_id`, for the local store the safe path on disk), so the one always leads
to the other.
"""

from __future__ import annotations

from django.db import models

from partnerdesk.lib.access_links import AccessLink

TITLE_MAX_LENGTH = 500


class Document(models.Model):
    class Kind(models.TextChoices):
        RUNNING_NOTES = "running_notes", "Running notes"
        AGREEMENT = "agreement", "Agreement"
        OTHER = "other", "Other"

    engagement = models.ForeignKey("pipeline.Engagement", on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    # The exact name, as people read it ("PartnerX + 2i2c/CS&S - Services Agreement 2026-11-25").
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    store = models.CharField(max_length=20)
    store_id = models.CharField(max_length=1000)
    # The folder as exact names joined by "/", as given to the store.
    folder_path = models.CharField(max_length=1000)
    url = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField()
    # Set when a playbook step made it, so a resumed run does not make it twice.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["engagement", "title"], name="document_engagement_title_unique"),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title

    @property
    def path(self) -> str:
        """The display path: the folder's exact names and the title."""
        return f"{self.folder_path}/{self.title}" if self.folder_path else self.title


class Share(models.Model):
    class Role(models.TextChoices):
        EDITOR = "editor", "Editor"
        VIEWER = "viewer", "Viewer"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="shares")
    contact = models.ForeignKey("pipeline.Contact", on_delete=models.PROTECT, related_name="shares")
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField()
    notification = models.ForeignKey(
        "mail.OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "contact"], name="share_document_contact_unique"),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.document} ({self.role}): {self.contact}"


class RunningNoteEntry(models.Model):
    """One dated line written to a running-notes document; its key makes a repeat a no-op."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="entries")
    line = models.TextField()
    created_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "running-note entries"

    def __str__(self) -> str:
        return self.line


class PartnerLink(AccessLink):
    """A link that opens, without sign-in, what is shared with one contact (documents/partner_links.py).

    Only the token's hash is stored (lib/access_links.py); the link works until it expires or is
    revoked, and reaches nothing but what is shared with its contact. Its purpose says which pages
    it opens: the shared documents, or one engagement's technical form (technical/links.py).
    """

    contact = models.ForeignKey("pipeline.Contact", on_delete=models.CASCADE, related_name="+")
    created_by = models.CharField(max_length=200, blank=True)
    revoked_by = models.CharField(max_length=200, blank=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Made by the web app before partner links moved here; the table kept its name.
        db_table = "web_partnerlink"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"partner link #{self.pk} for {self.contact_id}"
