"""Inbound mail and webhook deliveries, stored before anything acts on them.

Each is unique by what identifies it (a message's Message-ID or content hash, a booking's key,
a webhook body's hash), so a second delivery of the same thing is an IntegrityError and does
nothing. Rows change only through `store.py`, `processing.py` and `bookings.py`.
"""

from __future__ import annotations

from django.db import models


class InboundMessage(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", "Received, not processed yet"
        PROCESSING = "processing", "Being processed"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Stored; nothing to do"
        QUARANTINED = "quarantined", "Quarantined"
        # A command whose sender is not proven: nothing done until a team member confirms it.
        HELD = "held", "Held for confirmation"
        # Proven forged (DMARC failed): kept and shown, never acted on.
        REFUSED = "refused", "Refused: the sender failed authentication"

    class Channel(models.TextChoices):
        MAILGATE = "mailgate", "mailgate (MTA pipe)"
        IMAP = "imap", "IMAP fetch"
        FOLDER = "folder", "Folder of .eml files"

    # `mid:<Message-ID>`, or `sha256:<hash of the bytes>` for a message without one.
    dedupe_key = models.CharField(max_length=300, unique=True)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    content_hash = models.CharField(max_length=64)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    from_addr = models.CharField(max_length=320, blank=True)
    subject = models.TextField(blank=True)
    size = models.PositiveBigIntegerField()
    # The bytes as received; an oversized message is kept as a file instead (raw_path).
    raw = models.BinaryField(null=True, blank=True)
    raw_path = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    route = models.CharField(max_length=40, blank=True)  # command, booking, reply, new_lead, automatic...
    # What processing did, or why the message is quarantined.
    outcome = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    engagement = models.ForeignKey(
        "pipeline.Engagement",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_messages",
    )
    received_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # A held message: the SHA-256 of the one-time code mailed to its claimed sender, and who
    # confirmed it (a signed-in user, or the sender's reply with the code) and when.
    hold_code_hash = models.CharField(max_length=64, blank=True)
    confirmed_by = models.CharField(max_length=320, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["status", "id"]),
            models.Index(fields=["from_addr", "received_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.from_addr}: {self.subject}"


class Booking(models.Model):
    """A Calendly booking seen once: create-running-notes runs once per key."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"

    key = models.CharField(max_length=300, unique=True)
    source = models.CharField(max_length=20)  # webhook or email
    invitee_email = models.CharField(max_length=320)
    invitee_name = models.CharField(max_length=200, blank=True)
    event_name = models.CharField(max_length=200, blank=True)
    start = models.CharField(max_length=200, blank=True)
    canceled = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    engagement = models.ForeignKey(
        "pipeline.Engagement", null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    outcome = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.invitee_email} {self.start}"


class WebhookDelivery(models.Model):
    """A verified webhook delivery; a replay of the same body is refused by the unique key."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSING = "processing", "Being processed"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"

    provider = models.CharField(max_length=20)
    body_hash = models.CharField(max_length=64)
    body = models.BinaryField()
    event = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    outcome = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "body_hash"], name="webhook_delivery_unique"),
        ]
        verbose_name_plural = "webhook deliveries"


class AutomaticReply(models.Model):
    """One automatic message we sent to an address (an answer, an acknowledgement, a request to
    confirm): what keeps an auto-responder that sends no RFC 3834 headers from a mail loop."""

    address = models.CharField(max_length=320)
    outbox = models.OneToOneField("mail.OutboxMessage", on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField()
    # It answered a message that itself answered one of our automatic messages: these are capped.
    answers_ours = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["address", "sent_on"])]
