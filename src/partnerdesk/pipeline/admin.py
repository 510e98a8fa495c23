from __future__ import annotations

from django.contrib import admin
from django.db import models

from partnerdesk.pipeline.models import (
    Assessment,
    Contact,
    Engagement,
    EngagementContact,
    Organization,
    Task,
    TimelineEntry,
)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "website", "created_at"]
    search_fields = ["name"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "organization"]
    search_fields = ["email", "name", "organization__name"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]


class EngagementContactInline(admin.TabularInline):
    model = EngagementContact
    extra = 0
    autocomplete_fields = ["contact"]


class AssessmentInline(admin.TabularInline):
    model = Assessment
    extra = 0


class TaskInline(admin.TabularInline):
    model = Task
    extra = 0
    fields = ["title", "assignee", "due_on", "done_at"]


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    can_delete = False
    readonly_fields = ("at", "kind", "actor", "summary")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Engagement)
class EngagementAdmin(admin.ModelAdmin):
    list_display = ["id", "organization", "stage", "owner", "source", "stage_changed_at"]
    list_filter = ["stage", "source", "owner"]
    search_fields = ["organization__name", "contacts__email", "contacts__name"]
    list_select_related = ["organization", "owner"]
    autocomplete_fields = ["organization"]
    # The stage moves only through the guarded service (web page or `partnerdesk lead move`).
    readonly_fields = ["stage", "stage_changed_at", "created_at"]
    inlines = [EngagementContactInline, AssessmentInline, TaskInline, TimelineInline]


@admin.register(TimelineEntry)
class TimelineEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "engagement", "kind", "actor", "summary"]
    list_filter = ["kind"]
    search_fields = ["summary", "actor"]
    list_select_related = ["engagement__organization"]
    readonly_fields = ["engagement", "kind", "at", "actor", "actor_user", "summary", "data"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "engagement", "assignee", "due_on", "done_at"]
    list_filter = ["assignee"]
    search_fields = ["title", "engagement__organization__name"]
    list_select_related = ["engagement__organization"]
    readonly_fields = ["created_at", "idempotency_key"]
