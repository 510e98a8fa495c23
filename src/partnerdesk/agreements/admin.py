from __future__ import annotations

from django.contrib import admin

from partnerdesk.agreements.models import (
    Addendum,
    Agreement,
    AgreementVersion,
    OpenPoint,
    Signatory,
    SignatureEnvelope,
    SignatureEvent,
)


class VersionInline(admin.TabularInline):
    model = AgreementVersion
    extra = 0
    fields = ("number", "title", "filename", "signed", "actor", "created_at")
    readonly_fields = fields


class SignatoryInline(admin.TabularInline):
    model = Signatory
    extra = 0


class AddendumInline(admin.TabularInline):
    model = Addendum
    extra = 0


class OpenPointInline(admin.TabularInline):
    model = OpenPoint
    extra = 0
    # A point is a task: it is settled on the engagement (or `agreement point done`), not here.
    readonly_fields = ["task", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ["title", "engagement", "status", "value", "currency", "term_start", "term_end"]
    list_filter = ["status"]
    search_fields = ["title", "engagement__organization__name"]
    # The status changes only through the services, which write the timeline.
    readonly_fields = ["status", "executed_on", "created_at", "updated_at", "idempotency_key"]
    inlines = [VersionInline, SignatoryInline, AddendumInline, OpenPointInline]


@admin.register(SignatureEnvelope)
class SignatureEnvelopeAdmin(admin.ModelAdmin):
    list_display = ["envelope_id", "provider", "agreement", "status", "created_at"]
    search_fields = ["envelope_id"]


@admin.register(SignatureEvent)
class SignatureEventAdmin(admin.ModelAdmin):
    list_display = [
        "envelope_id",
        "event",
        "generated_at",
        "agreement",
        "received_at",
        "applied_at",
        "attempts",
    ]
    list_filter = [("applied_at", admin.EmptyFieldListFilter)]
    search_fields = ["envelope_id"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a provider's notification is kept as it came
