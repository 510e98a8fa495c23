from __future__ import annotations

from django.contrib import admin

from partnerdesk.playbooks.models import PlaybookRun, StepRun


class StepRunInline(admin.TabularInline):
    model = StepRun
    extra = 0
    can_delete = False
    fields = ("index", "step_id", "title", "status", "detail", "error", "attempts", "finished_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PlaybookRun)
class PlaybookRunAdmin(admin.ModelAdmin):
    list_display = ["playbook", "engagement", "status", "actor", "started_at", "finished_at"]
    list_filter = ["status", "playbook"]
    search_fields = ["playbook", "engagement__organization__name"]
    list_select_related = ["engagement__organization"]
    # A run is a record of what happened; resume it with `partnerdesk playbook run`, not by editing.
    readonly_fields = [
        "engagement",
        "playbook",
        "title",
        "status",
        "actor",
        "spec",
        "started_at",
        "finished_at",
        "error",
    ]
    inlines = [StepRunInline]
