from __future__ import annotations

from django.contrib import admin

from partnerdesk.technical.models import Handoff, TechnicalAnswer, TechnicalFormLink, TechnicalReminder


@admin.register(TechnicalAnswer)
class TechnicalAnswerAdmin(admin.ModelAdmin):
    list_display = ["engagement", "key", "status", "source", "updated_at"]
    list_filter = ["status", "source", "key"]
    search_fields = ["engagement__organization__name", "value"]
    list_select_related = ["engagement__organization"]


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    list_display = ["engagement", "document_path", "issue_url", "updated_at"]
    list_select_related = ["engagement__organization"]
    readonly_fields = [
        "engagement",
        "document_path",
        "outbox_message",
        "issue_url",
        "created_at",
        "updated_at",
    ]


@admin.register(TechnicalFormLink)
class TechnicalFormLinkAdmin(admin.ModelAdmin):
    list_display = ["engagement", "link", "created_at", "submitted_at"]
    list_select_related = ["engagement__organization", "link"]
    readonly_fields = ["engagement", "link", "created_at", "submitted_at"]


@admin.register(TechnicalReminder)
class TechnicalReminderAdmin(admin.ModelAdmin):
    list_display = ["engagement", "due_on", "fired_at", "outcome", "attempts"]
    list_select_related = ["engagement__organization"]
    readonly_fields = ["key", "engagement", "created_at", "fired_at", "outcome", "attempts", "last_error"]
