"""The outbox: every outgoing message is a row, written in the same transaction as its cause.

Rows change only through `outbox.py` and `delivery.py`; the worker moves them READY -> SENDING ->
SENT or FAILED (or back to READY to try again).
"""

from __future__ import annotations

from django.db import models


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        READY = "ready", "Ready"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    engagement = models.ForeignKey(
        "pipeline.Engagement",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbox_messages",
    )
    # Fixed when the message is queued, so a retry is the same message.
    message_id = models.CharField(max_length=255, unique=True)
    # Set when a playbook step queued it, so a resumed run does not queue it twice.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    from_addr = models.TextField()
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list, blank=True)
    bcc = models.JSONField(default=list, blank=True)
    subject = models.TextField()
    # The SMTP envelope, fixed with the bytes: the bare addresses of From, and of To, Cc and Bcc.
    envelope_from = models.CharField(max_length=254)
    envelope_to = models.JSONField(default=list)
    # The RFC 5322 bytes as built at queue time: every attempt sends exactly these.
    raw = models.BinaryField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READY)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # While SENDING: the worker holding the claim, and when it took or last renewed it. A claim not
    # renewed for CLAIM_LEASE (delivery.py) belongs to a worker that stopped and is taken back.
    claimed_by = models.CharField(max_length=100, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Set (and committed) before the SMTP transaction of try number `attempts` begins, cleared when
    # its outcome is recorded: a claim taken back with it set may have reached the server.
    attempt_started_at = models.DateTimeField(null=True, blank=True)
    # Tries made again after a worker stopped during a transaction: each may have given the
    # recipients a second copy, with the same Message-ID.
    possible_duplicates = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name = "outbox message"

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"
