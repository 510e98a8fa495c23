from __future__ import annotations

from django.contrib import admin

from partnerdesk.documents.models import Document, RunningNoteEntry, Share


class ShareInline(admin.TabularInline):
    model = Share
    extra = 0
    autocomplete_fields = ["contact"]
    readonly_fields = ["created_at", "notification"]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "engagement", "store", "created_at"]
    list_filter = ["kind", "store"]
    search_fields = ["title", "engagement__organization__name"]
    list_select_related = ["engagement__organization"]
    # Where the file is, and under which key it was made, belong to the store: not edited by hand.
    readonly_fields = ["engagement", "store", "store_id", "folder_path", "created_at", "idempotency_key"]
    inlines = [ShareInline]


@admin.register(RunningNoteEntry)
class RunningNoteEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "document", "line"]
    search_fields = ["line", "document__title"]
    list_select_related = ["document"]
    readonly_fields = ["document", "line", "created_at", "idempotency_key"]
