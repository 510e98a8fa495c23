"""A services agreement: its versions, status, value, term, signatories and addenda.

Rows change only through `services.py`, and every change there writes one timeline entry.
Each version is a file in the document store (a .docx, or the signed copy as it came back);
its text is kept here too, so the changes between versions can be shown without the store.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class Agreement(models.Model):
    """A services agreement; its billing terms (payment terms, schedule, amounts, billing contact,
    PO number) default to the profile's `[partnership]` section where left empty."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        NEGOTIATING = "negotiating", "Negotiating"
        READY_TO_SIGN = "ready_to_sign", "Ready to sign"
        OUT_FOR_SIGNATURE = "out_for_signature", "Out for signature"
        EXECUTED = "executed", "Executed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class InvoiceSchedule(models.TextChoices):
        ANNUAL = "annual", "Annual"
        QUARTERLY = "quarterly", "Quarterly"
        MILESTONES = "milestones", "Milestones (the deliverables)"

    engagement = models.ForeignKey("pipeline.Engagement", on_delete=models.CASCADE, related_name="agreements")
    # The exact name: "Harbor University + 2i2c/CS&S - Services Agreement 2026-11-20".
    title = models.CharField(max_length=500)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    # The draft made from the template (send-draft-contract), when there is one.
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    folder_path = models.CharField(max_length=1000)
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    term_start = models.DateField(null=True, blank=True)
    term_end = models.DateField(null=True, blank=True)
    executed_on = models.DateField(null=True, blank=True)
    # Days from an invoice's issue to its due date (None: the profile's), or a fixed due date.
    payment_terms_days = models.PositiveSmallIntegerField(null=True, blank=True)
    payment_due_on = models.DateField(null=True, blank=True)
    # Empty: the profile's schedule.
    invoice_schedule = models.CharField(max_length=20, choices=InvoiceSchedule.choices, blank=True)
    # The amount of each invoice of the schedule, in order ("4000.00"); empty: the value split evenly.
    invoice_amounts = models.JSONField(default=list, blank=True)
    # Empty: the engagement's first contact.
    billing_contact = models.EmailField(blank=True)
    po_number = models.CharField(max_length=100, blank=True)
    # The agreement whose next term this is (a renewal).
    renews = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewed_by"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # Set when a playbook step made it, so a resumed run does not make it twice.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # One agreement in the works per engagement: the one every command acts on.
            models.UniqueConstraint(
                fields=["engagement"],
                condition=~Q(status__in=["executed", "withdrawn"]),
                name="one_open_agreement_per_engagement",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status not in {self.Status.EXECUTED, self.Status.WITHDRAWN}


class AgreementVersion(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    # The name in the store, and where the store keeps it.
    title = models.CharField(max_length=500)
    store = models.CharField(max_length=20)
    store_id = models.CharField(max_length=1000)
    filename = models.CharField(max_length=300)
    content_type = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    # The text, one paragraph a line (empty for a file that is not a .docx, such as a signed PDF).
    text = models.TextField(blank=True)
    changes = models.TextField(blank=True)
    signed = models.BooleanField(default=False)
    actor = models.CharField(max_length=200)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="agreement_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement} v{self.number}"


class Signatory(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signatories")
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    organization = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=200, blank=True)
    # The order in which they sign (DocuSign's routing order).
    position = models.PositiveIntegerField()
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["agreement", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "email"], name="signatory_agreement_email_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Addendum(models.Model):
    class Kind(models.TextChoices):
        STATEMENT_OF_WORK = "statement_of_work", "Statement of work"
        DELIVERABLE = "deliverable", "Deliverable"
        OTHER = "other", "Other"

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="addenda")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    due_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["agreement", "kind", "due_on", "id"]
        verbose_name_plural = "addenda"

    def __str__(self) -> str:
        return self.title


class SignatureEvent(models.Model):
    """An e-signature provider's notification, kept once: a repeat delivery is a no-op."""

    provider = models.CharField(max_length=20)
    envelope_id = models.CharField(max_length=100)
    event = models.CharField(max_length=100)
    generated_at = models.CharField(max_length=60)
    agreement = models.ForeignKey(
        Agreement, null=True, blank=True, on_delete=models.SET_NULL, related_name="signature_events"
    )
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField()
    # What the notification says, read from the payload when it came (the addresses that have
    # signed, the envelope's status): the worker applies it after the webhook has answered.
    signed = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "envelope_id", "event", "generated_at"], name="signature_event_unique"
            )
        ]
        indexes = [models.Index(fields=["applied_at", "next_attempt_at"], name="signature_event_due")]


class SignatureEnvelope(models.Model):
    """An envelope sent through an e-signature provider for an agreement's version.

    The row is written (status "sending", no envelope id) before the provider is called, and the
    outcome recorded after: the provider's id and status, or "failed" with the error.
    """

    SENDING = "sending"
    FAILED = "failed"

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="envelopes")
    version = models.ForeignKey(
        AgreementVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider = models.CharField(max_length=20)
    # None until the provider answers.
    envelope_id = models.CharField(max_length=100, null=True, blank=True)
    # sending, failed, or the provider's: sent, delivered, completed, declined, voided...
    status = models.CharField(max_length=20)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "envelope_id"], name="signature_envelope_unique"),
        ]


class OpenPoint(models.Model):
    """A point still open in the negotiation: a task on the engagement, tied to the agreement."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="open_points")
    task = models.OneToOneField("pipeline.Task", on_delete=models.CASCADE, related_name="agreement_point")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["agreement", "id"]

    def __str__(self) -> str:
        return self.task.title
