"""The partner phase's rows: ticklers (dated reminders), renewals, check-ins and invoices.

Rows change only through this app's service modules (`ticklers.py`, `renewals.py`,
`checkins.py`, `invoicing.py`); each change that matters to people writes a timeline entry.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from partnerdesk.lib.access_links import AccessLink
from partnerdesk.lib.actors import Actor

# Who the partner phase's worker writes as: its reminders, invoices, check-ins and renewals.
WORKER = Actor(label="partnerdesk:ticklers")


class Tickler(models.Model):
    """A stored, dated reminder: fired once by the worker on or after `due_on`.

    `key` names what it is for ("agreement:5:renewal:120"), so planning twice makes nothing new.
    Only the most recent due item of each kind of an engagement is fired; an older one still
    waiting is *missed* and waits for a person to send, skip or mark it done.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Planned"
        MISSED = "missed", "Missed"
        FIRED = "fired", "Fired"
        SKIPPED = "skipped", "Skipped"
        DONE = "done", "Done by hand"
        CANCELLED = "cancelled", "Stopped"

    class Kind(models.TextChoices):
        RENEWAL = "renewal", "Renewal reminder"
        CHECK_IN = "check_in", "Satisfaction check-in"
        INVOICE = "invoice", "Invoice due to be issued"
        INVOICE_OVERDUE = "invoice_overdue", "Overdue invoice reminder"

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    engagement = models.ForeignKey("pipeline.Engagement", on_delete=models.CASCADE, related_name="ticklers")
    agreement = models.ForeignKey(
        "agreements.Agreement", null=True, blank=True, on_delete=models.CASCADE, related_name="ticklers"
    )
    due_on = models.DateField()
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    # Pending and missed items have no `fired_at`; every other status has, with its `outcome`.
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    fired_at = models.DateTimeField(null=True, blank=True)
    # What firing did ("reminder sent to alice@...", "skipped: the engagement is closed").
    outcome = models.TextField(blank=True)
    # Who sent, skipped or marked done a missed item (empty: the worker).
    resolved_by = models.CharField(max_length=200, blank=True)
    # A failed firing rolls back and is tried again later.
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["due_on", "id"], condition=Q(fired_at__isnull=True), name="tickler_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_on.isoformat()}"


class AgreementPlan(models.Model):
    """What the ticklers of an executed agreement were computed from, so a change re-plans them.

    The billing terms themselves (schedule, amounts, contact) are the agreement's fields.
    """

    agreement = models.OneToOneField("agreements.Agreement", on_delete=models.CASCADE, related_name="plan")
    fingerprint = models.CharField(max_length=64, blank=True)
    planned_at = models.DateTimeField(null=True, blank=True)


class Renewal(models.Model):
    """The renewal of an agreement: the Prospect engagement opened for it, and the outcome."""

    class Outcome(models.TextChoices):
        RENEWED = "renewed", "Renewed"
        CHANGED = "changed", "Renewed with changes"
        ENDED = "ended", "Ended"

    engagement = models.ForeignKey("pipeline.Engagement", on_delete=models.CASCADE, related_name="renewals")
    agreement = models.OneToOneField("agreements.Agreement", on_delete=models.CASCADE, related_name="renewal")
    renewal_engagement = models.OneToOneField(
        "pipeline.Engagement", on_delete=models.CASCADE, related_name="renewal_of"
    )
    opened_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # The next term's agreement (renewed or changed), on the renewal engagement.
    next_agreement = models.OneToOneField(
        "agreements.Agreement", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewal_from"
    )


class CheckIn(models.Model):
    """One satisfaction check-in sent to one contact; answered once, through its link (or
    recorded by the team). Check-ins sent before their `link` existed carry a signed token."""

    engagement = models.ForeignKey("pipeline.Engagement", on_delete=models.CASCADE, related_name="check_ins")
    tickler = models.ForeignKey(Tickler, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tickler", "email"], name="check_in_once_per_tickler_and_contact"
            ),
        ]


class CheckInLink(AccessLink):
    """The link in a check-in's email (lib/access_links.py: only the token's hash is stored); it
    expires with its check-in, which is answered once (`CheckIn.answered_at`)."""

    check_in = models.OneToOneField(CheckIn, on_delete=models.CASCADE, related_name="link")


class InvoiceCounter(models.Model):
    """The last invoice number given in a year (the series); locked while the next one is given.

    A number once given stays with its invoice, void or not: a series has no gaps.
    """

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class Invoice(models.Model):
    class Status(models.TextChoices):
        SENT = "sent", "Sent"
        PAID = "paid", "Paid"
        OVERDUE = "overdue", "Overdue"
        VOID = "void", "Void"

    # "2027-0001": the year, then a sequence without gaps within it.
    number = models.CharField(max_length=20, unique=True)
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    engagement = models.ForeignKey("pipeline.Engagement", on_delete=models.PROTECT, related_name="invoices")
    agreement = models.ForeignKey("agreements.Agreement", on_delete=models.PROTECT, related_name="invoices")
    issued_on = models.DateField()
    due_on = models.DateField()
    currency = models.CharField(max_length=3)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT)
    paid_on = models.DateField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True)
    # The payment terms as the invoice states them ("net 45", "due by 2027-03-01").
    terms = models.CharField(max_length=100, blank=True)
    po_number = models.CharField(max_length=100, blank=True)
    billing_contact = models.EmailField()
    message = models.ForeignKey(
        "mail.OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The tickler that issued it: a repeat issues nothing.
    idempotency_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["year", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="invoice_number_unique_per_year"),
        ]

    def __str__(self) -> str:
        return self.number


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    description = models.CharField(max_length=500)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["invoice", "position"]
