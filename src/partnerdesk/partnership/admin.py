from __future__ import annotations

from django.contrib import admin

from partnerdesk.partnership.models import (
    AgreementPlan,
    CheckIn,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    Renewal,
    Tickler,
)


@admin.register(Tickler)
class TicklerAdmin(admin.ModelAdmin):
    list_display = ["due_on", "kind", "engagement", "status", "fired_at", "outcome", "attempts"]
    list_filter = ["kind", "status"]
    search_fields = ["key", "outcome"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["number", "engagement", "issued_on", "due_on", "total", "currency", "status"]
    list_filter = ["status", "year"]
    # Numbers, amounts and the sent message are history: only the payment is edited (by command).
    readonly_fields = ["number", "year", "sequence", "total", "currency", "message", "idempotency_key"]
    inlines = [InvoiceLineInline]


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ["engagement", "email", "sent_at", "answered_at", "rating"]


@admin.register(Renewal)
class RenewalAdmin(admin.ModelAdmin):
    list_display = ["engagement", "renewal_engagement", "outcome", "decided_at"]


@admin.register(AgreementPlan)
class AgreementPlanAdmin(admin.ModelAdmin):
    list_display = ["agreement", "planned_at"]
    list_select_related = ["agreement"]


@admin.register(InvoiceCounter)
class InvoiceCounterAdmin(admin.ModelAdmin):
    # The last number given each year: read-only, or numbering could skip or repeat.
    list_display = ["year", "last"]
    readonly_fields = ["year", "last"]

    def has_add_permission(self, request) -> bool:
        return False
